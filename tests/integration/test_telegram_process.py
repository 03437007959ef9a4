"""`mri bot telegram` and `mri worker` as real processes, against the fake Bot API.

The bot reads its token and server from a `.env` in its working directory, long-polls getUpdates,
downloads the photo, queues it; the worker answers; the bot sends the reply (or edits its
placeholder into it, when the answer took more than a second).
A vote on the reply is stored. SIGTERM stops both cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import Settings
from core.service import RecommendService
from tests.bot.telegram.conftest import TOKEN, jpeg, private, user
from tests.bot.telegram.fakeapi import BOT_USER, FakeBotApi
from tests.integration.test_worker_process import start_worker

pytestmark = pytest.mark.slow
MRI = str(Path(sys.executable).parent / "mri")


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MRI_")}


async def test_a_photo_through_the_bot_and_worker_processes(tmp_path: Path) -> None:
    api = FakeBotApi(TOKEN)
    root = await api.start()
    data_dir = tmp_path / "var"
    (tmp_path / ".env").write_text(
        f"MRI_TELEGRAM_TOKEN={TOKEN}\nMRI_TELEGRAM_API_URL={root}\nMRI_DATA_DIR={data_dir}\n"
        "MRI_LOG_LEVEL=DEBUG\n",
        encoding="utf-8",
    )
    settings = Settings(data_dir=data_dir)
    log = tmp_path / "bot.log"
    worker = start_worker(settings, tmp_path / "worker.log")
    with open(log, "ab") as out:
        bot = subprocess.Popen(
            [MRI, "bot", "telegram"], cwd=tmp_path, env=clean_env(), stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    service: RecommendService | None = None
    try:
        alice = user(31, "지우")
        api.files["p1"] = jpeg("beach.jpg")
        sizes = [{"file_id": "p1", "file_unique_id": "p1", "width": 480, "height": 320}]
        api.push({"message": {"message_id": 1, "date": 1764000000, "chat": private(31),
                              "from": alice, "photo": sizes}})  # fmt: skip
        call = await api.wait_for(
            lambda c: (
                c.method in ("sendMessage", "editMessageText")
                and "melon.com" in str(c.params.get("text"))
            ),
            timeout=180,
        )
        assert "#바다" in call.params["text"] or "#여름" in call.params["text"]
        up = call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        message = {"message_id": call.result["message_id"], "date": 1764000000,
                   "chat": private(31), "from": BOT_USER, "text": "…"}  # fmt: skip
        api.push({"callback_query": {"id": "q1", "from": alice, "chat_instance": "ci",
                                     "data": up, "message": message}})  # fmt: skip
        answer = await api.wait_for(lambda c: c.method == "answerCallbackQuery", timeout=60)
        assert answer.params["text"] == "👍 좋아요를 남겼어요"
        service = RecommendService.from_settings(settings)
        vote = await service.current_vote(
            platform="telegram", user_id="31", item_id=int(up.split(":")[1])
        )
        assert vote == 1
        assert api.sent("setMyCommands")  # the command menu was registered at start
    finally:
        for process in (bot, worker):
            process.send_signal(signal.SIGTERM)
        codes = [await asyncio.to_thread(p.wait, 60) for p in (bot, worker)]
        if service is not None:
            await service.aclose()
        await api.stop()
    text = log.read_text(errors="replace")
    assert codes == [0, 0], text[-3000:]
    assert TOKEN.split(":")[1] not in text  # DEBUG logging on, still no token


def test_without_a_token_the_bot_refuses_to_start(tmp_path: Path) -> None:
    done = subprocess.run(
        [MRI, "bot", "telegram"], cwd=tmp_path, env={**clean_env(), "MRI_DATA_DIR": str(tmp_path)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "MRI_TELEGRAM_TOKEN is not set" in done.stderr and "@BotFather" in done.stderr
    assert not list(tmp_path.glob("*.db"))  # failed before touching the database
