"""A real `mri worker` subprocess: 50 concurrent photos, then SIGKILL mid-job and a restart.

Runs on the embedded default (SQLite queue + SQLite file) and on the scale-out path (Redis
queue + PostgreSQL) on this machine."""

from __future__ import annotations

import asyncio
import io
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from core.config import RESOURCES, Settings
from core.db.models import Request
from core.errors import JobTimeout
from core.service import RecommendService

pytestmark = pytest.mark.slow
MRI = str(Path(sys.executable).parent / "mri")


def photos(n: int, seed: int = 0) -> list[bytes]:
    """n different JPEGs cut from the demo photos."""
    rng = random.Random(seed)
    sources = [Image.open(p).convert("RGB") for p in sorted((RESOURCES / "demo").iterdir())]
    out = []
    for i in range(n):
        img = sources[i % len(sources)]
        w, h = img.size
        x, y = rng.randint(0, w // 4), rng.randint(0, h // 4)
        buf = io.BytesIO()
        img.crop((x, y, x + w * 3 // 4, y + h * 3 // 4)).save(buf, "JPEG", quality=85)
        out.append(buf.getvalue())
    return out


def worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRI_")}
    env.update(
        MRI_DATA_DIR=str(settings.data_dir),
        MRI_DATABASE_URL=settings.resolved_database_url,
        MRI_QUEUE_NAME=settings.queue_name,
        MRI_JOB_LEASE_SECONDS=str(settings.job_lease_seconds),
        MRI_LOG_LEVEL="INFO",
    )
    if settings.queue_url:
        env["MRI_QUEUE_URL"] = settings.queue_url
    return env


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [MRI, "worker", "--workers", "1"],
            env=worker_env(settings), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


async def running_job(service: RecommendService, timeout: float = 60) -> str:
    """Wait until the worker has claimed some job; return its id."""
    deadline = time.monotonic() + timeout

    def find() -> str | None:
        with service.db.reader() as s:
            return s.scalar(select(Request.job_id).where(Request.status == "running").limit(1))

    while time.monotonic() < deadline:
        job = await asyncio.to_thread(find)
        if job:
            return job
        await asyncio.sleep(0.003)
    raise AssertionError("the worker never started a job")


async def eventually(check: Callable[[], bool], timeout: float) -> bool:
    """Whether `check` becomes true within `timeout` seconds (polled)."""
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def deliver(service: RecommendService, job_id: str, sent: list[str]) -> None:
    """What an adapter does: wait (saying 'still working' on timeouts), then send once."""
    while True:
        try:
            await service.wait(job_id, timeout=5)
            break
        except JobTimeout:
            continue
    if await service.claim_delivery(job_id):
        sent.append(job_id)


async def test_fifty_photos_and_a_worker_killed_mid_job(
    backend_settings: Settings, tmp_path: Path
) -> None:
    settings = backend_settings
    service = RecommendService.from_settings(settings)
    log = tmp_path / "worker.log"
    worker = start_worker(settings, log)
    try:
        jobs = await asyncio.gather(*[
            service.submit_photo(platform="test", chat_id=f"c{i % 7}", chat_kind="private",
                                 user_id=f"u{i % 11}", photo=data)
            for i, data in enumerate(photos(50))
        ])  # fmt: skip
        victim = await running_job(service)
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its children, mid-job
        worker.wait(timeout=10)
        interrupted = (await service.result(victim)).status
        worker = start_worker(settings, log)
        sent: list[str] = []
        # two "adapter" deliverers race for every job: the reply must still go out once
        await asyncio.wait_for(
            asyncio.gather(*[deliver(service, j, sent) for j in jobs for _ in range(2)]), 180
        )
        assert sorted(sent) == sorted(jobs)  # every photo answered, none twice
        results = [await service.result(j) for j in jobs]
        assert all(r.status == "done" and len(r.items) == 10 for r in results)
        with service.db.reader() as s:
            attempts = s.scalar(select(Request.attempts).where(Request.job_id == victim))
        assert interrupted == "running" and attempts == 2  # killed mid-job, then run again
        # no orphan photo (the worker deletes a photo just after announcing its job's end)
        assert await eventually(lambda: service.queue.photos.job_ids() == [], timeout=30)
        status = await service.stats()
        assert status.stats.done_last_hour == 50 and status.stats.workers_alive >= 1
    finally:
        worker.send_signal(signal.SIGTERM)  # graceful stop
        code = worker.wait(timeout=60)
        await service.aclose()
    assert code == 0, log.read_text(errors="replace")[-3000:]
