"""The conversation flow, once for every platform (conversation.py with intake.py and
playlists.py, delivery.py), and the small port each adapter implements (port.py)."""

from bot.flow.conversation import Flow
from bot.flow.port import (
    Answer,
    Asker,
    MessageGone,
    Outgoing,
    PhotoIn,
    ReplyTarget,
    Rows,
    SendFailed,
    Tap,
    Targets,
)

__all__ = [
    "Answer",
    "Asker",
    "Flow",
    "MessageGone",
    "Outgoing",
    "PhotoIn",
    "ReplyTarget",
    "Rows",
    "SendFailed",
    "Tap",
    "Targets",
]
