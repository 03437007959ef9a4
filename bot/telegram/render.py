"""JobResult -> a Telegram message: HTML text and an inline keyboard of votes."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.formatting import (
    contributors,
    hashtags,
    reason,
    song_link,
    song_title,
    title,
    vote_buttons,
)
from bot.i18n import text
from core.domain import JobResult


def reply_html(result: JobResult, lang: str) -> str:
    """Hashtags, a title, then one line per song: linked title – artist, and why."""
    lines = [html.escape(hashtags(result.tags)), "", f"<b>{html.escape(title(result, lang))}</b>"]
    for item in result.items:
        url = html.escape(song_link(item), quote=True)
        link = f'<a href="{url}">{html.escape(song_title(item))}</a>'
        why = reason(item, lang)
        lines.append(f"{item.rank}. {link}" + (f"  <i>{html.escape(why)}</i>" if why else ""))
    people = contributors(result)
    if people:
        lines += ["", html.escape(text("credits", lang, users=", ".join(people)))]
    return "\n".join(lines)


def vote_keyboard(
    result: JobResult, totals: dict[int, tuple[int, int]], lang: str
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in vote_buttons(result, totals, lang)
        ]
    )
