"""Train a network to predict catalog song vectors from mel-spectrograms.

Every song with a mel-spectrogram and a catalog vector is one example. A fixed share of the
songs (seeded) is held out; after every epoch the held-out songs are scored (mean cosine,
recall@10/@100 among all catalog songs), and a checkpoint is written. Training resumes from the
checkpoint: the order of songs, the crops and the learning rate depend only on the seed, the
epoch and the step, so a resumed run continues exactly as an uninterrupted one would.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from training.audio.arena import load_arena_mel
from training.audio.checkpoint import (
    CheckpointError,
    load_checkpoint,
    net_config_from,
    save_checkpoint,
)
from training.audio.losses import LossKind, retrieval_metrics, vector_loss
from training.audio.mel import MelConfig
from training.audio.model import AudioNetConfig, build_model, count_parameters

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (recorded in the checkpoint)."""

    epochs: int = 30
    batch: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 200
    loss: LossKind = "both"
    temperature: float = 0.05
    negatives: int = 4096  # random catalog songs per batch for the contrastive loss
    crop_frames: int = 938  # pooled network: random crops of ~15 s; 0 = whole clips
    holdout: float = 0.1
    max_holdout: int = 10_000
    seed: int = 0
    threads: int = 2
    workers: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"


class MelSource(Protocol):
    """Indexable mel-spectrograms (n_mels x frames each)."""

    def __len__(self) -> int: ...

    def load(self, i: int) -> np.ndarray: ...


