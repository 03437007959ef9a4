"""Faults: Redis restarted mid-run, the database locked, the spool disk full, the chat adapter
restarted with jobs in flight. Each ends with every job answered exactly once (or apologised
for in one clear sentence), nothing half-written and no photo left behind.

The worker SIGKILLed mid-job is in test_worker_process.py."""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.formatting import error_text
from bot.i18n import text
from bot.telegram.app import build_application
from core import photostore
from core.config import Settings
from core.db import engine as db_engine
from core.db.database import Database
from core.db.models import RecommendedItem, Request
from core.errors import JobFailed, JobTimeout, QueueUnavailable
from core.housekeeping import reap
from core.pipeline import Pipeline
from core.queue import JobQueue
from core.service import RecommendService
from core.worker import JobRunner
from tests.bot.telegram.conftest import TOKEN, Bot, bot_settings, jpeg, private, user
from tests.bot.telegram.fakeapi import FakeBotApi
from tests.integration.test_worker_process import photos, running_job, start_worker

pytestmark = pytest.mark.slow
ERROR_HANDLER = "error while handling an update"


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline.from_settings(Settings())


# -- helpers -----------------------------------------------------------------------------


class Worker:
    """A JobRunner in this process; `drain` runs every queued job, as `mri worker` would."""

    def __init__(self, settings: Settings, pipeline: Pipeline) -> None:
        self.queue = JobQueue(settings)
        self.db = Database(settings.resolved_database_url)
        self.runner = JobRunner(settings, self.db, self.queue, pipeline)
        self.queue.set_handler(self.runner.run)

    def drain(self) -> int:
        huey, n = self.queue.huey, 0
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
            n += 1
        return n

    async def run(self) -> int:
        return await asyncio.to_thread(self.drain)

    def close(self) -> None:
        self.db.dispose()


def count(db: Database, column: Any, *where: Any) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count(column)).where(*where)) or 0)


def leftovers(settings: Settings, queue: JobQueue) -> list[str]:
    """Photos still stored anywhere: the photo store, and any file in the spool folder."""
    spool = settings.spool_dir
    return queue.photos.job_ids() + (
        sorted(p.name for p in spool.iterdir()) if spool.exists() else []
    )


async def submit(service: RecommendService, data: bytes, who: str = "u1") -> str:
    return await service.submit_photo(
        platform="test", chat_id=f"c-{who}", chat_kind="private", user_id=who, photo=data
    )


async def outcome(service: RecommendService, job_id: str) -> str:
    """Wait as an adapter does (on through 'still working'); 'done' or the failure code."""
    while True:
        try:
            await service.wait(job_id, timeout=5)
            return "done"
        except JobTimeout:
            continue
        except JobFailed as exc:
            return exc.code


async def deliver_all(
    service: RecommendService, jobs: list[str]
) -> tuple[dict[str, str], list[str]]:
    """Two deliverers race for every job, as two bot processes would: (outcomes, sent)."""
    sent: list[str] = []
    outcomes: dict[str, str] = {}

    async def one(job_id: str) -> None:
        outcomes[job_id] = await outcome(service, job_id)
        if await service.claim_delivery(job_id):
            sent.append(job_id)

    await asyncio.gather(*[one(j) for j in jobs for _ in range(2)])
    return outcomes, sent


def missing(what: str) -> None:
    """Skip without a tool; with MRI_NO_SKIP=1 (CI) fail instead (as tests/backends.py does)."""
    if os.environ.get("MRI_NO_SKIP") == "1":
        pytest.fail(what)
    pytest.skip(what)


# -- Redis restarted mid-run ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(server: str, port: int, folder: Path) -> subprocess.Popen[bytes]:
    """A private redis-server without persistence: killed, it forgets everything."""
    log = folder / "redis.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                client.ping()
                return proc
            except redis.RedisError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(log.read_text(errors="replace")[-2000:]) from None
                time.sleep(0.05)
    finally:
        client.close()


def kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


