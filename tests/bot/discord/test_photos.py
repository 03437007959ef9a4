"""Photos in: a DM attachment, a mention in a server, /mri; the reply embed with tags, links,
reasons, vote buttons and reactions; exactly one reply per job; slow workers."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from bot.discord.client import MriBot
from bot.formatting import parse_vote
from bot.i18n import text
from core.config import RESOURCES
from tests.bot.discord.conftest import Jobs, logged_in, quiet
from tests.bot.discord.fake_discord import BOT_USER, JSON, FakeDiscord
from tests.bot.discord.payloads import (
    ALICE,
    BOB,
    CHANNEL_ID,
    attachment_option,
    buttons,
    dm_channel_of,
    gateway,
    message,
    slash,
)

pytestmark = pytest.mark.slow

COFFEE = (RESOURCES / "demo/coffee.png").read_bytes()
BEACH = (RESOURCES / "demo/beach.jpg").read_bytes()
MELON_LINK = re.compile(r"\]\((https://www\.melon\.com/[^)]+)\)")


def reply_with_embed(fake: FakeDiscord, channel_id: int) -> JSON | None:
    return next((m for m in fake.in_channel(channel_id) if m["embeds"]), None)


def check_reply(reply: JSON, tags: set[str]) -> None:
    embed = reply["embeds"][0]
    assert reply["content"] == ""  # the placeholder text is gone
    assert embed["title"] == text("result_title", "ko")
    description = embed["description"]
    first_line = description.splitlines()[0]
    assert all(f"#{t}" in first_line for t in tags), first_line
    assert len(MELON_LINK.findall(description)) == 10
    for n in range(1, 11):
        assert f"**{n}.** [" in description
    assert description.count(" · ") >= 5  # the tags that chose each song
    votes = [parse_vote(b["custom_id"]) for b in buttons(reply)]
    assert len(votes) == 20 and all(v is not None for v in votes)
    assert [v[1] for v in votes if v] == [1, -1] * 10
    # four rows of five vote buttons, then the steering menu (tag chips, nudges, more like)
    rows = reply["components"]
    assert len(rows) == 5 and [len(r["components"]) for r in rows] == [5, 5, 5, 5, 1]
    assert rows[4]["components"][0]["type"] == 3


async def test_dm_photo_gets_one_reply_with_tags_links_and_votes(
    bot: MriBot, fake: FakeDiscord, jobs: Jobs
) -> None:
    dm = dm_channel_of(ALICE)
    att = fake.attachment("coffee.png", COFFEE, "image/png")
    sent = message(ALICE, channel_id=dm, guild=False, attachments=[att])
    gateway(bot, "MESSAGE_CREATE", sent)
    reply = await fake.until(lambda: reply_with_embed(fake, dm))
    await fake.until(lambda: len(fake.reactions_on(int(reply["id"]))) == 2)
    check_reply(reply, {"커피", "카페"})
    assert reply["message_reference"]["message_id"] == sent["id"]  # a reply to the photo
    assert fake.reactions_on(int(reply["id"])) == ["👍", "👎"]  # the whole list
    assert len(fake.in_channel(dm)) == 1  # a quick answer: no placeholder, one message
    assert fake.requests("POST", f"/channels/{dm}/typing")  # the chat action came first
    assert len(fake.requests("GET", "/attachments/")) == 1
    await bot.idle()
    await fake.until(lambda: jobs.ran == 1)  # counted once the in-process worker's turn ends
    assert len(fake.in_channel(dm)) == 1 and jobs.ran == 1


async def test_mention_in_a_server_is_answered_and_other_photos_are_not(
    bot: MriBot, fake: FakeDiscord
) -> None:
    ignored = message(BOB, channel_id=CHANNEL_ID, guild=True,
                      attachments=[fake.attachment("beach.jpg", BEACH, "image/jpeg")])  # fmt: skip
    gateway(bot, "MESSAGE_CREATE", ignored)
    att = fake.attachment("beach.jpg", BEACH, "image/jpeg")
    gateway(bot, "MESSAGE_CREATE", message(
        ALICE, channel_id=CHANNEL_ID, guild=True, content=f"<@{BOT_USER['id']}>",
        attachments=[att], mentions=[BOT_USER],
    ))  # fmt: skip
    reply = await fake.until(lambda: reply_with_embed(fake, CHANNEL_ID))
    embed = reply["embeds"][0]
    assert "#바다" in embed["description"].splitlines()[0]
    assert len(fake.requests("GET", "/attachments/")) == 1  # Bob's photo was not for MRI


async def test_reply_to_the_bot_counts_as_addressed(bot: MriBot, fake: FakeDiscord) -> None:
    earlier = fake._new_message(CHANNEL_ID, {"content": "hi"})
    att = fake.attachment("coffee.png", COFFEE, "image/png")
    gateway(bot, "MESSAGE_CREATE", message(
        BOB, channel_id=CHANNEL_ID, guild=True, attachments=[att], reply_to=earlier,
    ))  # fmt: skip
    await fake.until(lambda: reply_with_embed(fake, CHANNEL_ID))


async def test_slash_mri_defers_then_edits_its_response(bot: MriBot, fake: FakeDiscord) -> None:
    att = fake.attachment("coffee.png", COFFEE, "image/png")
    gateway(bot, "INTERACTION_CREATE", slash(
        fake, ALICE, "mri", options=[attachment_option(att)], attachments=[att],
    ))  # fmt: skip
    reply = await fake.until(lambda: reply_with_embed(fake, CHANNEL_ID))
    callback = fake.requests("POST", "/interactions/")[0]
    assert callback.body["type"] == 5  # deferred ("thinking"), within Discord's 3 s
    check_reply(reply, {"커피"})
    await fake.until(lambda: len(fake.reactions_on(int(reply["id"]))) == 2)
    edits = fake.requests("PATCH", "/webhooks/")  # "thinking…" became the answer
    assert len(edits) == 1 and "embeds" in edits[0].body
    assert not fake.requests("POST", f"/channels/{CHANNEL_ID}/messages")


@pytest.mark.settings(job_wait_seconds=0.3)
async def test_a_slow_worker_means_still_working_then_the_answer(
    bot: MriBot, fake: FakeDiscord, jobs: Jobs
) -> None:
    jobs.paused = True
    dm = dm_channel_of(BOB)
    att = fake.attachment("coffee.png", COFFEE, "image/png")
    gateway(bot, "MESSAGE_CREATE", message(BOB, channel_id=dm, guild=False, attachments=[att]))
    still = text("still_working", "ko")
    await fake.until(lambda: any(m["content"] == still for m in fake.in_channel(dm)))
    jobs.paused = False
    await fake.until(lambda: reply_with_embed(fake, dm))
    assert len(fake.in_channel(dm)) == 1  # the same message: placeholder -> still working -> reply
    first_post = fake.requests("POST", f"/channels/{dm}/messages")[0]
    assert first_post.body["content"] == text("listening", "ko")
    await bot.idle()
    assert len(fake.in_channel(dm)) == 1


@pytest.mark.settings(job_wait_seconds=0.3)
async def test_an_answer_that_comes_after_a_restart_is_delivered_late(
    bot: MriBot, fake: FakeDiscord, jobs: Jobs
) -> None:
    jobs.paused = True
    dm = dm_channel_of(ALICE)
    att = fake.attachment("coffee.png", COFFEE, "image/png")
    sent = message(ALICE, channel_id=dm, guild=False, attachments=[att])
    gateway(bot, "MESSAGE_CREATE", sent)
    await fake.until(lambda: fake.saying(dm, text("still_working", "ko")))
    await quiet(("discord.py: ",))  # the message handler is done; the bot waits in the back
    await bot.close()  # the bot stops while the worker is still busy
    jobs.paused = False
    await fake.until(lambda: jobs.ran == 1)
    async with logged_in(bot.settings, jobs.service):  # its start-up sweep owes one answer
        late = await fake.until(lambda: reply_with_embed(fake, dm))
        await fake.until(lambda: len(fake.reactions_on(int(late["id"]))) == 2)
    check_reply(late, {"커피"})
    assert late["message_reference"]["message_id"] == sent["id"]  # still a reply to the photo
    assert len(fake.in_channel(dm)) == 1  # "still working" became the late answer


def jpeg(source: bytes, size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    Image.open(io.BytesIO(source)).convert("RGB").resize(size).save(buf, "JPEG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "content_type", "expected", "downloaded"),
    [
        ("notes.txt", b"hello", "text/plain", "err_not_image", False),
        ("notes", b"hello", None, "err_not_image", False),  # no type, no image suffix
        ("fake.png", b"%PDF-1.4 not a png", "image/png", "err_not_image", True),
        ("cut.jpg", jpeg(COFFEE, (480, 320))[:3000], "image/jpeg", "err_broken", True),
    ],
)
async def test_bad_files_get_a_clear_reply(
    bot: MriBot,
    fake: FakeDiscord,
    name: str,
    data: bytes,
    content_type: str | None,
    expected: str,
    downloaded: bool,
) -> None:
    dm = dm_channel_of(ALICE)
    att = fake.attachment(name, data, content_type)
    gateway(bot, "MESSAGE_CREATE", message(ALICE, channel_id=dm, guild=False, attachments=[att]))
    said = await fake.until(lambda: fake.saying(dm, text(expected, "ko")))
    assert said["embeds"] == [] and said["components"] == []
    assert fake.downloads() == int(downloaded)


@pytest.mark.settings(max_image_bytes=50_000)
async def test_a_too_big_photo_is_refused_before_downloading(
    bot: MriBot, fake: FakeDiscord
) -> None:
    big = jpeg(COFFEE, (1600, 1200))
    assert len(big) > 50_000
    dm = dm_channel_of(ALICE)
    att = fake.attachment("big.jpg", big, "image/jpeg")
    gateway(bot, "MESSAGE_CREATE", message(ALICE, channel_id=dm, guild=False, attachments=[att]))
    await fake.until(lambda: fake.saying(dm, "사진이 너무 커요"))
    att = fake.attachment("big.jpg", big, "image/jpeg")  # the same through /mri
    gateway(bot, "INTERACTION_CREATE", slash(
        fake, ALICE, "mri", options=[attachment_option(att)], attachments=[att],
    ))  # fmt: skip
    await fake.until(lambda: fake.saying(CHANNEL_ID, "사진이 너무 커요"))
    assert fake.downloads() == 0


@pytest.mark.settings(user_requests_per_minute=2)
async def test_the_rate_limit_is_friendly(bot: MriBot, fake: FakeDiscord) -> None:
    dm = dm_channel_of(ALICE)
    for _ in range(3):
        att = fake.attachment("coffee.png", COFFEE, "image/png")
        gateway(
            bot, "MESSAGE_CREATE", message(ALICE, channel_id=dm, guild=False, attachments=[att])
        )
    await fake.until(lambda: fake.saying(dm, "조금 천천히"))
    await fake.until(lambda: len([m for m in fake.in_channel(dm) if m["embeds"]]) == 2)
    assert fake.downloads() == 2
    gateway(bot, "INTERACTION_CREATE", slash(  # /mood counts against the same limit
        fake, ALICE, "mood", guild=False, channel_id=dm,
        options=[{"name": "text", "type": 3, "value": "비 오는 날 카페"}],
    ))  # fmt: skip
    await fake.until(
        lambda: len([m for m in fake.in_channel(dm) if "조금 천천히" in m["content"]]) == 2
    )


async def test_mood_in_words(bot: MriBot, fake: FakeDiscord) -> None:
    gateway(bot, "INTERACTION_CREATE", slash(
        fake, BOB, "mood", options=[{"name": "text", "type": 3, "value": "비 오는 날 카페"}],
    ))  # fmt: skip
    reply = await fake.until(lambda: reply_with_embed(fake, CHANNEL_ID))
    embed = reply["embeds"][0]
    assert embed["title"] == text("result_title_text", "ko")
    assert "#비오는날" in embed["description"].splitlines()[0]
    assert len(MELON_LINK.findall(embed["description"])) == 10


async def test_a_mention_or_an_empty_dm_gets_a_hint(bot: MriBot, fake: FakeDiscord) -> None:
    gateway(bot, "MESSAGE_CREATE", message(
        ALICE, channel_id=CHANNEL_ID, guild=True, content=f"<@{BOT_USER['id']}> hi",
        mentions=[BOT_USER],
    ))  # fmt: skip
    await fake.until(lambda: fake.saying(CHANNEL_ID, text("discord_hint", "ko")))
    gateway(bot, "MESSAGE_CREATE", message(BOB, channel_id=CHANNEL_ID, guild=True, content="hi"))
    dm = dm_channel_of(BOB)
    gateway(bot, "MESSAGE_CREATE", message(BOB, channel_id=dm, guild=False, content=" "))
    await fake.until(lambda: fake.saying(dm, text("discord_hint", "ko")))
    await bot.idle()
    assert len(fake.in_channel(CHANNEL_ID)) == 1  # Bob's chat in the server is not for MRI


async def test_words_in_a_dm_are_a_mood_query(bot: MriBot, fake: FakeDiscord) -> None:
    dm = dm_channel_of(ALICE)
    gateway(bot, "MESSAGE_CREATE", message(ALICE, channel_id=dm, guild=False, content="비 오는 날"))
    first = await fake.until(lambda: reply_with_embed(fake, dm))
    assert "#비오는날" in first["embeds"][0]["description"].splitlines()[0]
    assert text("words_hint", "ko") in first["embeds"][0]["description"]  # the first time
    gateway(bot, "MESSAGE_CREATE", message(ALICE, channel_id=dm, guild=False, content="여름 바다"))
    await fake.until(lambda: len([m for m in fake.in_channel(dm) if m["embeds"]]) == 2)
    second = [m for m in fake.in_channel(dm) if m["embeds"]][1]
    assert text("words_hint", "ko") not in second["embeds"][0]["description"]
    gateway(bot, "MESSAGE_CREATE", message(  # words in a server are not for MRI
        BOB, channel_id=CHANNEL_ID, guild=True, content="비 오는 날"
    ))  # fmt: skip
    await bot.idle()
    assert fake.in_channel(CHANNEL_ID) == []


async def test_stickers_videos_and_voice_get_one_friendly_sentence(
    bot: MriBot, fake: FakeDiscord
) -> None:
    dm = dm_channel_of(ALICE)
    sticker = message(ALICE, channel_id=dm, guild=False)
    sticker["sticker_items"] = [{"id": "1", "name": "hi", "format_type": 1}]
    gateway(bot, "MESSAGE_CREATE", sticker)
    video = fake.attachment("clip.mp4", b"not really a video", "video/mp4")
    gateway(bot, "MESSAGE_CREATE", message(ALICE, channel_id=dm, guild=False, attachments=[video]))
    voice = fake.attachment("voice-message.ogg", b"OggS", "audio/ogg")
    gateway(bot, "MESSAGE_CREATE", message(ALICE, channel_id=dm, guild=False, attachments=[voice]))
    await fake.until(
        lambda: (
            len([m for m in fake.in_channel(dm) if m["content"] == text("err_media_kind", "ko")])
            == 3
        )
    )
    assert fake.downloads() == 0


async def test_a_message_with_several_images_is_one_album_reply(
    bot: MriBot, fake: FakeDiscord, jobs: Jobs
) -> None:
    dm = dm_channel_of(ALICE)
    attachments = [
        fake.attachment("coffee.png", COFFEE, "image/png"),
        fake.attachment("beach.jpg", BEACH, "image/jpeg"),
        fake.attachment("notes.txt", b"hello", "text/plain"),
    ]
    gateway(
        bot, "MESSAGE_CREATE", message(ALICE, channel_id=dm, guild=False, attachments=attachments)
    )
    reply = await fake.until(lambda: reply_with_embed(fake, dm))
    await bot.idle()
    embed = reply["embeds"][0]
    assert embed["title"] == text("album_title", "ko", n=3)
    lines = embed["description"].splitlines()
    assert lines[1].startswith("📷1 #") and lines[2].startswith("📷2 #")
    assert text("album_part_failed", "ko", n=3, reason=text("err_not_image", "ko")) in lines[3]
    assert len(MELON_LINK.findall(embed["description"])) == 10
    assert len(buttons(reply)) == 20  # one set of votes (and reactions for the whole list)
    await fake.until(lambda: jobs.ran == 1)  # counted once the in-process worker's turn ends
    assert len(fake.in_channel(dm)) == 1 and jobs.ran == 1
    assert fake.downloads() == 2  # the text file was refused from its metadata


@pytest.mark.settings(job_wait_seconds=0.3)
async def test_an_answer_after_the_interaction_token_expired_edits_the_message_in_the_channel(
    bot: MriBot, fake: FakeDiscord, jobs: Jobs
) -> None:
    jobs.paused = True
    att = fake.attachment("coffee.png", COFFEE, "image/png")
    command = slash(fake, ALICE, "mri", options=[attachment_option(att)], attachments=[att])
    gateway(bot, "INTERACTION_CREATE", command)
    await fake.until(lambda: fake.saying(CHANNEL_ID, text("still_working", "ko")))
    del fake.interactions[command["token"]]  # 15 minutes later: the token is gone
    jobs.paused = False
    reply = await fake.until(lambda: reply_with_embed(fake, CHANNEL_ID))
    check_reply(reply, {"커피"})
    assert len(fake.in_channel(CHANNEL_ID)) == 1  # "thinking…" became the answer, in place
    assert fake.requests("PATCH", f"/channels/{CHANNEL_ID}/messages/{reply['id']}")
