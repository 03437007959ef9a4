"""Audio-model checkpoints, and the embedder that turns mel-spectrograms into song vectors.

A checkpoint is one `torch.save` file holding only tensors and plain values (so it loads with
`weights_only=True`): the network and mel settings, the training settings, the catalog whose
tag space it predicts (version and a fingerprint of its tag vectors), the median norm of the
training targets, the weights, the optimizer state (to resume), and per-epoch history.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.errors import InputFileError
from training.audio.mel import MelConfig
from training.audio.model import AudioNetConfig, build_model

FORMAT = "mri-audio-model"
FORMAT_VERSION = 1


class CheckpointError(InputFileError):
    """A file that is not a usable audio-model checkpoint (or not for this catalog)."""


def tag_space_fingerprint(manifest: dict[str, Any]) -> str:
    """Identifies a learned tag space: the sha256s of a catalog's tag and profile vectors.

    Catalogs made by add-audio copy both files, so they keep their parent's fingerprint."""
    files = manifest.get("files", {})
    try:
        parts = files["tag_vectors.npy"]["sha256"] + files["profile_vectors.npy"]["sha256"]
    except (KeyError, TypeError):
        raise CheckpointError("the catalog manifest lists no tag vectors") from None
    return hashlib.sha256(parts.encode()).hexdigest()[:16]


def catalog_info(manifest: dict[str, Any], path: Path) -> dict[str, Any]:
    """What a checkpoint records about the catalog it was trained for."""
    return {
        "version": str(manifest["version"]),
        "path": str(path),
        "tag_space": tag_space_fingerprint(manifest),
        "dim": int(manifest["dims"]["tag_space"]),
    }


def net_config_from(data: dict[str, Any]) -> AudioNetConfig:
    return AudioNetConfig(**{**data, "channels": tuple(data.get("channels", ()))})


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write atomically (a crash mid-write leaves the previous checkpoint intact)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"format": FORMAT, "format_version": FORMAT_VERSION, **state}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path, device: str = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by `save_checkpoint` (tensors and plain values only)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"audio model {path} does not exist; train one with `mri audio train`"
        )
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except (OSError, RuntimeError, ValueError, EOFError) as exc:
        raise CheckpointError(f"{path} is not a readable audio-model checkpoint: {exc}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an MRI audio-model checkpoint")
    if state.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format {state.get('format_version')}, this MRI reads "
            f"{FORMAT_VERSION}"
        )
    return state


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class AudioEmbedder:
    """A trained network with its mel settings: mel-spectrograms in, song vectors out."""

    model: torch.nn.Module
    net: AudioNetConfig
    mel: MelConfig
    target_norm: float
    catalog: dict[str, Any]
    metrics: dict[str, Any]
    device: str = "cpu"

    @classmethod
    def load(cls, path: Path, device: str = "cpu") -> AudioEmbedder:
        state = load_checkpoint(path, device)
        net = net_config_from(state["net"])
        model = build_model(net)
        model.load_state_dict(state["model"])
        model.to(device).eval()
        history = state.get("history") or [{}]
        return cls(
            model=model,
            net=net,
            mel=MelConfig(**state["mel"]),
            target_norm=float(state["target_norm"]),
            catalog=dict(state["catalog"]),
            metrics=dict(history[-1].get("holdout", {})),
            device=device,
        )

    @torch.no_grad()
    def embed(self, mels: np.ndarray, batch: int = 16) -> np.ndarray:
        """(n, n_mels, frames) -> (n, dim) vectors with the training songs' median norm."""
        out = []
        for start in range(0, len(mels), batch):
            x = torch.from_numpy(np.ascontiguousarray(mels[start : start + batch], np.float32))
            pred = self.model(x[:, None].to(self.device)).float().cpu().numpy()
            out.append(pred)
        vectors = np.concatenate(out) if out else np.zeros((0, self.net.out_dim), np.float32)
        norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return (vectors / norms * self.target_norm).astype(np.float32)


def describe(embedder: AudioEmbedder, path: Path) -> dict[str, Any]:
    """What a catalog built with this model records about it."""
    return {
        "path": str(path),
        "sha256": file_sha256(path),
        "arch": embedder.net.arch,
        "mel": asdict(embedder.mel),
        "trained_for": embedder.catalog,
        "holdout": embedder.metrics,
    }
