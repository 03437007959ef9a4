"""`mri eval photos` on the shared photos: the issue's bar, kept as a regression guard."""

from __future__ import annotations

import pytest

from core.catalog import Catalog
from core.imaging import read_image_file
from core.tagging.imagenet import ImageNetTagger
from tests.shared_data import require_shared
from training.photo_eval import evaluate_photos, read_relevance


def test_relevance_table_uses_shown_catalog_tags(default_catalog: Catalog) -> None:
    table = read_relevance()
    assert {"beach", "cafe", "city", "mountain", "night", "party", "rain", "snow"} <= set(table)
    for scene, tags in table.items():
        for tag in tags:
            i = default_catalog.tag_index.get(tag)
            assert i is not None and default_catalog.tag_categories[i], (scene, tag)


@pytest.mark.slow
@pytest.mark.shared
def test_scene_tag_in_top5_for_at_least_80_percent(default_catalog: Catalog) -> None:
    tagger = ImageNetTagger(default_catalog)
    result = evaluate_photos(
        require_shared() / "photos",
        tagger.tag,
        lambda p: read_image_file(p, max_bytes=20_000_000, max_pixels=40_000_000),
    )
    assert result["n"] == 33
    assert result["hit_rate"] >= 0.8, [p for p in result["photos"] if not p["hit"]]
