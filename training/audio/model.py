"""Networks from a mel-spectrogram (1 x n_mels x frames) to a song vector in the tag space.

`seed` is the seed project's network, kept as the baseline:
    Conv2D(32)×2 → MaxPool → Dropout 0.2 → BatchNorm → Conv2D(128)×2 → MaxPool → Dropout 0.2
    → BatchNorm → Flatten → Dense(256) → Dropout 0.2 → BatchNorm → Dense(out)
(3×3 convolutions with ReLU, 2×2 pooling, as Keras defaults). Its Flatten ties it to one input
width, and on Arena's 48 × 1876 mels the Dense(256) alone holds 184M weights.

`pooled` replaces it: four conv blocks (conv → BatchNorm → ReLU → 2×2 max-pool; 32-64-128-256
channels), the frequency axis averaged away, then the mean and the max over time (so any clip
length works and a riff counts wherever it plays), Dense(256) → BatchNorm → ReLU → Dropout →
Dense(out). About 0.5M weights; it trains on random crops and reads whole clips at inference.

Both standardise each clip (zero mean, unit variance) first, so the level of a recording and
the dB/log10 compression matter less. The output size is the catalog's tag-space dimension.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

Arch = Literal["seed", "pooled"]


@dataclass(frozen=True)
class AudioNetConfig:
    """Architecture and input size (recorded in checkpoints)."""

    arch: Arch = "pooled"
    n_mels: int = 48
    frames: int = 1876  # the seed network's fixed input width
    out_dim: int = 128
    dropout: float = 0.2
    channels: tuple[int, ...] = (32, 64, 128, 256)  # pooled only


class Standardize(nn.Module):
    """Per-clip zero mean and unit variance."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        std = x.std(dim=(1, 2, 3), keepdim=True)
        return (x - mean) / (std + 1e-5)


class SeedNet(nn.Module):
    """The seed project's CNN (baseline)."""

    def __init__(self, config: AudioNetConfig) -> None:
        super().__init__()
        p = config.dropout
        self.features = nn.Sequential(
            Standardize(),
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Dropout(p),
            nn.BatchNorm2d(32),
            nn.Conv2d(32, 128, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(128, 128, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Dropout(p),
            nn.BatchNorm2d(128),
            nn.Flatten(),
        )
        flat = 128 * (config.n_mels // 4) * (config.frames // 4)
        self.head = nn.Sequential(
            nn.Linear(flat, 256),
            nn.ReLU(),
            nn.Dropout(p),
            nn.BatchNorm1d(256),
            nn.Linear(256, config.out_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # type: ignore[no-any-return]


class PooledNet(nn.Module):
    """Conv blocks, then mean and max over time: any clip length, far fewer weights."""

    def __init__(self, config: AudioNetConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = [Standardize()]
        c_in = 1
        for c_out in config.channels:
            layers += [
                nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
                nn.MaxPool2d(2, ceil_mode=True),
            ]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Linear(2 * c_in, 256),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(256, config.out_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x).mean(dim=2)  # (batch, channels, time)
        return self.head(torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1))  # type: ignore[no-any-return]


def build_model(config: AudioNetConfig) -> nn.Module:
    """The network `config` names."""
    if config.arch == "seed":
        return SeedNet(config)
    if config.arch == "pooled":
        return PooledNet(config)
    raise ValueError(f"unknown audio network {config.arch!r}")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
