"""The port between the conversation flow (bot/flow) and a chat platform.

The flow says *what* to show (`Outgoing`: a sentence, or a recommendation to draw, with rows of
buttons) and *where* (`ReplyTarget`: one request's place in a chat); each adapter says *how*
with its library. Nothing here names Telegram or Discord.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.formatting import Button
from core.domain import JobResult

Rows = Sequence[Sequence[Button]]  # rows of buttons, top to bottom


@dataclass(frozen=True)
class Answer:
    """A finished job for the platform to draw: tags, songs with links, credits."""

    result: JobResult
    lang: str
    note: str | None = None  # one extra line under the list (e.g. a first-time hint)
    max_mb: int = 20  # the photo size limit, for an album's "too large" line


@dataclass(frozen=True)
class Outgoing:
    """One message as the flow wants it: a sentence or an answer, and its buttons."""

    text: str = ""
    answer: Answer | None = None
    buttons: Rows = ()


class MessageGone(Exception):  # noqa: N818 - says what happened, like the library errors
    """The message to edit no longer exists (deleted by someone); send a new one instead."""


class SendFailed(Exception):  # noqa: N818
    """The platform refused or could not be reached. `permanent`: trying again cannot help
    (the bot was blocked, the chat is gone); otherwise the flow retries after a back-off."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ReplyTarget(Protocol):
    """Where one request is answered: its chat, quoting the person's message when there is
    one. Built by the adapter for each request, and again (`Targets.for_chat`) for replies
    delivered later, maybe by another process."""

    @property
    def chat_id(self) -> str: ...

    @property
    def group(self) -> bool:
        """A group chat (Telegram allows 20 messages a minute there: acknowledgements fold)."""
        ...

    @property
    def placeholder(self) -> str | None:
        """A message that already stands for this request (Discord's deferred response to a
        slash command): the flow edits it rather than sending another."""
        ...

    async def typing(self) -> None:
        """Show that the bot is busy (a chat action); failures are the adapter's to log."""

    async def send(self, message: Outgoing, *, key: str) -> str:
        """Post a new message; returns its reference (what `edit` takes). `key` names the
        logical message (e.g. `a:<job>`): where the platform can, sending the same key twice
        posts one message (Discord's nonce). Raises SendFailed."""
        ...

    async def edit(self, ref: str, message: Outgoing) -> None:
        """Replace message `ref` (an identical edit counts as done). Raises MessageGone,
        SendFailed."""


class Targets(Protocol):
    """The adapter's way to reach a chat without a live request: replies delivered late or
    retried (quoting the person's message `quote`), a playlist closed by its deadline."""

    def for_chat(
        self, chat_id: str, *, quote: str | None = None, placeholder: str | None = None
    ) -> ReplyTarget: ...


class Tap(Protocol):
    """A button pressed under one of the bot's messages."""

    @property
    def user_id(self) -> str: ...

    @property
    def chat_id(self) -> str: ...

    @property
    def message_ref(self) -> str | None:
        """The message the button is on (a revision redraws it), when the platform says."""
        ...

    @property
    def offered(self) -> frozenset[str] | None:
        """The button data on the pressed message, when the platform says (forgery check)."""
        ...

    async def answer(self, text: str, *, alert: bool = False) -> None:
        """A short note to the presser only."""

    async def set_buttons(self, rows: Rows) -> None:
        """Redraw the buttons of the pressed message (e.g. new vote counts)."""

    async def replace(self, text: str) -> None:
        """Replace the pressed message by a sentence, without buttons."""


@dataclass(frozen=True)
class Asker:
    """Who asks, in which chat, and where the answer goes."""

    user_id: str
    chat_id: str
    private: bool
    target: ReplyTarget
    name: str | None = None  # display name: credited in group playlists
    message_ref: str | None = None  # the person's message (answers quote it)


@dataclass(frozen=True)
class PhotoIn:
    """A photo as the platform announced it: judged from its metadata before a byte is
    downloaded (`fetch` downloads it)."""

    fetch: Callable[[], Awaitable[bytes]]
    size: int | None = None
    image: bool = True  # False: the platform says it is another kind of file
    ref: str | None = None  # the message carrying it, when an album's photos each have one
