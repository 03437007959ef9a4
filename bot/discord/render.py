"""A finished job -> a Discord embed, built only from the shared `bot.formatting` pieces."""

from __future__ import annotations

import dataclasses
import re

import discord
from discord.utils import escape_markdown

from bot.formatting import contributors, hashtags, reason, song_link, song_title, title
from bot.i18n import text
from core.domain import JobResult, ReplyItem

MELON_GREEN = 0x00CD3C
DESCRIPTION_LIMIT = 4096  # Discord's limit for an embed description


SNOWFLAKE = re.compile(r"[0-9]{15,20}")


def person(user: str) -> str:
    """A display name as plain text; a bare Discord user id (someone whose name MRI never
    stored) becomes a mention, which Discord shows as the member's name and never pings."""
    return f"<@{user}>" if SNOWFLAKE.fullmatch(user) else escape_markdown(user)


def _credited(item: ReplyItem) -> ReplyItem:
    if item.from_user is None:
        return item
    return dataclasses.replace(item, from_user=person(item.from_user))


def song_line(item: ReplyItem, lang: str) -> str:
    """**1.** [title – artist](melon link) and, below, the tags (and member) that chose it."""
    name = escape_markdown(song_title(item).replace("[", "(").replace("]", ")"))
    line = f"**{item.rank}.** [{name}]({song_link(item)})"
    why = reason(_credited(item), lang)
    return f"{line}\n{why}" if why else line


def result_embed(result: JobResult, lang: str) -> discord.Embed:
    """Hashtags, numbered songs with Melon links and reasons; credits for group playlists."""
    lines = [escape_markdown(hashtags(result.tags)), ""]
    lines += [song_line(item, lang) for item in result.items]
    members = contributors(result)
    if members:
        lines += ["", text("credits", lang, users=", ".join(person(m) for m in members))]
    description = "\n".join(lines)
    if len(description) > DESCRIPTION_LIMIT:
        description = description[: DESCRIPTION_LIMIT - 1] + "…"
    embed = discord.Embed(title=title(result, lang), description=description, colour=MELON_GREEN)
    embed.set_footer(text=text("discord_footer", lang))
    return embed


def joined_text(result: JobResult, lang: str, who: str | None = None) -> str:
    """A member's photo was added to the open group playlist (`who`: their display name)."""
    name = person(who) if who else person(result.user_id)
    return text("playlist_joined", lang, user=name, tags=hashtags(result.tags, 3))
