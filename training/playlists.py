"""Arena-format playlist files: reading, validating, and making a held-out split.

Arena format: a JSON list of objects with `tags` (list of str), `songs` (list of Arena song ids)
and optionally `id`, `plylst_title`, `like_cnt`, `updt_date`. Files with tags only (no `songs`)
are accepted where only tag statistics are needed.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputFileError

log = logging.getLogger(__name__)


class PlaylistFormatError(InputFileError):
    """A playlist file that is not in Arena format (the message names file and position)."""


@dataclass(frozen=True, slots=True)
class Playlist:
    """One playlist: raw tags as written, Arena song ids, and whether its song list is complete."""

    id: int | None
    tags: tuple[str, ...]
    songs: tuple[int, ...]
    title: str | None = None


def _playlist(obj: object, path: Path, index: int) -> Playlist:
    where = f"{path}: playlist #{index}"
    if not isinstance(obj, dict):
        raise PlaylistFormatError(f"{where} is {type(obj).__name__}, expected an object")
    tags = obj.get("tags", [])
    songs = obj.get("songs", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise PlaylistFormatError(f"{where}: 'tags' must be a list of strings")
    if not isinstance(songs, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in songs
    ):
        raise PlaylistFormatError(f"{where}: 'songs' must be a list of non-negative integers")
    pid = obj.get("id")
    if pid is not None and (not isinstance(pid, int) or isinstance(pid, bool)):
        raise PlaylistFormatError(f"{where}: 'id' must be an integer")
    title = obj.get("plylst_title")
    return Playlist(
        id=pid,
        tags=tuple(tags),
        songs=tuple(dict.fromkeys(songs)),  # de-duplicated, order kept
        title=title if isinstance(title, str) and title else None,
    )


def read_playlists(path: Path) -> list[Playlist]:
    """Read one Arena-format JSON file (a list of playlist objects)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlaylistFormatError(f"{path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PlaylistFormatError(f"{path}: not valid UTF-8 JSON ({exc})") from None
    if not isinstance(data, list):
        raise PlaylistFormatError(f"{path}: expected a JSON list of playlists")
    return [_playlist(obj, path, i) for i, obj in enumerate(data)]


def read_many(paths: Iterable[Path]) -> list[Playlist]:
    """Read several files into one list, logging counts per file."""
    out: list[Playlist] = []
    for path in paths:
        rows = read_playlists(path)
        log.info("read %d playlists from %s", len(rows), path)
        out.extend(rows)
    return out


@dataclass(frozen=True)
class Split:
    """held-out (final numbers), validation (tuning), and the rest."""

    holdout: list[Playlist]
    validation: list[Playlist]
    rest: list[Playlist]


def split_playlists(
    playlists: Sequence[Playlist], *, n_holdout: int, n_validation: int, seed: int
) -> Split:
    """Shuffle with `seed`; the first eligible playlists (tags and songs) are held out, the next
    ones validate, the rest train. A playlist without tags or songs always trains."""
    order = list(range(len(playlists)))
    random.Random(seed).shuffle(order)
    eligible = [i for i in order if playlists[i].tags and playlists[i].songs]
    if n_holdout + n_validation > len(eligible):
        raise ValueError(
            f"asked for {n_holdout} + {n_validation} playlists, "
            f"only {len(eligible)} have tags and songs"
        )
    held = eligible[:n_holdout]
    val = eligible[n_holdout : n_holdout + n_validation]
    taken = set(held) | set(val)
    return Split(
        holdout=[playlists[i] for i in held],
        validation=[playlists[i] for i in val],
        rest=[p for i, p in enumerate(playlists) if i not in taken],
    )


def write_playlists(playlists: Sequence[Playlist], path: Path) -> None:
    """Write Arena-format JSON (the fields this project reads)."""
    rows = [
        {"id": p.id, "tags": list(p.tags), "songs": list(p.songs), "plylst_title": p.title}
        for p in playlists
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
