"""A real python-telegram-bot Application talking HTTP to a fake Bot API on 127.0.0.1, a real
RecommendService (SQLite queue and database in tmp) and jobs run by the real JobRunner."""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PIL import Image
from telegram import Update
from telegram.ext import Application

from bot.telegram.app import build_application
from core.config import RESOURCES, Settings
from core.db.database import Database
from core.pipeline import Pipeline
from core.service import RecommendService
from core.worker import JobRunner
from tests.bot.telegram.fakeapi import BOT_USER, FakeBotApi

TOKEN = "123456:TEST-token-never-logged"
GROUP = {"id": -100777, "type": "group", "title": "우리 방"}


def user(uid: int, name: str = "민지") -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": name}


def private(uid: int) -> dict[str, Any]:
    return {"id": uid, "type": "private", "first_name": "민지"}


def jpeg(source: str = "coffee.png", size: tuple[int, int] = (480, 320)) -> bytes:
    buf = io.BytesIO()
    Image.open(RESOURCES / "demo" / source).convert("RGB").resize(size).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    return Pipeline.from_settings(Settings())


@dataclass
class Bot:
    api: FakeBotApi
    app: Application  # type: ignore[type-arg]
    service: RecommendService
    settings: Settings
    worker_started: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _updates: itertools.count[int] = field(default_factory=lambda: itertools.count(100))

    def message(
        self, chat: dict[str, Any], sender: dict[str, Any], **content: Any
    ) -> dict[str, Any]:
        self.api.chats[chat["id"]] = chat
        return {
            "message_id": next(self._ids),
            "date": 1764000000,
            "chat": chat,
            "from": sender,
            **content,
        }

    def photo(
        self, chat: dict[str, Any], sender: dict[str, Any], data: bytes, **extra: Any
    ) -> dict[str, Any]:
        file_id = f"photo{next(self._ids)}"
        self.api.files[file_id] = data
        sizes = [
            {
                "file_id": f"{file_id}s",
                "file_unique_id": "s",
                "width": 90,
                "height": 60,
                "file_size": 900,
            },
            {
                "file_id": file_id,
                "file_unique_id": file_id,
                "width": 480,
                "height": 320,
                "file_size": len(data),
            },
        ]
        return self.message(chat, sender, photo=sizes, **extra)

    def document(
        self, chat: dict[str, Any], sender: dict[str, Any], data: bytes, mime: str, name: str
    ) -> dict[str, Any]:
        file_id = f"doc{next(self._ids)}"
        self.api.files[file_id] = data
        doc = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": name,
            "mime_type": mime,
            "file_size": len(data),
        }
        return self.message(chat, sender, document=doc)

    def command(self, chat: dict[str, Any], sender: dict[str, Any], line: str) -> dict[str, Any]:
        length = len(line.split()[0])
        return self.message(
            chat,
            sender,
            text=line,
            entities=[{"type": "bot_command", "offset": 0, "length": length}],
        )

    async def send(self, message: dict[str, Any]) -> None:
        await self.app.process_update(
            Update.de_json({"update_id": next(self._updates), "message": message}, self.app.bot)
        )

    async def tap(self, sender: dict[str, Any], bot_message: dict[str, Any], data: str) -> None:
        query = {"id": f"cb{next(self._ids)}", "from": sender, "chat_instance": "ci", "data": data,
                 "message": bot_message}  # fmt: skip
        await self.app.process_update(
            Update.de_json(
                {"update_id": next(self._updates), "callback_query": query}, self.app.bot
            )
        )

    async def reply_with(self, needle: str, timeout: float = 60.0) -> dict[str, Any]:
        """The params of the first sendMessage/editMessageText whose text contains `needle`."""
        call = await self.api.wait_for(
            lambda c: (
                c.method in ("sendMessage", "editMessageText")
                and needle in str(c.params.get("text", ""))
            ),
            timeout,
        )
        return call.params

    def bot_message(self, params: dict[str, Any]) -> dict[str, Any]:
        """The Message the bot sent/edited (for callback queries on it)."""
        chat = self.api.chats.get(int(params["chat_id"]), private(int(params["chat_id"])))
        return {"message_id": int(params.get("message_id") or 1), "date": 1764000000, "chat": chat,
                "from": BOT_USER, "text": params.get("text", "")}  # fmt: skip


async def drain_forever(service: RecommendService) -> None:
    """Runs queued jobs as a worker would, every 20 ms."""
    huey = service.queue.huey

    def drain() -> None:
        while (task := huey.dequeue()) is not None:
            huey.execute(task)

    while True:
        await asyncio.to_thread(drain)
        await asyncio.sleep(0.02)


def bot_settings(tmp_path: Path, root: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "telegram_token": TOKEN,
        "telegram_api_url": root,
        "job_wait_seconds": 30.0,
        "user_requests_per_minute": 50,
        "delivery_sweep_seconds": 0.5,
        # No placeholder unless a test asks for one (0) or the answer is really slow: what
        # the bot sends does not depend on how busy the machine running the tests is.
        "placeholder_after_seconds": 30.0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest_asyncio.fixture
async def tg(
    request: pytest.FixtureRequest, tmp_path: Path, pipeline: Pipeline
) -> AsyncIterator[Bot]:
    api = FakeBotApi(TOKEN)
    root = await api.start()
    overrides = dict(getattr(request, "param", {}))
    worker_running = overrides.pop("worker", True)
    settings = bot_settings(tmp_path, root, **overrides)
    service = RecommendService.from_settings(settings)
    runner = JobRunner(settings, Database(settings.resolved_database_url), service.queue, pipeline)
    service.queue.set_handler(runner.run)
    app = build_application(settings, service)
    await app.initialize()
    await app.start()
    bot = Bot(api, app, service, settings)
    worker = asyncio.create_task(
        drain_forever(service) if worker_running else bot.worker_started.wait()
    )
    try:
        yield bot
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        await app.bot_data["handlers"].close()
        await app.stop()
        await app.shutdown()
        runner.db.dispose()
        await service.aclose()
        await api.stop()
