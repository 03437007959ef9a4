"""Group playlists: start one, finish it (by a member, or by its deadline from whichever adapter
process looks first), and answer with the blend of its photos. The session lives in the
database (core/service/playlists.py), so a restart loses nothing."""

from __future__ import annotations

import logging

from bot.flow.base import FlowBase
from bot.flow.port import Asker, Outgoing, SendFailed
from bot.i18n import text
from core.errors import MriError, NoOpenPlaylist

log = logging.getLogger(__name__)


class Playlists(FlowBase):
    async def playlist_start(self, asker: Asker) -> None:
        lang = await self.lang(asker.user_id)
        if asker.private:
            await self.say(asker.target, self.text("playlist_private", lang))
            return
        session = await self.service.open_playlist(
            platform=self.platform, chat_id=asker.chat_id, user_id=asker.user_id
        )
        log.info("playlist session %s open in chat %s", session, asker.chat_id)
        minutes = max(1, round(self.settings.playlist_window_seconds / 60))
        await self.say(asker.target, self.text("playlist_started", lang, minutes=minutes))

    async def playlist_done(self, asker: Asker) -> None:
        """Close the chat's playlist and answer with the blend of its photos (the worker waits,
        bounded, for photos still being tagged)."""
        lang = await self.lang(asker.user_id)
        if asker.private:
            await self.say(asker.target, self.text("playlist_private", lang))
            return
        try:
            job = await self.service.group_playlist(
                platform=self.platform, chat_id=asker.chat_id, user_id=asker.user_id,
                message_ref=asker.message_ref,
            )  # fmt: skip
        except NoOpenPlaylist:
            await self.say(asker.target, self.text("playlist_none", lang))
            return
        log.info("job %s: playlist of chat %s", job, asker.chat_id)
        self.deliveries.follow(job, asker.target, lang)

    async def close_due_playlists(self) -> int:
        """Run by the platform's scheduler: close the playlists whose time is up (opened by any
        process, before a restart too). The time's-up note is the placeholder the list
        replaces."""
        try:
            closed = await self.service.close_due_playlists(self.platform)
        except MriError as exc:
            log.warning("could not look for playlists whose time is up: %s", exc)
            return 0
        for playlist in closed:
            note = Outgoing(text=text("playlist_closed_by_time", playlist.lang))
            target = self.targets.for_chat(playlist.chat_id)
            try:
                ref = await target.send(note, key=f"p:{playlist.job_id}")
                await self.service.set_reply_ref(playlist.job_id, ref)
                target = self.targets.for_chat(playlist.chat_id, placeholder=ref)
            except (SendFailed, MriError) as exc:
                log.info("chat %s: time's-up note not sent: %s", playlist.chat_id, exc)
            self.deliveries.follow(playlist.job_id, target, playlist.lang)
        return len(closed)
