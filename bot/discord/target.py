"""The flow's port over discord.py: where a reply goes (a channel, quoting the person's message,
or a slash command's deferred response), how to reach a channel later, and a pressed button.
Library errors become the port's two: MessageGone and SendFailed (permanent when retrying
cannot help)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

import aiohttp
import discord

from bot.discord.render import VOTE_REACTIONS, draw, view, wants_reactions
from bot.flow.port import Asker, MessageGone, Outgoing, Rows, SendFailed

log = logging.getLogger(__name__)
TRANSIENT = (aiohttp.ClientError, OSError, asyncio.TimeoutError)


def _failed(exc: discord.HTTPException | Exception) -> SendFailed:
    """403 (no permission, blocked DMs), 404 (the channel is gone) and 400 (refused as
    malformed): retrying cannot help. 429 after discord.py's own retries, 5xx, a network
    error: it can."""
    status = getattr(exc, "status", 0)
    permanent = isinstance(exc, discord.HTTPException) and status in (400, 403, 404)
    return SendFailed(f"{type(exc).__name__}: {exc}", permanent=permanent)


def nonce(key: str) -> int:
    """Discord's idempotency key for a message: the same logical message (the flow's `key`)
    sent twice within a few minutes is posted once (discord.py sends enforce_nonce)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 1


class ChannelTarget:
    """A channel, quoting the person's message `quote` (a message id) when there is one."""

    def __init__(
        self,
        client: discord.Client,
        channel_id: int,
        *,
        quote: int | None = None,
        placeholder: str | None = None,
        group: bool = True,
    ) -> None:
        self.client = client
        self.channel = client.get_partial_messageable(channel_id)
        self.quote = quote
        self._placeholder = placeholder
        self._group = group

    @property
    def chat_id(self) -> str:
        return str(self.channel.id)

    @property
    def group(self) -> bool:
        return self._group

    @property
    def placeholder(self) -> str | None:
        return self._placeholder

    async def typing(self) -> None:
        try:
            await self.channel.typing()
        except (discord.HTTPException, *TRANSIENT) as exc:
            log.debug("typing in %s failed: %s", self.channel.id, exc)

    async def send(self, message: Outgoing, *, key: str) -> str:
        quoting: dict[str, Any] = {}
        if self.quote:
            quoting["reference"] = discord.MessageReference(
                message_id=self.quote, channel_id=self.channel.id, fail_if_not_exists=False
            )
        try:
            sent = await self.channel.send(
                **draw(message), **quoting, mention_author=False, nonce=nonce(key)
            )
        except (discord.HTTPException, *TRANSIENT) as exc:
            raise _failed(exc) from exc
        await self.react(sent.id, message)
        return str(sent.id)

    async def edit(self, ref: str, message: Outgoing) -> None:
        try:
            await self.channel.get_partial_message(int(ref)).edit(**draw(message))
        except discord.NotFound as exc:
            raise MessageGone(str(exc)) from exc
        except (discord.HTTPException, *TRANSIENT) as exc:
            raise _failed(exc) from exc
        await self.react(int(ref), message)

    async def react(self, message_id: int, message: Outgoing) -> None:
        """👍/👎 under an answer: reactions there rate the whole list (idempotent)."""
        if not wants_reactions(message):
            return
        partial = self.channel.get_partial_message(message_id)
        for emoji in VOTE_REACTIONS:
            try:
                await partial.add_reaction(emoji)
            except (discord.HTTPException, *TRANSIENT) as exc:  # no Add Reactions permission
                log.warning("cannot add %s to message %s: %s", emoji, message_id, exc)
                return


