"""Training on a small learnable synthetic task: the loss falls, recall beats chance, resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from training.audio.checkpoint import AudioEmbedder, CheckpointError, load_checkpoint
from training.audio.losses import chance_recall, retrieval_metrics, vector_loss
from training.audio.mel import MelConfig
from training.audio.model import AudioNetConfig, build_model, count_parameters
from training.audio.synthetic import clustered_vectors, render_mels
from training.audio.train import ArrayMels, TrainConfig, TrainData, train_audio_model

N_MELS, FRAMES, DIM = 16, 64, 16
CATALOG = {"version": "test", "path": "-", "tag_space": "abc", "dim": DIM}
NET = AudioNetConfig(n_mels=N_MELS, frames=FRAMES, out_dim=DIM, channels=(8, 16))


def small_task(n: int = 160) -> TrainData:
    vectors = clustered_vectors(n, DIM, clusters=8, seed=3)
    mels = render_mels(vectors, N_MELS, FRAMES, seed=4)
    return TrainData(ArrayMels(mels), vectors, np.arange(n), vectors)


def config(epochs: int) -> TrainConfig:
    return TrainConfig(
        epochs=epochs, batch=16, lr=3e-3, warmup_steps=5, negatives=64, crop_frames=48,
        holdout=0.25, threads=2,
    )  # fmt: skip


def test_networks_map_mels_to_catalog_vectors() -> None:
    x = torch.randn(3, 1, N_MELS, FRAMES)
    for arch in ("seed", "pooled"):
        model = build_model(AudioNetConfig(arch=arch, n_mels=N_MELS, frames=FRAMES, out_dim=DIM))
        model.eval()
        assert model(x).shape == (3, DIM)
    seed = build_model(AudioNetConfig(arch="seed", n_mels=N_MELS, frames=FRAMES, out_dim=DIM))
    dense = 128 * (N_MELS // 4) * (FRAMES // 4) * 256 + 256  # the Flatten -> Dense(256) layer
    assert count_parameters(seed) > dense
    pooled = build_model(NET).eval()
    assert pooled(torch.randn(2, 1, N_MELS, 200)).shape == (2, DIM)  # any clip length


def test_losses_prefer_the_true_vector() -> None:
    target = torch.eye(4)
    for kind in ("cosine", "contrastive", "both"):
        good = vector_loss(target * 3, target, kind)  # type: ignore[arg-type]
        bad = vector_loss(target.roll(1, dims=0), target, kind)  # type: ignore[arg-type]
        assert float(good) < float(bad)
    # a negative that is the row's own song is not pushed away
    own = vector_loss(target, target, "contrastive", negatives=target[:1],
                      exclude=torch.tensor([[True], [False], [False], [False]]))  # fmt: skip
    assert torch.isfinite(own)


def test_retrieval_metrics_by_hand() -> None:
    catalog = np.eye(4, dtype=np.float32)
    predicted = np.array([[1, 0, 0, 0], [0, 0, 1, 0.1]], dtype=np.float32)
    m = retrieval_metrics(predicted, np.array([0, 3]), catalog, ks=(1, 2))
    assert m["recall@1"] == 0.5 and m["recall@2"] == 1.0
    assert m["mean_cosine"] == pytest.approx((1 + 0.1 / np.sqrt(1.01)) / 2, abs=1e-4)


def test_short_training_lowers_the_loss_and_beats_chance(tmp_path: Path) -> None:
    data = small_task()
    out = tmp_path / "model.pt"
    summary = train_audio_model(data, NET, MelConfig(), config(4), out, CATALOG, progress=False)
    history = summary["history"]
    assert history[-1]["loss"] < history[0]["loss"]
    held = history[-1]["holdout"]
    assert held["n"] == 40
    assert held["recall@10"] > 2 * chance_recall(10, 160)
    assert held["mean_cosine"] > 0.4
    embedder = AudioEmbedder.load(out)
    vectors = embedder.embed(data.mels.load(0)[None].repeat(2, axis=0))
    target_norm = np.median(np.linalg.norm(data.targets, axis=1))
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([target_norm] * 2, rel=0.2)


def test_resumed_training_continues_where_it_stopped(tmp_path: Path) -> None:
    data = small_task(96)
    straight, resumed = tmp_path / "a.pt", tmp_path / "b.pt"
    train_audio_model(data, NET, MelConfig(), config(2), straight, CATALOG, progress=False)
    train_audio_model(data, NET, MelConfig(), config(2), resumed, CATALOG, progress=False,
                      stop_after=1)  # fmt: skip
    assert load_checkpoint(resumed)["epoch"] == 1
    summary = train_audio_model(data, NET, MelConfig(), config(2), resumed, CATALOG,
                                progress=False)  # fmt: skip
    assert [h["epoch"] for h in summary["history"]] == [1, 2]
    a, b = load_checkpoint(straight), load_checkpoint(resumed)
    assert a["history"][-1]["loss"] == pytest.approx(b["history"][-1]["loss"], rel=1e-4)
    for key, value in a["model"].items():
        torch.testing.assert_close(value, b["model"][key], rtol=1e-4, atol=1e-5)
    other = AudioNetConfig(n_mels=N_MELS, frames=FRAMES, out_dim=DIM, channels=(8, 8))
    with pytest.raises(CheckpointError, match="--restart"):
        train_audio_model(data, other, MelConfig(), config(3), resumed, CATALOG, progress=False)
