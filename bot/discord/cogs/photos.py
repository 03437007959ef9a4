"""Photos and moods: an image in a DM, an image posted with a mention (or as a reply to the
bot, or into a channel with an open playlist), `/mri` with an attachment, `/mood <text>`."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import PLATFORM
from bot.discord.client import MriBot
from bot.discord.delivery import ChannelTarget, InteractionTarget
from bot.discord.intake import first_image
from bot.discord.localize import loc
from bot.formatting import error_text
from bot.i18n import text
from core.errors import InvalidImage

log = logging.getLogger(__name__)


def interaction_target(bot: MriBot, interaction: discord.Interaction[MriBot]) -> InteractionTarget:
    channel = bot.get_partial_messageable(interaction.channel_id or 0)
    return InteractionTarget(interaction, ChannelTarget(channel))


class PhotoCog(commands.Cog):
    def __init__(self, bot: MriBot) -> None:
        self.bot = bot

    def _addressed(self, message: discord.Message) -> bool:
        """A DM, a mention of the bot, or a reply to one of its messages."""
        me = self.bot.user
        if me is None:
            return False
        if message.guild is None or any(u.id == me.id for u in message.mentions):
            return True
        resolved = message.reference.resolved if message.reference else None
        return isinstance(resolved, discord.Message) and resolved.author.id == me.id

    async def _session(self, guild: bool, channel_id: int) -> int | None:
        if not guild:
            return None
        return await self.bot.service.open_playlist_id(platform=PLATFORM, chat_id=str(channel_id))

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if message.author.bot or me is None:
            return
        addressed = self._addressed(message)
        image = first_image(message.attachments)
        if image is None:
            if addressed:
                await self._no_image(message, me.id)
            return
        session = await self._session(message.guild is not None, message.channel.id)
        if not addressed and session is None:
            return  # a photo in a server channel that is not meant for MRI
        await self.bot.intake.photo(
            image,
            user_id=message.author.id,
            channel_id=message.channel.id,
            private=message.guild is None,
            target=ChannelTarget(message.channel, message.to_reference(fail_if_not_exists=False)),
            lang=await self.bot.lang(message.author.id),
            user_name=message.author.display_name,
            message_ref=message.id,
            session_id=session,
        )

    async def _no_image(self, message: discord.Message, my_id: int) -> None:
        """Attachments that are not images get the polite refusal; a bare DM or mention a hint."""
        target = ChannelTarget(message.channel, message.to_reference(fail_if_not_exists=False))
        lang = await self.bot.lang(message.author.id)
        if message.attachments:
            refused = InvalidImage("not_image", "no image among the attachments")
            await target.say(error_text(refused, lang))
        elif message.guild is None or any(u.id == my_id for u in message.mentions):
            await target.say(text("discord_hint", lang))

    @app_commands.command(name="mri", description=loc("discord_cmd_mri"))
    @app_commands.describe(photo=loc("discord_opt_photo"))
    async def mri(
        self, interaction: discord.Interaction[MriBot], photo: discord.Attachment
    ) -> None:
        await interaction.response.defer(thinking=True)  # answer Discord within 3 s
        channel_id = interaction.channel_id or 0
        await self.bot.intake.photo(
            photo,
            user_id=interaction.user.id,
            channel_id=channel_id,
            private=interaction.guild_id is None,
            target=interaction_target(self.bot, interaction),
            lang=await self.bot.lang(interaction.user.id),
            user_name=interaction.user.display_name,
            session_id=await self._session(interaction.guild_id is not None, channel_id),
        )

    @app_commands.command(name="mood", description=loc("discord_cmd_mood"))
    @app_commands.describe(words=loc("discord_opt_text"))
    @app_commands.rename(words="text")
    async def mood(
        self, interaction: discord.Interaction[MriBot], words: app_commands.Range[str, 1, 500]
    ) -> None:
        await interaction.response.defer(thinking=True)
        await self.bot.intake.mood(
            words,
            user_id=interaction.user.id,
            channel_id=interaction.channel_id or 0,
            private=interaction.guild_id is None,
            target=interaction_target(self.bot, interaction),
            lang=await self.bot.lang(interaction.user.id),
            user_name=interaction.user.display_name,
        )


async def setup(bot: MriBot) -> None:
    await bot.add_cog(PhotoCog(bot))
