"""Slash-command names and descriptions from `bot.i18n`: Korean by default, English localised.

Discord shows a command's default description to every locale it has no translation for, so
Korean (MRI's default language) is the default and English clients get the English text.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.i18n import DEFAULT, text

ENGLISH = (discord.Locale.american_english, discord.Locale.british_english)


def loc(key: str) -> app_commands.locale_str:
    """The i18n text `key` as a translatable command string (Korean shown by default)."""
    return app_commands.locale_str(text(key, DEFAULT), key=key)


class I18nTranslator(app_commands.Translator):
    """Looks command strings made by `loc` up in `bot.i18n.TEXTS`."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        if key is None or locale not in ENGLISH:
            return None
        return text(key, "en")
