"""Which reply a reaction is on: message id -> its job and whole-list item. In memory (bounded);
on a miss the message is read once and recognised by its own vote buttons, whose item id leads
to the job, so reactions on replies sent before a restart (or by another process) count too."""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import discord

from bot.formatting import parse_vote
from core.errors import MriError
from core.service import RecommendService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    job_id: str
    list_item_id: int | None


def vote_items(message: discord.Message) -> list[int]:
    """Item ids behind the vote buttons of a message, in order."""
    items: list[int] = []
    for row in message.components:
        for child in getattr(row, "children", ()):
            vote = parse_vote(getattr(child, "custom_id", None) or "")
            if vote is not None and vote[0] not in items:
                items.append(vote[0])
    return items


class ReplyIndex:
    def __init__(
        self, client: discord.Client, service: RecommendService, size: int = 20_000
    ) -> None:
        self.client = client
        self.service = service
        self.size = size
        self._replies: OrderedDict[int, Reply] = OrderedDict()
        self._others: OrderedDict[int, None] = OrderedDict()  # messages of other authors

    def _put(self, table: OrderedDict[int, Any], key: int, value: Any) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self.size:
            table.popitem(last=False)

    async def lookup(self, channel_id: int, message_id: int) -> Reply | None:
        if message_id in self._replies:
            return self._replies[message_id]
        if message_id in self._others:
            return None
        try:
            message = await self.client.get_partial_messageable(channel_id).fetch_message(
                message_id
            )
        except discord.HTTPException as exc:
            log.debug("message %s not readable: %s", message_id, exc)
            return None
        me = self.client.user
        if me is None or message.author.id != me.id:
            self._put(self._others, message_id, None)
            return None
        reply = await self._reply(message)  # None: not (yet) an answer, e.g. a placeholder
        if reply is not None:
            self._put(self._replies, message_id, reply)
        return reply

    async def _reply(self, message: discord.Message) -> Reply | None:
        item_id = next(iter(vote_items(message)), None)
        if item_id is None:
            return None
        try:
            job = await self.service.job_of_item(item_id)
            result = await self.service.result(job)
        except MriError as exc:
            log.info("reply %s has no job any more: %s", message.id, exc)
            return None
        return Reply(job, result.list_item_id)
