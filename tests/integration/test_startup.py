"""Start-up as someone deploying MRI meets it, with real processes on 127.0.0.1: servers that
are not up yet are waited for (one line per try, naming them), a token Telegram rejects is one
sentence and is printed nowhere, even with DEBUG logging."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web

from tests.bot.telegram.conftest import TOKEN
from tests.bot.telegram.fakeapi import FakeBotApi

pytestmark = pytest.mark.slow
MRI = str(Path(sys.executable).parent / "mri")
SECRET_PARTS = [TOKEN, TOKEN.split(":")[1]]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRI_")}
    return {**env, "MRI_DATA_DIR": str(tmp_path / "var"), **settings}


def mri(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MRI, *args], cwd=tmp_path, env=env_for(tmp_path, **settings), capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip


def assert_waited_then_gave_up(done: subprocess.CompletedProcess[str], what: str) -> None:
    output = done.stdout + done.stderr
    assert done.returncode == 2, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    retries = [line for line in output.splitlines() if f"{what} is unreachable" in line]
    assert len(retries) >= 2 and "retrying in 1 s" in retries[0], output[-3000:]
    final = done.stderr.strip().splitlines()[-1]
    assert final.startswith(f"Error: {what} is unreachable") and "gave up after" in final


def test_the_worker_waits_for_postgresql_then_says_it_gave_up(tmp_path: Path) -> None:
    port = closed_port()
    url = f"postgresql+psycopg://mri:pw-never-shown@127.0.0.1:{port}/mri"
    done = mri(tmp_path, "worker", MRI_DATABASE_URL=url, MRI_STARTUP_TIMEOUT_SECONDS="2.5")
    assert_waited_then_gave_up(done, f"PostgreSQL at 127.0.0.1:{port}/mri")
    assert "pw-never-shown" not in done.stdout + done.stderr


async def test_the_telegram_bot_waits_for_redis(tmp_path: Path) -> None:
    api = FakeBotApi(TOKEN)
    root = await api.start()
    port = closed_port()
    try:
        done = await asyncio.to_thread(
            mri, tmp_path, "bot", "telegram", MRI_TELEGRAM_TOKEN=TOKEN,
            MRI_TELEGRAM_API_URL=root, MRI_QUEUE_URL=f"redis://127.0.0.1:{port}/0",
            MRI_STARTUP_TIMEOUT_SECONDS="2.5",
        )  # fmt: skip
    finally:
        await api.stop()
    assert_waited_then_gave_up(done, f"Redis at 127.0.0.1:{port}")


async def test_the_telegram_bot_waits_for_telegram_and_starts_when_it_is_up(
    tmp_path: Path,
) -> None:
    port = closed_port()
    log = tmp_path / "bot.log"
    settings = {
        "MRI_TELEGRAM_TOKEN": TOKEN,
        "MRI_TELEGRAM_API_URL": f"http://127.0.0.1:{port}",
        "MRI_LOG_LEVEL": "DEBUG",
    }
    with open(log, "ab") as out:
        bot = subprocess.Popen(
            [MRI, "bot", "telegram"], cwd=tmp_path, env=env_for(tmp_path, **settings),
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    api = FakeBotApi(TOKEN)
    try:
        deadline = time.monotonic() + 120
        while "is unreachable" not in log.read_text(errors="replace"):  # Telegram is down
            assert bot.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            await asyncio.sleep(0.05)
        await api.start(port)  # ... and comes up
        await api.wait_for(lambda c: c.method == "setMyCommands", timeout=120)
        await api.wait_for(lambda c: c.method == "getUpdates", timeout=60)
    finally:
        bot.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(bot.wait, 60)
        await api.stop()
    text = log.read_text(errors="replace")
    assert code == 0, text[-3000:]
    line = next(x for x in text.splitlines() if "is unreachable" in x)
    assert f"the Telegram Bot API at 127.0.0.1:{port} is unreachable" in line
    assert "retrying in" in line and "Traceback" not in text
    assert not [part for part in SECRET_PARTS if part in text]


async def always_401(request: web.Request) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
    )


async def test_a_token_telegram_rejects_is_one_sentence_and_printed_nowhere(
    tmp_path: Path,
) -> None:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", always_401)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        done = await asyncio.to_thread(
            mri, tmp_path, "bot", "telegram", MRI_TELEGRAM_TOKEN=TOKEN,
            MRI_TELEGRAM_API_URL=f"http://127.0.0.1:{port}", MRI_LOG_LEVEL="DEBUG",
        )  # fmt: skip
    finally:
        await runner.cleanup()
    output = done.stdout + done.stderr
    assert done.returncode == 2, output[-3000:]
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("Error: Telegram rejected MRI_TELEGRAM_TOKEN (401 Unauthorized)")
    )
    assert "Traceback" not in output
    assert not [part for part in SECRET_PARTS if part in output], output[-3000:]
    assert not (tmp_path / "var").exists()  # refused before touching the database