class InteractionTarget(ChannelTarget):
    """A slash command's deferred response ("thinking…"), which stands for the request: the
    flow edits it. Its token lives 15 minutes; after that, the channel's message is edited
    (or, for an ephemeral one, a new message sent)."""

    def __init__(
        self, client: discord.Client, interaction: discord.Interaction[Any], response: str
    ) -> None:
        super().__init__(
            client, interaction.channel_id or 0, placeholder=response,
            group=interaction.guild_id is not None,
        )  # fmt: skip
        self.interaction = interaction
        self.expired = False

    async def typing(self) -> None:
        """The deferred response already says the bot is thinking."""

    async def edit(self, ref: str, message: Outgoing) -> None:
        if ref != self.placeholder or self.expired:
            await super().edit(ref, message)
            return
        try:
            await self.interaction.edit_original_response(**draw(message))
        except discord.HTTPException as exc:
            if exc.status not in (401, 404):  # not the token's end (Invalid/Unknown Webhook)
                raise _failed(exc) from exc
            log.info("interaction %s: editing in the channel (%s)", self.interaction.id, exc)
            self.expired = True
            await super().edit(ref, message)
            return
        except TRANSIENT as exc:
            raise _failed(exc) from exc
        await self.react(int(ref), message)


class DiscordTargets:
    """Reaches any channel through the client (late replies, playlists closed by time)."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    def for_chat(
        self, chat_id: str, *, quote: str | None = None, placeholder: str | None = None
    ) -> ChannelTarget:
        quoted = int(quote) if quote and quote.isdigit() else None
        return ChannelTarget(self.client, int(chat_id), quote=quoted, placeholder=placeholder)


async def deferred(interaction: discord.Interaction[Any], *, ephemeral: bool = False) -> str:
    """Answer Discord within its 3 s ("thinking…"); returns the id of that response message."""
    response = await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    message_id = getattr(response, "message_id", None)
    if message_id is None:  # an older API without the callback resource: ask for it
        message_id = (await interaction.original_response()).id
    return str(message_id)


class DiscordTap:
    """A pressed button, already acknowledged (deferred update): notes to the presser are
    ephemeral follow-ups, redraws edit the message the button is on."""

    def __init__(self, interaction: discord.Interaction[Any]) -> None:
        self.interaction = interaction

    @property
    def user_id(self) -> str:
        return str(self.interaction.user.id)

    @property
    def chat_id(self) -> str:
        return str(self.interaction.channel_id)

    @property
    def message_ref(self) -> str | None:
        message = self.interaction.message
        return str(message.id) if message is not None else None

    @property
    def offered(self) -> frozenset[str] | None:
        message = self.interaction.message
        if message is None:
            return None
        offered: set[str] = set()
        for row in message.components:
            for child in getattr(row, "children", ()):
                if getattr(child, "custom_id", None):
                    offered.add(str(child.custom_id))
                offered.update(str(o.value) for o in getattr(child, "options", ()) or ())
        return frozenset(offered)

    async def answer(self, text: str, *, alert: bool = False) -> None:
        await self.interaction.followup.send(text, ephemeral=True)

    async def set_buttons(self, rows: Rows) -> None:
        try:
            await self.interaction.edit_original_response(view=view(rows))
        except discord.HTTPException as exc:
            log.info("buttons not redrawn: %s", exc)

    async def replace(self, text: str) -> None:
        await self.interaction.edit_original_response(content=text, embed=None, view=None)


def message_asker(client: discord.Client, message: discord.Message) -> Asker:
    """A member's message: the answer quotes it."""
    private = message.guild is None
    target = ChannelTarget(client, message.channel.id, quote=message.id, group=not private)
    return Asker(
        user_id=str(message.author.id), chat_id=str(message.channel.id), private=private,
        target=target, name=message.author.display_name, message_ref=str(message.id),
    )  # fmt: skip


async def interaction_asker(
    client: discord.Client, interaction: discord.Interaction[Any], *, ephemeral: bool = False
) -> Asker:
    """A slash command, deferred at once: its "thinking…" response stands for the request."""
    target = InteractionTarget(
        client, interaction, await deferred(interaction, ephemeral=ephemeral)
    )
    return Asker(
        user_id=str(interaction.user.id), chat_id=str(interaction.channel_id or 0),
        private=interaction.guild_id is None, target=target,
        name=interaction.user.display_name,
    )  # fmt: skip
