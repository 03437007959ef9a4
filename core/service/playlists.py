"""Group playlists: open a session (with its deadline), let photos join it, close it into one
blended job, by a member or, once the deadline has passed, by whichever process looks first."""

from __future__ import annotations

import logging
import uuid

from core.db import playlists
from core.domain import ClosedPlaylist
from core.errors import QueueUnavailable
from core.service.base import Component

log = logging.getLogger(__name__)


class Playlists(Component):
    async def open_playlist(self, *, platform: str, chat_id: str, user_id: str) -> int:
        """Start (or return the already open) playlist session of a group chat."""

        def open_() -> int:
            with self.db.transaction() as s:
                return playlists.open_playlist(
                    s, platform=platform, chat_id=chat_id, user_id=user_id,
                    window_seconds=self.settings.playlist_window_seconds,
                )  # fmt: skip

        return await self.run(open_)

    async def open_playlist_id(self, *, platform: str, chat_id: str) -> int | None:
        """The open session of a chat, if any (photos sent now join it)."""

        def find() -> int | None:
            with self.db.reader() as s:
                return playlists.open_playlist_id(s, platform=platform, chat_id=chat_id)

        return await self.run(find)

    async def group_playlist(
        self, *, platform: str, chat_id: str, user_id: str, message_ref: str | None = None
    ) -> str:
        """Close the chat's open session and queue the blend of its photos; returns a job id.
        NoOpenPlaylist when there is none."""

        def close() -> str:
            job_id = str(uuid.uuid4())
            with self.db.transaction() as s:
                playlists.close_playlist(
                    s, platform=platform, chat_id=chat_id, user_id=user_id, job_id=job_id,
                    message_ref=message_ref,
                )  # fmt: skip
            self._enqueue(job_id)
            return job_id

        return await self.run(close)

    async def close_due_playlists(self, platform: str) -> list[ClosedPlaylist]:
        """Close this platform's sessions whose time is up and queue their blends. Safe to call
        from every process at once: each session is closed by exactly one of them."""

        def close() -> list[ClosedPlaylist]:
            with self.db.transaction() as s:
                closed = playlists.close_due(
                    s, platform=platform, window_seconds=self.settings.playlist_window_seconds
                )
            for playlist in closed:
                self._enqueue(playlist.job_id)
            return closed

        return await self.run(close)

    def _enqueue(self, job_id: str) -> None:
        try:
            self.queue.enqueue(job_id)
        except QueueUnavailable as exc:  # the row is queued: the worker's reaper re-sends it
            log.warning("job %s stored but not enqueued (%s)", job_id, exc)
