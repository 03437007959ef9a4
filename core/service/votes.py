"""Votes: 👍/👎 per song and for a whole reply, and the counts a redraw shows."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from core.db import feedback, people
from core.db.results import job_of_item, load_result, request_pk
from core.domain import VoteOutcome
from core.service.base import Component


class Votes(Component):
    async def toggle_vote(
        self, *, platform: str, user_id: str, item_id: int, value: int, chat_id: str
    ) -> VoteOutcome:
        """A 👍 (+1) or 👎 (-1) button: adds the vote, changes it, or removes it when it was
        already this one; decided in one transaction. UnknownItem, NotAllowed (another chat)."""
        return await self.run(self._change, platform, user_id, item_id, value, chat_id, "toggle")

    async def react_vote(
        self, *, platform: str, user_id: str, item_id: int, value: int, added: bool, chat_id: str
    ) -> VoteOutcome:
        """A 👍/👎 reaction added (the vote becomes `value`) or removed (the vote goes if it is
        `value`); decided in one transaction."""
        mode: feedback.VoteMode = "set" if added else "unset"
        return await self.run(self._change, platform, user_id, item_id, value, chat_id, mode)

    def _change(
        self,
        platform: str,
        user_id: str,
        item_id: int,
        value: int,
        chat_id: str,
        mode: feedback.VoteMode,
    ) -> VoteOutcome:
        for attempt in range(3):
            try:
                with self.db.transaction() as s:
                    feedback.check_item_chat(s, item_id=item_id, platform=platform, chat_id=chat_id)
                    user = people.get_or_create_user(s, platform=platform, external_id=user_id)
                    before, after = feedback.change_vote(
                        s, user_id=user.id, item_id=item_id, value=value, mode=mode
                    )
                    job = job_of_item(s, item_id)
                    result = load_result(s, job)
                    pk = request_pk(s, job)
                    totals = feedback.vote_totals(s, request_id=pk)
                return VoteOutcome(after, before, result, totals)
            except IntegrityError:  # the user row appeared or vanished meanwhile: decide again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def record_vote(
        self, *, platform: str, user_id: str, item_id: int, value: int, chat_id: str | None = None
    ) -> int:
        """+1 / -1, or 0 to remove. With `chat_id`, only items shown in that chat count."""

        def vote() -> int:
            with self.db.transaction() as s:
                if chat_id is not None:
                    feedback.check_item_chat(s, item_id=item_id, platform=platform, chat_id=chat_id)
                user = people.get_or_create_user(s, platform=platform, external_id=user_id)
                return feedback.record_vote(s, user_id=user.id, item_id=item_id, value=value)

        return await self.run(vote)

    async def current_vote(self, *, platform: str, user_id: str, item_id: int) -> int:
        """The user's vote on an item: +1, -1 or 0 (none)."""

        def find() -> int:
            with self.db.reader() as s:
                return feedback.current_vote(s, platform=platform, user_id=user_id, item_id=item_id)

        return await self.run(find)

    async def job_of_item(self, item_id: int) -> str:
        """The job whose reply holds this item (to redraw its vote buttons)."""

        def find() -> str:
            with self.db.reader() as s:
                return job_of_item(s, item_id)

        return await self.run(find)

    async def vote_totals(self, job_id: str) -> dict[int, tuple[int, int]]:
        """item id -> (👍, 👎) for one reply."""

        def totals() -> dict[int, tuple[int, int]]:
            with self.db.reader() as s:
                return feedback.vote_totals(s, request_id=request_pk(s, job_id))

        return await self.run(totals)
