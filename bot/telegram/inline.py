"""Inline mode (`@bot 비 오는 날 카페` in any chat): songs as inline results, each with its Melon
link; Telegram caches an answer per query for INLINE_CACHE_SECONDS, MRI per query too."""

from __future__ import annotations

import html
import logging

from telegram import (
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.formatting import hashtags, song_link, song_title
from bot.i18n import text
from core.domain import JobResult

log = logging.getLogger(__name__)
INLINE_CACHE_SECONDS = 300


class TelegramInline:
    """The flow's InlineReply over one inline query."""

    def __init__(self, query: InlineQuery) -> None:
        self.query = query

    async def songs(self, result: JobResult, lang: str) -> None:
        tags = hashtags(result.tags, limit=4)
        articles = []
        for item in result.items:
            url = song_link(item)
            body = (
                f'🎧 <a href="{html.escape(url, quote=True)}">{html.escape(song_title(item))}</a>'
                + (f"\n{html.escape(tags)}" if tags else "")
            )
            articles.append(
                InlineQueryResultArticle(
                    id=str(item.item_id),
                    title=song_title(item),
                    description=" · ".join(filter(None, [item.album, tags])) or None,
                    url=url,
                    input_message_content=InputTextMessageContent(body, parse_mode=ParseMode.HTML),
                )
            )
        header = text("result_title_inline", lang, query=self.query.query.strip()[:40])
        await self._answer(articles, header)

    async def nothing(self, hint: str) -> None:
        await self._answer([], hint)

    async def _answer(self, results: list[InlineQueryResultArticle], header: str) -> None:
        button = InlineQueryResultsButton(text=header[:64], start_parameter="inline")
        try:
            await self.query.answer(
                results, cache_time=INLINE_CACHE_SECONDS if results else 0, button=button
            )
        except TelegramError as exc:  # the query expired (Telegram waits ~10 s) or was refused
            log.info("inline query %s not answered: %s", self.query.id, exc)
