"""The Discord bot with `mri worker` as a separate process: a DM photo goes through the real
queue to the worker and back as the reply embed; a vote on it is stored; SIGTERM stops the
worker cleanly. The bot runs in-process, fed gateway payloads, talking to the fake Discord."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from bot.formatting import parse_vote
from core.config import RESOURCES, Settings
from core.service import RecommendService
from tests.bot.discord.conftest import eventually, logged_in
from tests.bot.discord.fake_discord import FakeDiscord
from tests.bot.discord.payloads import ALICE, buttons, dm_channel_of, gateway, message, press
from tests.integration.test_worker_process import start_worker

pytestmark = pytest.mark.slow


async def test_a_dm_photo_through_the_worker_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDiscord()
    # (discord is imported by name here: tests.bot.discord quiets its audioop warning first)
    monkeypatch.setattr("discord.http.Route.BASE", f"{await fake.start()}/api/v10")
    settings = Settings(data_dir=tmp_path / "var", job_wait_seconds=5.0, job_lease_seconds=3.0)
    service = RecommendService.from_settings(settings)  # migrates before the worker starts
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        async with logged_in(settings, service) as bot:
            dm = dm_channel_of(ALICE)
            att = fake.attachment("beach.jpg", (RESOURCES / "demo/beach.jpg").read_bytes(), None)
            photo = message(ALICE, channel_id=dm, guild=False, attachments=[att])
            gateway(bot, "MESSAGE_CREATE", photo)
            reply = await fake.until(lambda: fake.with_embed(dm), timeout=180)
            tags = reply["embeds"][0]["description"].splitlines()[0]
            assert "#바다" in tags or "#여름" in tags
            up = buttons(reply)[0]["custom_id"]
            gateway(bot, "INTERACTION_CREATE", press(fake, ALICE, reply, up, guild=False))
            vote = parse_vote(up)
            assert vote is not None
            await eventually(
                lambda: service.current_vote(
                    platform="discord", user_id=ALICE["id"], item_id=vote[0]
                ),
                1,
            )
    finally:
        worker.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(worker.wait, 60)
        await service.aclose()
        await fake.close()
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert code == 0, log[-3000:]
