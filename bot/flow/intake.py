"""Requests in: a photo, or a mood in words. Cheap refusals first (from what the platform says
about a file, before a byte is downloaded; they do not count against the rate limit), then the
limit, a chat action, the job, and the delivery that follows it."""

from __future__ import annotations

import logging

from bot.flow.base import FlowBase
from bot.flow.port import Asker, PhotoIn
from bot.formatting import error_text
from bot.i18n import text
from core.errors import InvalidImage, MriError

log = logging.getLogger(__name__)


class Intake(FlowBase):
    def refusal(self, photo: PhotoIn) -> InvalidImage | None:
        """Why a photo is refused from what the platform says about it, before downloading."""
        if not photo.image:
            return InvalidImage("not_image", "the platform says it is not an image")
        if photo.size is not None and photo.size > self.settings.max_image_bytes:
            return InvalidImage("too_large", f"{photo.size} bytes is over the limit")
        return None

    async def open_session(self, asker: Asker) -> int | None:
        """The open group playlist of the asker's chat (photos sent now join it)."""
        if asker.private:
            return None
        return await self.service.open_playlist_id(platform=self.platform, chat_id=asker.chat_id)

    async def photo(
        self,
        asker: Asker,
        photo: PhotoIn,
        *,
        playlist_only: bool = False,
        addressed: bool = True,
    ) -> None:
        """Refuse, limit or queue one photo, then follow its job to the reply. In a group with
        an open playlist the photo joins it and is acknowledged. `playlist_only` (Discord's
        /playlist add) refuses it when no playlist is open; a photo not `addressed` to the bot
        (posted in a group without a mention) counts only while a playlist is open."""
        lang = await self.lang(asker.user_id)
        if playlist_only and asker.private:
            await self.say(asker.target, self.text("playlist_private", lang))
            return
        try:
            session = await self.open_session(asker) if playlist_only or not addressed else None
        except MriError as exc:
            await self.say(asker.target, error_text(exc, lang))
            return
        if session is None and not addressed:
            return  # a photo in a group that is not meant for MRI
        if session is None and playlist_only:
            await self.say(asker.target, self.text("playlist_none", lang))
            return
        refused = self.refusal(photo)
        if refused is not None:
            log.info("photo refused for user %s: %s", asker.user_id, refused)
            await self.say(asker.target, error_text(refused, lang, max_mb=self.max_mb))
            return
        if not await self.allowed(asker.user_id, asker.target, lang):
            return
        await self.deliveries.typing(asker.target)
        try:
            if session is None:
                session = await self.open_session(asker)
            job = await self.service.submit_photo(
                platform=self.platform,
                chat_id=asker.chat_id,
                chat_kind="private" if asker.private else "group",
                user_id=asker.user_id,
                photo=await photo.fetch(),
                message_ref=asker.message_ref,
                session_id=session,
                user_name=asker.name,
            )
        except MriError as exc:  # not an image, the queue is down, ...
            await self.say(asker.target, error_text(exc, lang, max_mb=self.max_mb))
            return
        log.info("job %s: photo from user %s in chat %s", job, asker.user_id, asker.chat_id)
        ack = (asker.name or asker.user_id) if session is not None else None
        self.deliveries.follow(job, asker.target, lang, ack_as=ack)

    async def words(self, asker: Asker, words: str) -> None:
        """Plain text in a private chat is a mood query, as /mood would be; the first time, the
        answer says so in a short hint."""
        try:
            asked = await self.service.asked_in_words(platform=self.platform, user_id=asker.user_id)
        except MriError:
            asked = True  # no hint rather than no answer
        note = None if asked else text("words_hint", await self.lang(asker.user_id))
        await self.mood(asker, words, note=note)

    async def unsupported(self, asker: Asker) -> None:
        """A sticker, video, voice note or the like: one friendly sentence."""
        await self.say(asker.target, text("err_media_kind", await self.lang(asker.user_id)))

    async def mood(self, asker: Asker, words: str, *, note: str | None = None) -> None:
        """Songs for a mood in words (/mood). `note`: a line under the answer."""
        lang = await self.lang(asker.user_id)
        if not words.strip():
            await self.say(asker.target, text("mood_usage", lang))
            return
        if not await self.allowed(asker.user_id, asker.target, lang):
            return
        await self.deliveries.typing(asker.target)
        try:
            job = await self.service.submit_text(
                platform=self.platform,
                chat_id=asker.chat_id,
                chat_kind="private" if asker.private else "group",
                user_id=asker.user_id,
                text=words,
                message_ref=asker.message_ref,
                user_name=asker.name,
            )
        except MriError as exc:
            await self.say(asker.target, error_text(exc, lang))
            return
        log.info("job %s: text query from user %s in chat %s", job, asker.user_id, asker.chat_id)
        self.deliveries.follow(job, asker.target, lang, note=note)