async def test_redis_restarted_mid_run_loses_no_job(tmp_path: Path) -> None:
    server = shutil.which("redis-server")
    if server is None:
        missing("redis-server is not installed (apt-get install redis-server)")
    assert server is not None
    port = free_port()
    redis_server = start_redis(server, port, tmp_path)
    settings = Settings(
        data_dir=tmp_path / "var",  # the database stays a SQLite file: it is the truth
        queue_url=f"redis://127.0.0.1:{port}/0",
        queue_name=f"mri-fault-{uuid.uuid4().hex[:8]}",
        job_lease_seconds=3.0,
    )
    service = RecommendService.from_settings(settings)
    worker = start_worker(settings, tmp_path / "worker.log")
    code = None
    try:
        before = [await submit(service, p, f"a{i}") for i, p in enumerate(photos(3, seed=1))]
        first, sent_first = await asyncio.wait_for(deliver_all(service, before), 180)
        assert set(first.values()) == {"done"} and sorted(sent_first) == sorted(before)

        during = [await submit(service, p, f"b{i}") for i, p in enumerate(photos(6, seed=2))]
        await running_job(service)
        os.killpg(worker.pid, signal.SIGSTOP)  # hold the worker mid-job while Redis dies
        kill(redis_server)  # queued messages and stored photos are gone with it
        with pytest.raises(QueueUnavailable, match="Redis"):
            await submit(service, photos(1, seed=9)[0], "c0")  # a clear error, not a crash
        assert count(service.db, Request.id) == 9  # and nothing half-written
        redis_server = start_redis(server, port, tmp_path)  # same port, empty
        os.killpg(worker.pid, signal.SIGCONT)

        after = [await submit(service, p, f"d{i}") for i, p in enumerate(photos(2, seed=3))]
        # The reaper re-sends the jobs whose messages Redis lost (queued for over 30 s);
        # those whose photo was lost too end `failed` with a reason, never silently.
        rest, sent_rest = await asyncio.wait_for(deliver_all(service, during + after), 240)
        assert sorted(sent_rest) == sorted(during + after)  # every job answered once

        assert all(rest[j] == "done" for j in after)  # Redis is back: new photos work
        lost = [j for j in during if rest[j] != "done"]
        assert lost and {rest[j] for j in lost} == {"invalid_image:missing"}
        apology = error_text(JobFailed("invalid_image:missing", ""), "ko")
        assert apology == text("err_broken", "ko")  # "please send it again", not a shrug
        for job in before + during + after:
            result = await service.result(job)
            assert result.status == ("failed" if job in lost else "done")
            assert len(result.items) == (0 if job in lost else 10)
        assert leftovers(settings, service.queue) == []  # no orphan photo
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGCONT)
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(timeout=60)
        await service.aclose()
        kill(redis_server)
    assert code == 0, (tmp_path / "worker.log").read_text(errors="replace")[-3000:]


# -- the SQLite database locked --------------------------------------------------------------


@contextmanager
def write_locked(settings: Settings) -> Iterator[None]:
    """Another process holds the database's write lock (BEGIN EXCLUSIVE) meanwhile."""
    path = settings.resolved_database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


