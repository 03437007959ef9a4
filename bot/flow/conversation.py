"""The conversation, written once: what happens when someone sends a photo or words, taps a
button, asks to be forgotten, or runs a group playlist. Adapters translate their library's
events into these calls and implement the port (bot/flow/port.py); they decide nothing."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping

from bot.flow.delivery import Deliveries
from bot.flow.port import Asker, Outgoing, PhotoIn, ReplyTarget, SendFailed, Tap, Targets
from bot.formatting import (
    Button,
    error_text,
    forget_data,
    parse_forget,
    parse_vote,
    vote_buttons,
)
from bot.i18n import text
from bot.ratelimit import RateLimiter
from core.config import Settings
from core.errors import InvalidImage, MriError, NoOpenPlaylist
from core.service import RecommendService

log = logging.getLogger(__name__)

VOTE_TEXTS = {1: "vote_up", -1: "vote_down", 0: "vote_removed"}
_notices = itertools.count(1)


class Flow:
    """One per adapter process. `wording` names a platform's own sentence for a key where the
    two differ (Discord's /playlist start instead of /playlist, for instance)."""

    def __init__(
        self,
        settings: Settings,
        service: RecommendService,
        platform: str,
        targets: Targets,
        *,
        wording: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.service = service
        self.platform = platform
        self.targets = targets
        self.wording = dict(wording or {})
        self.deliveries = Deliveries(settings, service, platform, targets)
        self.limiter = RateLimiter(settings.user_requests_per_minute, 60.0)

    @property
    def max_mb(self) -> int:
        return self.settings.max_image_bytes // (1024 * 1024)

    def _text(self, key: str, lang: str, **values: object) -> str:
        return text(self.wording.get(key, key), lang, **values)

    async def lang(self, user_id: str) -> str:
        try:
            return await self.service.language(platform=self.platform, user_id=user_id)
        except MriError as exc:  # the database is down: still answer, in the default
            log.warning("language of %s unknown: %s", user_id, exc)
            return "ko"

    async def say(self, target: ReplyTarget, sentence: str) -> None:
        """A sentence for this request: in its standing message, or as a new one."""
        message = Outgoing(text=sentence)
        try:
            if target.placeholder is not None:
                await target.edit(target.placeholder, message)
            else:
                await target.send(message, key=f"n:{next(_notices)}")
        except (SendFailed, MriError) as exc:
            log.info("could not answer in chat %s: %s", target.chat_id, exc)

    async def _allowed(self, asker: Asker, lang: str) -> bool:
        key = f"{self.platform}:{asker.user_id}"
        if self.limiter.hit(key):
            return True
        await self.say(
            asker.target, text("rate_limited", lang, seconds=self.limiter.retry_after(key))
        )
        return False

    # -- photos and words --------------------------------------------------------------------

    def refusal(self, photo: PhotoIn) -> InvalidImage | None:
        """Why a photo is refused from what the platform says about it, before downloading."""
        if not photo.image:
            return InvalidImage("not_image", "the platform says it is not an image")
        if photo.size is not None and photo.size > self.settings.max_image_bytes:
            return InvalidImage("too_large", f"{photo.size} bytes is over the limit")
        return None

    async def photo(self, asker: Asker, photo: PhotoIn, *, playlist_only: bool = False) -> None:
        """Refuse, limit or queue one photo, then follow its job to the reply. In a group with
        an open playlist the photo joins it and is acknowledged; `playlist_only` (Discord's
        /playlist add) refuses it when no playlist is open."""
        lang = await self.lang(asker.user_id)
        if playlist_only and asker.private:
            await self.say(asker.target, self._text("playlist_private", lang))
            return
        refused = self.refusal(photo)
        if refused is not None:
            log.info("photo refused for user %s: %s", asker.user_id, refused)
            await self.say(asker.target, error_text(refused, lang, max_mb=self.max_mb))
            return
        if not await self._allowed(asker, lang):
            return
        await self.deliveries.typing(asker.target)
        try:
            session = None
            if not asker.private:
                session = await self.service.open_playlist_id(
                    platform=self.platform, chat_id=asker.chat_id
                )
            if playlist_only and session is None:
                await self.say(asker.target, self._text("playlist_none", lang))
                return
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

    async def mood(self, asker: Asker, words: str) -> None:
        """Songs for a mood in words (/mood)."""
        lang = await self.lang(asker.user_id)
        if not words.strip():
            await self.say(asker.target, text("mood_usage", lang))
            return
        if not await self._allowed(asker, lang):
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
        self.deliveries.follow(job, asker.target, lang)

    # -- buttons and reactions ---------------------------------------------------------------

    async def vote(self, tap: Tap, data: str) -> None:
        """👍/👎 under a song or the whole list: add, change or (the same again) remove."""
        lang = await self.lang(tap.user_id)
        vote = parse_vote(data)
        if vote is None:
            await tap.answer(text("vote_unknown", lang))
            return
        try:
            outcome = await self.service.toggle_vote(
                platform=self.platform, user_id=tap.user_id, item_id=vote[0], value=vote[1],
                chat_id=tap.chat_id,
            )  # fmt: skip
        except MriError as exc:
            log.info("vote by %s on item %s refused: %s", tap.user_id, vote[0], exc)
            await tap.answer(error_text(exc, lang))
            return
        await tap.answer(text(VOTE_TEXTS[outcome.value], lang))
        await tap.set_buttons(vote_buttons(outcome.result, dict(outcome.totals), lang))

    async def reaction(
        self, user_id: str, chat_id: str, list_item_id: int, value: int, *, added: bool
    ) -> None:
        """A 👍/👎 reaction on a reply rates the whole list (Discord)."""
        try:
            outcome = await self.service.react_vote(
                platform=self.platform, user_id=user_id, item_id=list_item_id, value=value,
                added=added, chat_id=chat_id,
            )  # fmt: skip
        except MriError as exc:
            log.info("reaction vote by %s on item %s ignored: %s", user_id, list_item_id, exc)
            return
        if outcome.changed:
            log.info("user %s: whole-list vote %+d on job %s", user_id, outcome.value,
                     outcome.result.job_id)  # fmt: skip

    # -- /forget -----------------------------------------------------------------------------

    async def forget(self, asker: Asker) -> None:
        """Ask first; only the asker's "yes" deletes what is theirs."""
        lang = await self.lang(asker.user_id)
        buttons = ((
            Button(text("forget_yes", lang), forget_data("yes", asker.user_id)),
            Button(text("forget_no", lang), forget_data("no", asker.user_id)),
        ),)  # fmt: skip
        question = Outgoing(text=text("forget_confirm", lang), buttons=buttons)
        target = asker.target
        try:
            if target.placeholder is not None:
                await target.edit(target.placeholder, question)
            else:
                await target.send(question, key=f"f:{next(_notices)}")
        except (SendFailed, MriError) as exc:
            log.info("could not ask %s about /forget: %s", asker.user_id, exc)

    async def forget_answer(self, tap: Tap, data: str) -> None:
        lang = await self.lang(tap.user_id)
        parsed = parse_forget(data)
        forged = tap.offered is not None and data not in tap.offered
        if parsed is None or parsed[1] != tap.user_id or forged:
            await tap.answer(text("forget_not_yours", lang), alert=True)
            return
        if parsed[0] != "yes":
            await tap.replace(text("forget_cancelled", lang))
            return
        rows = await self.service.forget_user(platform=self.platform, user_id=tap.user_id)
        await tap.replace(text("forget_done", lang, rows=rows))

    # -- group playlists ---------------------------------------------------------------------

    async def playlist_start(self, asker: Asker) -> None:
        lang = await self.lang(asker.user_id)
        if asker.private:
            await self.say(asker.target, self._text("playlist_private", lang))
            return
        session = await self.service.open_playlist(
            platform=self.platform, chat_id=asker.chat_id, user_id=asker.user_id
        )
        log.info("playlist session %s open in chat %s", session, asker.chat_id)
        minutes = max(1, round(self.settings.playlist_window_seconds / 60))
        await self.say(asker.target, self._text("playlist_started", lang, minutes=minutes))

    async def playlist_done(self, asker: Asker) -> None:
        """Close the chat's playlist and answer with the blend of its photos (the worker waits,
        bounded, for photos still being tagged)."""
        lang = await self.lang(asker.user_id)
        if asker.private:
            await self.say(asker.target, self._text("playlist_private", lang))
            return
        try:
            job = await self.service.group_playlist(
                platform=self.platform, chat_id=asker.chat_id, user_id=asker.user_id,
                message_ref=asker.message_ref,
            )  # fmt: skip
        except NoOpenPlaylist:
            await self.say(asker.target, self._text("playlist_none", lang))
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

    # -- the process ---------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Run by the platform's scheduler: replies still owed (bot/flow/delivery.py)."""
        return await self.deliveries.sweep()

    async def close(self) -> None:
        await self.deliveries.close()
