"""A tagger with face evidence fused in: its own tags plus what the people in the photo say.

The inner tagger's tags (strongest = 1) and the people votes (core.tagging.people) times
`weight` are summed per tag and ranked again, so that a clearly smiling face puts 행복 among
the first tags while a doubtful speck of a face changes nothing. The result keeps the inner
tagger's name (votes, A/B tests and reports stay comparable) and carries the evidence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from PIL import Image

from core.catalog import Catalog
from core.domain import PeopleSeen, TaggerOutput, TagWeight
from core.tagging.base import Tagger, TagScores
from core.tagging.people import PeopleReader


class PeopleFusion:
    """Runs `inner`, reads the faces of the same photos and merges both."""

    def __init__(
        self,
        inner: Tagger,
        reader: PeopleReader,
        catalog: Catalog,
        *,
        weight: float = 1.0,
        max_tags: int = 12,
    ) -> None:
        self.inner = inner
        self.reader = reader
        self.catalog = catalog
        self.weight = weight
        self.max_tags = max_tags
        self.name = inner.name
        self.version = f"{inner.version}+faces-1:{weight:g}"

    def fuse(self, tags: Sequence[TagWeight], people: PeopleSeen) -> list[TagWeight]:
        """The inner tags and the people votes, merged and ranked."""
        if not people.tags:
            return list(tags)
        scores = TagScores(self.catalog)
        scores.add_many((t.tag, t.weight) for t in tags)
        scores.add_many(((t.tag, t.weight) for t in people.tags), self.weight)
        return scores.top(self.max_tags)

    def tag_batch(self, images: Sequence[Image.Image]) -> list[TaggerOutput]:
        outputs = self.inner.tag_batch(images)
        fused = []
        for image, out in zip(images, outputs, strict=True):
            people = self.reader.read(image)
            tags = tuple(self.fuse(out.tags, people))
            fused.append(dataclasses.replace(out, tags=tags, people=people))
        return fused

    def tag(self, image: Image.Image) -> list[TagWeight]:
        return list(self.tag_batch([image])[0].tags)