class ArrayMels:
    """Mel-spectrograms held in one (n, n_mels, frames) array."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    def load(self, i: int) -> np.ndarray:
        return np.asarray(self.array[i], dtype=np.float32)


class FileMels:
    """Arena mel files, read when needed (the full release does not fit in memory)."""

    def __init__(self, paths: Sequence[Path], n_mels: int, frames: int) -> None:
        self.paths = list(paths)
        self.n_mels = n_mels
        self.frames = frames

    def __len__(self) -> int:
        return len(self.paths)

    def load(self, i: int) -> np.ndarray:
        return load_arena_mel(self.paths[i], n_mels=self.n_mels, frames=self.frames)


@dataclass
class TrainData:
    """Examples: mel i belongs to catalog row rows[i], whose vector is targets[i]."""

    mels: MelSource
    targets: np.ndarray  # (n, dim)
    rows: np.ndarray  # (n,) catalog rows
    catalog_vectors: np.ndarray  # (songs, dim): every catalog song, for negatives and recall


class _Clips(Dataset[tuple[torch.Tensor, int]]):
    def __init__(self, mels: MelSource, order: np.ndarray, crop: int, seed: int, epoch: int):
        self.mels, self.order, self.crop, self.seed, self.epoch = mels, order, crop, seed, epoch

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, j: int) -> tuple[torch.Tensor, int]:
        i = int(self.order[j])
        mel = self.mels.load(i)
        if 0 < self.crop < mel.shape[1]:
            start = np.random.default_rng([self.seed, self.epoch, i]).integers(
                0, mel.shape[1] - self.crop + 1
            )
            mel = mel[:, start : start + self.crop]
        return torch.from_numpy(np.ascontiguousarray(mel))[None], i


def split_songs(n: int, holdout: float, max_holdout: int, seed: int) -> tuple[np.ndarray, ...]:
    """(train, held-out) example indices; the same for the same n and seed."""
    if n < 4:
        raise ValueError(f"{n} songs with mel-spectrograms: too few to train and hold out")
    order = np.random.default_rng(seed).permutation(n)
    k = min(max(1, round(n * holdout)), max_holdout, n - 2)
    return np.sort(order[k:]), np.sort(order[:k])


def _device(config: TrainConfig) -> str:
    if config.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return config.device


def _lr(config: TrainConfig, step: int, total: int) -> float:
    """Linear warm-up, then cosine decay to 5% (a function of the step only)."""
    warm = min(config.warmup_steps, max(total // 10, 1))
    if step < warm:
        return config.lr * (step + 1) / warm
    progress = (step - warm) / max(total - warm, 1)
    return config.lr * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0))))


@torch.no_grad()
def predict(
    model: torch.nn.Module,
    mels: MelSource,
    indices: np.ndarray,
    device: str,
    *,
    batch: int = 32,
    workers: int = 0,
) -> np.ndarray:
    """Raw network outputs for whole clips, in the order of `indices`."""
    model.eval()
    loader = DataLoader(_Clips(mels, indices, 0, 0, 0), batch_size=batch, num_workers=workers)
    out = [model(x.to(device)).float().cpu().numpy() for x, _ in loader]
    return np.concatenate(out) if out else np.zeros((0, 1), np.float32)


def _evaluate(
    model: torch.nn.Module, data: TrainData, indices: np.ndarray, device: str, workers: int
) -> dict[str, float]:
    pred = predict(model, data.mels, indices, device, workers=workers)
    return retrieval_metrics(pred, data.rows[indices], data.catalog_vectors, device=device)


def _resume(
    out: Path, net: AudioNetConfig, catalog: dict[str, Any], config: TrainConfig, n: int
) -> dict[str, Any] | None:
    if not out.is_file():
        return None
    state = load_checkpoint(out)
    same = (
        net_config_from(state["net"]) == net
        and state["catalog"].get("tag_space") == catalog["tag_space"]
        and state["data"].get("songs") == n
        and state["train"].get("seed") == config.seed
        and state["train"].get("holdout") == config.holdout
    )
    if not same:
        raise CheckpointError(
            f"{out} was trained with another network, catalog, song set or split; "
            "start again with --restart (it will be overwritten) or choose another --out"
        )
    return state


def train_audio_model(
    data: TrainData,
    net: AudioNetConfig,
    mel: MelConfig,
    config: TrainConfig,
    out: Path,
    catalog: dict[str, Any],
    *,
    resume: bool = True,
    progress: bool = True,
    stop_after: int | None = None,
) -> dict[str, Any]:
    """Train (or continue training) and return the last checkpoint's summary.

    `stop_after` ends this call after that epoch (as an interruption would); the learning-rate
    schedule spans `config.epochs`, so resuming with the same config continues it exactly."""
    device = _device(config)
    if device == "cpu":
        torch.set_num_threads(config.threads)
    n = len(data.mels)
    train_idx, hold_idx = split_songs(n, config.holdout, config.max_holdout, config.seed)
    torch.manual_seed(config.seed)
    model = build_model(net).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    state = _resume(Path(out), net, catalog, config, n) if resume else None
    history: list[dict[str, Any]] = []
    start_epoch = 0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        history, start_epoch = list(state["history"]), int(state["epoch"])
        log.info("resuming %s after epoch %d", out, start_epoch)
    target_norm = float(np.median(np.linalg.norm(data.targets[train_idx], axis=1)))
    targets = torch.from_numpy(data.targets.astype(np.float32)).to(device)
    rows = torch.from_numpy(data.rows.astype(np.int64)).to(device)
    bank = torch.from_numpy(data.catalog_vectors.astype(np.float32)).to(device)
    crop = 0 if net.arch == "seed" else config.crop_frames
    # as many training songs as held-out ones (at most 2,000): over-fitting shows as a gap
    train_sample = train_idx[:: max(1, len(train_idx) // min(len(hold_idx), 2000))][:2000]
    batches = -(-len(train_idx) // config.batch)
    total_steps = config.epochs * batches
    amp = device == "cuda"
    log.info(
        "audio model %s: %d parameters, %d train / %d held-out songs, device %s",
        net.arch, count_parameters(model), len(train_idx), len(hold_idx), device,
    )  # fmt: skip
    last_epoch = config.epochs if stop_after is None else min(stop_after, config.epochs)
    for epoch in range(start_epoch, last_epoch):
        started = time.monotonic()
        torch.manual_seed(config.seed * 100_003 + epoch)
        gen = torch.Generator(device="cpu").manual_seed(config.seed * 100_003 + epoch)
        order = np.random.default_rng([config.seed, epoch]).permutation(train_idx)
        loader = DataLoader(
            _Clips(data.mels, order, crop, config.seed, epoch),
            batch_size=config.batch,
            num_workers=config.workers,
            pin_memory=device == "cuda",
        )
        model.train()
        total, seen = 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{config.epochs}", disable=not progress)
        for b, (x, idx) in enumerate(bar):
            if len(idx) < 2:  # BatchNorm needs two examples
                continue
            step = epoch * batches + b
            for group in opt.param_groups:
                group["lr"] = _lr(config, step, total_steps)
            x, idx = x.to(device, non_blocking=True), idx.to(device)
            neg_rows = torch.randint(0, len(bank), (config.negatives,), generator=gen).to(device)
            with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=amp):
                pred = model(x)
            loss = vector_loss(
                pred,
                targets[idx],
                config.loss,
                temperature=config.temperature,
                negatives=bank[neg_rows] if config.negatives else None,
                exclude=neg_rows[None, :] == rows[idx][:, None] if config.negatives else None,
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            total += float(loss.item()) * len(idx)
            seen += len(idx)
            bar.set_postfix(loss=f"{total / max(seen, 1):.4f}")
        record = {
            "epoch": epoch + 1,
            "loss": round(total / max(seen, 1), 5),
            "seconds": round(time.monotonic() - started, 1),
            "holdout": _evaluate(model, data, hold_idx, device, config.workers),
            "train_sample": _evaluate(model, data, train_sample, device, config.workers),
        }
        history.append(record)
        log.info("epoch %d: %s", epoch + 1, record)
        save_checkpoint(
            Path(out),
            {
                "net": asdict(net),
                "mel": asdict(mel),
                "train": asdict(config),
                "catalog": catalog,
                "target_norm": target_norm,
                "epoch": epoch + 1,
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "history": history,
                "data": {"songs": n, "train": len(train_idx), "holdout": len(hold_idx)},
            },
        )
    return {
        "out": str(out),
        "arch": net.arch,
        "parameters": count_parameters(model),
        "songs": n,
        "holdout_songs": len(hold_idx),
        "history": history,
    }
