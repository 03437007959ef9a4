"""Telegram sends an album (a media group) as one message per photo, sharing a media_group_id,
within moments of each other. `MediaGroups.collect` gathers them: the first message's handler
waits until no other has come for SETTLE_SECONDS and gets them all, in order; the others' get
None (their photo is in the first one's album)."""

from __future__ import annotations

import asyncio
import time

from telegram import Message

SETTLE_SECONDS = 1.0


class MediaGroups:
    def __init__(self, settle: float = SETTLE_SECONDS) -> None:
        self.settle = settle
        self._groups: dict[str, list[Message]] = {}
        self._last: dict[str, float] = {}  # group -> when its latest message came

    async def collect(self, message: Message) -> list[Message] | None:
        key = f"{message.chat_id}:{message.media_group_id}"
        self._last[key] = time.monotonic()
        if key in self._groups:
            self._groups[key].append(message)
            return None
        self._groups[key] = [message]
        try:
            while (wait := self._last[key] + self.settle - time.monotonic()) > 0:
                await asyncio.sleep(wait)
        finally:
            batch = self._groups.pop(key)
            del self._last[key]
        return sorted(batch, key=lambda m: m.message_id)
