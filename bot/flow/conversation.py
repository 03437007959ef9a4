"""The conversation, written once: what happens when someone sends a photo or words
(intake.py), several photos at once (albums.py), runs a group playlist (playlists.py), taps a
button, reacts, asks to be forgotten or asks for settings and numbers (here). Adapters
translate their library's events into these calls and implement the port (port.py); they
decide nothing."""

from __future__ import annotations

import logging

from bot.flow.albums import Albums
from bot.flow.playlists import Playlists
from bot.flow.port import Asker, Outgoing, Tap
from bot.flow.steer import Steering
from bot.formatting import (
    Button,
    error_text,
    forget_data,
    is_forget,
    parse_forget,
    parse_steer_button,
    parse_vote,
    reply_buttons,
)
from bot.i18n import text
from core.errors import MriError
from core.service import LANGUAGES

log = logging.getLogger(__name__)

VOTE_TEXTS = {1: "vote_up", -1: "vote_down", 0: "vote_removed"}


class Flow(Albums, Playlists, Steering):
    """One per adapter process (see FlowBase for what it is built from)."""

    # -- buttons and reactions ---------------------------------------------------------------

    async def tap(self, tap: Tap, data: str) -> None:
        """Any button under one of the bot's messages: /forget, steering, or a vote."""
        if is_forget(data):
            await self.forget_answer(tap, data)
        elif parse_steer_button(data) is not None:
            await self.steer_tap(tap, data)
        else:
            await self.vote(tap, data)

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
        await tap.set_buttons(reply_buttons(outcome.result, dict(outcome.totals), lang))

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
        await self.show(asker.target, question)

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

    # -- settings and numbers ------------------------------------------------------------------

    async def set_language(self, user_id: str, choice: str) -> str:
        """/lang ko|en: the sentence to answer with (the usage line for anything else)."""
        choice = choice.strip().lower()
        if choice not in LANGUAGES:
            return text("lang_usage", await self.lang(user_id))
        await self.service.set_language(platform=self.platform, user_id=user_id, language=choice)
        return text("lang_set", choice)

    async def stats(self, user_id: str) -> str:
        """/stats: requests and votes so far, and how the last hour went."""
        lang = await self.lang(user_id)
        status = await self.service.stats()
        numbers = status.stats
        queued = status.queue_pending if status.queue_pending is not None else numbers.queued
        return text(
            "stats", lang,
            requests=numbers.requests_total, up=numbers.votes_up, down=numbers.votes_down,
            done=numbers.done_last_hour, failed=numbers.failed_last_hour, queued=queued,
        )  # fmt: skip
