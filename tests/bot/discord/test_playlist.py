"""/playlist start · add · done: one list from three members' photos, credited by display name."""

from __future__ import annotations

import pytest

from bot.discord.client import MriBot
from bot.formatting import parse_vote
from bot.i18n import text
from core.config import RESOURCES
from tests.bot.discord.conftest import eventually
from tests.bot.discord.fake_discord import FakeDiscord
from tests.bot.discord.payloads import (
    ALICE,
    BOB,
    BOT_USER,
    CAROL,
    CHANNEL_ID,
    attachment_option,
    buttons,
    dm_channel_of,
    gateway,
    message,
    press,
    slash,
)

pytestmark = pytest.mark.slow
DEMO = RESOURCES / "demo"


def joined(fake: FakeDiscord, name: str) -> bool:
    note = text("playlist_joined", "ko", user=name, tags="")[:-2]  # "🎵 Bob님의 사진을 … ("
    return fake.saying(CHANNEL_ID, note) is not None


async def test_a_playlist_from_three_members(bot: MriBot, fake: FakeDiscord) -> None:
    gateway(bot, "INTERACTION_CREATE", slash(fake, ALICE, "playlist", sub="start"))
    await fake.until(lambda: fake.saying(CHANNEL_ID, "플레이리스트를 시작해요"))

    # Bob posts a photo in the channel (no mention needed while a playlist is open) ...
    att = fake.attachment("coffee.png", (DEMO / "coffee.png").read_bytes(), "image/png")
    gateway(
        bot, "MESSAGE_CREATE", message(BOB, channel_id=CHANNEL_ID, guild=True, attachments=[att])
    )
    # ... Carol uses /playlist add, Alice mentions the bot with hers
    att = fake.attachment("alps.jpg", (DEMO / "karwendel.jpg").read_bytes(), "image/jpeg")
    gateway(bot, "INTERACTION_CREATE", slash(
        fake, CAROL, "playlist", sub="add", options=[attachment_option(att)], attachments=[att],
    ))  # fmt: skip
    att = fake.attachment("beach.jpg", (DEMO / "beach.jpg").read_bytes(), "image/jpeg")
    gateway(bot, "MESSAGE_CREATE", message(
        ALICE, channel_id=CHANNEL_ID, guild=True, content=f"<@{BOT_USER['id']}>",
        attachments=[att], mentions=[BOT_USER],
    ))  # fmt: skip
    for name in ("Bob", "Carol", "Alice"):  # display names (global_name here)
        await fake.until(lambda name=name: joined(fake, name))
    assert fake.with_embed(CHANNEL_ID) is None  # no song list yet

    gateway(bot, "INTERACTION_CREATE", slash(fake, BOB, "playlist", sub="done"))
    reply = await fake.until(lambda: fake.with_embed(CHANNEL_ID, text("playlist_title", "ko")))
    description = reply["embeds"][0]["description"]
    assert description.count("](https://www.melon.com/") == 10
    assert "함께 만든 사람: " in description
    credits = description.split("함께 만든 사람: ")[1]
    assert {n.strip() for n in credits.split(",")} == {"Alice", "Bob", "Carol"}
    assert description.count("님의 사진") >= 10  # every song says whose photo brought it
    await fake.until(lambda: len(fake.reactions_on(int(reply["id"]))) == 2)

    up = buttons(reply)[0]["custom_id"]
    for member in (ALICE, BOB, CAROL):  # everyone likes the first song
        gateway(bot, "INTERACTION_CREATE", press(fake, member, reply, up))
    vote = parse_vote(up)
    assert vote is not None
    job = await bot.flow.service.job_of_item(vote[0])
    await eventually(lambda: _totals(bot, job, vote[0]), (3, 0))

    gateway(bot, "INTERACTION_CREATE", slash(fake, ALICE, "playlist", sub="done"))
    await fake.until(lambda: fake.saying(CHANNEL_ID, text("discord_playlist_none", "ko")))


async def _totals(bot: MriBot, job: str, item: int) -> tuple[int, int]:
    return (await bot.flow.service.vote_totals(job)).get(item, (0, 0))


async def test_playlists_need_a_server_and_an_open_session(bot: MriBot, fake: FakeDiscord) -> None:
    dm = dm_channel_of(ALICE)
    gateway(bot, "INTERACTION_CREATE", slash(
        fake, ALICE, "playlist", sub="start", guild=False, channel_id=dm,
    ))  # fmt: skip
    await fake.until(lambda: fake.saying(dm, text("playlist_private", "ko")))
    att = fake.attachment("coffee.png", (DEMO / "coffee.png").read_bytes(), "image/png")
    gateway(bot, "INTERACTION_CREATE", slash(
        fake, BOB, "playlist", sub="add", options=[attachment_option(att)], attachments=[att],
    ))  # fmt: skip
    await fake.until(lambda: fake.saying(CHANNEL_ID, text("discord_playlist_none", "ko")))
    assert fake.downloads() == 0


@pytest.mark.settings(playlist_window_seconds=3.0, delivery_sweep_seconds=0.2)
async def test_a_playlist_closes_by_itself_when_its_time_is_up(
    bot: MriBot, fake: FakeDiscord
) -> None:
    gateway(bot, "INTERACTION_CREATE", slash(fake, ALICE, "playlist", sub="start"))
    await fake.until(lambda: fake.saying(CHANNEL_ID, "플레이리스트를 시작해요"))
    att = fake.attachment("beach.jpg", (DEMO / "beach.jpg").read_bytes(), "image/jpeg")
    gateway(
        bot, "MESSAGE_CREATE", message(BOB, channel_id=CHANNEL_ID, guild=True, attachments=[att])
    )
    await fake.until(lambda: joined(fake, "Bob"))
    reply = await fake.until(lambda: fake.with_embed(CHANNEL_ID, text("playlist_title", "ko")))
    assert "함께 만든 사람: Bob" in reply["embeds"][0]["description"]
    posts = [c.body["content"] for c in fake.requests("POST", f"/channels/{CHANNEL_ID}/messages")]
    assert text("playlist_closed_by_time", "ko") in posts  # the time's-up note ...
    assert fake.saying(CHANNEL_ID, text("playlist_closed_by_time", "ko")) is None  # ... became it


async def test_an_album_posted_into_an_open_playlist_joins_it_photo_by_photo(
    bot: MriBot, fake: FakeDiscord
) -> None:
    gateway(bot, "INTERACTION_CREATE", slash(fake, ALICE, "playlist", sub="start"))
    await fake.until(lambda: fake.saying(CHANNEL_ID, "플레이리스트를 시작해요"))
    attachments = [
        fake.attachment("coffee.png", (DEMO / "coffee.png").read_bytes(), "image/png"),
        fake.attachment("beach.jpg", (DEMO / "beach.jpg").read_bytes(), "image/jpeg"),
    ]
    gateway(bot, "MESSAGE_CREATE", message(
        BOB, channel_id=CHANNEL_ID, guild=True, attachments=attachments
    ))  # fmt: skip
    await fake.until(
        lambda: (
            sum(
                m["content"].count(text("playlist_joined", "ko", user="Bob", tags="")[:-2])
                for m in fake.in_channel(CHANNEL_ID)
            )
            == 2
        )
    )
    await bot.idle()
    gateway(bot, "INTERACTION_CREATE", slash(fake, ALICE, "playlist", sub="done"))
    reply = await fake.until(lambda: fake.with_embed(CHANNEL_ID, text("playlist_title", "ko")))
    assert reply["embeds"][0]["description"].count("Bob님의 사진") >= 2
    assert fake.downloads() == 2
