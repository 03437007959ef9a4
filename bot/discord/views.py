"""Buttons that outlive the process: 👍/👎 per song and the /forget confirmation.

Both are `DynamicItem`s: their state (item id and vote, or the asking user) lives in the
custom_id, and the bot registers the templates at start-up (`add_dynamic_items`), so a button
on a message sent before a restart still works. A view made only of them is never tied to a
message id, which is what a persistent view (timeout=None) needs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.discord import PLATFORM
from bot.formatting import VOTE_PREFIX, parse_vote, vote_buttons, vote_data
from bot.i18n import text
from core.domain import JobResult

if TYPE_CHECKING:
    from bot.discord.client import MriBot


# Discord allows 5 rows of 5 buttons: two songs (👍 👎 👍 👎) per row keeps them in pairs.
SONGS_PER_ROW = 2
MAX_SONGS_WITH_BUTTONS = 5 * SONGS_PER_ROW

Button = discord.ui.Button[discord.ui.View]


def _bot(interaction: discord.Interaction[Any]) -> MriBot:
    return cast("MriBot", interaction.client)


class VoteButton(
    discord.ui.DynamicItem[Button],
    template=re.compile(rf"{re.escape(VOTE_PREFIX)}:(?P<item>[0-9]{{1,18}}):(?P<sign>[+-])"),
):
    """👍 or 👎 on one song; custom_id = `formatting.vote_data(item_id, value)`."""

    def __init__(self, item_id: int, value: int, label: str = "", row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or ("👍" if value > 0 else "👎"),
                custom_id=vote_data(item_id, value),
                style=discord.ButtonStyle.secondary,
                row=row,
            )
        )
        self.item_id = item_id
        self.value = value

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> VoteButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(int(match["item"]), 1 if match["sign"] == "+" else -1, label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _bot(interaction).votes.on_button(interaction, self.item_id, self.value)


class ForgetButton(
    discord.ui.DynamicItem[Button],
    template=re.compile(r"mri:forget:(?P<answer>yes|no):(?P<owner>[0-9]{1,20})"),
):
    """Yes / No under the /forget question; only the person who asked may answer."""

    def __init__(self, answer: str, owner: int, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=label or answer,
                custom_id=f"mri:forget:{answer}:{owner}",
                style=discord.ButtonStyle.danger
                if answer == "yes"
                else discord.ButtonStyle.secondary,
            )
        )
        self.answer = answer
        self.owner = owner

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ForgetButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["answer"], int(match["owner"]), label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        await interaction.response.defer()  # within 3 s; the question is edited below
        lang = await bot.lang(interaction.user.id)
        if interaction.user.id != self.owner:
            await interaction.followup.send(text("forget_not_yours", lang), ephemeral=True)
            return
        if self.answer != "yes":
            await interaction.edit_original_response(
                content=text("forget_cancelled", lang), view=None
            )
            return
        rows = await bot.service.forget_user(platform=PLATFORM, user_id=str(self.owner))
        bot.votes.index.forget_all()  # cached replies may have been this person's
        await interaction.edit_original_response(
            content=text("forget_done", lang, rows=rows), view=None
        )


def vote_view(result: JobResult, totals: dict[int, tuple[int, int]], lang: str) -> discord.ui.View:
    """👍/👎 (with counts) for the first ten songs; the whole list is rated with reactions."""
    view = discord.ui.View(timeout=None)
    songs = {item.item_id for item in result.items}
    buttons = [
        (vote, b.label)
        for row in vote_buttons(result, totals, lang)
        for b in row
        if (vote := parse_vote(b.data)) is not None and vote[0] in songs
    ]
    for n, ((item_id, value), label) in enumerate(buttons[: 2 * MAX_SONGS_WITH_BUTTONS]):
        view.add_item(VoteButton(item_id, value, label, row=n // (2 * SONGS_PER_ROW)))
    return view


def forget_view(owner: int, lang: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ForgetButton("yes", owner, text("forget_yes", lang)))
    view.add_item(ForgetButton("no", owner, text("forget_no", lang)))
    return view
