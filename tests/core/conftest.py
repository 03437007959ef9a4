"""Fixtures for core tests: tiny transformers models built once per session (taggers), and a
RecommendService with an in-process job runner on either backend (service, albums)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from core.config import Settings
from core.db.database import Database
from core.pipeline import Pipeline
from core.service import RecommendService
from core.worker import JobRunner
from tests.models import TinyModels, forbid_network, tiny_models


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    return tiny_models(tmp_path_factory)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_network(monkeypatch)


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline.from_settings(Settings())


@dataclass
class Env:
    service: RecommendService
    runner: JobRunner

    def drain(self) -> int:
        """Run every queued job now, as a worker would; returns how many ran."""
        huey, n = self.service.queue.huey, 0
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
            n += 1
        return n

    async def run(self) -> int:
        return await asyncio.to_thread(self.drain)


@pytest_asyncio.fixture
async def env(backend_settings: Settings, pipeline: Pipeline) -> AsyncIterator[Env]:
    service = RecommendService.from_settings(backend_settings)
    runner = JobRunner(
        backend_settings, Database(backend_settings.resolved_database_url), service.queue, pipeline
    )
    service.queue.set_handler(runner.run)
    yield Env(service, runner)
    runner.db.dispose()
    await service.aclose()
