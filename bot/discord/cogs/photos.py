"""Photos and moods: an image (or several: an album) in a DM, posted with a mention (or as a
reply to the bot, or into a channel with an open playlist), `/mri` with an attachment, `/mood
<text>`, words in a DM.
Translation only: the flow (bot/flow) decides what happens."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.localize import loc
from bot.discord.target import interaction_asker, message_asker
from bot.flow import Flow, PhotoIn
from core.errors import InvalidImage

log = logging.getLogger(__name__)

# Used only when Discord sends no content type.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".avif")


def is_image(attachment: discord.Attachment) -> bool:
    content_type = (attachment.content_type or "").split(";")[0].strip().lower()
    if content_type:
        return content_type.startswith("image/")
    return attachment.filename.lower().endswith(IMAGE_SUFFIXES)


def is_media(attachment: discord.Attachment) -> bool:
    """A video or a sound (voice messages are audio attachments)."""
    content_type = (attachment.content_type or "").lower()
    return content_type.startswith(("video/", "audio/"))


def photo_in(attachment: discord.Attachment) -> PhotoIn:
    """An attachment as the flow sees it: judged from its metadata, downloaded on demand."""

    async def fetch() -> bytes:
        try:
            return await attachment.read()
        except (discord.HTTPException, aiohttp.ClientError) as exc:
            raise InvalidImage("missing", f"the attachment could not be downloaded: {exc}") from exc

    return PhotoIn(fetch, size=attachment.size, image=is_image(attachment))


MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices


def mood_choices(moods: Sequence[str], typed: str) -> list[str]:
    """Completions of what someone is typing after /mood: the words so far, then a known mood
    tag that starts with (or else contains) their last word."""
    words = typed.split()
    last = words[-1] if words and not typed.endswith(" ") else ""
    head = " ".join(words if not last else words[:-1])
    if not last:
        picks = list(moods[:MAX_CHOICES])
    else:
        starts = [m for m in moods if m.startswith(last)]
        picks = (starts + [m for m in moods if last in m and m not in starts])[:MAX_CHOICES]
    return [f"{head} {m}".strip()[:100] for m in picks]


class PhotoCog(commands.Cog):
    def __init__(self, client: discord.Client, flow: Flow, moods: Sequence[str] = ()) -> None:
        self.client = client
        self.flow = flow
        self.moods = list(moods)  # the catalog's shown tags, for /mood autocomplete

    def _addressed(self, message: discord.Message, me: discord.ClientUser) -> bool:
        """A DM, a mention of the bot, or a reply to one of its messages."""
        if message.guild is None or any(u.id == me.id for u in message.mentions):
            return True
        resolved = message.reference.resolved if message.reference else None
        return isinstance(resolved, discord.Message) and resolved.author.id == me.id

    @staticmethod
    def _reply_to_me(message: discord.Message, me: discord.ClientUser) -> str | None:
        """The id of the bot's message this one replies to (words that steer an answer)."""
        resolved = message.reference.resolved if message.reference else None
        if isinstance(resolved, discord.Message) and resolved.author.id == me.id:
            return str(resolved.id)
        return None

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.client.user
        if message.author.bot or me is None:
            return
        addressed = self._addressed(message, me)
        asker = message_asker(self.client, message)
        images = [a for a in message.attachments if is_image(a)]
        if images and len(message.attachments) > 1:  # an album: one reply for all of them
            photos = [photo_in(a) for a in message.attachments]
            await self.flow.album(asker, photos, addressed=addressed)
        elif images:
            await self.flow.photo(asker, photo_in(images[0]), addressed=addressed)
        elif not addressed:
            return  # a message in a server that is not meant for MRI
        elif message.stickers or any(is_media(a) for a in message.attachments):
            await self.flow.unsupported(asker)
        elif message.attachments:  # refused, from its metadata
            await self.flow.photo(asker, photo_in(message.attachments[0]))
        elif (ref := self._reply_to_me(message, me)) is not None and message.content.strip():
            await self.flow.steer_reply(asker, message.content, ref)
        elif asker.private and message.content.strip():
            await self.flow.words(asker, message.content)
        else:
            lang = await self.flow.lang(asker.user_id)
            await self.flow.say(asker.target, self.flow.text("discord_hint", lang))

    @app_commands.command(name="mri", description=loc("discord_cmd_mri"))
    @app_commands.describe(photo=loc("discord_opt_photo"))
    async def mri(self, interaction: discord.Interaction, photo: discord.Attachment) -> None:
        await self.flow.photo(await interaction_asker(self.client, interaction), photo_in(photo))

    @app_commands.command(name="mood", description=loc("discord_cmd_mood"))
    @app_commands.describe(words=loc("discord_opt_text"))
    @app_commands.rename(words="text")
    async def mood(
        self, interaction: discord.Interaction, words: app_commands.Range[str, 1, 500]
    ) -> None:
        await self.flow.mood(await interaction_asker(self.client, interaction), words)

    @mood.autocomplete("words")
    async def mood_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=c, value=c) for c in mood_choices(self.moods, current)]
