"""A finished job -> what people see, shared by Telegram and Discord.

Plain data (lines, buttons) plus small renderers; each adapter only turns these into its own
message objects. Errors from core are turned into one friendly sentence here, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.i18n import text
from core.domain import AlbumPart, JobResult, ReplyItem, TagWeight
from core.errors import (
    DuplicateVote,
    EmptyQuery,
    InvalidImage,
    JobFailed,
    MriError,
    NotAllowed,
    QueueUnavailable,
    UnknownItem,
    UnknownJob,
)

VOTE_PREFIX = "v"


@dataclass(frozen=True)
class Button:
    """A button as the flow wants it; `group` tells a platform's renderer what it is for (a
    song's vote, the whole list's vote, …), so each can lay them out its own way."""

    label: str
    data: str  # callback data, <= 64 bytes
    group: str = ""


SONG_VOTE = "song"  # 👍/👎 of one song
LIST_VOTE = "list"  # 👍/👎 of the whole reply


def hashtags(tags: tuple[TagWeight, ...], limit: int = 6) -> str:
    """#바다 #여름 … (spaces inside a tag would break a hashtag)."""
    return " ".join("#" + t.tag.replace(" ", "") for t in tags[:limit])


def song_title(item: ReplyItem) -> str:
    return f"{item.title} – {', '.join(item.artists)}"


def song_link(item: ReplyItem) -> str:
    return item.melon_url or item.melon_search_url


def reason(item: ReplyItem, lang: str) -> str:
    """Why this song: the tags that chose it, and in a group playlist or an album whose photo
    brought it."""
    parts = ["#" + b.replace(" ", "") for b in item.because]
    if item.from_user is not None:
        parts.append(text("brought_by", lang, user=item.from_user))
    if item.from_photo is not None:
        parts.append(f"📷{item.from_photo}")
    return " · ".join(parts)


def title(result: JobResult, lang: str) -> str:
    if result.kind == "playlist":
        return text("playlist_title", lang)
    if result.kind == "album":
        return text("album_title", lang, n=len(result.parts))
    return text("result_title_text" if result.kind == "text" else "result_title", lang)


def album_lines(parts: tuple[AlbumPart, ...], lang: str, *, max_mb: int = 20) -> list[str]:
    """One line per photo of an album: the moods it brought (📷2 #바다 #여름), or why it was
    left out."""
    lines = []
    for part in parts:
        if part.error is not None:
            reason = failure_text(part.error, lang, max_mb=max_mb)
            lines.append(text("album_part_failed", lang, n=part.n, reason=reason))
        else:
            lines.append(f"📷{part.n} " + " ".join("#" + t.replace(" ", "") for t in part.tags))
    return lines


def album_failure(parts: tuple[AlbumPart, ...], lang: str, *, max_mb: int = 20) -> str:
    """An album none of whose photos could be used: why, photo by photo."""
    return "\n".join([text("album_failed", lang), *album_lines(parts, lang, max_mb=max_mb)])


def contributors(result: JobResult) -> list[str]:
    """Members whose photos made it into a group playlist, in order of first appearance."""
    return list(dict.fromkeys(i.from_user for i in result.items if i.from_user is not None))


def vote_data(item_id: int, value: int) -> str:
    return f"{VOTE_PREFIX}:{item_id}:{'+' if value > 0 else '-'}"


# ASCII digits only ("²".isdigit() is True), at most 18 of them: any id fits a 64-bit column.
_VOTE = re.compile(rf"{VOTE_PREFIX}:([0-9]{{1,18}}):([+-])", re.ASCII)


def parse_vote(data: str) -> tuple[int, int] | None:
    """'v:123:+' -> (123, 1); anything else -> None (stale or forged buttons are ignored)."""
    match = _VOTE.fullmatch(data)
    if match is None:
        return None
    return int(match[1]), 1 if match[2] == "+" else -1


FORGET_PREFIX = "forget"
# "mri:forget:…" is how Discord's buttons were written before: they keep working.
_FORGET = re.compile(rf"(?:mri:)?{FORGET_PREFIX}:(yes|no):([0-9]{{1,20}})", re.ASCII)


def forget_data(answer: str, owner: str) -> str:
    """Button data of the /forget confirmation: the answer and who may give it."""
    return f"{FORGET_PREFIX}:{answer}:{owner}"


def parse_forget(data: str) -> tuple[str, str] | None:
    """'forget:yes:123' -> ('yes', '123'); anything else -> None."""
    match = _FORGET.fullmatch(data)
    return (match[1], match[2]) if match else None


def is_forget(data: str) -> bool:
    """Data of a /forget button, well formed or not (to answer it as one)."""
    return data.startswith((f"{FORGET_PREFIX}:", f"mri:{FORGET_PREFIX}:")) or data == FORGET_PREFIX


def vote_buttons(
    result: JobResult, totals: dict[int, tuple[int, int]], lang: str
) -> list[list[Button]]:
    """One row per song (👍 / 👎 with counts) and a last row for the whole list."""

    def count(n: int) -> str:
        return f" {n}" if n else ""

    rows = []
    for item in result.items:
        up, down = totals.get(item.item_id, (0, 0))
        rows.append([
            Button(f"{item.rank}. 👍{count(up)}", vote_data(item.item_id, 1), SONG_VOTE),
            Button(f"{item.rank}. 👎{count(down)}", vote_data(item.item_id, -1), SONG_VOTE),
        ])  # fmt: skip
    if result.list_item_id is not None:
        up, down = totals.get(result.list_item_id, (0, 0))
        whole = text("whole_list", lang)
        rows.append([
            Button(f"{whole} 👍{count(up)}", vote_data(result.list_item_id, 1), LIST_VOTE),
            Button(f"{whole} 👎{count(down)}", vote_data(result.list_item_id, -1), LIST_VOTE),
        ])  # fmt: skip
    return rows


def error_text(exc: BaseException, lang: str, *, max_mb: int = 20) -> str:
    """The one friendly sentence for an error from core (or a failed job's code)."""
    if isinstance(exc, JobFailed):
        return failure_text(exc.code, lang, max_mb=max_mb)
    if isinstance(exc, InvalidImage):
        return failure_text(f"invalid_image:{exc.reason}", lang, max_mb=max_mb)
    if isinstance(exc, EmptyQuery):
        return text("err_no_tags", lang)
    if isinstance(exc, QueueUnavailable):
        return text("err_busy", lang)
    if isinstance(exc, UnknownItem | UnknownJob | DuplicateVote):
        return text("vote_unknown", lang)
    if isinstance(exc, NotAllowed):
        return text("vote_not_allowed", lang)
    if isinstance(exc, MriError):
        return text("err_generic", lang)
    return text("err_generic", lang)


_REASONS = {
    "empty": "err_empty",
    "too_large": "err_too_large",
    "not_image": "err_not_image",
    "truncated": "err_broken",
    "missing": "err_broken",
    "too_many_pixels": "err_pixels",
    "unsupported": "err_unsupported",
}


def failure_text(code: str, lang: str, *, max_mb: int = 20) -> str:
    """A failed job's code (invalid_image:truncated, no_tags, expired, error:…) -> sentence."""
    if code.startswith("invalid_image:"):
        key = _REASONS.get(code.split(":", 1)[1], "err_not_image")
        return text(key, lang, limit=max_mb) if key == "err_too_large" else text(key, lang)
    if code == "no_tags":
        return text("err_no_tags", lang)
    if code == "expired":
        return text("err_expired", lang)
    return text("err_generic", lang)
