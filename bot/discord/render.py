"""What the flow wants to show -> discord.py message fields: an answer becomes an embed with
👍/👎 buttons per song (the whole list is rated with reactions), a sentence stays text."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import discord
from discord.utils import escape_markdown

from bot.flow.port import Answer, Outgoing, Rows
from bot.formatting import (
    LIST_VOTE,
    SIMILAR,
    STEER,
    album_lines,
    contributors,
    hashtags,
    parse_forget,
    reason,
    song_link,
    song_title,
    title,
)
from bot.i18n import text
from core.domain import ReplyItem

MELON_GREEN = 0x00CD3C
DESCRIPTION_LIMIT = 4096  # Discord's limit for an embed description
# Discord allows 5 rows of 5 components. Without steering: two songs (👍 👎 👍 👎) per row keeps
# them in pairs. With it, the songs' votes take four rows of five and one select menu in the
# last row holds the tag chips, the mood nudges and "more like this" for each song.
BUTTONS_PER_ROW = 4
MAX_BUTTONS = 5 * BUTTONS_PER_ROW
STEER_MENU = "mri:steer"  # custom_id of the select; the chosen option's value is the data
VOTE_REACTIONS = ("👍", "👎")

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


def result_embed(answer: Answer) -> discord.Embed:
    """Hashtags, numbered songs with Melon links and reasons; credits for group playlists."""
    result, lang = answer.result, answer.lang
    lines = [escape_markdown(hashtags(result.tags))]
    lines += [escape_markdown(x) for x in album_lines(result.parts, lang, max_mb=answer.max_mb)]
    lines.append("")
    lines += [song_line(item, lang) for item in result.items]
    members = contributors(result)
    if members:
        lines += ["", text("credits", lang, users=", ".join(person(m) for m in members))]
    if answer.note:
        lines += ["", f"*{escape_markdown(answer.note)}*"]
    description = "\n".join(lines)
    if len(description) > DESCRIPTION_LIMIT:
        description = description[: DESCRIPTION_LIMIT - 1] + "…"
    embed = discord.Embed(title=title(result, lang), description=description, colour=MELON_GREEN)
    embed.set_footer(text=text("discord_footer", lang))
    return embed


def view(rows: Rows, lang: str = "ko") -> discord.ui.View | None:
    """The buttons as components. The whole-list row is left out (reactions rate the list).
    The view is stopped before it is sent: discord.py then keeps nothing per message, and
    presses arrive as interactions the votes cog reads (they work across restarts)."""
    flat = [b for row in rows for b in row if b.group != LIST_VOTE]
    menu = [b for b in flat if b.group == STEER] + [b for b in flat if b.group == SIMILAR]
    buttons = [b for b in flat if b.group not in (STEER, SIMILAR)]
    out = discord.ui.View(timeout=None)
    per_row = BUTTONS_PER_ROW
    if menu:
        per_row = 5
        buttons = buttons[: 4 * per_row]
        options = [discord.SelectOption(label=b.label[:100], value=b.data) for b in menu[:25]]
        placeholder = text("steer_menu", lang)
        out.add_item(
            discord.ui.Select(custom_id=STEER_MENU, options=options, row=4, placeholder=placeholder)
        )
    buttons = buttons[:MAX_BUTTONS]
    if not buttons and not menu:
        return None
    for n, b in enumerate(buttons):
        forget = parse_forget(b.data)
        yes = forget is not None and forget[0] == "yes"
        style = discord.ButtonStyle.danger if yes else discord.ButtonStyle.secondary
        out.add_item(
            discord.ui.Button(label=b.label, custom_id=b.data, row=n // per_row, style=style)
        )
    out.stop()
    return out


def draw(message: Outgoing) -> dict[str, Any]:
    """Keyword arguments for send/edit: every field set, so an edit replaces all of them."""
    if message.answer is not None:
        return {"content": None, "embed": result_embed(message.answer),
                "view": view(message.buttons, message.answer.lang)}  # fmt: skip
    return {"content": message.text, "embed": None, "view": view(message.buttons)}


def wants_reactions(message: Outgoing) -> bool:
    """An answer whose whole list can be rated: 👍/👎 reactions are added under it."""
    return message.answer is not None and any(
        b.group == LIST_VOTE for row in message.buttons for b in row
    )
