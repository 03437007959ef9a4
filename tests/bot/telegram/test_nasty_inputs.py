"""Junk through the real Telegram Application: odd commands and texts, forged button data.

The bot answers politely or stays quiet; its error handler (the "sorry, something went wrong"
path) is never reached. A fixed list rather than hypothesis: each input goes through HTTP to
the fake Bot API, and a list keeps the run short and the same every time."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.i18n import text
from tests.bot.telegram.conftest import GROUP, Bot, private, user

pytestmark = pytest.mark.slow
ALICE = user(11, "민지")
ERROR_HANDLER = "error while handling an update"

LINES = [
    "",
    " ",
    "\n\n\t",
    "plain text, not a command",
    "@mri_test_bot hello",
    "https://example.com/?q=/start",
    "/",
    "//",
    "/@",
    "/@mri_test_bot",
    "/start@",
    "/start@other_bot",
    "/stats@mri_test_bot extra words",
    "/START",
    "/help me please",
    "/nope",
    "/" + "a" * 64,
    "/😀",
    "/start\u200b",
    "/mood",
    "/mood " + "비 오는 날 카페 " * 400,  # ~4,000 characters: Telegram's limit is 4,096
    "/mood \u0000\u202e\ufeff",
    "/mood 🎧🎧🎧",
    "/mood <b>bold</b> & <script>alert(1)</script>",
    "/mood '; DROP TABLE requests; --",
    "/lang",
    "/lang 🇰🇷",
    "/lang " + "k" * 4000,
    "/lang ko en",
    "/playlist",
    "/playlist done",
    "/playlist 끝 끝",
    "/forget now",
    "/mri",
]

# Groups get 20 messages a minute (the rate limiter holds replies back beyond a burst of 10),
# so a group gets the inputs that mean something different there, each answered at most once.
GROUP_LINES = [
    "plain text in a group",
    "/start@other_bot",
    "/stats@mri_test_bot extra words",
    "/playlist 끝 끝",
    "/playlist",
    "/playlist done",
    "/mri",
    "/😀@mri_test_bot",
]

CALLBACKS = [
    "",
    "v",
    "v:",
    "v:1:",
    "v::+",
    "v:1:+-",
    "v:²:+",
    "v:١٢:+",
    "v:" + "9" * 40 + ":+",
    "v:9223372036854775808:-",
    "v:-1:+",
    "v:1:+:x",
    "v:0:+",
    "v:000001:-",
    " v:1:+",
    "V:1:+",
    "x:1:+",
    "\x00",
    "💥" * 16,
    "forget",
    "forget:",
    "forget:yes",
    "forget:yes:",
    "forget:yes:12",
    "forget:maybe:11",
    "forget:no:11:extra",
]


def line(tg: Bot, chat: dict[str, Any], content: str) -> dict[str, Any]:
    """A text message; a leading /word is marked as a command (length in UTF-16 units, as
    Telegram counts), even where Telegram itself would not mark it."""
    first = content.split(maxsplit=1)[0] if content.split() else ""
    if not (content.startswith("/") and first):
        return tg.message(chat, ALICE, text=content)
    length = len(first.encode("utf-16-le")) // 2
    command = {"type": "bot_command", "offset": 0, "length": length}
    return tg.message(chat, ALICE, text=content, entities=[command])


async def settled() -> None:
    """Until every answer the bot started to deliver has been sent."""
    pending = [t for t in asyncio.all_tasks() if t.get_name().startswith("deliver-")]
    await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), 180)


def assert_polite(tg: Bot, caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if ERROR_HANDLER in r.getMessage()] == []
    shrug = (text("err_generic", "ko"), text("err_generic", "en"))
    sent = [c for c in tg.api.sent("sendMessage", "editMessageText")]
    assert not [c for c in sent if str(c.params.get("text")) in shrug]


@pytest.mark.parametrize(
    ("chat", "lines"), [(private(11), LINES), (GROUP, GROUP_LINES)], ids=["private", "group"]
)
async def test_odd_commands_and_texts_get_a_polite_answer_or_none(
    tg: Bot, chat: dict[str, Any], lines: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    for content in lines:
        await tg.send(line(tg, chat, content))
    await settled()
    assert_polite(tg, caplog)
    # commands, and in a private chat plain text too (a mood in words): one message each at most
    private = chat["type"] == "private"
    answerable = [c for c in lines if c.split() and (c.startswith("/") or private)]
    assert 0 < len(tg.api.sent("sendMessage")) <= len(answerable)


async def test_forged_button_data_always_gets_an_answer_never_an_error(
    tg: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    on_message = tg.bot_message({"chat_id": 11, "message_id": 42, "text": "old"})
    in_group = tg.bot_message({"chat_id": GROUP["id"], "message_id": 43, "text": "old"})
    tg.api.chats[GROUP["id"]] = GROUP
    deleted = {"chat": private(11), "message_id": 44, "date": 0}  # an inaccessible message
    taps = 0
    for data in [*CALLBACKS, "forget:no:11", "forget:yes:11"]:
        for message in (on_message, in_group, deleted):
            await tg.tap(ALICE, message, data)
            taps += 1
    await settled()
    assert_polite(tg, caplog)
    assert len(tg.api.sent("answerCallbackQuery")) == taps  # every tap is answered once
