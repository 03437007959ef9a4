"""A weighted merge of several taggers: each member's tags (strongest = 1) times its weight,
summed per tag. Members see objects (imagenet), moods (clip) or words (caption); where they agree
a tag rises, where only one sees something it still counts by that member's weight."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from core.catalog import Catalog
from core.domain import TaggerOutput, TagWeight
from core.tagging.base import Tagger, TagScores


class EnsembleTagger:
    """Runs every member on the same photos and merges their weighted tags."""

    name = "ensemble"

    def __init__(
        self, catalog: Catalog, members: Sequence[tuple[Tagger, float]], *, max_tags: int = 12
    ) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.catalog = catalog
        self.members = list(members)
        self.max_tags = max_tags
        self.version = "ensemble-1:" + ",".join(f"{t.name}={w:g}" for t, w in self.members)

    def tag_batch(self, images: Sequence[Image.Image]) -> list[TaggerOutput]:
        if not images:
            return []
        per_member = [(tagger.tag_batch(images), weight) for tagger, weight in self.members]
        merged = []
        for k in range(len(images)):
            scores = TagScores(self.catalog)
            captions = []
            for outputs, weight in per_member:
                scores.add_many(((t.tag, t.weight) for t in outputs[k].tags), weight)
                caption = outputs[k].caption
                if caption:
                    captions.append(caption)
            merged.append(
                TaggerOutput(tuple(scores.top(self.max_tags)), " / ".join(captions) or None)
            )
        return merged

    def tag(self, image: Image.Image) -> list[TagWeight]:
        return list(self.tag_batch([image])[0].tags)
