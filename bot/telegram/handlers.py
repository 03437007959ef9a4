"""Telegram updates -> RecommendService calls -> replies. Translation only; no recommender logic.

Private chats answer every photo (or image sent as a file). In groups, with privacy mode on, the
bot sees commands, mentions and replies: a photo captioned /mri or replying to the bot is
answered, and while a /playlist is open such photos join it instead.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.formatting import error_text, parse_vote
from bot.i18n import text
from bot.ratelimit import RateLimiter
from bot.telegram.delivery import PLATFORM, Delivery
from bot.telegram.render import vote_keyboard
from core.config import Settings
from core.errors import InvalidImage, MriError
from core.service import NoOpenPlaylist, RecommendService

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
FORGET = "forget"
VOTE_TEXTS = {1: "vote_up", -1: "vote_down", 0: "vote_removed"}


class TelegramHandlers:
    """Bound handler methods; the Application is built around one instance (app.py)."""

    def __init__(self, settings: Settings, service: RecommendService, app: Application) -> None:  # type: ignore[type-arg]
        self.settings = settings
        self.service = service
        self.app = app
        self.delivery = Delivery(settings, service, app.bot)
        self.limiter = RateLimiter(settings.user_requests_per_minute, 60.0)

    # -- helpers ---------------------------------------------------------------------------

    async def lang(self, user: User | None) -> str:
        if user is None:
            return "ko"
        return await self.service.language(platform=PLATFORM, user_id=str(user.id))

    def _group(self, update: Update) -> bool:
        chat = update.effective_chat
        return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)

    def _addressed(self, message: Message) -> bool:
        """In a group: a photo captioned /mri (or mentioning the bot), or a reply to the bot."""
        caption = (message.caption or "").strip()
        username = (self.app.bot.username or "").lower()
        if caption.split(maxsplit=1)[:1] and caption.split(maxsplit=1)[0].split("@")[0] == "/mri":
            return True
        if username and f"@{username}" in caption.lower():
            return True
        reply = message.reply_to_message
        return bool(reply and reply.from_user and reply.from_user.id == self.app.bot.id)

    async def _limited(self, message: Message, user: User, lang: str) -> bool:
        key = f"tg:{user.id}"
        if self.limiter.hit(key):
            return False
        await message.reply_text(text("rate_limited", lang, seconds=self.limiter.retry_after(key)))
        return True

    # -- photos ----------------------------------------------------------------------------

    async def on_photo(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or not (message.photo or message.document):
            return
        if self._group(update) and not self._addressed(message):
            return
        lang = await self.lang(user)
        if message.document is not None and not (message.document.mime_type or "").startswith(
            "image/"
        ):
            await message.reply_text(text("err_not_image", lang))
            return
        media = message.photo[-1] if message.photo else message.document
        assert media is not None
        if media.file_size and media.file_size > self.settings.max_image_bytes:
            exc = InvalidImage("too_large", "the file is larger than the limit")
            await message.reply_text(error_text(exc, lang, max_mb=self._max_mb()))
            return
        if await self._limited(message, user, lang):
            return
        if not self._group(update):  # in groups the placeholder says it (20 messages/min there)
            await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
        # quoting the photo ties each answer to its photo when someone sends several
        placeholder = await message.reply_text(text("listening", lang), do_quote=True)
        data = bytes(await (await media.get_file()).download_as_bytearray())
        session = None
        if self._group(update):
            session = await self.service.open_playlist_id(
                platform=PLATFORM, chat_id=str(message.chat_id)
            )
        try:
            job = await self.service.submit_photo(
                platform=PLATFORM,
                chat_id=str(message.chat_id),
                chat_kind="group" if self._group(update) else "private",
                user_id=str(user.id),
                photo=data,
                message_ref=str(message.message_id),
                session_id=session,
                user_name=user.first_name,
            )
        except MriError as exc:
            await placeholder.edit_text(error_text(exc, lang, max_mb=self._max_mb()))
            return
        self.delivery.start(
            job, placeholder, lang, on_done="ack" if session else "reply", who=user.first_name
        )

    async def on_other_file(self, update: Update, context: Context) -> None:
        """A document that is not an image, sent privately (or to the bot in a group)."""
        message = update.effective_message
        if message is None or (self._group(update) and not self._addressed(message)):
            return
        await message.reply_text(text("err_not_image", await self.lang(update.effective_user)))

    def _max_mb(self) -> int:
        return self.settings.max_image_bytes // (1024 * 1024)

    # -- commands --------------------------------------------------------------------------

    async def on_start(self, update: Update, context: Context) -> None:
        if update.effective_message:
            await update.effective_message.reply_text(
                text("start", await self.lang(update.effective_user))
            )

    async def on_help(self, update: Update, context: Context) -> None:
        if update.effective_message:
            await update.effective_message.reply_text(
                text("help", await self.lang(update.effective_user))
            )

    async def on_lang(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        choice = (context.args or [""])[0].lower()
        if choice not in ("ko", "en"):
            await message.reply_text(text("lang_usage", await self.lang(user)))
            return
        await self.service.set_language(platform=PLATFORM, user_id=str(user.id), language=choice)
        await message.reply_text(text("lang_set", choice))

    async def on_mood(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        lang = await self.lang(user)
        query = " ".join(context.args or []).strip()
        if not query:
            await message.reply_text(text("mood_usage", lang))
            return
        if await self._limited(message, user, lang):
            return
        placeholder = await message.reply_text(text("listening", lang), do_quote=True)
        job = await self.service.submit_text(
            platform=PLATFORM,
            chat_id=str(message.chat_id),
            chat_kind="group" if self._group(update) else "private",
            user_id=str(user.id),
            text=query,
            message_ref=str(message.message_id),
            user_name=user.first_name,
        )
        self.delivery.start(job, placeholder, lang)

    async def on_stats(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        st = (await self.service.stats()).stats
        await message.reply_text(
            text(
                "stats", await self.lang(update.effective_user),
                requests=st.requests_total, up=st.votes_up, down=st.votes_down,
                done=st.done_last_hour, failed=st.failed_last_hour, queued=st.queued,
            )
        )  # fmt: skip

    async def on_forget(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        lang = await self.lang(user)
        keyboard = InlineKeyboardMarkup([[
            InlineKeyboardButton(text("forget_yes", lang), callback_data=f"{FORGET}:yes:{user.id}"),
            InlineKeyboardButton(text("forget_no", lang), callback_data=f"{FORGET}:no:{user.id}"),
        ]])  # fmt: skip
        await message.reply_text(text("forget_confirm", lang), reply_markup=keyboard)

    async def on_unknown_command(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        command = (message.text or "").split(maxsplit=1)[0] if message.text else ""
        target = command.split("@", 1)[1].lower() if "@" in command else None
        if target is not None and target != (self.app.bot.username or "").lower():
            return  # a command for another bot in the same group
        await message.reply_text(text("unknown_command", await self.lang(update.effective_user)))

    async def on_mri_text(self, update: Update, context: Context) -> None:
        """/mri without a photo: say how to use it."""
        if update.effective_message:
            await update.effective_message.reply_text(
                text("group_hint", await self.lang(update.effective_user))
            )

    # -- group playlists ---------------------------------------------------------------------

    async def on_playlist(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        lang = await self.lang(user)
        if not self._group(update):
            await message.reply_text(text("playlist_private", lang))
            return
        chat_id = str(message.chat_id)
        if (context.args or [""])[0].lower() in ("done", "끝", "완성"):
            await self._finish_playlist(chat_id, str(user.id), message, lang)
            return
        await self.service.open_playlist(platform=PLATFORM, chat_id=chat_id, user_id=str(user.id))
        await message.reply_text(text("playlist_started", lang))

    async def close(self) -> None:
        """Stop waiting for unfinished jobs (the next start delivers them)."""
        await self.delivery.close()

    async def _finish_playlist(
        self, chat_id: str, user_id: str, message: Message | None, lang: str
    ) -> None:
        try:
            job = await self.service.group_playlist(
                platform=PLATFORM, chat_id=chat_id, user_id=user_id,
                message_ref=str(message.message_id) if message else None,
            )  # fmt: skip
        except NoOpenPlaylist:
            if message is not None:
                await message.reply_text(text("playlist_none", lang))
            return
        placeholder = await message.reply_text(text("listening", lang)) if message else None
        self.delivery.start(job, placeholder, lang)

    async def close_due_playlists(self, context: Context) -> None:
        """A JobQueue job: close the playlists whose time is up (opened by this process or
        another, before a restart too) and answer each with its blend."""
        for closed in await self.service.close_due_playlists(PLATFORM):
            placeholder = await self.app.bot.send_message(
                int(closed.chat_id), text("playlist_closed_by_time", closed.lang)
            )
            await self.service.set_reply_ref(closed.job_id, str(placeholder.message_id))
            self.delivery.start(closed.job_id, placeholder, closed.lang)

    # -- buttons -----------------------------------------------------------------------------

    async def on_button(self, update: Update, context: Context) -> None:
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        lang = await self.lang(user)
        data = query.data or ""
        if data.startswith(f"{FORGET}:"):
            await self._forget_answer(update, data, lang)
            return
        vote = parse_vote(data)
        chat = update.effective_chat
        if vote is None or chat is None:
            await query.answer(text("vote_unknown", lang))
            return
        item_id, value = vote
        try:
            outcome = await self.service.toggle_vote(
                platform=PLATFORM, user_id=str(user.id), item_id=item_id, value=value,
                chat_id=str(chat.id),
            )  # fmt: skip
        except MriError as exc:
            await query.answer(error_text(exc, lang), show_alert=False)
            return
        await query.answer(text(VOTE_TEXTS[outcome.value], lang))
        if isinstance(query.message, Message):
            keyboard = vote_keyboard(outcome.result, dict(outcome.totals), lang)
            try:
                await query.message.edit_reply_markup(reply_markup=keyboard)
            except TelegramError as exc:  # "message is not modified" and friends
                log.debug("keyboard not redrawn: %s", exc)

    async def _forget_answer(self, update: Update, data: str, lang: str) -> None:
        query, user = update.callback_query, update.effective_user
        assert query is not None and user is not None
        _, answer, owner = [*data.split(":"), "", ""][:3]
        message = query.message if isinstance(query.message, Message) else None
        markup = message.reply_markup if message is not None else None
        offered = (  # the buttons actually on that message, when Telegram tells us
            {b.callback_data for row in markup.inline_keyboard for b in row} if markup else None
        )
        if owner != str(user.id) or (offered is not None and data not in offered):
            await query.answer(text("forget_not_yours", lang), show_alert=True)
            return
        await query.answer()
        if answer != "yes":
            await query.edit_message_text(text("forget_cancelled", lang))
            return
        rows = await self.service.forget_user(platform=PLATFORM, user_id=str(user.id))
        await query.edit_message_text(text("forget_done", lang, rows=rows))

    # -- errors ------------------------------------------------------------------------------

    async def on_error(self, update: object, context: Context) -> None:
        """Log with context (never the token), then apologise to the person if we can."""
        where = ""
        if isinstance(update, Update):
            chat = update.effective_chat.id if update.effective_chat else "-"
            user = update.effective_user.id if update.effective_user else "-"
            where = f" (update {update.update_id}, chat {chat}, user {user})"
        log.error("error while handling an update%s", where, exc_info=context.error)
        if isinstance(update, Update) and update.effective_message is not None:
            lang = await self.lang(update.effective_user)
            exc = context.error if isinstance(context.error, Exception) else RuntimeError("unknown")
            with contextlib.suppress(TelegramError):  # the apology itself may fail; logged above
                await update.effective_message.reply_text(
                    error_text(exc, lang, max_mb=self._max_mb())
                )
