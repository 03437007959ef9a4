"""Catalog build time from the shared data (goal: <= 3 min), per stage, on 2 cores.

Builds the full evaluation catalog (train split, hold-out excluded) and the compact embedded
default into a temporary folder; named songs are converted once beforehand (timed apart).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import torch

from benchmarks.common import REPO, shared_dir, table, write_result
from training.catalog_build import ARENA, BuildConfig, Inputs, build_catalog, default_inputs
from training.named_songs import build_named_songs
from training.playlists import read_playlists, split_playlists, write_playlists
from training.songs_io import write_jsonl


def main() -> None:
    shared = shared_dir()
    if shared is None:
        raise SystemExit("../shared/data not found: the build benchmark needs the shared data")
    torch.set_num_threads(2)
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        t = time.perf_counter()
        named = tmp / "named.jsonl"
        write_jsonl(build_named_songs(shared), named)
        rows.append(
            ["named songs (lyric keywords with kiwi)", round(time.perf_counter() - t, 1), ""]
        )
        arena = shared / ARENA
        split = split_playlists(
            read_playlists(arena / "train_complete_playlists.json"),
            n_holdout=1000, n_validation=1000, seed=0,
        )  # fmt: skip
        write_playlists(split.rest + split.validation, tmp / "train.json")
        write_playlists(split.holdout, tmp / "holdout.json")
        full = Inputs(
            playlists=[tmp / "train.json"],
            partial=[arena / "train_partial_playlists.json"],
            tag_playlists=[arena / "playlist_tags_all.json"],
            exclude=[tmp / "holdout.json"],
            songs=[named],
        )
        for name, inputs, config in (
            ("full (eval) catalog", full, BuildConfig()),
            ("compact default catalog", default_inputs(shared, named), BuildConfig(compact=True)),
        ):
            manifest = build_catalog(inputs, tmp / name.split()[0], config)
            stages = ", ".join(f"{k} {v:.0f}" for k, v in manifest["stage_seconds"].items())
            rows.append([name, manifest["build_seconds"], stages])
    body = (
        f"Inputs: `{ARENA}` (complete + partial + tag-only playlists) and the named songs. "
        f"Repo: {REPO.name}.\n\n" + table(["build", "seconds", "stages (s)"], rows)
    )
    write_result("bench_build", "Catalog build time", body)


if __name__ == "__main__":
    main()
