"""Jobs per second through the queue with 1 and 2 worker processes, on the SQLite queue +
SQLite database and on Redis + PostgreSQL; and the queue's overhead per job against a direct
in-process call (goal: p95 overhead <= 20 ms).

Overhead = time from `submit_photo` to `wait` returning, minus the worker's own processing
time for that job (stored as latency_ms), one job at a time.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from PIL import Image
from sqlalchemy import create_engine, text
from sqlalchemy import select as sql_select

from benchmarks.common import percentiles, table, write_result
from core.config import RESOURCES, Settings
from core.db.models import Request
from core.pipeline import Pipeline
from core.service import RecommendService

MRI = str(Path(sys.executable).parent / "mri")
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


def _photos(n: int) -> list[bytes]:
    base = Image.open(RESOURCES / "demo/coffee.png").convert("RGB")
    out = []
    for i in range(n):
        buf = io.BytesIO()
        base.crop((i % 20, 0, base.width - 20 + i % 20, base.height)).save(buf, "JPEG", quality=85)
        out.append(buf.getvalue())
    return out


def _start(settings: Settings, workers: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRI_")}
    env.update(
        MRI_DATA_DIR=str(settings.data_dir),
        MRI_DATABASE_URL=settings.resolved_database_url,
        MRI_QUEUE_NAME=settings.queue_name,
        MRI_LOG_LEVEL="WARNING",
    )
    if settings.queue_url:
        env["MRI_QUEUE_URL"] = settings.queue_url
    return subprocess.Popen(
        [MRI, "worker", "--workers", str(workers)], env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def _run(settings: Settings, workers: int, blobs: list[bytes]) -> tuple[float, list[float]]:
    service = RecommendService.from_settings(settings)
    worker = _start(settings, workers)
    try:
        warm = await service.submit_photo(
            platform="b", chat_id="c", chat_kind="private", user_id="u", photo=blobs[0]
        )
        await service.wait(warm, timeout=120)  # workers are up and warm
        await asyncio.sleep(1.0)
        started = time.perf_counter()
        who = {"platform": "b", "chat_id": "c", "chat_kind": "private", "user_id": "u"}
        jobs = await asyncio.gather(*[service.submit_photo(**who, photo=b) for b in blobs])
        await asyncio.gather(*[service.wait(j, timeout=300) for j in jobs])
        rate = len(blobs) / (time.perf_counter() - started)
        overheads = []
        for b in blobs[:30]:
            t0 = time.perf_counter()
            job = await service.submit_photo(
                platform="b", chat_id="c", chat_kind="private", user_id="u", photo=b
            )
            await service.wait(job, timeout=60)
            total = 1000 * (time.perf_counter() - t0)
            with service.db.reader() as s:
                work = s.scalar(sql_select(Request.latency_ms).where(Request.job_id == job)) or 0
            overheads.append(total - work)
        return rate, overheads
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        await service.aclose()


def _direct(blobs: list[bytes]) -> list[float]:
    pipe = Pipeline.from_settings(Settings())
    pipe.recommend_photo_bytes(blobs[0])
    times = []
    for b in blobs[:30]:
        t0 = time.perf_counter()
        pipe.recommend_photo_bytes(b)
        times.append(1000 * (time.perf_counter() - t0))
    return times


def main() -> None:
    blobs = _photos(60)
    rows, overhead_rows = [], []
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("sqlite", "redis+postgres"):
            for workers in (1, 2):
                name = f"bench-{uuid.uuid4().hex[:8]}"
                extra: dict[str, object] = {}
                if backend != "sqlite":
                    with admin.connect() as conn:
                        conn.execute(text(f'CREATE DATABASE "{name}"'))
                    extra = {
                        "queue_url": "redis://127.0.0.1:6379/0",
                        "database_url": f"{POSTGRES}/{name}",
                    }
                settings = Settings(data_dir=Path(tmp) / name, queue_name=name, **extra)
                rate, overheads = asyncio.run(_run(settings, workers, blobs))
                if backend != "sqlite":
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                s = percentiles(overheads)
                rows.append([backend, workers, f"{rate:.1f}"])
                overhead_rows.append([backend, workers, s["p50"], s["p95"], s["max"]])
    direct = percentiles(_direct(blobs))
    body = (
        "60 photos (640x427 JPEG crops) submitted at once to `mri worker --workers N` (each "
        "worker process gets cores // N model threads); then 30 submitted one at a time.\n\n"
        "Throughput:\n\n"
        + table(["queue + database", "workers", "jobs/s"], rows)
        + "\n\nQueue overhead per job (end-to-end minus the worker's processing time), ms:\n\n"
        + table(["queue + database", "workers", "p50", "p95", "max"], overhead_rows)
        + f"\n\nDirect in-process call for comparison: p50 {direct['p50']:.1f} ms, "
        f"p95 {direct['p95']:.1f} ms."
    )
    write_result("bench_queue", "Queue throughput and overhead", body)


if __name__ == "__main__":
    main()
