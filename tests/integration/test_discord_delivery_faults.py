"""`mri bot discord` killed at each step of delivering a reply (after the claim, after the send,
after the confirmation), then started again: the person sees the answer once.

As tests/integration/test_delivery_faults.py does for Telegram: the fake Discord kills the bot
process when the answer reaches its REST API (and drops the request: the claim is held, nothing
is shown) or right after applying it (shown, not confirmed); or the test kills it once the
database says the reply is confirmed. A second bot process (a new gateway session) retries
after the lease and edits the same message, or, for a quick answer sent directly, sends it
again with the same nonce, which Discord answers with the message it already made. Jobs run in
this process on the same queue and database, as a worker would."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest

from core.config import RESOURCES, Settings
from core.db.database import Database
from core.pipeline import Pipeline
from tests.bot.discord.fake_discord import Call
from tests.bot.discord.payloads import ALICE, dm_channel_of, message
from tests.integration.test_delivery_faults import STEPS, delivered, jobs_running, killer, until
from tests.integration.test_discord_process import (
    bot_env,
    discord_servers,
    start_bot,
    stopped_at_the_end,
)

pytestmark = pytest.mark.slow
PATHS = {"edit": "0", "send": "30"}  # MRI_PLACEHOLDER_AFTER_SECONDS: always / never
COFFEE = (RESOURCES / "demo/coffee.png").read_bytes()
BEACH = (RESOURCES / "demo/beach.jpg").read_bytes()


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline.from_settings(Settings())


def is_answer(call: Call) -> bool:
    """The answer going out: a new message or an edit, in a channel, with the songs."""
    return (
        call.method in ("POST", "PATCH")
        and call.path.startswith("/channels/")
        and "melon.com" in json.dumps(call.body)
    )


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("step", STEPS)
async def test_a_discord_bot_killed_while_delivering_still_answers_once(
    step: str, path: str, backend_settings: Settings, tmp_path: Path, pipeline: Pipeline
) -> None:
    fake = await discord_servers()
    settings = backend_settings
    migrated = Database(settings.resolved_database_url)
    migrated.upgrade()  # before the bot does: the test reads the requests table at once
    migrated.dispose()
    env = bot_env(
        fake, settings, MRI_DELIVERY_LEASE_SECONDS="2", MRI_DELIVERY_SWEEP_SECONDS="0.3",
        MRI_JOB_WAIT_SECONDS="30", MRI_PLACEHOLDER_AFTER_SECONDS=PATHS[path],
    )  # fmt: skip
    dm = dm_channel_of(ALICE)
    first_bot = start_bot(env, tmp_path / "bot1.log")
    fake.on_call = killer(step, first_bot, is_answer)
    codes: list[int] = []
    try:
        async with jobs_running(settings, pipeline) as worker:
            photo = fake.attachment("coffee.png", COFFEE, "image/png")
            first = message(ALICE, channel_id=dm, guild=False, attachments=[photo])
            async with stopped_at_the_end(first_bot, codes):
                await fake.gateway.connected(identifies=1)
                await fake.gateway.dispatch("MESSAGE_CREATE", first)
                if step == "after_confirm":
                    await until(lambda: delivered(worker, int(first["id"])), "never confirmed")
                    os.killpg(first_bot.pid, signal.SIGKILL)
                await asyncio.to_thread(first_bot.wait, 60)
                assert not delivered(worker, int(first["id"])) or step == "after_confirm"
            second_bot = start_bot(env, tmp_path / "bot2.log")
            async with stopped_at_the_end(second_bot, codes):
                await fake.gateway.connected(identifies=2)
                await until(lambda: delivered(worker, int(first["id"])), "the retry never came")
                photo = fake.attachment("beach.jpg", BEACH, "image/jpeg")
                second = message(ALICE, channel_id=dm, guild=False, attachments=[photo])
                await fake.gateway.dispatch("MESSAGE_CREATE", second)  # the new process works on
                await until(lambda: fake.answers_to(dm, second["id"]) == 1, "no second answer")
                await asyncio.sleep(1.0)  # a few more sweeps: nothing else may arrive
            assert fake.answers_to(dm, first["id"]) == 1, [
                (c.method, c.path, str(c.body)[:40]) for c in fake.calls
            ]
            assert len([m for m in fake.in_channel(dm) if m["embeds"]]) == 2  # no stray copy
            assert codes[-1] == 0  # the second process stops cleanly
    finally:
        await fake.close()
