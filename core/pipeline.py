"""Photo or text -> `Recommendation`: the catalog, a tagger and the recommender, loaded once."""

from __future__ import annotations

import logging
import time
from functools import cached_property
from pathlib import Path

from PIL import Image

from core.catalog import Catalog, load_catalog
from core.config import Settings
from core.domain import Recommendation, TagWeight
from core.errors import EmptyQuery, TaggerUnavailable
from core.imaging import load_image, read_image_file
from core.recommender import Recommender
from core.tagging.base import Tagger
from core.tagging.text import TextTagger

log = logging.getLogger(__name__)


def make_tagger(name: str, catalog: Catalog, threads: int = 2) -> Tagger:
    """The photo tagger called `name` (only `imagenet` ships offline)."""
    if name == "imagenet":
        from core.tagging.imagenet import ImageNetTagger

        return ImageNetTagger(catalog, threads=threads)
    raise TaggerUnavailable(f"unknown tagger {name!r}; available: imagenet")


class Pipeline:
    """Everything a worker process keeps in memory to answer photos and texts."""

    def __init__(self, settings: Settings, catalog: Catalog) -> None:
        self.settings = settings
        self.catalog = catalog
        self.recommender = Recommender(
            catalog,
            max_per_artist=settings.max_per_artist,
            popularity_weight=settings.popularity_weight,
        )

    @classmethod
    def from_settings(cls, settings: Settings, catalog_dir: Path | None = None) -> Pipeline:
        return cls(settings, load_catalog(catalog_dir or settings.catalog_dir))

    @cached_property
    def tagger(self) -> Tagger:
        return make_tagger(self.settings.tagger, self.catalog, self.settings.num_threads)

    @cached_property
    def text_tagger(self) -> TextTagger:
        return TextTagger(self.catalog)

    def recommend_image(self, image: Image.Image, top_k: int | None = None) -> Recommendation:
        started = time.perf_counter()
        tags = self.tagger.tag(image)
        rec = self._recommend(tags, top_k, self.tagger.name)
        log.info(
            "photo -> %d tags, %d songs in %.0f ms",
            len(tags),
            len(rec.songs),
            1000 * (time.perf_counter() - started),
        )
        return rec

    def recommend_photo_bytes(self, data: bytes, top_k: int | None = None) -> Recommendation:
        s = self.settings
        image = load_image(data, max_bytes=s.max_image_bytes, max_pixels=s.max_image_pixels)
        return self.recommend_image(image, top_k)

    def recommend_photo_file(self, path: Path, top_k: int | None = None) -> Recommendation:
        s = self.settings
        image = read_image_file(path, max_bytes=s.max_image_bytes, max_pixels=s.max_image_pixels)
        return self.recommend_image(image, top_k)

    def recommend_text(self, text: str, top_k: int | None = None) -> Recommendation:
        tags = self.text_tagger.tag_text(text)
        if not tags:
            raise EmptyQuery("no word of the text matches a mood, scene or genre tag")
        return self._recommend(tags, top_k, self.text_tagger.name)

    def _recommend(self, tags: list[TagWeight], top_k: int | None, tagger: str) -> Recommendation:
        songs = self.recommender.recommend(tags, top_k or self.settings.top_k)
        cats = self.catalog.tag_categories
        index = self.catalog.tag_index
        shown = [
            TagWeight(self.catalog.tag_display[index[t.tag]], t.weight)
            for t in tags
            if t.tag in index and cats[index[t.tag]]
        ]
        return Recommendation(
            tags=tuple(shown[: self.settings.tags_shown]),
            songs=songs,
            tagger=tagger,
            catalog=self.catalog.version,
            extra={"query_tags": [(t.tag, t.weight) for t in tags]},
        )
