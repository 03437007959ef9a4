"""Telegram updates -> the conversation flow. Translation only: who, where, what was sent.

Private chats answer every photo (or image sent as a file), album (a media group, collected by
albums.py) and plain text (a mood in words). In groups, with privacy mode on, the bot sees
commands, mentions and replies: a photo captioned /mri or replying to the bot is answered, and
while a /playlist is open such photos join it instead.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import Message, Update, User
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.flow import Asker, Flow, PhotoIn
from bot.formatting import error_text
from bot.i18n import text
from bot.telegram.albums import MediaGroups
from bot.telegram.inline import TelegramInline
from bot.telegram.target import TelegramTap, TelegramTarget
from core.errors import InvalidImage

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE


class TelegramHandlers:
    """Bound handler methods; the Application is built around one instance (app.py)."""

    def __init__(self, flow: Flow, app: Application) -> None:  # type: ignore[type-arg]
        self.flow = flow
        self.app = app
        self.media_groups = MediaGroups()

    # -- helpers ---------------------------------------------------------------------------

    async def lang(self, user: User | None) -> str:
        return await self.flow.lang(str(user.id)) if user is not None else "ko"

    @staticmethod
    def _group(update: Update) -> bool:
        chat = update.effective_chat
        return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)

    def _addressed(self, message: Message) -> bool:
        """In a group: a photo captioned /mri (or mentioning the bot), or a reply to the bot."""
        caption = (message.caption or "").strip()
        username = (self.app.bot.username or "").lower()
        first = caption.split(maxsplit=1)[0] if caption else ""
        if first.split("@")[0] == "/mri":
            return True
        if username and f"@{username}" in caption.lower():
            return True
        reply = message.reply_to_message
        return reply is not None and self._from_bot(reply)

    def _from_bot(self, message: Message) -> bool:
        return message.from_user is not None and message.from_user.id == self.app.bot.id

    def _asker(self, update: Update, message: Message, user: User) -> Asker:
        """The person, their chat, and a target that quotes their message."""
        target = TelegramTarget(self.app.bot, message.chat_id, quote=message.message_id)
        return Asker(
            user_id=str(user.id),
            chat_id=str(message.chat_id),
            private=not self._group(update),
            target=target,
            name=user.first_name,
            message_ref=str(message.message_id),
        )

    def _max_mb(self) -> int:
        return self.flow.max_mb

    # -- photos and words --------------------------------------------------------------------

    def _photo_in(self, message: Message) -> PhotoIn:
        """The photo (or file) of a message as the flow sees it, downloaded on demand."""
        media = message.photo[-1] if message.photo else message.document
        if media is None:  # a video, sticker … in an album: named there as not a photo
            return PhotoIn(self._nothing, image=False, ref=str(message.message_id))
        mime = (message.document.mime_type or "") if message.document else "image/jpeg"

        async def fetch() -> bytes:
            try:
                return bytes(await (await media.get_file()).download_as_bytearray())
            except TelegramError as exc:
                raise InvalidImage("missing", f"the photo could not be downloaded: {exc}") from exc

        return PhotoIn(fetch, size=media.file_size, image=mime.startswith("image/"),
                       ref=str(message.message_id))  # fmt: skip

    @staticmethod
    async def _nothing() -> bytes:
        raise InvalidImage("not_image", "not a photo")

    async def _album_part(self, update: Update, message: Message, user: User) -> None:
        """One message of a media group: the first one's handler answers the whole album."""
        batch = await self.media_groups.collect(message)
        if batch is None:
            return
        if self._group(update) and not any(self._addressed(m) for m in batch):
            return
        photos = [self._photo_in(m) for m in batch]
        await self.flow.album(self._asker(update, batch[0], user), photos)

    async def on_photo(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or not (message.photo or message.document):
            return
        if message.media_group_id:
            await self._album_part(update, message, user)
            return
        if self._group(update) and not self._addressed(message):
            return
        await self.flow.photo(self._asker(update, message, user), self._photo_in(message))

    async def on_other_file(self, update: Update, context: Context) -> None:
        """A document that is not an image, sent privately (or to the bot in a group)."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if message.media_group_id:
            await self._album_part(update, message, user)
            return
        if self._group(update) and not self._addressed(message):
            return
        lang = await self.lang(user)
        await self.flow.say(self._asker(update, message, user).target, text("err_not_image", lang))

    async def on_text(self, update: Update, context: Context) -> None:
        """Words as a reply to one of the bot's answers steer it ("+바다 -노을", "더 신나게");
        other plain text in a private chat is a mood in words, as /mood would be."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or not message.text:
            return
        reply = message.reply_to_message
        asker = self._asker(update, message, user)
        if (
            reply is not None
            and reply.from_user is not None
            and reply.from_user.id == self.app.bot.id
        ):
            await self.flow.steer_reply(asker, message.text, str(reply.message_id))
        elif not self._group(update):
            await self.flow.words(asker, message.text)

    async def on_inline(self, update: Update, context: Context) -> None:
        """`@bot 비 오는 날 카페` in any chat."""
        query, user = update.inline_query, update.effective_user
        if query is not None and user is not None:
            await self.flow.inline(str(user.id), query.query, TelegramInline(query))

    async def on_unsupported(self, update: Update, context: Context) -> None:
        """A sticker, video, voice note, audio or animation: one friendly sentence."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if message.media_group_id:  # a video among an album's photos
            await self._album_part(update, message, user)
            return
        if self._group(update) and not self._addressed(message):
            return
        await self.flow.unsupported(self._asker(update, message, user))

    async def on_mood(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        words = " ".join(context.args or [])
        await self.flow.mood(self._asker(update, message, user), words)

    # -- commands --------------------------------------------------------------------------

    async def _reply(self, update: Update, key: str, **values: object) -> None:
        if update.effective_message is not None:
            lang = await self.lang(update.effective_user)
            await update.effective_message.reply_text(text(key, lang, **values))

    async def on_start(self, update: Update, context: Context) -> None:
        await self._reply(update, "start")

    async def on_help(self, update: Update, context: Context) -> None:
        await self._reply(update, "help")

    async def on_mri_text(self, update: Update, context: Context) -> None:
        """/mri without a photo: say how to use it."""
        await self._reply(update, "group_hint")

    async def on_lang(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is not None and user is not None:
            choice = (context.args or [""])[0]
            await message.reply_text(await self.flow.set_language(str(user.id), choice))

    async def on_stats(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is not None and user is not None:
            await message.reply_text(await self.flow.stats(str(user.id)))

    async def on_forget(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is not None and user is not None:
            await self.flow.forget(self._asker(update, message, user))

    async def on_playlist(self, update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        asker = self._asker(update, message, user)
        if (context.args or [""])[0].lower() in ("done", "끝", "완성"):
            await self.flow.playlist_done(asker)
        else:
            await self.flow.playlist_start(asker)

    async def on_unknown_command(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        command = (message.text or "").split(maxsplit=1)[0] if message.text else ""
        target = command.split("@", 1)[1].lower() if "@" in command else None
        if target is not None and target != (self.app.bot.username or "").lower():
            return  # a command for another bot in the same group
        await self._reply(update, "unknown_command")

    # -- buttons -----------------------------------------------------------------------------

    async def on_button(self, update: Update, context: Context) -> None:
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        chat = update.effective_chat
        tap = TelegramTap(query, user.id, chat.id if chat is not None else None)
        await self.flow.tap(tap, query.data or "")

    # -- the scheduler (PTB JobQueue) and stopping --------------------------------------------

    async def sweep(self, context: Context) -> None:
        """Replies still owed: after a restart, a failed send, an adapter that died."""
        await self.flow.sweep()

    async def close_due_playlists(self, context: Context) -> None:
        await self.flow.close_due_playlists()

    async def close(self) -> None:
        """Stop waiting for unfinished jobs (the next start delivers them)."""
        await self.flow.close()

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
