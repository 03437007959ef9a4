"""Answers made from several photos: a group playlist (members' photos, each its own job) and
an album (several photos sent together, one job). Each photo's tags make their own ranking and
`core.playlist.blend` takes songs round-robin, remembering which photo brought each."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core import album
from core.config import Settings
from core.db import jobs
from core.db.database import Database
from core.domain import ScoredSong, TagWeight
from core.errors import EmptyQuery, InvalidImage
from core.feedback import LiveVoteStats, rerank
from core.imaging import load_image
from core.pipeline import Pipeline
from core.playlist import Adjust, Contribution, blend

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Computed:
    """What a job produced: shown tags, songs (as stored), the tagger and its version; for an
    album each photo's part; for a photo what the tagger saw besides tags (`evidence`); for a
    revision the tags it dropped and added and what it could not do (`notice`)."""

    tags: list[dict[str, Any]]
    items: list[dict[str, Any]]
    tagger: str
    version: str
    parts: list[dict[str, Any]] | None = None
    evidence: dict[str, Any] | None = None
    dropped: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    notice: str | None = None


class NothingUsable(EmptyQuery):
    """No photo of an album could be used; `parts` says why for each."""

    def __init__(self, parts: list[dict[str, Any]]) -> None:
        super().__init__("no photo of the album gave tags")
        self.parts = parts


def song_item(
    song: ScoredSong,
    *,
    credit: Contribution | None = None,
    photo: int | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """A song as stored with a reply: what people see, and why it was chosen."""
    s = song.song
    reasons: dict[str, Any] = {"because": list(song.because)}
    if credit is not None:  # credited by name; the row id lets /forget take the name off
        reasons["from_user"] = credit.user
        if credit.key is not None:
            reasons["from_user_key"] = credit.key
    if photo is not None:  # albums: which photo (by position) brought it
        reasons["from_photo"] = photo
    if source is not None:  # A/B: the tagger whose list placed this song
        reasons["source"] = source
    return {
        "id": s.id,
        "score": song.score,
        "reasons": reasons,
        "song": {
            "title": s.title,
            "artists": list(s.artists),
            "album": s.album,
            "melon_url": song.melon_url,
            "melon_search_url": song.melon_search_url,
        },
    }


class Blender:
    """One per worker process, beside the JobRunner."""

    def __init__(
        self, settings: Settings, database: Database, pipeline: Pipeline, votes: LiveVoteStats
    ) -> None:
        self.settings = settings
        self.db = database
        self.pipeline = pipeline
        self.votes = votes

    # -- group playlists -------------------------------------------------------------------

    def playlist(self, session_id: int | None) -> Computed:
        if session_id is not None and (left_out := self._await_members(session_id)):
            log.warning("playlist session %s: blended without %d photo(s) still running",
                        session_id, left_out)  # fmt: skip
        with self.db.reader() as s:
            rows = jobs.playlist_members(s, session_id=session_id)
        contributions = [
            Contribution(
                user, tuple(TagWeight(t["key"], t["weight"]) for t in tags or []), str(user_pk)
            )
            for tags, user, user_pk, _ in rows
        ]
        if not any(c.tags for c in contributions):
            raise EmptyQuery("no photo in this playlist session has tags")
        chat = str(rows[0][3])
        pairs = blend(self.pipeline.recommender, contributions, self.settings.top_k,
                      self._adjust(chat))  # fmt: skip
        items = [song_item(song, credit=c) for song, c in pairs]
        return Computed(self._merged(contributions), items, "playlist", "blend-1")

    def _await_members(self, session_id: int) -> int:
        """Let photos of the session still being tagged make it into the blend: wait while any
        is queued or running, at most MRI_JOB_WAIT_SECONDS (and half the job's lease, so the
        reaper never takes the job from a worker that waits). Returns how many are left out."""
        bound = min(self.settings.job_wait_seconds, self.settings.job_lease_seconds / 2)
        deadline = time.monotonic() + bound
        while True:
            with self.db.reader() as s:
                pending = jobs.unfinished_members(s, session_id=session_id)
            if not pending or time.monotonic() >= deadline:
                return pending
            time.sleep(0.1)

    # -- albums ----------------------------------------------------------------------------

    def album(self, blob: bytes | None, claim: jobs.Claim) -> Computed:
        """Tag every photo of the album in one model call, blend the songs of those that gave
        tags, and keep a part per photo (its tags, or why it could not be used)."""
        if blob is None:
            raise InvalidImage("missing", "the album's photos are no longer available")
        parts = {int(p["n"]): p for p in claim.parts or []}  # refused before the worker
        images, positions = [], []
        s = self.settings
        for n, data in sorted(album.unpack(blob).items()):
            try:
                images.append(load_image(data, max_bytes=s.max_image_bytes,
                                         max_pixels=s.max_image_pixels))  # fmt: skip
                positions.append(n)
            except InvalidImage as exc:
                parts[n] = {"n": n, "error": f"invalid_image:{exc.reason}"}
        seen = self.pipeline.tagger.tag_batch(images) if images else []
        contributions = []
        for n, out in zip(positions, seen, strict=True):
            shown = self._shown(out.tags)
            if not shown:
                parts[n] = {"n": n, "error": "no_tags"}
                continue
            parts[n] = {"n": n, "tags": shown[:3]}
            contributions.append(Contribution(str(n), tuple(out.tags), str(claim.user_pk)))
        ordered = [parts[n] for n in sorted(parts)]
        if not contributions:
            raise NothingUsable(ordered)
        chat = str(claim.chat_pk) if claim.chat_pk is not None else None
        pairs = blend(self.pipeline.recommender, contributions, s.top_k, self._adjust(chat))
        items = [song_item(song, photo=int(c.user)) for song, c in pairs]
        tagger = self.pipeline.tagger
        return Computed(self._merged(contributions), items, tagger.name, tagger.version, ordered)

    # -- shared ------------------------------------------------------------------------------

    def _adjust(self, chat: str | None) -> Adjust | None:
        """Each photo's ranking leans towards what its sender liked before (vote re-ranking)."""
        strength = self.settings.vote_rerank_strength
        if not (self.settings.vote_rerank and strength > 0):
            return None
        stats = self.votes.get()

        def adjust(c: Contribution, songs: list[ScoredSong]) -> list[ScoredSong]:
            return rerank(songs, c.tags, stats, chat=chat, user=c.key, strength=strength)

        return adjust

    def _shown(self, tags: Sequence[TagWeight]) -> list[str]:
        """The display names of the tags people see (moods and scenes, not internal ones)."""
        cat = self.pipeline.catalog
        index = [cat.tag_index.get(t.tag) for t in tags]
        return [cat.tag_display[i] for i in index if i is not None and cat.tag_categories[i]]

    def _merged(self, contributions: Sequence[Contribution]) -> list[dict[str, Any]]:
        """Every photo's tags once, in order of appearance, as a reply's tags are stored."""
        cat, merged = self.pipeline.catalog, {}
        for c in contributions:
            for t in c.tags:
                i = cat.tag_index.get(t.tag)
                if i is not None and t.tag not in merged:
                    merged[t.tag] = {"key": t.tag, "tag": cat.tag_display[i], "weight": t.weight,
                                     "shown": bool(cat.tag_categories[i])}  # fmt: skip
        return list(merged.values())