async def test_a_briefly_locked_database_makes_everyone_wait_not_fail(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    settings = Settings(data_dir=tmp_path / "var", job_lease_seconds=3.0)
    service = RecommendService.from_settings(settings)
    worker = Worker(settings, pipeline)
    try:
        with write_locked(settings):
            pending = [asyncio.create_task(submit(service, p, f"u{i}"))
                       for i, p in enumerate(photos(4))]  # fmt: skip
            await asyncio.sleep(1.0)
            assert not any(t.done() for t in pending)  # waiting on the lock, not failing
        jobs = list(await asyncio.gather(*pending))  # the lock went: every submit went through

        with write_locked(settings):
            running = asyncio.create_task(worker.run())  # the worker's claims wait too
            await asyncio.sleep(1.0)
            assert not running.done()
        assert await running == 4
        outcomes, sent = await deliver_all(service, jobs)
        assert set(outcomes.values()) == {"done"} and sorted(sent) == sorted(jobs)
        assert leftovers(settings, service.queue) == []
    finally:
        worker.close()
        await service.aclose()


class LockingPipeline(Pipeline):
    """The real pipeline; while it tags a photo, another process takes the write lock."""

    holder: sqlite3.Connection | None = None
    database_path = ""

    def recommend_photo_bytes(self, data: bytes, top_k: int | None = None):  # type: ignore[no-untyped-def]
        rec = super().recommend_photo_bytes(data, top_k)
        if self.holder is None:
            self.holder = sqlite3.connect(self.database_path, isolation_level=None)
            self.holder.execute("BEGIN EXCLUSIVE")
        return rec

    def release(self) -> None:
        assert self.holder is not None
        self.holder.execute("ROLLBACK")
        self.holder.close()


async def test_a_lock_outlasting_the_busy_timeout_is_a_clear_error_and_nothing_half_written(
    tmp_path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_engine, "BUSY_TIMEOUT_MS", 300)  # instead of 30 s
    settings = Settings(data_dir=tmp_path / "var", job_lease_seconds=1.0)
    service = RecommendService.from_settings(settings)
    worker = Worker(settings, pipeline)
    try:
        # The adapter: a typed error (the person hears "try again shortly"), no row, no file.
        with write_locked(settings), pytest.raises(QueueUnavailable, match="locked"):
            await submit(service, photos(1)[0])
        assert count(service.db, Request.id) == 0
        assert leftovers(settings, service.queue) == []
        assert error_text(QueueUnavailable("x"), "ko") == text("err_busy", "ko")

        # The worker cannot even claim: huey schedules a retry; the job stays queued with its
        # photo.
        job = await submit(service, photos(1)[0])
        with write_locked(settings):
            assert worker.drain() == 1
        assert (await service.result(job)).status == "queued"
        assert service.queue.photos.job_ids() == [job]

        # The worker claimed, computed, then could not store the answer: still running
        # (nothing stored) until its lease runs out and the reaper re-sends it.
        locking = LockingPipeline(settings, pipeline.catalog)
        locking.database_path = settings.resolved_database_url.removeprefix("sqlite:///")
        locking.tagger = pipeline.tagger  # the model already loaded
        runner = JobRunner(settings, worker.db, worker.queue, locking)
        with pytest.raises(OperationalError, match="locked"):
            runner.run(job)  # that retry, as huey would run it
        locking.release()
        state = await service.result(job)
        assert state.status == "running" and state.items == ()
        assert service.queue.photos.job_ids() == [job]
        assert worker.drain() == 0  # nothing queued: the retry is the reaper's
        deadline = time.monotonic() + 60
        while reap(settings, worker.db, worker.queue)[0] == 0:  # re-sent once the lease ends
            assert time.monotonic() < deadline, "the reaper never re-sent the job"
            await asyncio.sleep(0.2)
        assert await worker.run() == 1
        outcomes, sent = await deliver_all(service, [job])
        assert outcomes == {job: "done"} and sent == [job]
        with service.db.reader() as s:
            request_pk = s.scalar(select(Request.id).where(Request.job_id == job))
        assert count(service.db, RecommendedItem.id, RecommendedItem.request_id == request_pk) == 11
        assert leftovers(settings, service.queue) == []
    finally:
        worker.close()
        await service.aclose()


# -- the spool disk full ---------------------------------------------------------------------


class FullDisk:
    """`os` as core.photostore sees it, on a disk with `room` bytes left: the first bytes of a
    photo reach the file, then the write fails with ENOSPC, as on a real full disk."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.partial: list[Path] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def fdopen(self, fd: int, *args: Any, **kwargs: Any) -> Any:
        self.partial.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        return _FillingFile(os.fdopen(fd, *args, **kwargs), self.room, self.partial[-1])


class _FillingFile:
    def __init__(self, f: Any, room: int, path: Path) -> None:
        self.f, self.room, self.path = f, room, path

    def __enter__(self) -> _FillingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.f.close()

    def write(self, data: bytes) -> int:
        self.f.write(data[: self.room])
        self.f.flush()
        assert self.path.stat().st_size == self.room  # a half-written photo is on disk
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


async def test_a_full_spool_disk_refuses_the_photo_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = RecommendService.from_settings(Settings(data_dir=tmp_path / "var"))
    disk = FullDisk(room=1000)
    monkeypatch.setattr(photostore, "os", disk)
    try:
        with pytest.raises(QueueUnavailable, match="No space left on device"):
            await submit(service, jpeg())
        assert disk.partial and not any(p.exists() for p in disk.partial)  # removed again
        assert leftovers(service.settings, service.queue) == []
        assert count(service.db, Request.id) == 0 and service.queue.pending() == 0
    finally:
        await service.aclose()


# -- the chat adapter: a full disk, a restart with jobs in flight ------------------------------


async def start_adapter(api: FakeBotApi, settings: Settings) -> Bot:
    service = RecommendService.from_settings(settings)
    app = build_application(settings, service)
    await app.initialize()
    await app.start()
    return Bot(api, app, service, settings)


async def stop_adapter(bot: Bot) -> None:
    """What `mri bot telegram` does on SIGTERM (run_polling's shutdown sequence)."""
    app = bot.app
    # Must not wait for answers no worker has computed yet (they are delivered after the
    # restart); a hang here would keep the bot from restarting for job_expire_seconds.
    await asyncio.wait_for(app.stop(), 30)
    if app.post_stop is not None:
        await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)


def error_handler_hits(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if ERROR_HANDLER in r.getMessage()]


async def test_a_full_spool_disk_gets_a_polite_reply_through_telegram(
    tmp_path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    api = FakeBotApi(TOKEN)
    settings = bot_settings(tmp_path, await api.start())
    bot = await start_adapter(api, settings)
    worker = Worker(settings, pipeline)
    try:
        with monkeypatch.context() as m:
            m.setattr(photostore, "os", FullDisk(room=1000))
            await bot.send(bot.photo(private(50), user(50), jpeg()))
            await bot.reply_with(text("err_busy", "ko"))  # the placeholder says so
        assert count(bot.service.db, Request.id) == 0
        assert leftovers(settings, bot.service.queue) == []
        await bot.send(bot.photo(private(50), user(50), jpeg()))  # space again: works again
        await worker.run()
        await bot.reply_with("melon.com")
        assert error_handler_hits(caplog) == []
    finally:
        worker.close()
        await stop_adapter(bot)
        await api.stop()


def replies_to(api: FakeBotApi, message_id: int, needle: str) -> int:
    """How many messages the bot sent (or edited) answering `message_id` that contain `needle`."""
    n = 0
    for call in api.sent("sendMessage", "editMessageText"):
        quoted = call.params.get("reply_parameters") or {}
        target = quoted.get("message_id") if isinstance(quoted, dict) else None
        target = target or call.params.get("reply_to_message_id")
        if needle in str(call.params.get("text", "")) and str(target) == str(message_id):
            n += 1
    return n


async def test_answers_owed_by_a_restarted_adapter_are_sent_exactly_once(
    tmp_path: Path, pipeline: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    api = FakeBotApi(TOKEN)
    settings = bot_settings(tmp_path, await api.start())
    first = await start_adapter(api, settings)
    worker = Worker(settings, pipeline)
    running = [first]
    try:
        photos_sent = []
        for i, source in enumerate(("coffee.png", "beach.jpg", "karwendel.jpg")):
            message = first.photo(private(40 + i), user(40 + i), jpeg(source))
            await first.send(message)
            photos_sent.append(message["message_id"])
        broken = first.photo(private(43), user(43), jpeg()[:3000])
        await first.send(broken)
        assert count(first.service.db, Request.id, Request.status == "queued") == 4
        await stop_adapter(running.pop())  # restarted before any answer was ready

        assert await worker.run() == 4  # the worker answers while no adapter runs
        assert count(worker.db, Request.id, Request.delivered_at.is_(None)) == 4
        assert not [c for c in api.sent("sendMessage", "editMessageText")
                    if "melon.com" in str(c.params.get("text"))]  # fmt: skip

        # Two adapters come up; their JobQueue sweeps race for the owed answers, and two more
        # sweeps by hand find nothing left.
        running += [await start_adapter(api, settings) for _ in range(2)]
        deadline = time.monotonic() + 60
        while count(worker.db, Request.id, Request.delivered_at.is_(None)) > 0:
            assert time.monotonic() < deadline, "owed answers were not delivered"
            await asyncio.sleep(0.1)
        sweeps = [a.app.bot_data["handlers"].flow.sweep for a in running]
        assert sum(await asyncio.gather(*(sweep() for sweep in sweeps))) == 0
        for message_id in photos_sent:
            assert replies_to(api, message_id, "melon.com") == 1
        apology = text("err_broken", "ko")
        assert replies_to(api, broken["message_id"], apology) == 1
        sent = [c for c in api.sent("sendMessage") if "melon.com" in str(c.params.get("text"))]
        assert len(sent) == 3  # none twice
        assert count(worker.db, Request.id, Request.delivered_at.is_(None)) == 0
        assert leftovers(settings, worker.queue) == []
        assert error_handler_hits(caplog) == []
    finally:
        worker.close()
        for adapter in running:
            await stop_adapter(adapter)
        await api.stop()
