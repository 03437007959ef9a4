"""`mri bot discord` and `mri worker` as real processes, against a fake Discord on 127.0.0.1: its
REST API (MRI_DISCORD_API_URL), its CDN and its websocket gateway (MRI_DISCORD_GATEWAY_URL).

HELLO → IDENTIFY (with the intents README lists) → READY → MESSAGE_CREATE with an image → a
reply with Melon links → a button vote stored → the gateway drops the connection → RESUME, and
the bot answers on. SIGTERM stops both cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.formatting import parse_vote
from core.config import RESOURCES, Settings
from core.service import RecommendService
from tests.bot.discord.conftest import eventually
from tests.bot.discord.fake_discord import APP_ID, BOT_USER, TOKEN, FakeDiscord
from tests.bot.discord.payloads import (
    ALICE,
    GUILD_ID,
    buttons,
    dm_channel_of,
    guild_create,
    message,
    press,
)
from tests.integration.test_worker_process import MRI, start_worker

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
MELON = re.compile(r"\]\((https://www\.melon\.com/[^)]+)\)")

# How README names the intents (section Discord bot) -> discord.py's flags
README_INTENTS = {
    "Guilds": ("guilds",),
    "Guild Messages": ("guild_messages",),
    "Direct Messages": ("dm_messages",),
    "Guild and DM Reactions": ("guild_reactions", "dm_reactions"),
    "Message Content": ("message_content",),
}


def readme_intents() -> int:
    """The intents README lists, as the bit field IDENTIFY carries."""
    import discord  # after tests.bot.discord, which quiets discord.py's audioop warning

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"^Intents: ([^.]+)\.", readme, re.MULTILINE)
    assert listed is not None, "README lists no intents"
    wanted = discord.Intents.none()
    for name in (n.strip() for n in listed[1].split(",")):
        for flag in README_INTENTS[name]:
            setattr(wanted, flag, True)
    return wanted.value


def ready() -> dict[str, object]:
    return {
        "v": 10, "user": BOT_USER, "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
        "application": {"id": str(APP_ID), "flags": 1 << 19}, "private_channels": [],
        "relationships": [], "session_type": "normal",
    }  # fmt: skip


async def discord_servers() -> FakeDiscord:
    fake = FakeDiscord()
    await fake.start()
    fake.gateway.ready_data = ready()
    fake.gateway.guilds = [guild_create()]
    return fake


def bot_env(fake: FakeDiscord, settings: Settings, **extra: str) -> dict[str, str]:
    """What an operator puts into .env, as the environment of `mri bot discord`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRI_")}
    env.update(
        MRI_DISCORD_TOKEN=TOKEN, MRI_DISCORD_API_URL=f"{fake.url}/api/v10",
        MRI_DISCORD_GATEWAY_URL=fake.gateway.url, MRI_DATA_DIR=str(settings.data_dir),
        MRI_DATABASE_URL=settings.resolved_database_url, MRI_QUEUE_NAME=settings.queue_name,
        MRI_LOG_LEVEL="DEBUG", **extra,
    )  # fmt: skip
    if settings.queue_url:
        env["MRI_QUEUE_URL"] = settings.queue_url
    return env


def start_bot(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [MRI, "bot", "discord"], env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


@contextlib.asynccontextmanager
async def stopped_at_the_end(
    process: subprocess.Popen[bytes], codes: list[int]
) -> AsyncIterator[None]:
    """SIGTERM at the end, waited for without blocking the loop: the fakes must go on answering
    while the process shuts down."""
    try:
        yield
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        codes.append(await asyncio.to_thread(process.wait, 60))


async def test_a_dm_photo_through_the_bot_and_worker_processes_over_a_gateway(
    tmp_path: Path,
) -> None:
    fake = await discord_servers()
    settings = Settings(data_dir=tmp_path / "var", job_lease_seconds=3.0)
    service = RecommendService.from_settings(settings)  # migrates before the processes start
    codes: list[int] = []
    bot_log = tmp_path / "bot.log"
    try:
        worker = start_worker(settings, tmp_path / "worker.log")
        bot = start_bot(bot_env(fake, settings), bot_log)
        async with stopped_at_the_end(worker, codes), stopped_at_the_end(bot, codes):
            await fake.gateway.connected(identifies=1)
            identify = fake.gateway.identifies[0]
            assert identify["token"] == TOKEN and identify["intents"] == readme_intents()

            dm = dm_channel_of(ALICE)
            att = fake.attachment("beach.jpg", (RESOURCES / "demo/beach.jpg").read_bytes(), None)
            photo = message(ALICE, channel_id=dm, guild=False, attachments=[att])
            await fake.gateway.dispatch("MESSAGE_CREATE", photo)
            reply = await fake.until(lambda: fake.with_embed(dm), timeout=180)
            description = reply["embeds"][0]["description"]
            assert len(MELON.findall(description)) == 10
            assert "#바다" in description.splitlines()[0] or "#여름" in description.splitlines()[0]
            assert reply["message_reference"]["message_id"] == photo["id"]

            up = buttons(reply)[0]["custom_id"]
            vote = parse_vote(up)
            assert vote is not None
            await fake.gateway.dispatch(
                "INTERACTION_CREATE", press(fake, ALICE, reply, up, guild=False)
            )

            async def alice_vote() -> int:
                return await service.current_vote(
                    platform="discord", user_id=ALICE["id"], item_id=vote[0]
                )

            await eventually(alice_vote, 1)

            await fake.gateway.drop()  # Discord closes the connection now and then
            await fake.gateway.connected(identifies=1, resumes=1)
            resumed = fake.gateway.resumes[0]
            assert resumed["session_id"] == "session-1" and resumed["token"] == TOKEN
            assert resumed["seq"] >= 3  # READY, GUILD_CREATE, MESSAGE_CREATE, INTERACTION…
            again = message(ALICE, channel_id=dm, guild=False, content="비 오는 날 카페")
            await fake.gateway.dispatch("MESSAGE_CREATE", again)  # the resumed session works on
            await fake.until(lambda: len([m for m in fake.in_channel(dm) if m["embeds"]]) == 2,
                             timeout=120)  # fmt: skip
    finally:
        await service.aclose()
        await fake.close()
    log = bot_log.read_text(errors="replace")
    assert codes == [0, 0], log[-3000:]
    assert TOKEN not in log and "not-a-real-one" not in log  # DEBUG logging on, still no token
