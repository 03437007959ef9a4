"""The Telegram bot through python-telegram-bot's real Application and HTTP client."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from tests.bot.telegram.conftest import GROUP, TOKEN, Bot, drain_forever, jpeg, private, user

ALICE = user(11, "민지")
pytestmark = pytest.mark.slow


def check_answer(reply: dict[str, object], photo: dict[str, object]) -> None:
    assert reply["parse_mode"] == "HTML" and "#커피" in str(reply["text"])
    assert str(reply["text"]).count("melon.com") == 10
    keyboard = reply["reply_markup"]["inline_keyboard"]  # type: ignore[index]
    # a row per song (👍, 👎, more like it), the whole list, the tag chips, the mood nudges
    assert len(keyboard) == 13 and all(len(row) == 3 for row in keyboard[:10])
    assert [b["callback_data"][0] for b in keyboard[10]] == ["v", "v"]
    assert {b["callback_data"][0] for b in keyboard[11]} == {"t"}
    assert [b["callback_data"][0] for b in keyboard[12]] == ["n", "n"]
    assert "👍" in keyboard[0][0]["text"] and keyboard[0][0]["callback_data"].startswith("v:")


async def test_photo_gets_a_chat_action_then_one_message_with_songs_and_votes(tg: Bot) -> None:
    photo = tg.photo(private(11), ALICE, jpeg("coffee.png"))
    await tg.send(photo)
    reply = await tg.reply_with("melon.com")
    check_answer(reply, photo)
    assert [c.method for c in tg.api.calls if c.method != "getFile"][-2:] == [
        "sendChatAction",
        "sendMessage",
    ]  # a quick answer: no placeholder, one message
    assert reply["reply_parameters"]["message_id"] == photo["message_id"]  # quotes the photo
    await tg.app.bot_data["handlers"].flow.deliveries.idle()
    assert len(tg.api.sent("sendMessage")) == 1


@pytest.mark.parametrize("tg", [{"placeholder_after_seconds": 0.0}], indirect=True)
async def test_a_slow_answer_replaces_its_placeholder(tg: Bot) -> None:
    photo = tg.photo(private(11), ALICE, jpeg("coffee.png"))
    await tg.send(photo)
    placeholder = await tg.reply_with("듣는 중")
    reply = await tg.reply_with("melon.com")
    check_answer(reply, photo)
    assert placeholder["reply_parameters"]["message_id"] == photo["message_id"]
    assert int(reply["message_id"]) == tg.api.sent("sendMessage")[0].result["message_id"]
    await tg.app.bot_data["handlers"].flow.deliveries.idle()
    assert len(tg.api.sent("sendMessage")) == 1  # the placeholder became the reply


async def test_an_image_sent_as_a_file_is_answered(tg: Bot) -> None:
    png = (
        __import__("core.config", fromlist=["RESOURCES"]).RESOURCES / "demo/karwendel.jpg"
    ).read_bytes()
    await tg.send(tg.document(private(11), ALICE, png, "image/jpeg", "alps.jpg"))
    reply = await tg.reply_with("melon.com")
    assert "#자연" in reply["text"] or "#풍경" in reply["text"]


async def test_vote_change_and_remove(tg: Bot) -> None:
    await tg.send(tg.photo(private(11), ALICE, jpeg()))
    reply = await tg.reply_with("melon.com")
    message = tg.bot_message(reply)
    up, down = (b["callback_data"] for b in reply["reply_markup"]["inline_keyboard"][0][:2])
    item = int(up.split(":")[1])
    vote = tg.service.current_vote

    await tg.tap(ALICE, message, up)
    assert await vote(platform="telegram", user_id="11", item_id=item) == 1
    assert (await tg.api.wait_for(lambda c: c.method == "answerCallbackQuery")).params[
        "text"
    ] == "👍 좋아요를 남겼어요"
    redrawn = await tg.api.wait_for(lambda c: c.method == "editMessageReplyMarkup")
    assert redrawn.params["reply_markup"]["inline_keyboard"][0][0]["text"].endswith("👍 1")

    await tg.tap(ALICE, message, down)  # change
    assert await vote(platform="telegram", user_id="11", item_id=item) == -1
    await tg.tap(ALICE, message, down)  # the same button again removes it
    assert await vote(platform="telegram", user_id="11", item_id=item) == 0
    answers = [c.params.get("text") for c in tg.api.sent("answerCallbackQuery")]
    assert answers[-2:] == ["👎 별로예요를 남겼어요", "투표를 취소했어요"]

    rows = reply["reply_markup"]["inline_keyboard"]
    whole = next(r[0]["callback_data"] for r in rows if r[0]["text"].startswith("목록 전체"))
    await tg.tap(user(12, "준호"), message, whole)
    assert await vote(platform="telegram", user_id="12", item_id=int(whole.split(":")[1])) == 1


async def test_unknown_expired_or_forged_buttons_get_a_notice(tg: Bot) -> None:
    message = tg.bot_message({"chat_id": 11, "message_id": 42, "text": "old"})
    await tg.tap(ALICE, message, "v:987654:+")
    await tg.tap(ALICE, message, "garbage")
    notices = [c.params.get("text") for c in tg.api.sent("answerCallbackQuery")]
    assert notices == ["이 추천은 더 이상 투표할 수 없어요."] * 2


async def test_votes_only_count_in_the_chat_that_got_the_reply(tg: Bot) -> None:
    await tg.send(tg.photo(private(11), ALICE, jpeg()))
    reply = await tg.reply_with("melon.com")
    up = reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    elsewhere = tg.bot_message({"chat_id": 99, "message_id": 7, "text": "x"})  # another chat
    await tg.tap(user(99, "남"), elsewhere, up)
    notice = await tg.api.wait_for(lambda c: c.method == "answerCallbackQuery")
    assert notice.params["text"] == "이 채팅에서 추천된 곡에만 투표할 수 있어요."


async def test_lang_switches_every_text(tg: Bot) -> None:
    await tg.send(tg.command(private(11), ALICE, "/lang en"))
    assert (await tg.reply_with("English"))["text"] == "I'll speak English from now on."
    await tg.send(tg.photo(private(11), ALICE, jpeg()))
    reply = await tg.reply_with("melon.com")
    rows = reply["reply_markup"]["inline_keyboard"]
    assert "Songs for this photo" in reply["text"]
    assert any(r[0]["text"].startswith("Whole list") for r in rows)
    assert any(r[0]["text"] == "⚡ Livelier" for r in rows)
    await tg.send(tg.command(private(11), ALICE, "/lang fr"))
    await tg.reply_with("Usage: /lang ko or /lang en")


async def test_forget_needs_the_owner_to_confirm(tg: Bot) -> None:
    await tg.send(tg.photo(private(11), ALICE, jpeg()))
    await tg.reply_with("melon.com")
    await tg.send(tg.command(private(11), ALICE, "/forget"))
    ask = await tg.reply_with("정말 지울까요")
    yes, no = (b["callback_data"] for b in ask["reply_markup"]["inline_keyboard"][0])
    await tg.tap(user(12, "준호"), tg.bot_message(ask), yes)  # someone else
    assert (await tg.api.wait_for(lambda c: c.method == "answerCallbackQuery")).params[
        "show_alert"
    ] is True
    assert (await tg.service.stats()).stats.requests_total == 1
    await tg.tap(ALICE, tg.bot_message(ask), no)
    await tg.reply_with("지우지 않았어요")
    assert (await tg.service.stats()).stats.requests_total == 1
    await tg.tap(ALICE, tg.bot_message(ask), yes)
    await tg.reply_with("모두 지웠어요")
    assert (await tg.service.stats()).stats.requests_total == 0


async def test_mood_text_query(tg: Bot) -> None:
    await tg.send(tg.command(private(11), ALICE, "/mood 비 오는 날 카페"))
    reply = await tg.reply_with("melon.com")
    assert "#비오는날" in reply["text"] and "분위기에 어울리는 노래" in reply["text"]
    await tg.send(tg.command(private(11), ALICE, "/mood"))
    await tg.reply_with("사용법: /mood")


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("text_file", "사진이 아닌 것 같아요"),
        ("fake_png", "사진이 아닌 것 같아요"),
        ("truncated", "깨졌거나 일부만"),
        ("bomb", "해상도가 너무 높아요"),
    ],
)
async def test_bad_files_get_a_clear_reply(tg: Bot, kind: str, expected: str) -> None:
    if kind == "text_file":
        message = tg.document(private(11), ALICE, b"hello", "text/plain", "notes.txt")
    elif kind == "fake_png":
        message = tg.document(private(11), ALICE, b"%PDF-1.4 not a png", "image/png", "x.png")
    elif kind == "bomb":  # 64 megapixels in a few KB: refused from the header, never decoded
        buf = io.BytesIO()
        Image.new("1", (8000, 8000)).save(buf, "PNG")
        message = tg.document(private(11), ALICE, buf.getvalue(), "image/png", "bomb.png")
    else:
        message = tg.photo(private(11), ALICE, jpeg()[:3000])
    await tg.send(message)
    await tg.reply_with(expected)


@pytest.mark.parametrize("tg", [{"max_image_bytes": 50_000}], indirect=True)
async def test_a_too_big_photo_is_refused_before_downloading(tg: Bot) -> None:
    await tg.send(tg.photo(private(11), ALICE, jpeg(size=(1600, 1200))))
    await tg.reply_with("사진이 너무 커요")
    assert not tg.api.sent("getFile")


@pytest.mark.parametrize("tg", [{"user_requests_per_minute": 2}], indirect=True)
async def test_rate_limit_is_friendly(tg: Bot) -> None:
    for _ in range(3):
        await tg.send(tg.photo(private(11), ALICE, jpeg()))
    await tg.reply_with("조금 천천히")
    assert len(tg.api.sent("getFile")) == 2


async def test_commands_help_start_stats_and_unknown(tg: Bot) -> None:
    for line, needle in (
        ("/start", "MRI예요"),
        ("/help", "/mood"),
        ("/stats", "📊"),
        ("/nope", "모르는 명령"),
    ):
        await tg.send(tg.command(private(11), ALICE, line))
        await tg.reply_with(needle)


async def test_group_photos_need_mri_or_a_reply(tg: Bot) -> None:
    await tg.send(tg.photo(GROUP, ALICE, jpeg()))  # not addressed to the bot: ignored
    await tg.send(tg.command(GROUP, ALICE, "/stats@some_other_bot"))  # another bot's command
    await tg.send(tg.photo(GROUP, ALICE, jpeg(), caption="/mri"))
    reply = await tg.reply_with("melon.com")
    assert len(tg.api.sent("getFile")) == 1
    answer = tg.bot_message(reply)  # a photo sent as a reply to the bot is answered too
    await tg.send(tg.photo(GROUP, user(12, "준호"), jpeg("beach.jpg"), reply_to_message=answer))
    await tg.reply_with("#바다")
    assert len(tg.api.sent("getFile")) == 2 and not [
        c for c in tg.api.sent("sendMessage") if "📊" in c.params["text"]
    ]


async def test_group_playlist_with_three_members(tg: Bot) -> None:
    members = [user(21, "민지"), user(22, "준호"), user(23, "서연")]
    await tg.send(tg.command(GROUP, members[0], "/playlist"))
    await tg.reply_with("플레이리스트를 시작해요")
    for member, photo in zip(members, ("coffee.png", "karwendel.jpg", "beach.jpg"), strict=True):
        await tg.send(tg.photo(GROUP, member, jpeg(photo), caption="/mri"))
    for member in members:
        await tg.reply_with(f"{member['first_name']}님의 사진을 플레이리스트에 담았어요")
    await tg.send(tg.command(GROUP, members[1], "/playlist done"))
    reply = await tg.reply_with("우리의 플레이리스트")
    assert reply["text"].count("melon.com") == 10
    assert "함께 만든 사람: 민지, 준호, 서연" in reply["text"] or all(
        m["first_name"] in reply["text"] for m in members
    )
    keyboard = reply["reply_markup"]["inline_keyboard"]
    message = tg.bot_message(reply)
    for member in members:  # every member votes
        await tg.tap(member, message, keyboard[0][0]["callback_data"])
    item = int(keyboard[0][0]["callback_data"].split(":")[1])
    job = await tg.service.job_of_item(item)
    assert (await tg.service.vote_totals(job))[item] == (3, 0)
    await tg.send(tg.command(GROUP, members[0], "/playlist done"))
    await tg.reply_with("열린 플레이리스트가 없어요")


async def test_the_token_never_reaches_the_logs(tg: Bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    await tg.send(tg.photo(private(11), ALICE, jpeg()))
    await tg.reply_with("melon.com")
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


@pytest.mark.parametrize("tg", [{"worker": False, "job_wait_seconds": 0.3}], indirect=True)
async def test_a_slow_worker_means_still_working_then_the_answer(tg: Bot) -> None:
    await tg.send(tg.photo(private(11), ALICE, jpeg()))
    await tg.reply_with("아직 고르는 중")  # no worker yet: the person hears so
    drain = asyncio.create_task(drain_forever(tg.service))  # the worker comes back
    try:
        reply = await tg.reply_with("melon.com")
    finally:
        drain.cancel()
    assert reply["text"].count("melon.com") == 10


@pytest.mark.parametrize("tg", [{"playlist_window_seconds": 3.0}], indirect=True)
async def test_a_group_playlist_closes_by_itself_when_the_window_ends(tg: Bot) -> None:
    await tg.send(tg.command(GROUP, ALICE, "/playlist"))
    await tg.send(tg.photo(GROUP, ALICE, jpeg("beach.jpg"), caption="/mri"))
    await tg.reply_with("민지님의 사진을 플레이리스트에 담았어요")
    await tg.reply_with("시간이 다 돼서")
    reply = await tg.reply_with("우리의 플레이리스트")
    assert reply["text"].count("melon.com") == 10
