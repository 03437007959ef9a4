"""Plain, frozen values passed between the recommender, the service and the adapters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class TagWeight:
    """A catalog tag with how strongly it describes the query (photo or text)."""

    tag: str
    weight: float


@dataclass(frozen=True, slots=True)
class FaceSeen:
    """A face in a photo: its box (fractions of width and height: x, y, w, h), how sure the
    detector is, the likeliest expression and every expression's probability."""

    box: tuple[float, float, float, float]
    confidence: float
    expression: str
    scores: tuple[tuple[str, float], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "box": [round(v, 3) for v in self.box],
            "confidence": round(self.confidence, 3),
            "expression": self.expression,
            "scores": {name: round(p, 3) for name, p in self.scores},
        }


@dataclass(frozen=True, slots=True)
class PeopleSeen:
    """Who is in a photo: the faces, what their number and size say (none, one, few, crowd)
    and the tags this evidence voted for (before fusion with the tagger's own tags)."""

    faces: tuple[FaceSeen, ...]
    group: str
    tags: tuple[TagWeight, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "faces": [f.to_json() for f in self.faces],
            "group": self.group,
            "tags": [{"tag": t.tag, "weight": round(t.weight, 4)} for t in self.tags],
        }


@dataclass(frozen=True, slots=True)
class TaggerOutput:
    """What a tagger saw in one photo: weighted tags and, for captioning taggers, the caption
    (kept so that a reply can show it when asked); with face evidence on, who is in it."""

    tags: tuple[TagWeight, ...]
    caption: str | None = None
    people: PeopleSeen | None = None
    # ImageNet taggers: the photo's top classes and their evidence (learning from corrections)
    classes: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Song:
    """A song as people see it. `id` is the catalog's own id (`arena:<n>` or `named:<n>`)."""

    id: str
    title: str | None
    artists: tuple[str, ...] = ()
    album: str | None = None
    album_id: int | None = None
    melon_song_id: int | None = None
    arena_id: int | None = None
    genres: tuple[str, ...] = ()

    @property
    def named(self) -> bool:
        """Only songs with a title and an artist are ever shown to a person."""
        return bool(self.title) and bool(self.artists)


@dataclass(frozen=True, slots=True)
class ScoredSong:
    """A recommended song, its score and the query tags that chose it."""

    song: Song
    score: float
    because: tuple[str, ...]
    melon_url: str | None
    melon_search_url: str


@dataclass(frozen=True, slots=True)
class Recommendation:
    """What one photo or text query produced."""

    tags: tuple[TagWeight, ...]
    songs: tuple[ScoredSong, ...]
    tagger: str
    catalog: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape printed by `mri recommend --json` ("caption" only when the
        tagger wrote one; "evidence" only when face evidence was looked for)."""
        out: dict[str, Any] = {
            "tags": [{"tag": t.tag, "weight": round(t.weight, 4)} for t in self.tags],
            "songs": [
                {
                    "id": s.song.id,
                    "title": s.song.title,
                    "artists": list(s.song.artists),
                    "album": s.song.album,
                    "melon_url": s.melon_url,
                    "melon_search_url": s.melon_search_url,
                    "score": round(s.score, 4),
                    "because": list(s.because),
                }
                for s in self.songs
            ],
            "tagger": self.tagger,
            "catalog": self.catalog,
        }
        if self.extra.get("caption"):
            out["caption"] = self.extra["caption"]
        people = self.extra.get("people")
        if isinstance(people, PeopleSeen):
            out["evidence"] = {"people": people.to_json()}
        return out


@dataclass(frozen=True, slots=True)
class ReplyItem:
    """A song as stored for a reply: what people saw, and the id their votes refer to."""

    item_id: int
    rank: int
    song_id: str
    title: str
    artists: tuple[str, ...]
    album: str | None
    melon_url: str | None
    melon_search_url: str
    score: float
    because: tuple[str, ...]
    from_user: str | None = None  # group playlists: whose photo brought this song
    from_photo: int | None = None  # albums: which photo (1, 2, …) brought this song


MAX_ALBUM_PHOTOS = 10  # photos answered together (Telegram media groups, Discord messages)


@dataclass(frozen=True, slots=True)
class AlbumPart:
    """One photo of an album (by its position, from 1): the tags it gave, or why it could not
    be used (a failure code, as a failed job's: invalid_image:truncated, no_tags, …)."""

    n: int
    tags: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class JobResult:
    """A finished (or failed) job as adapters see it."""

    job_id: str
    kind: str
    status: str
    platform: str
    chat_id: str
    user_id: str
    message_ref: str | None
    tags: tuple[TagWeight, ...]
    items: tuple[ReplyItem, ...]
    tagger: str | None
    catalog: str | None
    error: str | None
    session_id: int | None = None
    list_item_id: int | None = None  # vote on this item to rate the whole list
    user_name: str | None = None  # the asker's display name, when MRI has it (credits)
    parts: tuple[AlbumPart, ...] = ()  # albums: each photo's tags or failure
    revision: int = 0  # how often its asker steered this reply (0: as first answered)
    # kind similar: the song it is like ("title"); a revision that could not do everything
    # asked: "notice" (unknown_tags:<words>, no_tags_left)
    steer: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VoteOutcome:
    """What one tap or reaction did, decided in one transaction: the person's vote before and
    now (+1, -1, or 0 for none), the reply it belongs to and its new counts (for the redraw)."""

    value: int
    previous: int
    result: JobResult
    totals: Mapping[int, tuple[int, int]]

    @property
    def changed(self) -> bool:
        return self.value != self.previous


@dataclass(frozen=True, slots=True)
class Queued:
    """A queued job that follows a reply, and the chat message it will be drawn in (a
    revision edits its reply's message; None: a new message)."""

    job_id: str
    reply_ref: str | None


@dataclass(frozen=True, slots=True)
class DeliveryClaim:
    """The caller may deliver this job's reply until its lease ends (core/db/delivery.py)."""

    job_id: str
    reply_ref: str | None  # the message that holds the reply (edit it); None: send a new one
    attempt: int


@dataclass(frozen=True, slots=True)
class ClosedPlaylist:
    """A group playlist whose time ran out: its blend is queued as `job_id` in `chat_id`;
    `lang` is the language of the member who opened it (for the announcement)."""

    job_id: str
    chat_id: str
    lang: str
