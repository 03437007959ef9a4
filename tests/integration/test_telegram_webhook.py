"""Webhook mode against the real python-telegram-bot webhook server, in a `mri bot telegram`
process on 127.0.0.1: the public URL's path is served, every update must carry the secret
Telegram was given, and a forged one is refused and changes nothing."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from core.db.database import Database
from tests.bot.telegram.conftest import TOKEN, private, user
from tests.bot.telegram.fakeapi import FakeBotApi
from tests.integration.test_startup import closed_port

pytestmark = pytest.mark.slow
MRI = str(Path(sys.executable).parent / "mri")
PUBLIC = "https://bot.example.com/telegram"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def update(update_id: int, command: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id, "date": 1764000000, "chat": private(41),
            "from": user(41), "text": command,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command.split()[0])}],
        },
    }  # fmt: skip


async def post(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], secret: str | None
) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[HEADER] = secret
    answer = await client.post(url, content=json.dumps(body), headers=headers)
    return answer.status_code


async def until_listening(client: httpx.AsyncClient, base: str, bot: subprocess.Popen[bytes],
                          log: Path) -> None:  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        assert bot.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            await client.get(f"{base}/")
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the webhook server never listened"
            await asyncio.sleep(0.1)


async def test_the_webhook_serves_its_path_and_refuses_forged_updates(tmp_path: Path) -> None:
    api = FakeBotApi(TOKEN)
    root = await api.start()
    port, secret = closed_port(), secrets.token_urlsafe(32)
    data_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRI_")}
    env |= {
        "MRI_TELEGRAM_TOKEN": TOKEN, "MRI_TELEGRAM_API_URL": root, "MRI_DATA_DIR": str(data_dir),
        "MRI_TELEGRAM_WEBHOOK_URL": PUBLIC, "MRI_TELEGRAM_WEBHOOK_SECRET": secret,
        "MRI_TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1", "MRI_TELEGRAM_WEBHOOK_PORT": str(port),
        "MRI_LOG_LEVEL": "DEBUG",
    }  # fmt: skip
    log = tmp_path / "bot.log"
    with open(log, "ab") as out:
        bot = subprocess.Popen(
            [MRI, "bot", "telegram"], cwd=tmp_path, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        hook = await api.wait_for(lambda c: c.method == "setWebhook", timeout=120)
        assert hook.params["url"] == PUBLIC and hook.params["secret_token"] == secret
        async with httpx.AsyncClient(timeout=30) as client:
            await until_listening(client, base, bot, log)
            forged = update(1, "/lang en")
            assert await post(client, f"{base}/telegram", forged, None) == 403
            assert await post(client, f"{base}/telegram", forged, "wrong-" + secret) == 403
            assert await post(client, f"{base}/", forged, secret) == 404  # only /telegram
            assert await post(client, f"{base}/telegram", update(2, "/start"), secret) == 200
        reply = await api.wait_for(lambda c: c.method == "sendMessage", timeout=60)
        assert reply.params["chat_id"] in (41, "41")
    finally:
        bot.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(bot.wait, 60)
        await api.stop()
    output = log.read_text(errors="replace")
    assert code == 0, output[-3000:]
    assert len(api.sent("sendMessage")) == 1  # the /start answer; /lang was never processed
    db = Database(f"sqlite:///{data_dir / 'mri.db'}")
    try:
        with db.reader() as s:
            languages = s.execute(text("SELECT language FROM users")).scalars().all()
    finally:
        db.dispose()
    assert "en" not in languages
    assert secret not in output and TOKEN.split(":")[1] not in output


def test_webhook_mode_without_a_secret_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRI_")}
    env |= {"MRI_TELEGRAM_TOKEN": TOKEN, "MRI_TELEGRAM_WEBHOOK_URL": PUBLIC,
            "MRI_DATA_DIR": str(tmp_path / "var")}  # fmt: skip
    done = subprocess.run(
        [MRI, "bot", "telegram"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-3000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: webhook mode (MRI_TELEGRAM_WEBHOOK_URL) needs ")
    assert "MRI_TELEGRAM_WEBHOOK_SECRET" in last and "Traceback" not in done.stderr
    assert not (tmp_path / "var").exists()
