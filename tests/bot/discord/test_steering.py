"""Steering replies on Discord: one select menu under an answer holds the tag chips, the mood
nudges and "more like this" per song; a reply to the bot's message adds and drops tags; /mood
suggests mood tags while typing."""

from __future__ import annotations

import pytest

from bot.discord.client import MriBot
from bot.discord.cogs.photos import mood_choices
from bot.discord.render import STEER_MENU
from bot.i18n import text
from tests.bot.discord.fake_discord import JSON, FakeDiscord
from tests.bot.discord.payloads import ALICE, BOB, CHANNEL_ID, _interaction, gateway, message
from tests.bot.discord.test_votes import server_reply

pytestmark = pytest.mark.slow


def menu(reply: JSON) -> JSON:
    [select] = [
        c for row in reply["components"] for c in row["components"]
        if c.get("custom_id") == STEER_MENU
    ]  # fmt: skip
    return select


def choose(fake: FakeDiscord, person: JSON, reply: JSON, value: str) -> JSON:
    """INTERACTION_CREATE for an option picked in the reply's steering menu."""
    data = {"custom_id": STEER_MENU, "component_type": 3, "values": [value]}
    return _interaction(fake, 3, person, CHANNEL_ID, True, data, message=dict(reply))


def hashtags(reply: JSON) -> list[str]:
    first = reply["embeds"][0]["description"].splitlines()[0]
    return [t.replace("\\", "").lstrip("#") for t in first.split()]


def notes(fake: FakeDiscord) -> list[str]:
    return [m["content"] for m in fake.messages.values() if m["flags"] & 64]


async def test_the_menu_drops_a_tag_in_the_same_message(bot: MriBot, fake: FakeDiscord) -> None:
    reply = await server_reply(bot, fake)
    options = menu(reply)["options"]
    labels = [o["label"] for o in options]
    first = hashtags(reply)[0]
    assert labels[0] == f"✕ {first}" and "⚡ 더 신나게" in labels and "1. ≈ 비슷한 곡" in labels
    assert len(reply["components"]) == 5  # four rows of votes, the menu
    song_votes = [c for row in reply["components"][:4] for c in row["components"]]
    assert len(song_votes) == 20 and all(c["custom_id"].startswith("v:") for c in song_votes)
    gateway(bot, "INTERACTION_CREATE", choose(fake, BOB, reply, options[0]["value"]))
    await fake.until(lambda: any(n.startswith("사진을 보낸 분만") for n in notes(fake)))
    gateway(bot, "INTERACTION_CREATE", choose(fake, ALICE, reply, options[0]["value"]))
    title = text("result_title_revised", "ko", n=1)
    revised = await fake.until(
        lambda: (m := fake.messages[int(reply["id"])])["embeds"][0]["title"] == title and m
    )
    assert first not in hashtags(revised)
    assert len([m for m in fake.in_channel(CHANNEL_ID) if m["embeds"]]) == 1  # edited in place


async def test_more_like_a_song_and_a_text_reply(bot: MriBot, fake: FakeDiscord) -> None:
    reply = await server_reply(bot, fake)
    similar = next(o for o in menu(reply)["options"] if o["label"].startswith("1. ≈"))
    gateway(bot, "INTERACTION_CREATE", choose(fake, BOB, reply, similar["value"]))
    like = await fake.until(
        lambda: next(
            (m for m in fake.in_channel(CHANNEL_ID)
             if m["embeds"] and "비슷한 노래" in m["embeds"][0]["title"]), None,
        )
    )  # fmt: skip
    assert like["id"] != reply["id"] and like["embeds"][0]["description"].count("melon.com") == 10
    gateway(bot, "MESSAGE_CREATE", message(
        ALICE, channel_id=CHANNEL_ID, guild=True, content="+바다", reply_to=reply,
    ))  # fmt: skip
    revised = await fake.until(
        lambda: (
            (m := fake.messages[int(reply["id"])])["embeds"][0]["title"].startswith("다시") and m
        )
    )
    assert hashtags(revised)[0] == "바다"


def test_mood_autocomplete_completes_the_last_word() -> None:
    moods = ["비오는날", "바다", "새벽", "비", "여름밤", "밤"]
    assert mood_choices(moods, "카페 비") == ["카페 비오는날", "카페 비"]
    assert mood_choices(moods, "밤") == ["밤", "여름밤"]
    assert mood_choices(moods, "")[:2] == ["비오는날", "바다"]
    assert len(mood_choices([f"t{i}" for i in range(100)], "t")) == 25
