"""Words and other media in a chat: plain text in a private chat is a mood query (with a hint
the first time); stickers, videos, voice notes and the like get one friendly sentence."""

from __future__ import annotations

import pytest

from bot.i18n import text
from tests.bot.telegram.conftest import GROUP, Bot, private, user

ALICE = user(11, "민지")
pytestmark = pytest.mark.slow


async def test_plain_text_in_a_private_chat_is_a_mood_query(tg: Bot) -> None:
    await tg.send(tg.message(private(11), ALICE, text="비 오는 날 카페"))
    first = await tg.reply_with("melon.com")
    assert "#비오는날" in first["text"] and first["text"].count("melon.com") == 10
    assert text("words_hint", "ko") in first["text"]  # the first time: a short hint
    await tg.send(tg.message(private(11), ALICE, text="여름 바다"))
    await tg.api.wait_for(lambda _: len(answers(tg)) == 2)
    assert text("words_hint", "ko") not in answers(tg)[1]  # only the first time


def answers(tg: Bot) -> list[str]:
    return [
        str(c.params["text"]) for c in tg.api.sent("sendMessage") if "melon.com" in c.params["text"]
    ]


async def test_words_in_a_group_are_not_for_the_bot(tg: Bot) -> None:
    await tg.send(tg.message(GROUP, ALICE, text="비 오는 날 카페"))
    await tg.send(tg.command(GROUP, ALICE, "/stats"))  # handled after the words: they were
    await tg.reply_with("📊")
    assert not [c for c in tg.api.sent("sendMessage") if "melon.com" in c.params["text"]]
    assert not tg.api.sent("sendChatAction")


@pytest.mark.parametrize(
    "media",
    [
        {"sticker": {"file_id": "s1", "file_unique_id": "s1", "type": "regular", "width": 512,
                     "height": 512, "is_animated": False, "is_video": False}},
        {"video": {"file_id": "v1", "file_unique_id": "v1", "width": 640, "height": 480,
                   "duration": 3}},
        {"voice": {"file_id": "n1", "file_unique_id": "n1", "duration": 2}},
        {"video_note": {"file_id": "c1", "file_unique_id": "c1", "length": 240, "duration": 2}},
    ],
    ids=["sticker", "video", "voice", "video_note"],
)  # fmt: skip
async def test_stickers_videos_and_voice_get_one_friendly_sentence(
    tg: Bot, media: dict[str, object]
) -> None:
    await tg.send(tg.message(private(11), ALICE, **media))
    await tg.reply_with(text("err_media_kind", "ko"))
    await tg.send(tg.message(GROUP, ALICE, **media))  # in a group, not addressed: nothing
    await tg.send(tg.command(GROUP, ALICE, "/help"))
    await tg.reply_with("/mood")
    sentences = [c for c in tg.api.sent("sendMessage") if "스티커" in c.params["text"]]
    assert len(sentences) == 1 and not tg.api.sent("getFile")
