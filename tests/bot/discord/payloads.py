"""Raw gateway payloads (the `d` of a dispatch) as Discord sends them, fed to the real client's
`ConnectionState` parsers: the same code path as events from the websocket."""

from __future__ import annotations

import itertools

import discord

from tests.bot.discord.fake_discord import APP_ID, BOT_USER, JSON, FakeDiscord, user

GUILD_ID = 700_000_000_000_000_001
CHANNEL_ID = 700_000_000_000_000_002  # a text channel in the guild
OTHER_CHANNEL_ID = 700_000_000_000_000_003
_tokens = itertools.count(1)

ALICE = user(600_000_000_000_000_001, "alice")
BOB = user(600_000_000_000_000_002, "bob")
CAROL = user(600_000_000_000_000_003, "carol")


def dm_channel_of(person: JSON) -> int:
    return int(person["id"]) + 1_000


def gateway(bot: discord.Client, event: str, data: JSON) -> None:
    """What DiscordWebSocket does with a DISPATCH: look the parser up and call it."""
    bot._connection.parsers[event](data)


def member(person: JSON) -> JSON:
    return {
        "user": person, "roles": [], "joined_at": "2026-01-01T00:00:00+00:00", "deaf": False,
        "mute": False, "flags": 0, "pending": False, "nick": None,
        "permissions": str(discord.Permissions.text().value),
    }  # fmt: skip


def text_channel(channel_id: int) -> JSON:
    return {
        "id": str(channel_id), "type": 0, "guild_id": str(GUILD_ID), "name": f"ch-{channel_id}",
        "position": 0, "permission_overwrites": [], "nsfw": False, "parent_id": None,
        "topic": None, "last_message_id": None, "rate_limit_per_user": 0,
    }  # fmt: skip


EVERYONE = discord.Permissions.general().value | discord.Permissions.text().value
CHANNELS = [text_channel(CHANNEL_ID), text_channel(OTHER_CHANNEL_ID)]


def guild_create() -> JSON:
    return {
        "id": str(GUILD_ID), "name": "Friends", "icon": None, "owner_id": ALICE["id"],
        "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
        "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
        "features": [], "roles": [{
            "id": str(GUILD_ID), "name": "@everyone", "color": 0, "hoist": False, "position": 0,
            "permissions": str(EVERYONE),
            "managed": False, "mentionable": False, "flags": 0,
        }],
        "emojis": [], "stickers": [], "member_count": 4, "large": False, "unavailable": False,
        "members": [member(BOT_USER)], "channels": CHANNELS,
        "threads": [], "presences": [], "voice_states": [], "stage_instances": [],
        "guild_scheduled_events": [], "soundboard_sounds": [], "premium_tier": 0,
        "preferred_locale": "ko", "joined_at": "2026-01-01T00:00:00+00:00", "nsfw_level": 0,
        "system_channel_id": None, "system_channel_flags": 0, "application_id": None,
        "vanity_url_code": None, "description": None, "banner": None, "splash": None,
        "discovery_splash": None, "premium_progress_bar_enabled": False,
        "public_updates_channel_id": None, "rules_channel_id": None, "max_members": 500000,
        "max_video_channel_users": 25, "premium_subscription_count": 0,
    }  # fmt: skip


_message_ids = itertools.count(1)


def message(
    author: JSON,
    *,
    channel_id: int,
    guild: bool,
    content: str = "",
    attachments: list[JSON] | None = None,
    mentions: list[JSON] | None = None,
    reply_to: JSON | None = None,
) -> JSON:
    """MESSAGE_CREATE: a member's message (in the guild channel or a DM)."""
    data: JSON = {
        "id": str(500_000_000_000_000_000 + next(_message_ids)), "channel_id": str(channel_id),
        "author": author, "content": content, "timestamp": "2026-11-25T00:00:00.000000+00:00",
        "edited_timestamp": None, "tts": False, "mention_everyone": False,
        "mentions": [dict(m) for m in mentions or []], "mention_roles": [],
        "attachments": attachments or [], "embeds": [], "pinned": False, "type": 0, "flags": 0,
        "components": [],
    }  # fmt: skip
    if guild:
        data["guild_id"] = str(GUILD_ID)
        data["member"] = {k: v for k, v in member(author).items() if k != "user"}
        for m in data["mentions"]:
            m["member"] = {k: v for k, v in member(m).items() if k != "user"}
    if reply_to is not None:
        data["type"] = 19
        data["message_reference"] = {"message_id": reply_to["id"], "channel_id": str(channel_id)}
        data["referenced_message"] = reply_to
    return data


