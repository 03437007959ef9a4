"""An answer -> a Telegram message: HTML text; rows of buttons -> an inline keyboard."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.flow.port import Answer, Rows
from bot.formatting import (
    album_lines,
    contributors,
    hashtags,
    reason,
    song_link,
    song_title,
    title,
)
from bot.i18n import text


def answer_html(answer: Answer) -> str:
    """Hashtags (and for an album each photo's), a title, then one line per song: linked
    title – artist, and why."""
    result, lang = answer.result, answer.lang
    lines = [html.escape(hashtags(result.tags))]
    lines += [html.escape(line) for line in album_lines(result.parts, lang, max_mb=answer.max_mb)]
    lines += ["", f"<b>{html.escape(title(result, lang))}</b>"]
    for item in result.items:
        url = html.escape(song_link(item), quote=True)
        link = f'<a href="{url}">{html.escape(song_title(item))}</a>'
        why = reason(item, lang)
        lines.append(f"{item.rank}. {link}" + (f"  <i>{html.escape(why)}</i>" if why else ""))
    people = contributors(result)
    if people:
        lines += ["", html.escape(text("credits", lang, users=", ".join(people)))]
    if answer.note:
        lines += ["", f"<i>{html.escape(answer.note)}</i>"]
    return "\n".join(lines)


def keyboard(rows: Rows) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows]
    )
