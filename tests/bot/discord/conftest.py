"""A fake Discord on 127.0.0.1, a real RecommendService whose jobs a background task runs
in-process (real queue, database, pipeline and JobRunner), and a logged-in `MriBot`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import discord
import pytest
import pytest_asyncio

from bot.discord.client import MriBot
from core.config import Settings
from core.db.database import Database
from core.pipeline import Pipeline
from core.service import RecommendService
from core.worker import JobRunner
from tests.bot.discord.fake_discord import TOKEN, FakeDiscord
from tests.bot.discord.payloads import gateway, guild_create


async def eventually(read: Callable[[], Awaitable[object]], expected: object) -> None:
    """Poll `read` until it returns `expected` (the bot handles events in its own tasks)."""
    deadline = asyncio.get_running_loop().time() + 30.0
    while (value := await read()) != expected:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still {value!r}, expected {expected!r}")
        await asyncio.sleep(0.01)


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    return Pipeline.from_settings(Settings())


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "settings(**fields): Settings fields for this test")


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The embedded default (SQLite queue and database) in a fresh folder; a test may change
    fields with @pytest.mark.settings(...)."""
    marker = request.node.get_closest_marker("settings")
    fields = {
        "job_wait_seconds": 10.0,
        "job_lease_seconds": 3.0,
        # No placeholder unless a test asks for one (0) or the answer is really slow: what
        # the bot sends does not depend on how busy the machine running the tests is.
        "placeholder_after_seconds": 30.0,
        **(marker.kwargs if marker else {}),
    }
    return Settings(data_dir=tmp_path / "var", **fields)


@dataclass
class Jobs:
    """Runs queued jobs in-process every 20 ms, as a worker would; `paused` plays a slow one."""

    service: RecommendService
    runner: JobRunner
    paused: bool = False
    ran: int = 0
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def drain(self) -> int:
        huey, n = self.service.queue.huey, 0
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
            n += 1
        return n

    async def _loop(self) -> None:
        while True:
            if not self.paused:
                self.ran += await asyncio.to_thread(self.drain)
            await asyncio.sleep(0.02)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="test-jobs")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@contextlib.asynccontextmanager
async def running_jobs(settings: Settings, pipeline: Pipeline) -> AsyncIterator[Jobs]:
    service = RecommendService.from_settings(settings)
    runner = JobRunner(settings, Database(settings.resolved_database_url), service.queue, pipeline)
    service.queue.set_handler(runner.run)
    jobs = Jobs(service, runner)
    jobs.start()
    try:
        yield jobs
    finally:
        await jobs.stop()
        runner.db.dispose()
        await service.aclose()


@pytest_asyncio.fixture
async def jobs(settings: Settings, pipeline: Pipeline) -> AsyncIterator[Jobs]:
    async with running_jobs(settings, pipeline) as running:
        yield running


@pytest.fixture
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Errors that discord.py only logs (a failing button callback) fail the test."""
    caplog.set_level(logging.INFO)
    yield caplog
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


@pytest_asyncio.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    url = await server.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{url}/api/v10")
    yield server
    await server.close()


HANDLER_TASKS = ("discord.py: ", "CommandTree-invoker", "deliver-")


async def quiet(prefixes: tuple[str, ...] = HANDLER_TASKS, timeout: float = 30.0) -> None:
    """Wait until the event handlers discord.py started (and the replies waited for) are done,
    so that a test ends with nothing half-sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while busy := [
        t
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task() and t.get_name().startswith(prefixes)
    ]:
        if loop.time() > deadline:
            return  # the test reports what went wrong; do not hang here
        await asyncio.wait(busy, timeout=deadline - loop.time())


@contextlib.asynccontextmanager
async def logged_in(settings: Settings, service: RecommendService) -> AsyncIterator[MriBot]:
    """An MriBot after `login` (REST only: /users/@me, the app, setup_hook, command sync) that
    has seen its guild's GUILD_CREATE; events are then fed with `payloads.gateway`."""
    bot = MriBot(settings, service)
    try:
        await bot.login(TOKEN)
        gateway(bot, "GUILD_CREATE", guild_create())
        yield bot
        await quiet()
    finally:
        await bot.close()


@pytest_asyncio.fixture
async def bot(
    settings: Settings, jobs: Jobs, fake: FakeDiscord, no_errors_logged: pytest.LogCaptureFixture
) -> AsyncIterator[MriBot]:
    async with logged_in(settings, jobs.service) as client:
        yield client
