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
from core.tagging.factory import OFFLINE_DEFAULT, build_tagger
from core.tagging.text import TextTagger

log = logging.getLogger(__name__)


class Pipeline:
    """Everything a worker process keeps in memory to answer photos and texts.

    `tagger_name` / `model` override MRI_TAGGER / the tagger's model setting. With `fallback`
    (the default, what workers use) a tagger that cannot run here is replaced by the offline
    default, and `fallback_reason` says why; without it TaggerUnavailable reaches the caller."""

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        *,
        tagger_name: str | None = None,
        model: str | None = None,
        fallback: bool = True,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.tagger_name = tagger_name or settings.tagger
        self.model = model
        self.fallback = fallback
        self.fallback_reason: str | None = None
        self.recommender = Recommender(
            catalog,
            max_per_artist=settings.max_per_artist,
            popularity_weight=settings.popularity_weight,
            hub_strength=settings.hub_strength,
            hub_temperature=settings.hub_temperature,
            variety=settings.variety,
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        catalog_dir: Path | None = None,
        *,
        tagger_name: str | None = None,
        model: str | None = None,
        fallback: bool = True,
    ) -> Pipeline:
        catalog = load_catalog(catalog_dir or settings.catalog_dir)
        return cls(settings, catalog, tagger_name=tagger_name, model=model, fallback=fallback)

    @cached_property
    def tagger(self) -> Tagger:
        try:
            return build_tagger(self.tagger_name, self.catalog, self.settings, model=self.model)
        except TaggerUnavailable as exc:
            if not self.fallback or self.tagger_name == OFFLINE_DEFAULT:
                raise
            self.fallback_reason = f"{self.tagger_name} tagger unavailable: {exc}"
        log.warning(
            "%s; using the offline %s tagger instead", self.fallback_reason, OFFLINE_DEFAULT
        )
        return build_tagger(OFFLINE_DEFAULT, self.catalog, self.settings)

    @property
    def tagger_label(self) -> str:
        """The tagger in use, and what it stands in for: 'imagenet (fallback for clip)'."""
        tagger = self.tagger
        if self.fallback_reason is not None:
            return f"{tagger.name} (fallback for {self.tagger_name})"
        return tagger.name

    @cached_property
    def text_tagger(self) -> TextTagger:
        return TextTagger(self.catalog)

    def recommend_image(self, image: Image.Image, top_k: int | None = None) -> Recommendation:
        started = time.perf_counter()
        seen = self.tagger.tag_batch([image])[0]
        tags = list(seen.tags)
        rec = self._recommend(tags, top_k, self.tagger.name)
        if seen.caption:
            rec.extra["caption"] = seen.caption
        if seen.people is not None:
            rec.extra["people"] = seen.people
        if seen.classes:
            rec.extra["classes"] = seen.classes
        if self.fallback_reason:
            rec.extra["tagger_fallback"] = self.fallback_reason
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

    def recommend_tags(
        self, tags: list[TagWeight], top_k: int | None, tagger: str
    ) -> Recommendation:
        """Songs for tags some tagger produced (e.g. each side of an A/B comparison)."""
        return self._recommend(tags, top_k, tagger)

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
