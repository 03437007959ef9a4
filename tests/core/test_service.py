"""RecommendService end to end in one process: the real queue, database, pipeline and job
runner; jobs are drained from the queue by the test instead of a worker process."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete

from core.config import RESOURCES
from core.db.models import Request
from core.errors import (
    DuplicateVote,
    InvalidImage,
    JobFailed,
    JobTimeout,
    NotAllowed,
    UnknownItem,
    UnknownJob,
)
from core.housekeeping import sweep_orphan_photos
from core.pipeline import Pipeline
from core.service import NoOpenPlaylist, RecommendService
from core.worker import JobRunner
from tests.core.conftest import Env

COFFEE = (RESOURCES / "demo/coffee.png").read_bytes()
MOUNTAIN = (RESOURCES / "demo/karwendel.jpg").read_bytes()
BEACH = (RESOURCES / "demo/beach.jpg").read_bytes()


def submit(
    env: Env, photo: bytes, user: str = "u1", chat: str = "c1", kind: str = "private", **kw: object
):  # type: ignore[no-untyped-def]
    return env.service.submit_photo(
        platform="test", chat_id=chat, chat_kind=kind, user_id=user, photo=photo, **kw
    )


async def test_photo_in_answer_out(env: Env) -> None:
    job = await submit(env, COFFEE, message_ref="m1")
    assert env.service.queue.photos.job_ids() == [job]  # waiting in the photo store
    assert await env.run() == 1
    result = await env.service.wait(job)
    assert result.status == "done" and result.message_ref == "m1" and result.kind == "photo"
    assert {"커피", "카페"} <= {t.tag for t in result.tags}
    assert len(result.items) == 10 and all(i.title and i.artists for i in result.items)
    assert [i.rank for i in result.items] == list(range(1, 11))
    assert env.service.queue.photos.job_ids() == []  # deleted when the job ended
    claim = await env.service.claim_delivery(job)
    assert claim is not None and claim.reply_ref is None  # nothing shown yet: send anew
    assert await env.service.claim_delivery(job) is None  # leased
    assert await env.service.confirm_delivery(job, "m-1")
    assert await env.service.claim_delivery(job) is None


async def test_the_same_chat_message_twice_is_one_job(env: Env) -> None:
    """A platform hands an update over again when its adapter died before acknowledging it."""
    first = await submit(env, COFFEE, message_ref="m7")
    assert await submit(env, COFFEE, message_ref="m7") == first
    assert await submit(env, COFFEE, message_ref="m7", chat="c2") != first  # another chat
    assert await submit(env, COFFEE, message_ref="m8") != first
    assert len(env.service.queue.photos.job_ids()) == 3  # the repeat stored no photo


async def test_text_query(env: Env) -> None:
    job = await env.service.submit_text(
        platform="test", chat_id="c1", chat_kind="private", user_id="u1", text="새벽 드라이브"
    )
    await env.run()
    result = await env.service.wait(job)
    assert {"새벽", "드라이브"} <= {t.tag for t in result.tags} and result.items


async def test_wait_times_out_while_queued_then_answers(env: Env) -> None:
    job = await submit(env, MOUNTAIN)
    with pytest.raises(JobTimeout):
        await env.service.wait(job, timeout=0.2)
    await env.run()
    assert (await env.service.wait(job, timeout=5)).status == "done"


async def test_bad_inputs_get_typed_errors(env: Env) -> None:
    with pytest.raises(InvalidImage) as empty:
        await submit(env, b"")
    assert empty.value.reason == "empty"
    big = b"\xff" * (env.service.settings.max_image_bytes + 1)
    with pytest.raises(InvalidImage) as too_big:
        await submit(env, big)
    assert too_big.value.reason == "too_large"
    assert (await env.service.stats()).stats.requests_total == 0  # nothing was written
    with pytest.raises(UnknownJob):
        await env.service.wait("00000000-0000-0000-0000-000000000000", timeout=0.1)
    with pytest.raises(UnknownJob):
        await env.service.result("00000000-0000-0000-0000-000000000000")
    job = await submit(env, b"%PDF-1.4 this is not a photo")
    await env.run()
    with pytest.raises(JobFailed) as failed:
        await env.service.wait(job)
    assert failed.value.code == "invalid_image:not_image"
    assert env.service.queue.photos.job_ids() == []  # no orphan photo after a final failure
    assert await env.service.claim_delivery(job) is not None  # the apology is sent, too


async def test_votes_through_the_service(env: Env) -> None:
    job = await submit(env, COFFEE, chat="c9")
    await env.run()
    item = (await env.service.wait(job)).items[0].item_id
    vote = env.service.record_vote
    assert await vote(platform="test", user_id="u2", item_id=item, value=1, chat_id="c9") == 1
    with pytest.raises(DuplicateVote):
        await vote(platform="test", user_id="u2", item_id=item, value=1, chat_id="c9")
    assert await vote(platform="test", user_id="u2", item_id=item, value=-1, chat_id="c9") == -1
    assert await vote(platform="test", user_id="u3", item_id=item, value=-1) == -1
    assert (await env.service.vote_totals(job))[item] == (0, 2)
    stored = await env.service.result(job)
    whole = stored.list_item_id
    assert whole is not None and whole not in {i.item_id for i in stored.items}
    assert await vote(platform="test", user_id="u2", item_id=whole, value=1, chat_id="c9") == 1
    with pytest.raises(NotAllowed):
        await vote(platform="test", user_id="u2", item_id=item, value=1, chat_id="other")
    with pytest.raises(UnknownItem):
        await vote(platform="test", user_id="u2", item_id=10**9, value=1, chat_id="c9")


async def test_group_playlist_blends_three_members(env: Env) -> None:
    with pytest.raises(NoOpenPlaylist):
        await env.service.group_playlist(platform="test", chat_id="g1", user_id="a")
    session = await env.service.open_playlist(platform="test", chat_id="g1", user_id="a")
    assert await env.service.open_playlist(platform="test", chat_id="g1", user_id="b") == session
    for user, photo in (("a", COFFEE), ("b", MOUNTAIN), ("c", BEACH)):
        await submit(env, photo, user=user, chat="g1", kind="group", session_id=session)
    await env.run()
    job = await env.service.group_playlist(platform="test", chat_id="g1", user_id="a")
    assert await env.service.open_playlist_id(platform="test", chat_id="g1") is None
    await env.run()
    result = await env.service.wait(job)
    assert result.kind == "playlist" and len(result.items) == 10
    assert {i.from_user for i in result.items} == {"a", "b", "c"}  # every photo contributes
    assert len({i.song_id for i in result.items}) == 10


async def test_a_playlist_whose_time_is_up_is_closed_once_by_any_process(env: Env) -> None:
    settings = env.service.settings.model_copy(update={"playlist_window_seconds": 2.0})
    opener = RecommendService(settings, env.service.db, env.service.queue)
    session = await opener.open_playlist(platform="test", chat_id="g2", user_id="a")
    assert await opener.close_due_playlists("test") == []  # not yet
    await submit(env, COFFEE, user="a", chat="g2", kind="group", session_id=session)
    await env.run()
    await asyncio.sleep(2.1)
    # Two processes started after a restart look at the same moment: one closes it.
    others = [RecommendService.from_settings(settings) for _ in range(2)]
    try:
        found = await asyncio.gather(*(o.close_due_playlists("test") for o in others))
    finally:
        for other in others:
            await other.aclose()
    closed = [c for batch in found for c in batch]
    assert len(closed) == 1 and closed[0].chat_id == "g2" and closed[0].lang == "ko"
    assert await env.service.open_playlist_id(platform="test", chat_id="g2") is None
    assert await env.service.close_due_playlists("test") == []
    await env.run()
    result = await env.service.wait(closed[0].job_id)
    assert result.kind == "playlist" and {i.from_user for i in result.items} == {"a"}


async def test_the_blend_waits_for_photos_still_being_tagged(env: Env, pipeline: Pipeline) -> None:
    session = await env.service.open_playlist(platform="test", chat_id="g3", user_id="a")
    photo = await submit(env, BEACH, user="b", chat="g3", kind="group", session_id=session)
    job = await env.service.group_playlist(platform="test", chat_id="g3", user_id="a")
    other = JobRunner(env.service.settings, env.runner.db, env.service.queue, pipeline)
    # The blend waits at most half its lease: a lease long enough for a busy machine's tagging
    patient = env.service.settings.model_copy(update={"job_lease_seconds": 30.0})
    blender = JobRunner(patient, env.runner.db, env.service.queue, pipeline)
    await asyncio.to_thread(lambda: pipeline.tagger)  # the model is loaded before the race

    async def tag_later() -> None:  # another worker is still tagging b's photo
        await asyncio.sleep(0.3)
        await asyncio.to_thread(other.run, photo)

    await asyncio.gather(asyncio.to_thread(blender.run, job), tag_later())
    result = await env.service.wait(job)
    assert {i.from_user for i in result.items} == {"b"}  # without the wait: no photo, failed


async def test_forget_user_and_language(env: Env) -> None:
    job = await submit(env, COFFEE, user="leaver")
    await env.run()
    await env.service.wait(job)
    await env.service.set_language(platform="test", user_id="leaver", language="en")
    assert await env.service.language(platform="test", user_id="leaver") == "en"
    assert await env.service.forget_user(platform="test", user_id="leaver") >= 12
    with pytest.raises(UnknownJob):
        await env.service.result(job)
    assert await env.service.language(platform="test", user_id="leaver") == "ko"


async def test_a_finished_job_run_again_changes_nothing(env: Env) -> None:
    job = await submit(env, COFFEE)
    await env.run()
    first = await env.service.wait(job)
    env.runner.run(job)  # at-least-once delivery from the queue: a duplicate message
    again = await env.service.result(job)
    assert [i.item_id for i in again.items] == [i.item_id for i in first.items]


class FlakyPipeline(Pipeline):
    """The real pipeline, whose first photo fails as if the disk hiccuped."""

    failures = 1

    def recommend_photo_bytes(self, data: bytes, top_k: int | None = None):  # type: ignore[no-untyped-def]
        if self.failures:
            self.failures -= 1
            raise OSError("transient read error")
        return super().recommend_photo_bytes(data, top_k)


async def test_a_transient_error_is_retried_not_lost(env: Env, pipeline: Pipeline) -> None:
    flaky = FlakyPipeline(env.service.settings, pipeline.catalog)
    runner = JobRunner(env.service.settings, env.runner.db, env.service.queue, flaky)
    job = await submit(env, COFFEE)
    with pytest.raises(OSError, match="transient"):
        runner.run(job)  # huey would schedule a retry with back-off
    state = await env.service.result(job)
    assert state.status == "queued" and state.error == "retrying:OSError"
    assert env.service.queue.photos.job_ids() == [job]  # the photo waits for the retry
    runner.run(job)
    assert (await env.service.wait(job)).status == "done"
    assert env.service.queue.photos.job_ids() == []


async def test_a_user_forgotten_by_another_process_can_come_back(env: Env) -> None:
    await submit(env, COFFEE, user="returning")  # this service now caches the user's row id
    other = RecommendService.from_settings(env.service.settings)  # e.g. a second bot process
    try:
        assert await other.forget_user(platform="test", user_id="returning") > 0
    finally:
        await other.aclose()
    job = await submit(env, COFFEE, user="returning")  # the stale id is noticed and refreshed
    await env.run()
    assert (await env.service.wait(job)).user_id == "returning"


async def test_forget_while_a_photo_waits_deletes_the_photo(env: Env) -> None:
    job = await submit(env, COFFEE, user="leaver")
    assert env.service.queue.photos.job_ids() == [job]
    await env.service.forget_user(platform="test", user_id="leaver")
    assert env.service.queue.photos.job_ids() == []  # once, it waited in the spool forever
    assert await env.run() == 1  # the queue message still arrives: nothing to do, no error
    with pytest.raises(UnknownJob):
        await env.service.result(job)


async def test_the_worker_deletes_the_photo_of_a_job_that_is_gone(env: Env) -> None:
    """The job's row vanished (forgotten) while its photo stayed (the photo store was down
    during /forget): the worker that gets its message deletes the photo."""
    job = await submit(env, COFFEE, user="leaver")
    with env.service.db.transaction() as s:
        s.execute(delete(Request).where(Request.job_id == job))
    assert env.service.queue.photos.job_ids() == [job]
    assert await env.run() == 1
    assert env.service.queue.photos.job_ids() == []


async def test_the_orphan_sweep_deletes_only_photos_no_live_job_owns(env: Env) -> None:
    photos = env.service.queue.photos
    live = await submit(env, COFFEE, user="waits")  # queued: its photo is needed
    done = await submit(env, MOUNTAIN, user="done")
    await asyncio.to_thread(env.runner.run, done)
    photos.put(done, MOUNTAIN)  # as if the worker died between storing and deleting it
    lost = "00000000-0000-4000-8000-00000000dead"  # a photo whose job row never appeared
    photos.put(lost, BEACH)
    assert sorted(sweep_orphan_photos(env.service.db, env.service.queue, min_age=0)) == sorted(
        [done, lost]
    )
    assert photos.job_ids() == [live]
    fresh = "00000000-0000-4000-8000-00000000f00d"
    photos.put(fresh, BEACH)  # just stored: its job row may be a moment away
    assert sweep_orphan_photos(env.service.db, env.service.queue, min_age=60) == []
    assert sorted(photos.job_ids()) == sorted([live, fresh])
    assert photos.stale_job_ids(60) == [] and sorted(photos.stale_job_ids(0)) == sorted(
        [live, fresh]
    )
