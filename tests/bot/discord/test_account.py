"""/lang, /forget, /help, /stats; slash commands synced only when they change; start-up errors."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.discord.app import MissingToken, StartError, run
from bot.discord.client import MriBot, intents, invite_permissions, invite_url
from bot.discord.sync import HASH_FILE
from bot.i18n import text
from core.config import RESOURCES, Settings
from core.errors import QueueUnavailable, ServiceUnreachable
from tests.bot.discord.conftest import Jobs, logged_in
from tests.bot.discord.fake_discord import APP_ID, JSON, TOKEN, FakeDiscord
from tests.bot.discord.payloads import (
    ALICE,
    BOB,
    buttons,
    dm_channel_of,
    gateway,
    message,
    press,
    slash,
)

pytestmark = pytest.mark.slow
MRI = str(Path(sys.executable).parent / "mri")
COFFEE = (RESOURCES / "demo/coffee.png").read_bytes()


def ephemeral(fake: FakeDiscord, needle: str) -> JSON | None:
    return next(
        (m for m in fake.messages.values() if m["flags"] & 64 and needle in m["content"]), None
    )


@pytest.mark.settings(placeholder_after_seconds=0.0)
async def test_lang_switches_every_text(bot: MriBot, fake: FakeDiscord) -> None:
    english = {"name": "language", "type": 3, "value": "en"}
    gateway(bot, "INTERACTION_CREATE", slash(fake, ALICE, "lang", options=[english]))
    await fake.until(lambda: ephemeral(fake, "I'll speak English from now on."))
    dm = dm_channel_of(ALICE)
    att = fake.attachment("coffee.png", COFFEE, "image/png")
    gateway(bot, "MESSAGE_CREATE", message(ALICE, channel_id=dm, guild=False, attachments=[att]))
    reply = await fake.until(lambda: fake.with_embed(dm))
    embed = reply["embeds"][0]
    assert embed["title"] == "Songs for this photo"
    assert embed["footer"]["text"] == text("discord_footer", "en")
    assert fake.requests("POST", f"/channels/{dm}/messages")[0].body["content"] == "🎧 Listening…"
    korean = {"name": "language", "type": 3, "value": "ko"}
    gateway(bot, "INTERACTION_CREATE", slash(fake, ALICE, "lang", options=[korean]))
    await fake.until(lambda: ephemeral(fake, text("lang_set", "ko")))
    assert await bot.flow.lang(ALICE["id"]) == "ko"


async def test_forget_asks_and_only_the_owner_can_confirm(bot: MriBot, fake: FakeDiscord) -> None:
    dm = dm_channel_of(ALICE)
    att = fake.attachment("coffee.png", COFFEE, "image/png")
    gateway(bot, "MESSAGE_CREATE", message(ALICE, channel_id=dm, guild=False, attachments=[att]))
    await fake.until(lambda: fake.with_embed(dm))
    assert (await bot.flow.service.stats()).stats.requests_total == 1

    gateway(bot, "INTERACTION_CREATE", slash(fake, ALICE, "forget"))
    question = await fake.until(lambda: ephemeral(fake, text("forget_confirm", "ko")))
    yes, no = (b["custom_id"] for b in buttons(question))
    labels = [b["label"] for b in buttons(question)]
    assert labels == [text("forget_yes", "ko"), text("forget_no", "ko")]
    gateway(bot, "INTERACTION_CREATE", press(fake, BOB, question, yes))  # someone else
    await fake.until(lambda: ephemeral(fake, text("forget_not_yours", "ko")))
    assert (await bot.flow.service.stats()).stats.requests_total == 1
    gateway(bot, "INTERACTION_CREATE", press(fake, ALICE, question, no))
    await fake.until(lambda: ephemeral(fake, text("forget_cancelled", "ko")))
    assert (await bot.flow.service.stats()).stats.requests_total == 1

    gateway(bot, "INTERACTION_CREATE", slash(fake, ALICE, "forget"))  # the first now says "no"
    question = await fake.until(lambda: ephemeral(fake, text("forget_confirm", "ko")))
    gateway(
        bot, "INTERACTION_CREATE", press(fake, ALICE, question, buttons(question)[0]["custom_id"])
    )
    done = await fake.until(lambda: ephemeral(fake, "모두 지웠어요"))
    assert done["components"] == []  # the buttons are gone
    assert (await bot.flow.service.stats()).stats.requests_total == 0


async def test_help_and_stats(bot: MriBot, fake: FakeDiscord) -> None:
    gateway(bot, "INTERACTION_CREATE", slash(fake, BOB, "help"))
    await fake.until(lambda: ephemeral(fake, "/playlist start"))
    gateway(bot, "INTERACTION_CREATE", slash(fake, BOB, "stats"))
    stats = await fake.until(lambda: ephemeral(fake, "📊"))
    assert stats["content"].startswith("📊 추천 0회")


async def test_a_failing_command_is_logged_and_answered_kindly(
    settings: Settings,
    jobs: Jobs,
    fake: FakeDiscord,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def queue_down() -> None:
        raise QueueUnavailable("redis is down")

    monkeypatch.setattr(jobs.service, "stats", queue_down)
    async with logged_in(settings, jobs.service) as bot:
        gateway(bot, "INTERACTION_CREATE", slash(fake, BOB, "stats"))
        answer = await fake.until(lambda: ephemeral(fake, text("err_busy", "ko")))
    assert answer["flags"] & 128 == 0  # the "thinking…" message became the apology
    failed = [r for r in caplog.records if r.getMessage().startswith("/stats failed")]
    assert failed and failed[0].exc_info is not None


async def test_commands_are_synced_once_with_english_translations(
    bot: MriBot, fake: FakeDiscord, jobs: Jobs, settings: Settings
) -> None:
    syncs = f"/applications/{APP_ID}/commands"
    assert len(fake.requests("PUT", syncs)) == 1  # the first start
    commands = {c["name"]: c for c in fake.requests("PUT", syncs)[0].body}
    assert set(commands) == {"mri", "mood", "playlist", "lang", "forget", "help", "stats"}
    assert commands["mri"]["options"][0]["type"] == 11  # an attachment
    assert commands["mri"]["description"] == text("discord_cmd_mri", "ko")
    assert commands["mri"]["description_localizations"]["en-US"] == text("discord_cmd_mri", "en")
    assert [o["name"] for o in commands["playlist"]["options"]] == ["start", "add", "done"]
    await bot.close()

    async with logged_in(settings, jobs.service):  # a restart with the same commands
        pass
    assert len(fake.requests("PUT", syncs)) == 1
    (settings.data_dir / HASH_FILE).write_text("changed\n", encoding="utf-8")
    async with logged_in(settings, jobs.service):  # the commands differ from the last sync
        pass
    assert len(fake.requests("PUT", syncs)) == 2


async def test_a_rejected_token_is_a_clear_start_error(
    fake: FakeDiscord,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.reject_token = True  # Discord's API answers 401
    settings = Settings(
        data_dir=tmp_path / "var", discord_token=TOKEN, discord_api_url=f"{fake.url}/api/v10"
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(StartError) as info:
        await asyncio.to_thread(run, settings)  # asyncio.run in its own thread, as in the CLI
    assert "Discord rejected MRI_DISCORD_TOKEN" in str(info.value)
    out, err = capfd.readouterr()
    shown = out + err + caplog.text + str(info.value) + repr(info.value.__cause__)
    assert TOKEN not in shown and "not-a-real-one" not in shown


async def test_an_unreachable_discord_is_retried_then_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here
    monkeypatch.setattr("discord.http.Route.BASE", "unchanged")  # run() sets it: restored after
    settings = Settings(
        data_dir=tmp_path / "var", discord_token=TOKEN, startup_timeout_seconds=2.5,
        discord_api_url=f"http://127.0.0.1:{port}/api/v10",
    )  # fmt: skip
    with caplog.at_level(logging.WARNING), pytest.raises(ServiceUnreachable) as info:
        await asyncio.to_thread(run, settings)
    where = f"the Discord API at 127.0.0.1:{port} is unreachable"
    assert str(info.value).startswith(where) and "gave up after" in str(info.value)
    retries = [r.getMessage() for r in caplog.records if where in r.getMessage()]
    assert len(retries) >= 2 and retries[0].endswith("retrying in 1 s")
    assert not (tmp_path / "var").exists()  # nothing else was touched meanwhile


def test_a_missing_token_is_refused_before_anything_else(tmp_path: Path) -> None:
    with pytest.raises(MissingToken, match="MRI_DISCORD_TOKEN is not set"):
        run(Settings(data_dir=tmp_path / "var", discord_token="changeme"))  # a placeholder
    assert not (tmp_path / "var").exists()


def test_mri_bot_discord_without_a_token_exits_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRI_")}
    done = subprocess.run(
        [MRI, "bot", "discord"], cwd=tmp_path, env={**env, "MRI_DATA_DIR": str(tmp_path / "var")},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "MRI_DISCORD_TOKEN is not set" in done.stderr and "developer portal" in done.stderr
    assert not (tmp_path / "var").exists()  # failed before touching the database


def test_readme_invite_url_and_intents_match_the_code() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    url = invite_url(1234).replace("1234", "APPLICATION_ID")
    assert url in readme and str(invite_permissions().value) in readme
    wanted = intents()
    assert wanted.message_content and wanted.guild_messages and wanted.dm_messages
    assert wanted.guild_reactions and wanted.dm_reactions and not wanted.members
