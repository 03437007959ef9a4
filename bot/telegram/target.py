"""The flow's port over python-telegram-bot: where a reply goes (`TelegramTarget`), how to
reach a chat later (`TelegramTargets`) and a pressed button (`TelegramTap`). Library errors
become the port's two: MessageGone and SendFailed (permanent when retrying cannot help)."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, CallbackQuery, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.flow.port import MessageGone, Outgoing, Rows, SendFailed
from bot.telegram.render import answer_html, keyboard

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")


def _failed(exc: TelegramError) -> SendFailed:
    """Blocked by the person, removed from the group, a chat that is gone, a request
    Telegram refuses as malformed: retrying cannot help. Timeouts and the like: it can."""
    permanent = isinstance(exc, Forbidden | BadRequest)
    return SendFailed(f"{type(exc).__name__}: {exc.message}", permanent=permanent)


def draw(message: Outgoing) -> tuple[str, dict[str, Any]]:
    """The text and options of sendMessage / editMessageText for one outgoing message."""
    options: dict[str, Any] = {
        "reply_markup": keyboard(message.buttons) if message.buttons else None
    }
    if message.answer is None:
        return message.text, options
    return answer_html(message.answer), {
        **options, "parse_mode": ParseMode.HTML, "link_preview_options": NO_PREVIEW,
    }  # fmt: skip


class TelegramTarget:
    """A chat, quoting the person's message `quote` (a message id) when there is one."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        *,
        quote: int | None = None,
        placeholder: str | None = None,
    ) -> None:
        self.bot = bot
        self.chat = chat_id
        self.quote = quote
        self._placeholder = placeholder

    @property
    def chat_id(self) -> str:
        return str(self.chat)

    @property
    def group(self) -> bool:
        return self.chat < 0  # groups and supergroups have negative ids

    @property
    def placeholder(self) -> str | None:
        return self._placeholder

    async def typing(self) -> None:
        try:
            await self.bot.send_chat_action(self.chat, ChatAction.TYPING)
        except TelegramError as exc:
            log.debug("chat action in %s failed: %s", self.chat, exc)

    async def send(self, message: Outgoing, *, key: str) -> str:
        # Telegram has no idempotency key: `key` goes unused here (see README, Guarantees).
        body, options = draw(message)
        quote = (
            ReplyParameters(self.quote, allow_sending_without_reply=True) if self.quote else None
        )
        try:
            sent = await self.bot.send_message(self.chat, body, reply_parameters=quote, **options)
        except TelegramError as exc:
            raise _failed(exc) from exc
        return str(sent.message_id)

    async def edit(self, ref: str, message: Outgoing) -> None:
        body, options = draw(message)
        try:
            await self.bot.edit_message_text(
                body, chat_id=self.chat, message_id=int(ref), **options
            )
        except BadRequest as exc:
            reason = exc.message.lower()
            if "message is not modified" in reason:  # a retry of an edit that went through
                return
            if any(gone in reason for gone in _GONE):
                raise MessageGone(exc.message) from exc
            raise _failed(exc) from exc
        except TelegramError as exc:
            raise _failed(exc) from exc


class TelegramTargets:
    """Reaches any chat through the bot (late replies, playlists closed by their deadline)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def for_chat(
        self, chat_id: str, *, quote: str | None = None, placeholder: str | None = None
    ) -> TelegramTarget:
        quoted = int(quote) if quote and quote.isdigit() else None
        return TelegramTarget(self.bot, int(chat_id), quote=quoted, placeholder=placeholder)


class TelegramTap:
    """A callback query. Telegram wants every query answered once: `answer` does it, and
    `replace` answers silently first if nothing did."""

    def __init__(self, query: CallbackQuery, user_id: int, chat_id: int | None) -> None:
        self.query = query
        self._user = str(user_id)
        self._chat = str(chat_id) if chat_id is not None else ""
        self.answered = False

    @property
    def user_id(self) -> str:
        return self._user

    @property
    def chat_id(self) -> str:
        return self._chat

    @property
    def message(self) -> Message | None:
        return self.query.message if isinstance(self.query.message, Message) else None

    @property
    def message_ref(self) -> str | None:
        return str(self.message.message_id) if self.message is not None else None

    @property
    def offered(self) -> frozenset[str] | None:
        markup = self.message.reply_markup if self.message is not None else None
        if markup is None:
            return None
        return frozenset(str(b.callback_data) for row in markup.inline_keyboard for b in row)

    async def answer(self, text: str, *, alert: bool = False) -> None:
        self.answered = True
        await self.query.answer(text, show_alert=alert)

    async def set_buttons(self, rows: Rows) -> None:
        if self.message is None:
            return
        try:
            await self.message.edit_reply_markup(reply_markup=keyboard(rows))
        except TelegramError as exc:  # "message is not modified" and friends
            log.debug("keyboard not redrawn: %s", exc)

    async def replace(self, text: str) -> None:
        if not self.answered:
            await self.answer("")
        await self.query.edit_message_text(text)
