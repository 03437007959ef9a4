"""A Telegram media group (an album) is one request: one chat action, one reply with a list
blended from all its photos that credits each photo's moods, one set of votes; a photo that
cannot be used is named there and the others go on."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from bot.i18n import text
from tests.bot.telegram.conftest import GROUP, Bot, jpeg, private, user

ALICE = user(11, "민지")
GROUPS = itertools.count(1)
pytestmark = pytest.mark.slow


def album(tg: Bot, chat: dict[str, Any], photos: list[bytes], **first: Any) -> list[dict[str, Any]]:
    """One message per photo, sharing a media_group_id, as Telegram sends an album."""
    group = f"g{next(GROUPS)}"
    parts = [tg.photo(chat, ALICE, data, media_group_id=group) for data in photos]
    parts[0].update(first)
    return parts


async def send_together(tg: Bot, parts: list[dict[str, Any]]) -> None:
    """Telegram hands the album's updates over at once; PTB handles them concurrently."""
    await asyncio.gather(*(tg.send(p) for p in parts))


def answers(tg: Bot) -> list[dict[str, Any]]:
    return [
        c.params for c in tg.api.sent("sendMessage", "editMessageText")
        if "melon.com" in str(c.params.get("text"))
    ]  # fmt: skip


async def test_an_album_gets_one_reply_naming_each_photo(tg: Bot) -> None:
    parts = album(tg, private(11), [jpeg("coffee.png"), jpeg("beach.jpg"), jpeg()[:3000],
                                    jpeg("karwendel.jpg")])  # fmt: skip
    await send_together(tg, parts)
    reply = await tg.reply_with("melon.com")
    await tg.app.bot_data["handlers"].flow.idle()
    assert len(answers(tg)) == 1 and len(tg.api.sent("sendChatAction")) == 1
    body = reply["text"]
    assert text("album_title", "ko", n=4) in body and body.count("melon.com") == 10
    assert "📷1 #커피" in body and "📷2 #바다" in body  # which photo brought which mood
    assert text("album_part_failed", "ko", n=3, reason=text("err_broken", "ko")) in body
    assert "· 📷" in body  # each song says which photo brought it
    assert len(reply["reply_markup"]["inline_keyboard"]) == 11  # one set of votes
    assert reply["reply_parameters"]["message_id"] == parts[0]["message_id"]
    assert len(tg.api.sent("getFile")) == 4
    assert (await tg.service.stats()).stats.requests_total == 1


@pytest.mark.parametrize("tg", [{"placeholder_after_seconds": 0.0}], indirect=True)
async def test_a_slow_album_shows_one_placeholder(tg: Bot) -> None:
    await send_together(tg, album(tg, private(11), [jpeg("coffee.png"), jpeg("beach.jpg")]))
    await tg.reply_with("melon.com")
    await tg.app.bot_data["handlers"].flow.idle()
    assert len(tg.api.sent("sendMessage")) == 1  # the placeholder, edited into the answer
    assert len(answers(tg)) == 1


async def test_an_album_in_a_group_needs_mri_on_its_caption(tg: Bot) -> None:
    await send_together(tg, album(tg, GROUP, [jpeg("coffee.png"), jpeg("beach.jpg")]))
    await send_together(
        tg, album(tg, GROUP, [jpeg("coffee.png"), jpeg("beach.jpg")], caption="/mri")
    )
    await tg.reply_with("melon.com")
    await tg.app.bot_data["handlers"].flow.idle()
    assert len(answers(tg)) == 1 and len(tg.api.sent("getFile")) == 2
