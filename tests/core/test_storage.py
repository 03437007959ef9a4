"""The job state machine, votes, forgetting and stats, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.db import delivery, feedback, jobs, people
from core.db.database import Database
from core.db.models import PlaylistSession, RecommendedItem, Request, User, Vote, utcnow
from core.errors import DuplicateVote, UnknownItem

ITEM = {"id": "arena:1", "score": 1.0, "reasons": {"because": ["바다"]}, "song": {"title": "x"}}


def _job(db: Database, job_id: str, user: str = "u1", chat: str = "c1") -> None:
    with db.transaction() as s:
        u = people.get_or_create_user(s, platform="t", external_id=user)
        c = people.get_or_create_chat(s, platform="t", external_id=chat, kind="private")
        jobs.create_request(s, job_id=job_id, kind="photo", chat_id=c.id, user_id=u.id)


def _finish(db: Database, job_id: str, n_items: int = 2) -> None:
    with db.transaction() as s:
        assert jobs.claim(s, job_id=job_id, lease_seconds=30).claimed
        assert jobs.complete(
            s, job_id=job_id, tags=[{"key": "바다", "tag": "바다", "weight": 1.0, "shown": True}],
            tagger="imagenet", tagger_version="1", catalog_version="c", items=[ITEM] * n_items,
            latency_ms=5,
        )  # fmt: skip


def test_claim_is_a_compare_and_set(database: Database) -> None:
    _job(database, "00000000-aaaa")
    with database.transaction() as s:
        first = jobs.claim(s, job_id="00000000-aaaa", lease_seconds=30)
        second = jobs.claim(s, job_id="00000000-aaaa", lease_seconds=30)
        missing = jobs.claim(s, job_id="00000000-ffff", lease_seconds=30)
    assert first.claimed and first.attempts == 1
    assert not second.claimed and second.status == "running"
    assert not missing.claimed and missing.status == "missing"


def test_an_expired_lease_lets_another_worker_run_it(database: Database) -> None:
    _job(database, "00000000-bbbb")
    with database.transaction() as s:
        jobs.claim(s, job_id="00000000-bbbb", lease_seconds=1)
    later = utcnow() + dt.timedelta(seconds=5)
    with database.transaction() as s:
        assert jobs.due_for_requeue(s, stale_after=60, now=later) == ["00000000-bbbb"]
        again = jobs.claim(s, job_id="00000000-bbbb", lease_seconds=30, now=later)
    assert again.claimed and again.attempts == 2


def test_finished_job_is_not_run_again(database: Database) -> None:
    _job(database, "00000000-cccc")
    _finish(database, "00000000-cccc")
    with database.transaction() as s:
        assert not jobs.claim(s, job_id="00000000-cccc", lease_seconds=30).claimed
        assert jobs.finished(s, ["00000000-cccc", "nope"]) == {"00000000-cccc": "done"}


def test_delivery_is_claimed_with_a_lease_then_confirmed(database: Database) -> None:
    job = "00000000-dddd"
    _job(database, job)
    with database.transaction() as s:
        assert delivery.claim(s, job_id=job, lease_seconds=30) is None  # not finished yet
        delivery.set_reply_ref(s, job_id=job, reply_ref="m-7")  # the placeholder
    _finish(database, job)
    now = utcnow()
    with database.transaction() as s:
        assert delivery.owed(s, platform="t", now=now) == [job]
        assert delivery.owed(s, platform="t", now=now, older_than=60) == []  # fresh: its waiter
        first = delivery.claim(s, job_id=job, lease_seconds=30, now=now)
        assert first is not None and (first.reply_ref, first.attempt) == ("m-7", 1)
        assert delivery.claim(s, job_id=job, lease_seconds=30, now=now) is None  # leased
        assert delivery.owed(s, platform="t", now=now) == []
    later = now + dt.timedelta(seconds=31)  # the claimer died: the lease ran out
    with database.transaction() as s:
        assert delivery.owed(s, platform="t", now=later) == [job]
        again = delivery.claim(s, job_id=job, lease_seconds=30, now=later)
        assert again is not None and (again.reply_ref, again.attempt) == ("m-7", 2)
        assert delivery.confirm(s, job_id=job, reply_ref="m-7")
        assert not delivery.confirm(s, job_id=job, reply_ref="m-8")  # once
        assert delivery.claim(s, job_id=job, lease_seconds=30, now=later) is None
        delivery.set_reply_ref(s, job_id=job, reply_ref="m-9")  # too late: changes nothing
    with database.reader() as s:
        row = s.execute(
            select(Request.reply_ref, Request.delivered_at).where(Request.job_id == job)
        ).one()
    assert row.reply_ref == "m-7" and row.delivered_at is not None


def test_a_failed_send_is_retried_then_given_up(database: Database) -> None:
    job = "00000000-eeee"
    _job(database, job)
    _finish(database, job)
    now = utcnow()
    for attempt in range(1, delivery.MAX_ATTEMPTS + 1):
        with database.transaction() as s:
            assert delivery.claim(s, job_id=job, lease_seconds=30, now=now) is not None
            gave_up = delivery.release(s, job_id=job, error="Timed out", retry_after=5, now=now)
            assert gave_up == (attempt == delivery.MAX_ATTEMPTS)
            if not gave_up:  # not before the back-off, then again
                assert delivery.claim(s, job_id=job, lease_seconds=30, now=now) is None
        now += dt.timedelta(seconds=6)
    with database.transaction() as s:
        assert delivery.owed(s, platform="t", now=now) == []
    other = "00000000-ffee"
    _job(database, other)
    _finish(database, other)
    with database.transaction() as s:
        assert delivery.claim(s, job_id=other, lease_seconds=30) is not None
        assert delivery.release(s, job_id=other, error="Forbidden: bot was blocked",
                                retry_after=5, permanent=True)  # fmt: skip
        assert delivery.owed(s, platform="t", now=utcnow() + dt.timedelta(hours=1)) == []


def test_queued_jobs_are_resent_once_per_stale_period_and_expire(database: Database) -> None:
    _job(database, "00000000-dddd")
    soon, later = utcnow() + dt.timedelta(seconds=100), utcnow() + dt.timedelta(seconds=2000)
    with database.transaction() as s:
        assert jobs.due_for_requeue(s, stale_after=60, now=soon) == ["00000000-dddd"]
        assert jobs.due_for_requeue(s, stale_after=60, now=soon) == []  # enqueue time was reset
        assert jobs.expire(s, older_than=600, now=later) == ["00000000-dddd"]
        assert jobs.get_request(s, "00000000-dddd").status == "expired"  # type: ignore[union-attr]


def test_release_and_fail(database: Database) -> None:
    _job(database, "00000000-eeee")
    with database.transaction() as s:
        jobs.claim(s, job_id="00000000-eeee", lease_seconds=30)
        jobs.release(s, job_id="00000000-eeee", error="retrying:OSError")
        assert jobs.claim(s, job_id="00000000-eeee", lease_seconds=30).claimed
        jobs.fail(s, job_id="00000000-eeee", error="invalid_image:truncated")
        req = jobs.get_request(s, "00000000-eeee")
        assert req is not None and (req.status, req.error) == ("failed", "invalid_image:truncated")
        assert not jobs.complete(
            s, job_id="00000000-eeee", tags=[], tagger="x", tagger_version="1",
            catalog_version="c", items=[ITEM], latency_ms=1,
        )  # fmt: skip


def test_a_failing_write_leaves_nothing_half_written(database: Database) -> None:
    _job(database, "00000000-abab")
    bad = {**ITEM, "id": None}  # NOT NULL violation (song_id) on the second item
    with pytest.raises(IntegrityError), database.transaction() as s:
        jobs.claim(s, job_id="00000000-abab", lease_seconds=30)
        jobs.complete(
            s, job_id="00000000-abab", tags=[], tagger="x", tagger_version="1",
            catalog_version="c", items=[ITEM, bad], latency_ms=1,
        )  # fmt: skip
    with database.reader() as s:
        req = jobs.get_request(s, "00000000-abab")
        assert req is not None and req.status == "queued" and req.attempts == 0
        assert s.scalar(select(func.count()).select_from(RecommendedItem)) == 0


def _items(db: Database) -> list[int]:
    with db.reader() as s:
        return list(s.scalars(select(RecommendedItem.id).order_by(RecommendedItem.id)))


def test_votes_add_change_remove_and_refuse_duplicates(database: Database) -> None:
    _job(database, "00000000-f001")
    _finish(database, "00000000-f001")
    item = _items(database)[0]
    with database.transaction() as s:
        user = people.get_or_create_user(s, platform="t", external_id="voter").id
        assert feedback.record_vote(s, user_id=user, item_id=item, value=1) == 1
        with pytest.raises(DuplicateVote):
            feedback.record_vote(s, user_id=user, item_id=item, value=1)
        assert feedback.record_vote(s, user_id=user, item_id=item, value=-1) == -1
        assert s.scalar(select(func.count()).select_from(Vote)) == 1
        assert feedback.record_vote(s, user_id=user, item_id=item, value=0) == 0
        with pytest.raises(DuplicateVote):
            feedback.record_vote(s, user_id=user, item_id=item, value=0)
        with pytest.raises(UnknownItem):
            feedback.record_vote(s, user_id=user, item_id=999_999, value=1)


def test_forget_user_removes_their_rows_only(database: Database) -> None:
    _job(database, "00000000-a001", user="gone")
    _finish(database, "00000000-a001")
    _job(database, "00000000-a002", user="stays")
    _finish(database, "00000000-a002")
    items = _items(database)
    with database.transaction() as s:
        gone = people.get_or_create_user(s, platform="t", external_id="gone").id
        stays = people.get_or_create_user(s, platform="t", external_id="stays").id
        feedback.record_vote(s, user_id=gone, item_id=items[-1], value=1)  # on the other's reply
        feedback.record_vote(s, user_id=stays, item_id=items[-1], value=-1)
    with database.transaction() as s:
        removed = people.forget_user(s, platform="t", external_id="gone")
    assert removed.deleted == 1 + 1 + 3 + 1  # vote, request, its 2 items + the list item, user
    assert removed.anonymised == 0 and removed.photo_jobs == ()
    with database.reader() as s:
        assert s.scalar(select(User).where(User.external_id == "gone")) is None
        assert [r.job_id for r in s.scalars(select(Request))] == ["00000000-a002"]
        assert [v.value for v in s.scalars(select(Vote))] == [-1]
    with database.transaction() as s:
        assert people.forget_user(s, platform="t", external_id="nobody").deleted == 0


def _group_job(
    db: Database, job_id: str, user: str, kind: str = "photo", session_id: int | None = None
) -> int:
    with db.transaction() as s:
        u = people.get_or_create_user(s, platform="t", external_id=user)
        c = people.get_or_create_chat(s, platform="t", external_id="g", kind="group")
        return jobs.create_request(
            s, job_id=job_id, kind=kind, chat_id=c.id, user_id=u.id, session_id=session_id,
            photo_sha256="ab" * 32, query_text="바다" if kind == "text" else None,
        ).id  # fmt: skip


def _vote(db: Database, user: str, request_pk: int, rank: int = 1, value: int = 1) -> None:
    with db.transaction() as s:
        item = s.scalar(
            select(RecommendedItem.id).where(
                RecommendedItem.request_id == request_pk, RecommendedItem.rank == rank
            )
        )
        assert item is not None
        pk = people.get_or_create_user(s, platform="t", external_id=user).id
        feedback.record_vote(s, user_id=pk, item_id=item, value=value)


def test_forget_keeps_others_votes_on_an_anonymised_reply(database: Database) -> None:
    """Once, the cascade deleted Bob's votes on Alice's reply and the group playlist Alice
    closed; now they stay (anonymised) and still count, and only Alice's rows go."""
    with database.transaction() as s:
        alice = people.get_or_create_user(s, platform="t", external_id="alice")
        alice.display_name = "앨리스"
        chat = people.get_or_create_chat(s, platform="t", external_id="g", kind="group")
        session = PlaylistSession(chat_id=chat.id, opened_by=alice.id)
        s.add(session)
        s.flush()
        sid = session.id
    voted = _group_job(database, "00000000-c001", "alice", session_id=sid)  # Bob votes on it
    quiet = _group_job(database, "00000000-c002", "alice", session_id=sid)  # nobody votes
    bobs = _group_job(database, "00000000-c003", "bob", session_id=sid)
    waiting = _group_job(database, "00000000-c004", "alice")  # still queued: a photo waits
    playlist = _group_job(database, "00000000-c005", "alice", kind="playlist", session_id=sid)
    for job in ("00000000-c001", "00000000-c002", "00000000-c003"):
        _finish(database, job)
    with database.transaction() as s:
        assert jobs.claim(s, job_id="00000000-c005", lease_seconds=30).claimed
        credited = [
            {**ITEM, "reasons": {"because": [], "from_user": name, "from_user_key": key}}
            for name, key in (("앨리스", str(alice.id)), ("bob", "999"))
        ]
        legacy = {**ITEM, "reasons": {"because": [], "from_user": "앨리스"}}  # before the key
        assert jobs.complete(
            s, job_id="00000000-c005", tags=[], tagger="playlist", tagger_version="blend-1",
            catalog_version="c", items=[*credited, legacy], latency_ms=5,
        )  # fmt: skip
    _vote(database, "bob", voted)
    _vote(database, "alice", voted, rank=2)
    _vote(database, "alice", bobs)
    _vote(database, "bob", playlist, rank=0)  # the whole playlist
    with database.reader() as s:
        before = feedback.stats(s)

    with database.transaction() as s:
        done = people.forget_user(s, platform="t", external_id="alice")
    assert done.photo_jobs == ("00000000-c004",)
    assert done.anonymised == 2 + 2  # the voted reply and the playlist; two credits

    with database.reader() as s:
        rows = {r.id: r for r in s.scalars(select(Request))}
        assert set(rows) == {voted, bobs, playlist} and not {quiet, waiting} & set(rows)
        assert (rows[voted].user_id, rows[voted].photo_sha256, rows[voted].session_id) == (
            None, None, None,
        )  # fmt: skip
        assert rows[playlist].user_id is None and rows[playlist].session_id == sid
        assert rows[bobs].user_id is not None and rows[bobs].session_id == sid
        after = feedback.stats(s)
        assert (after.votes_up, after.votes_down) == (before.votes_up - 2, before.votes_down)
        credits = [
            i.reasons.get("from_user")
            for i in s.scalars(
                select(RecommendedItem)
                .where(RecommendedItem.request_id == playlist, RecommendedItem.rank > 0)
                .order_by(RecommendedItem.rank)
            )
        ]
        assert credits == [None, "bob", None]
        assert s.scalar(select(PlaylistSession.opened_by).where(PlaylistSession.id == sid)) is None
        assert s.scalar(select(User).where(User.external_id == "alice")) is None


def test_stats(database: Database) -> None:
    _job(database, "00000000-b001")
    _finish(database, "00000000-b001")
    _job(database, "00000000-b002")
    with database.transaction() as s:
        jobs.claim(s, job_id="00000000-b002", lease_seconds=30)
        jobs.fail(s, job_id="00000000-b002", error="no_tags")
    _job(database, "00000000-b003")
    with database.reader() as s:
        st = feedback.stats(s)
    assert (st.queued, st.done_last_hour, st.failed_last_hour) == (1, 1, 1)
    assert st.last_error == "no_tags" and st.requests_total == 3 and st.workers_alive == 0