def reaction(person: JSON, reply: JSON, emoji: str, *, guild: bool, added: bool = True) -> JSON:
    """MESSAGE_REACTION_ADD / _REMOVE on one of the bot's messages."""
    data: JSON = {
        "user_id": person["id"], "channel_id": reply["channel_id"], "message_id": reply["id"],
        "emoji": {"id": None, "name": emoji}, "burst": False, "type": 0,
    }  # fmt: skip
    if added:
        data["message_author_id"] = reply["author"]["id"]
        data["burst_colors"] = []
    if guild:
        data["guild_id"] = str(GUILD_ID)
        if added:
            data["member"] = member(person)
    return data


def _interaction(
    fake: FakeDiscord, kind: int, person: JSON, channel_id: int, guild: bool, data: JSON,
    message: JSON | None = None,
) -> JSON:  # fmt: skip
    token = f"interaction-token-{next(_tokens)}"
    fake.interactions[token] = (channel_id, int(message["id"]) if message else None)
    payload: JSON = {
        "id": str(fake.new_id()), "application_id": str(APP_ID), "type": kind, "token": token,
        "version": 1, "data": data, "channel_id": str(channel_id), "locale": "ko",
        "app_permissions": str(discord.Permissions.text().value), "entitlements": [],
        "attachment_size_limit": 10 * 1024 * 1024,
    }  # fmt: skip
    if guild:
        payload |= {
            "guild_id": str(GUILD_ID), "guild_locale": "ko", "member": member(person),
            "channel": text_channel(channel_id), "context": 0,
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
        }  # fmt: skip
    else:
        payload |= {
            "user": person, "context": 1, "authorizing_integration_owners": {"1": person["id"]},
            "channel": {"id": str(channel_id), "type": 1, "recipients": [person], "flags": 0,
                        "last_message_id": None},
        }  # fmt: skip
    if message is not None:
        payload["message"] = message
    return payload


def slash(
    fake: FakeDiscord,
    person: JSON,
    name: str,
    *,
    channel_id: int = CHANNEL_ID,
    guild: bool = True,
    sub: str | None = None,
    options: list[JSON] | None = None,
    attachments: list[JSON] | None = None,
) -> JSON:
    """INTERACTION_CREATE for a slash command (type 2), with resolved attachments."""
    opts: list[JSON] = options or []
    if sub is not None:
        opts = [{"name": sub, "type": 1, "options": opts}]
    data: JSON = {"id": str(fake.new_id()), "name": name, "type": 1, "options": opts}
    if attachments:
        data["resolved"] = {"attachments": {a["id"]: a for a in attachments}}
    return _interaction(fake, 2, person, channel_id, guild, data)


def attachment_option(att: JSON, name: str = "photo") -> JSON:
    return {"name": name, "type": 11, "value": att["id"]}


def press(
    fake: FakeDiscord, person: JSON, reply: JSON, custom_id: str, *, guild: bool = True
) -> JSON:
    """INTERACTION_CREATE for a button (type 3) on a message the fake holds."""
    return _interaction(
        fake, 3, person, int(reply["channel_id"]), guild,
        {"custom_id": custom_id, "component_type": 2}, message=dict(reply),
    )  # fmt: skip


def buttons(reply: JSON) -> list[JSON]:
    return [
        b
        for row in reply.get("components") or []
        for b in row.get("components", [])
        if b.get("type") == 2  # buttons; the steering menu is a select (3)
    ]
