"""A request from any door (a message, /mri, /mood, /playlist add) -> a queued job.

Cheap refusals come first and cost nothing: a file that is not an image or is too big is
refused from the attachment's metadata, before a byte is downloaded, and does not count
against the per-user rate limit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.discord import PLATFORM
from bot.discord.delivery import ReplyTarget
from bot.formatting import error_text
from bot.i18n import text
from core.errors import InvalidImage, MriError

if TYPE_CHECKING:
    from bot.discord.client import MriBot

log = logging.getLogger(__name__)

# Used only when Discord sends no content type.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".avif")


def is_image(attachment: discord.Attachment) -> bool:
    content_type = (attachment.content_type or "").split(";")[0].strip().lower()
    if content_type:
        return content_type.startswith("image/")
    return attachment.filename.lower().endswith(IMAGE_SUFFIXES)


def first_image(attachments: Sequence[discord.Attachment]) -> discord.Attachment | None:
    return next((a for a in attachments if is_image(a)), None)


def refusal(attachment: discord.Attachment, max_bytes: int) -> InvalidImage | None:
    """Why this attachment is refused without downloading it, or None."""
    if not is_image(attachment):
        return InvalidImage("not_image", f"{attachment.content_type or 'unknown'} is not an image")
    if attachment.size > max_bytes:
        return InvalidImage("too_large", f"{attachment.size} bytes is over {max_bytes}")
    return None


async def download(attachment: discord.Attachment) -> bytes:
    try:
        return await attachment.read()
    except (discord.HTTPException, aiohttp.ClientError) as exc:
        raise InvalidImage("missing", f"the attachment could not be downloaded: {exc}") from exc


class Intake:
    """Checks, rate limit, placeholder, submit; then hands the job to `Delivery.follow`."""

    def __init__(self, bot: MriBot) -> None:
        self.bot = bot
        self.service = bot.service
        self.settings = bot.settings
        self.limiter = bot.limiter

    async def _allowed(self, user_id: int, target: ReplyTarget, lang: str) -> bool:
        key = f"discord:{user_id}"
        if self.limiter.hit(key):
            return True
        await target.say(text("rate_limited", lang, seconds=self.limiter.retry_after(key)))
        return False

    async def photo(
        self,
        attachment: discord.Attachment,
        *,
        user_id: int,
        channel_id: int,
        private: bool,
        target: ReplyTarget,
        lang: str,
        user_name: str | None = None,
        message_ref: int | None = None,
        session_id: int | None = None,
    ) -> None:
        """Refuse, limit or queue one attachment, then follow the job to its reply.
        `user_name` is the sender's display name (credited in group playlists)."""
        max_mb = self.settings.max_image_bytes // (1024 * 1024)
        refused = refusal(attachment, self.settings.max_image_bytes)
        if refused is not None:
            log.info("attachment refused for user %s: %s", user_id, refused)
            await target.say(error_text(refused, lang, max_mb=max_mb))
            return
        if not await self._allowed(user_id, target, lang):
            return
        await target.say(text("listening", lang))
        try:
            data = await download(attachment)
            job = await self.service.submit_photo(
                platform=PLATFORM,
                chat_id=str(channel_id),
                chat_kind="private" if private else "group",
                user_id=str(user_id),
                photo=data,
                message_ref=str(message_ref) if message_ref is not None else None,
                session_id=session_id,
                user_name=user_name,
            )
        except MriError as exc:  # not an image, the queue is down, ...
            await target.say(error_text(exc, lang, max_mb=max_mb))
            return
        log.info("job %s: photo from user %s in channel %s", job, user_id, channel_id)
        await self.bot.delivery.follow(job, target, lang, who=user_name)

    async def mood(
        self,
        words: str,
        *,
        user_id: int,
        channel_id: int,
        private: bool,
        target: ReplyTarget,
        lang: str,
        user_name: str | None = None,
    ) -> None:
        if not words.strip():
            await target.say(text("mood_usage", lang))
            return
        if not await self._allowed(user_id, target, lang):
            return
        await target.say(text("listening", lang))
        try:
            job = await self.service.submit_text(
                platform=PLATFORM,
                chat_id=str(channel_id),
                chat_kind="private" if private else "group",
                user_id=str(user_id),
                text=words,
                user_name=user_name,
            )
        except MriError as exc:
            await target.say(error_text(exc, lang))
            return
        log.info("job %s: text query from user %s in channel %s", job, user_id, channel_id)
        await self.bot.delivery.follow(job, target, lang)
