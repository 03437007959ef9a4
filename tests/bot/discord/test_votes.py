"""Votes: 👍/👎 buttons per song and 👍/👎 reactions on a reply for the whole list, stored,
changed and removed; both keep working for replies sent before a restart."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.discord.client import MriBot
from bot.formatting import parse_vote
from bot.i18n import text
from core.config import RESOURCES
from core.service import RecommendService
from tests.bot.discord.conftest import Jobs, eventually, logged_in, quiet
from tests.bot.discord.fake_discord import JSON, FakeDiscord
from tests.bot.discord.payloads import (
    ALICE,
    BOB,
    BOT_USER,
    CAROL,
    CHANNEL_ID,
    OTHER_CHANNEL_ID,
    buttons,
    dm_channel_of,
    gateway,
    message,
    press,
    reaction,
)

pytestmark = pytest.mark.slow
COFFEE = (RESOURCES / "demo/coffee.png").read_bytes()


async def server_reply(bot: MriBot, fake: FakeDiscord) -> JSON:
    """Alice mentions the bot with a photo in the server channel; the reply, reactions added."""
    att = fake.attachment("coffee.png", COFFEE, "image/png")
    gateway(bot, "MESSAGE_CREATE", message(
        ALICE, channel_id=CHANNEL_ID, guild=True, content=f"<@{BOT_USER['id']}>",
        attachments=[att], mentions=[BOT_USER],
    ))  # fmt: skip
    reply = await fake.until(lambda: fake.with_embed(CHANNEL_ID))
    await fake.until(lambda: len(fake.reactions_on(int(reply["id"]))) == 2)
    return reply


def vote_button(reply: JSON, song: int, value: int) -> str:
    """custom_id of the 👍 (value 1) or 👎 (-1) button of the song at position `song`."""
    ids = [b["custom_id"] for b in buttons(reply)]
    return ids[2 * song + (0 if value > 0 else 1)]


def item_of(custom_id: str) -> int:
    vote = parse_vote(custom_id)
    assert vote is not None
    return vote[0]


def ephemeral_notes(fake: FakeDiscord) -> list[str]:
    """What the bot told people privately (followups with the ephemeral flag)."""
    return [m["content"] for m in fake.messages.values() if m["flags"] & 64]


async def list_item(service: RecommendService, reply: JSON) -> int:
    job = await service.job_of_item(item_of(buttons(reply)[0]["custom_id"]))
    item = (await service.result(job)).list_item_id
    assert item is not None
    return item


def vote_of(service: RecommendService, person: JSON, item: int) -> Callable[[], Awaitable[int]]:
    return lambda: service.current_vote(platform="discord", user_id=person["id"], item_id=item)


async def test_buttons_store_change_and_remove_a_vote(bot: MriBot, fake: FakeDiscord) -> None:
    reply = await server_reply(bot, fake)
    up, down = vote_button(reply, 0, 1), vote_button(reply, 0, -1)
    alice = vote_of(bot.flow.service, ALICE, item_of(up))

    gateway(bot, "INTERACTION_CREATE", press(fake, ALICE, reply, up))
    await fake.until(lambda: text("vote_up", "ko") in ephemeral_notes(fake))
    assert await alice() == 1
    callback = fake.requests("POST", "/interactions/")[-1]
    assert callback.body["type"] == 6  # deferred update, within Discord's 3 s
    # the button now shows the count (the fake applied the edit to the stored reply)
    await fake.until(lambda: buttons(fake.messages[int(reply["id"])])[0]["label"] == "1. 👍 1")

    gateway(bot, "INTERACTION_CREATE", press(fake, ALICE, reply, down))  # change
    await fake.until(lambda: text("vote_down", "ko") in ephemeral_notes(fake))
    assert await alice() == -1
    gateway(bot, "INTERACTION_CREATE", press(fake, ALICE, reply, down))  # the same again: remove
    await fake.until(lambda: text("vote_removed", "ko") in ephemeral_notes(fake))
    assert await alice() == 0
    await fake.until(
        lambda: (
            [b["label"] for b in buttons(fake.messages[int(reply["id"])])[:2]] == ["1. 👍", "1. 👎"]
        )
    )

    other = vote_button(reply, 9, 1)  # Bob likes the tenth song
    gateway(bot, "INTERACTION_CREATE", press(fake, BOB, reply, other))
    await eventually(vote_of(bot.flow.service, BOB, item_of(other)), 1)


async def test_reactions_rate_the_whole_list(bot: MriBot, fake: FakeDiscord) -> None:
    reply = await server_reply(bot, fake)
    item = await list_item(bot.flow.service, reply)
    bob = vote_of(bot.flow.service, BOB, item)

    gateway(bot, "MESSAGE_REACTION_ADD", reaction(BOB, reply, "👍", guild=True))
    await eventually(bob, 1)
    gateway(bot, "MESSAGE_REACTION_ADD", reaction(BOB, reply, "👎🏽", guild=True))  # a skin tone
    await eventually(bob, -1)  # changed
    gateway(bot, "MESSAGE_REACTION_REMOVE", reaction(BOB, reply, "👍", guild=True, added=False))
    gateway(bot, "MESSAGE_REACTION_ADD", reaction(CAROL, reply, "👍", guild=True))
    await eventually(vote_of(bot.flow.service, CAROL, item), 1)  # handled after Bob's removal
    assert await bob() == -1  # taking back the replaced 👍 changes nothing
    gateway(bot, "MESSAGE_REACTION_REMOVE", reaction(BOB, reply, "👎🏽", guild=True, added=False))
    await eventually(bob, 0)  # removed

    gateway(bot, "MESSAGE_REACTION_ADD", reaction(BOB, reply, "🎉", guild=True))  # not a vote
    own = reaction(BOT_USER, reply, "👍", guild=True)  # the bot's own reactions are not votes
    gateway(bot, "MESSAGE_REACTION_ADD", own)
    gateway(bot, "MESSAGE_REACTION_ADD", reaction(ALICE, reply, "👎", guild=True))
    await eventually(vote_of(bot.flow.service, ALICE, item), -1)
    assert await bob() == 0 and await vote_of(bot.flow.service, BOT_USER, item)() == 0
    job = await bot.flow.service.job_of_item(item)
    assert (await bot.flow.service.vote_totals(job))[item] == (1, 1)  # Carol 👍, Alice 👎


async def test_reactions_on_other_messages_are_ignored(bot: MriBot, fake: FakeDiscord) -> None:
    mine = fake._new_message(CHANNEL_ID, {"content": text("listening", "ko")})  # no buttons
    theirs = message(BOB, channel_id=CHANNEL_ID, guild=True, content="hi")
    gateway(bot, "MESSAGE_REACTION_ADD", reaction(ALICE, mine, "👍", guild=True))
    gateway(bot, "MESSAGE_REACTION_ADD", reaction(ALICE, theirs, "👍", guild=True))
    reply = await server_reply(bot, fake)  # events are handled in order: the two above are done
    item = await list_item(bot.flow.service, reply)
    gateway(bot, "MESSAGE_REACTION_ADD", reaction(ALICE, reply, "👍", guild=True))
    await eventually(vote_of(bot.flow.service, ALICE, item), 1)
    assert (await bot.flow.service.stats()).stats.votes_up == 1
    await fake.until(lambda: fake.requests("GET", f"/channels/{CHANNEL_ID}/messages/{mine['id']}"))
    assert not fake.requests("GET", f"/channels/{CHANNEL_ID}/messages/{theirs['id']}")


async def test_votes_survive_a_restart(bot: MriBot, fake: FakeDiscord, jobs: Jobs) -> None:
    """The buttons are DynamicItems and a reply is recognised by its buttons: a new process
    (nothing in memory) still takes votes on replies an old one sent."""
    dm = dm_channel_of(ALICE)
    att = fake.attachment("coffee.png", COFFEE, "image/png")
    gateway(bot, "MESSAGE_CREATE", message(ALICE, channel_id=dm, guild=False, attachments=[att]))
    reply = await fake.until(lambda: fake.with_embed(dm))
    await fake.until(lambda: len(fake.reactions_on(int(reply["id"]))) == 2)
    item = await list_item(bot.flow.service, reply)
    await quiet()  # the reply is complete (its reactions added) before the process stops
    await bot.close()

    async with logged_in(bot.settings, jobs.service) as again:
        up = vote_button(reply, 3, 1)
        gateway(again, "INTERACTION_CREATE", press(fake, ALICE, reply, up, guild=False))
        await eventually(vote_of(again.flow.service, ALICE, item_of(up)), 1)
        gateway(again, "MESSAGE_REACTION_ADD", reaction(ALICE, reply, "👍", guild=False))
        await eventually(vote_of(again.flow.service, ALICE, item), 1)
        gateway(again, "MESSAGE_REACTION_REMOVE", reaction(ALICE, reply, "👍", guild=False))
        await eventually(vote_of(again.flow.service, ALICE, item), 0)


async def test_stale_buttons_and_other_channels_get_a_notice(
    bot: MriBot, fake: FakeDiscord
) -> None:
    reply = await server_reply(bot, fake)
    up = vote_button(reply, 0, 1)
    elsewhere = {**reply, "channel_id": str(OTHER_CHANNEL_ID)}  # the same button in another chat
    gateway(bot, "INTERACTION_CREATE", press(fake, BOB, elsewhere, up))
    await fake.until(lambda: text("vote_not_allowed", "ko") in ephemeral_notes(fake))
    gone = {"type": 2, "style": 2, "label": "1. 👍", "custom_id": "v:987654:+"}  # no such item
    stale = fake._new_message(
        CHANNEL_ID, {"content": "old", "components": [{"type": 1, "components": [gone]}]}
    )
    gateway(bot, "INTERACTION_CREATE", press(fake, BOB, stale, "v:987654:+"))
    await fake.until(lambda: text("vote_unknown", "ko") in ephemeral_notes(fake))
    assert await vote_of(bot.flow.service, BOB, item_of(up))() == 0
