"""What the audio networks learn, on the synthetic task (no real Arena mels here).

Songs: a seeded sample of the embedded catalog's songs; each song's clip is rendered from its
real 128-dim tag-space vector by training/audio/synthetic.py (sustained timbre + a pulse at a
vector-dependent tempo + noise + a random level), 48 mel bands x 128 frames. 20% of the songs
are held out. Every network/loss pair trains with the same data, seed, batch (32), learning
rate (1e-3, warm-up then cosine) and epochs on 2 CPU threads. Metrics on the held-out songs:
mean cosine of the predicted and the true vector, and recall@10/@100 of the true song among
all songs of the catalog (cosine). This checks the networks, losses and training loop on a
task with a known answer; it does not say how well real audio predicts playlist tags.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import table, write_result
from core.catalog import load_catalog
from core.config import DEFAULT_CATALOG
from training.audio.checkpoint import catalog_info
from training.audio.losses import chance_recall
from training.audio.mel import MelConfig
from training.audio.model import AudioNetConfig
from training.audio.synthetic import render_mels
from training.audio.train import ArrayMels, TrainConfig, TrainData, train_audio_model

VARIANTS = (
    ("seed", "cosine", "seed network, cosine loss (the seed project's setup)"),
    ("seed", "both", "seed network, cosine + contrastive"),
    ("pooled", "cosine", "pooled network, cosine loss"),
    ("pooled", "both", "**pooled network, cosine + contrastive (default)**"),
)

HEADERS = (
    "network and loss", "parameters", "held-out mean cos", "recall@10", "recall@100",
    "median rank", "train recall@10", "s/epoch",
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--songs", type=int, default=1500)
    parser.add_argument("--frames", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(2)
    catalog = load_catalog(DEFAULT_CATALOG)
    vectors = np.load(DEFAULT_CATALOG / "song_vectors.npy").astype(np.float32)
    rows = np.sort(np.random.default_rng(0).choice(len(vectors), args.songs, replace=False))
    mels = render_mels(vectors[rows], 48, args.frames, seed=1)
    data = TrainData(ArrayMels(mels), vectors[rows], rows, vectors)
    info = catalog_info(catalog.manifest, DEFAULT_CATALOG)
    table_rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for arch, loss, name in VARIANTS:
            config = TrainConfig(
                epochs=args.epochs, batch=32, loss=loss, negatives=1024,  # type: ignore[arg-type]
                crop_frames=args.frames // 2, warmup_steps=20, holdout=0.2,
            )  # fmt: skip
            net = AudioNetConfig(arch=arch, frames=args.frames)  # type: ignore[arg-type]
            started = time.monotonic()
            summary = train_audio_model(
                data, net, MelConfig(), config, Path(tmp) / f"{arch}-{loss}.pt", info
            )
            seconds = time.monotonic() - started
            last = summary["history"][-1]
            h, t = last["holdout"], last["train_sample"]
            table_rows.append([
                name, f"{summary['parameters']:,}", f"{h['mean_cosine']:.3f}",
                f"{h['recall@10']:.3f}", f"{h['recall@100']:.3f}", f"{h['median_rank']:.0f}",
                f"{t['recall@10']:.3f}", f"{seconds / args.epochs:.0f}",
            ])  # fmt: skip
    n_hold = summary["holdout_songs"]
    chance = (chance_recall(10, len(vectors)), chance_recall(100, len(vectors)))
    body = (
        f"{args.songs} songs of `{catalog.version}` ({len(vectors):,} songs, 128 dims), "
        f"{n_hold} held out; clips 48 x {args.frames}; {args.epochs} epochs; recall among all "
        f"{len(vectors):,} catalog songs (chance: recall@10 {chance[0]:.4f}, recall@100 "
        f"{chance[1]:.4f}). The pooled network trains on random {args.frames // 2}-frame crops "
        "and is scored on whole clips; the seed network always sees whole clips. Last "
        "column but one: recall@10 on as many training songs (over-fitting shows as a gap). "
        "Median rank: catalog songs ranked above the true one.\n\n" + table(HEADERS, table_rows)
    )
    write_result("bench_audio_quality", "Audio model: what it learns (synthetic task)", body)


if __name__ == "__main__":
    main()
