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
SIMILAR = "similar"  # songs like one song
STEER = "steer"  # a tag chip or a mood nudge


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
    if result.kind == "similar":
        return text("result_title_similar", lang, title=result.steer.get("title") or "?")
    if result.kind == "revision":
        return text("result_title_revised", lang, n=result.revision)
    return text("result_title_text" if result.kind == "text" else "result_title", lang)


def notice(result: JobResult, lang: str) -> str | None:
    """What a revision could not do (a tag it does not know, every tag dropped), if anything."""
    code = str(result.steer.get("notice") or "")
    if code.startswith("unknown_tags:"):
        return text("steer_unknown_tags", lang, words=code.split(":", 1)[1])
    if code == "no_tags_left":
        return text("steer_no_tags_left", lang)
    return None


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


# Steering buttons: drop the shown tag at a position (t), nudge the mood (n), songs like one
# song (s). A reply is named by its whole-list item, which is new in every revision.
_DROP = re.compile(r"t:([0-9]{1,18}):([0-9]{1,2})", re.ASCII)
_NUDGE = re.compile(r"n:([0-9]{1,18}):([+-])", re.ASCII)
_SIMILAR = re.compile(r"s:([0-9]{1,18})", re.ASCII)
STEERABLE = ("photo", "text", "revision")
MAX_CHIPS = 5


def drop_data(list_item_id: int, position: int) -> str:
    return f"t:{list_item_id}:{position}"


def nudge_data(list_item_id: int, direction: int) -> str:
    return f"n:{list_item_id}:{'+' if direction > 0 else '-'}"


def similar_data(item_id: int) -> str:
    return f"s:{item_id}"


def parse_steer_button(data: str) -> tuple[str, int, int] | None:
    """'t:12:0' -> ('drop', 12, 0); 'n:12:+' -> ('nudge', 12, 1); 's:40' -> ('similar', 40, 0);
    anything else -> None."""
    if m := _DROP.fullmatch(data):
        return "drop", int(m[1]), int(m[2])
    if m := _NUDGE.fullmatch(data):
        return "nudge", int(m[1]), 1 if m[2] == "+" else -1
    if m := _SIMILAR.fullmatch(data):
        return "similar", int(m[1]), 0
    return None


def steer_buttons(result: JobResult, lang: str) -> list[list[Button]]:
    """A row of tag chips (tap to drop) and a row of mood nudges, for replies their asker can
    steer; none for group playlists and albums."""
    if result.kind not in STEERABLE or result.list_item_id is None or not result.items:
        return []
    ref = result.list_item_id
    chips = [
        Button(text("chip_drop", lang, tag=t.tag), drop_data(ref, k), STEER)
        for k, t in enumerate(result.tags[:MAX_CHIPS])
    ]
    nudges = [
        Button(text("nudge_up", lang), nudge_data(ref, 1), STEER),
        Button(text("nudge_down", lang), nudge_data(ref, -1), STEER),
    ]
    return [row for row in (chips, nudges) if row]


def reply_buttons(
    result: JobResult, totals: dict[int, tuple[int, int]], lang: str
) -> list[list[Button]]:
    """Everything under a reply: the votes (a row per song, then the whole list), then
    steering (tag chips, mood nudges)."""
    return vote_buttons(result, totals, lang) + steer_buttons(result, lang)


def vote_buttons(
    result: JobResult, totals: dict[int, tuple[int, int]], lang: str
) -> list[list[Button]]:
    """One row per song (👍 / 👎 with counts, and songs like it) and a row for the list."""

    def count(n: int) -> str:
        return f" {n}" if n else ""

    rows = []
    like = text("similar_short", lang)
    for item in result.items:
        up, down = totals.get(item.item_id, (0, 0))
        rows.append([
            Button(f"{item.rank}. 👍{count(up)}", vote_data(item.item_id, 1), SONG_VOTE),
            Button(f"{item.rank}. 👎{count(down)}", vote_data(item.item_id, -1), SONG_VOTE),
            Button(f"{item.rank}. ≈ {like}", similar_data(item.item_id), SIMILAR),
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
