"""Computing the requests that follow a reply (worker side): a revision of its tags, songs like
one of its songs. The new list comes from the same recommender as every reply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from core.blends import Computed, song_item
from core.db import steering
from core.db.database import Database
from core.db.steering import FollowUp
from core.domain import Recommendation, ScoredSong, TagWeight
from core.errors import EmptyQuery
from core.pipeline import Pipeline
from core.steer_words import Steer
from core.steering import EnergyAxis, Similar, UnknownTags, edit_tags, resolve_tag


@dataclass(frozen=True)
class Revised:
    """A revision's new query tags and songs, and what it changed or could not do."""

    tags: tuple[TagWeight, ...]
    songs: tuple[ScoredSong, ...]
    dropped: tuple[str, ...] = ()  # tag keys taken off that the reply showed
    added: tuple[str, ...] = ()  # tag keys put on
    notice: str | None = None  # unknown_tags:<words> or no_tags_left
    extra: dict[str, Any] = field(default_factory=dict)


class FollowUps:
    """One per worker process, beside its pipeline."""

    def __init__(self, database: Database, pipeline: Pipeline) -> None:
        self.db = database
        self.pipeline = pipeline
        self.catalog = pipeline.catalog

    def compute(
        self,
        job_id: str,
        top_k: int,
        tag_rows: Callable[[Recommendation], list[dict[str, Any]]],
        rerank: Callable[[Recommendation], Recommendation] | None = None,
    ) -> Computed:
        """The answer of a revision or similar-songs job, as the worker stores it."""
        with self.db.reader() as s:
            job = steering.follow_up(s, job_id)
        if "song" in job.steer:
            out = self.similar(str(job.steer["song"]), top_k)
            kind = "similar"
        else:
            out = self.revise(job, top_k)
            kind = "revision"
        rec = Recommendation(
            out.tags, out.songs, job.tagger or "text", self.catalog.version,
            {"query_tags": [(t.tag, t.weight) for t in out.tags]},
        )  # fmt: skip
        if rerank is not None:
            rec = rerank(rec)
        return Computed(
            tag_rows(rec), [song_item(x) for x in rec.songs], rec.tagger, f"{kind}-1",
            dropped=out.dropped, added=out.added, notice=out.notice,
        )  # fmt: skip

    @cached_property
    def axis(self) -> EnergyAxis:
        return EnergyAxis(self.catalog)

    @cached_property
    def similar_finder(self) -> Similar:
        return Similar(self.pipeline.recommender)

    def revise(self, job: FollowUp, top_k: int) -> Revised:
        """The parent's tags with the steer applied; a part that cannot be done (a tag the
        catalog does not know, every tag dropped) is left out and named in `notice`."""
        before = tuple(TagWeight(t["key"], float(t["weight"])) for t in job.parent_tags)
        shown = {t["key"] for t in job.parent_tags if t.get("shown", True)}
        steer = Steer(
            tuple(job.steer.get("drop", ())),
            tuple(job.steer.get("add", ())),
            int(job.steer.get("energy", 0)),
        )
        notice = None
        try:
            tags = edit_tags(self.catalog, before, steer)
        except UnknownTags as exc:
            notice = "unknown_tags:" + " ".join(exc.words)
            known = tuple(w for w in steer.add if w not in exc.words)
            tags = self._edit_or_keep(before, Steer(steer.drop, known))
        except EmptyQuery:
            notice, tags = "no_tags_left", before
        if steer.energy:
            tags = self.axis.nudge(tags, steer.energy)
        keys = {t.tag for t in tags}
        dropped = tuple(k for k in (resolve_tag(self.catalog, w) for w in steer.drop) if k)
        dropped = tuple(k for k in dict.fromkeys(dropped) if k in shown and k not in keys)
        added = tuple(k for k in (resolve_tag(self.catalog, w) for w in steer.add) if k)
        added = tuple(k for k in dict.fromkeys(added) if k in keys)
        songs = self.pipeline.recommender.recommend(tags, top_k)
        return Revised(tags, songs, dropped, added, notice)

    def _edit_or_keep(self, before: tuple[TagWeight, ...], steer: Steer) -> tuple[TagWeight, ...]:
        try:
            return edit_tags(self.catalog, before, steer)
        except EmptyQuery:
            return before

    def similar(self, song_id: str, top_k: int) -> Revised:
        """Songs like `song_id`; the tags shown are the shown tags nearest to it."""
        try:
            songs = self.similar_finder.songs(song_id, top_k)
        except KeyError:
            raise EmptyQuery(f"song {song_id} is not in this catalog") from None
        weights = self.similar_finder.seed_tags(song_id)
        tags = tuple(TagWeight(self.catalog.tag_keys[i], w) for i, w in weights.items())
        return Revised(tags, songs)
