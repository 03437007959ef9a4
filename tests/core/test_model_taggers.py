"""The clip, caption and ensemble taggers, loaded with `from_pretrained` from tiny local models.

The tiny models' tags are meaningless; these tests check the mechanics a real model goes through:
loading, batching, catalog tags with weights, the tag-embedding cache, captions kept, fallback
to the offline tagger, and that nothing reaches the network.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from core.catalog import Catalog
from core.config import RESOURCES, Settings
from core.domain import TaggerOutput, TagWeight
from core.errors import TaggerUnavailable
from core.pipeline import Pipeline
from core.tagging.caption import CaptionTagger, load_captioner, read_word_table
from core.tagging.clip import ClipTagger, load_clip, tag_cache_dir
from core.tagging.ensemble import EnsembleTagger
from core.tagging.factory import build_tagger, configured_taggers, missing_weights
from core.tagging.fusion import PeopleFusion
from core.tagging.hub import local_copy, resolve_model
from tests.models import TinyModels

pytestmark = pytest.mark.usefixtures("no_network")

with Image.open(RESOURCES / "demo/coffee.png") as _coffee:
    PHOTOS = [
        Image.new("RGB", (64, 48), (20, 90, 200)),
        Image.new("RGB", (40, 80), (240, 240, 245)),
        _coffee.convert("RGB"),
    ]


def _settings(tmp_path: Path, tiny: TinyModels, **kw: object) -> Settings:
    base: dict[str, object] = {
        "data_dir": tmp_path / "var",
        "clip_model": str(tiny.clip),
        "caption_model": str(tiny.blip),
        "offline": True,
    }
    return Settings(**(base | kw))  # type: ignore[arg-type]


def _assert_catalog_tags(catalog: Catalog, tags: tuple[TagWeight, ...] | list[TagWeight]) -> None:
    assert tags, "no tags"
    for t in tags:
        i = catalog.tag_index[t.tag]
        assert catalog.tag_categories[i], f"{t.tag} is not a shown tag"
    weights = [t.weight for t in tags]
    assert weights[0] == 1.0 and all(0 < w <= 1 for w in weights)
    assert weights == sorted(weights, reverse=True)


def _count_calls(module: torch.nn.Module) -> list[int]:
    calls = [0]

    def hook(*_: object) -> None:
        calls[0] += 1

    module.register_forward_hook(hook)
    return calls


# -- clip ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_clip_tags_a_batch_with_catalog_tags(
    tiny: TinyModels, tiny_catalog: Catalog, tmp_path: Path
) -> None:
    tagger = ClipTagger(tiny_catalog, load_clip(tiny.clip), cache_dir=tmp_path)
    assert tagger.tag_matrix.shape == (len(tiny_catalog.shown), 16)
    assert np.allclose(np.linalg.norm(tagger.tag_matrix, axis=1), 1.0, atol=1e-5)
    outputs = tagger.tag_batch(PHOTOS)
    assert len(outputs) == len(PHOTOS)
    for out in outputs:
        assert isinstance(out, TaggerOutput) and out.caption is None
        _assert_catalog_tags(tiny_catalog, out.tags)
    # one photo alone gets the same tags as in the batch
    assert tagger.tag(PHOTOS[2]) == list(outputs[2].tags)


@pytest.mark.slow
def test_clip_tag_embeddings_are_computed_once_then_read_from_the_cache(
    tiny: TinyModels, tiny_catalog: Catalog, tmp_path: Path
) -> None:
    first_model = load_clip(tiny.clip)
    first_calls = _count_calls(first_model.model.text_model)
    first = ClipTagger(tiny_catalog, first_model, cache_dir=tmp_path)
    assert first_calls[0] > 0 and not first.from_cache
    assert first.cache_file is not None and first.cache_file.is_file()

    second_model = load_clip(tiny.clip)  # a new process would load the model again
    second_calls = _count_calls(second_model.model.text_model)
    second = ClipTagger(tiny_catalog, second_model, cache_dir=tmp_path)
    assert second.from_cache and second_calls[0] == 0  # the text tower never ran
    assert np.array_equal(second.tag_matrix, first.tag_matrix)
    assert second.tag(PHOTOS[0]) == first.tag(PHOTOS[0])

    other = ClipTagger(tiny_catalog, second_model, cache_dir=tmp_path, templates=["{tag}"])
    assert not other.from_cache and other.cache_file != first.cache_file  # templates in the key


def test_tag_cache_goes_to_the_data_dir_for_the_embedded_catalog(
    default_catalog: Catalog, tiny_catalog: Catalog, tiny_catalog_dir: Path, tmp_path: Path
) -> None:
    assert tag_cache_dir(default_catalog, tmp_path) == tmp_path  # never into the source tree
    assert tag_cache_dir(tiny_catalog, tmp_path) == tiny_catalog_dir.resolve() / "cache"


@pytest.mark.slow
def test_unreadable_cache_is_recomputed(
    tiny: TinyModels, tiny_catalog: Catalog, tmp_path: Path
) -> None:
    clip = load_clip(tiny.clip)
    path = tmp_path / f"clip-tags-{ClipTagger(tiny_catalog, clip).cache_key()}.npy"
    path.write_bytes(b"not numpy")
    tagger = ClipTagger(tiny_catalog, clip, cache_dir=tmp_path)
    assert not tagger.from_cache and np.load(path).shape == tagger.tag_matrix.shape


@pytest.mark.slow
def test_a_checkpoint_that_does_not_fit_is_refused(tiny: TinyModels) -> None:
    with pytest.raises(TaggerUnavailable, match="do not fit"):
        load_clip(tiny.blip)  # a BLIP folder given as the clip model
    with pytest.raises(TaggerUnavailable, match=r"do not fit|cannot load"):
        load_captioner(tiny.clip)


# -- caption -------------------------------------------------------------------------------


@pytest.mark.slow
def test_caption_tagger_keeps_the_caption_and_maps_its_words(
    tiny: TinyModels, tiny_catalog: Catalog
) -> None:
    tagger = CaptionTagger(tiny_catalog, load_captioner(tiny.blip), max_new_tokens=8)
    outputs = tagger.tag_batch(PHOTOS[:2])
    assert len(outputs) == 2
    for out in outputs:
        assert isinstance(out.caption, str) and out.caption
        assert list(out.tags) == tagger.tags_for_caption(out.caption)
    tags = tagger.tags_for_caption("a dog running on the beach at sunset")
    _assert_catalog_tags(tiny_catalog, tags)
    assert {"해변", "바다", "여름"} <= {t.tag for t in tags}


def test_content_words_drop_stopwords_and_fold_plurals() -> None:
    from core.tagging.caption import content_words

    table = read_word_table()
    words = content_words("arafed man and two dogs sitting at a coffee shop with puppies", table)
    assert words == ["dog", "coffee shop", "puppy"]
    assert content_words("beaches beach", table) == ["beach"]


def test_every_caption_table_tag_is_a_shown_catalog_tag(default_catalog: Catalog) -> None:
    table = read_word_table()
    assert len(table) > 150
    for word, pairs in table.items():
        for tag, weight in pairs:
            i = default_catalog.tag_index.get(tag)
            assert i is not None and default_catalog.tag_categories[i], (word, tag)
            assert 0 < weight <= 1


# -- factory, ensemble, fallback -----------------------------------------------------------


@pytest.mark.slow
def test_ensemble_merges_members_and_keeps_the_caption(
    tiny: TinyModels, default_catalog: Catalog, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, tiny, ensemble_taggers="clip:1,caption:0.5,imagenet:0.5")
    shared: dict[str, object] = {}
    fused = build_tagger("ensemble", default_catalog, settings, shared=shared)  # type: ignore[arg-type]
    assert isinstance(fused, PeopleFusion)  # MRI_FACES: face evidence around the ensemble
    tagger = fused.inner
    assert isinstance(tagger, EnsembleTagger)
    assert [t.name for t, _ in tagger.members] == ["clip", "caption", "imagenet"]
    assert set(shared) == {"clip", "caption", "imagenet", "ensemble"}
    [out] = fused.tag_batch([PHOTOS[2]])
    _assert_catalog_tags(default_catalog, out.tags)
    assert out.caption and out.people is not None  # the caption survives the fusion
    # the clip cache of the embedded catalog went to the data dir, not the source tree
    assert list((tmp_path / "var" / "cache").glob("clip-tags-*.npy"))


@pytest.mark.slow
def test_ensemble_leaves_out_members_without_weights(
    tiny: TinyModels, default_catalog: Catalog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(
        tmp_path, tiny, ensemble_taggers="clip:1,caption:1", caption_model="nobody/missing"
    )
    with caplog.at_level(logging.WARNING):
        tagger = build_tagger(
            "ensemble", default_catalog, settings.model_copy(update={"faces": False})
        )
    assert isinstance(tagger, EnsembleTagger) and tagger.version == "ensemble-1:clip=1"
    assert "leaving out caption" in caplog.text


@pytest.mark.slow
def test_missing_weights_fall_back_to_imagenet_and_say_so(
    tiny: TinyModels, default_catalog: Catalog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, tiny, tagger="clip", clip_model="nobody/no-such-model")
    pipe = Pipeline(settings, default_catalog)
    with caplog.at_level(logging.WARNING):
        rec = pipe.recommend_image(PHOTOS[2])
    assert rec.tagger == "imagenet" and rec.tags and rec.songs
    assert pipe.tagger_label == "imagenet (fallback for clip)"
    assert "mri models fetch --tagger clip" in rec.extra["tagger_fallback"]
    assert "using the offline imagenet tagger instead" in caplog.text
    strict = Pipeline(settings, default_catalog, fallback=False)
    with pytest.raises(TaggerUnavailable, match=r"mri models fetch --tagger clip"):
        _ = strict.tagger


@pytest.mark.slow
def test_pipeline_with_the_caption_tagger_puts_the_caption_in_the_reply(
    tiny: TinyModels, default_catalog: Catalog, tmp_path: Path
) -> None:
    pipe = Pipeline(_settings(tmp_path, tiny, tagger="caption"), default_catalog)
    rec = pipe.recommend_image(PHOTOS[0])
    assert rec.tagger == "caption" and pipe.tagger_label == "caption"
    assert rec.extra["caption"] and rec.to_json()["caption"] == rec.extra["caption"]


def test_resolution_never_downloads(tmp_path: Path, tiny: TinyModels) -> None:
    models = tmp_path / "models"
    assert resolve_model("clip", str(tiny.clip), models) == tiny.clip
    with pytest.raises(TaggerUnavailable, match=r"`mri models fetch --tagger caption`"):
        resolve_model("caption", "Salesforce/blip-image-captioning-base", models)
    with pytest.raises(TaggerUnavailable, match="does not exist"):
        resolve_model("clip", str(tmp_path / "nowhere"), models)
    with pytest.raises(TaggerUnavailable, match=r"no config\.json"):
        resolve_model("clip", str(tmp_path), models)
    fetched = local_copy(models, "owner/model")  # what `mri models fetch` writes
    fetched.mkdir(parents=True)
    (fetched / "config.json").write_text("{}", encoding="utf-8")
    assert resolve_model("clip", "owner/model", models) == fetched


def test_missing_weights_and_configured_taggers(tmp_path: Path, tiny: TinyModels) -> None:
    settings = _settings(tmp_path, tiny, tagger="ensemble", caption_model="nobody/missing")
    assert set(missing_weights("ensemble", settings)) == {"caption"}
    assert missing_weights("imagenet", settings) == {}
    assert configured_taggers(settings) == ["imagenet", "clip", "caption", "ensemble"]
    assert configured_taggers(Settings(tagger="clip")) == ["imagenet", "clip"]
