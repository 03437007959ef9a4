"""Photo -> recommendation in one process on 2 cores (goal: p95 <= 150 ms).

Stages: decode (bytes -> RGB, checks), tag (EfficientNet-Lite0 + table + cues + expansion),
recommend (query vector, faiss over named songs, diversity, reasons). The pipeline is loaded
once and warmed up; model loading is reported separately.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from benchmarks.common import percentiles, shared_dir, table, write_result
from core.config import RESOURCES, Settings
from core.imaging import load_image
from core.pipeline import Pipeline


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--catalog", type=Path, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(2)
    settings = Settings(num_threads=2)
    started = time.perf_counter()
    pipe = Pipeline.from_settings(settings, catalog_dir=args.catalog)
    tagger = pipe.tagger
    load_ms = 1000 * (time.perf_counter() - started)
    shared = shared_dir()
    folder = shared / "photos" if shared and (shared / "photos").is_dir() else RESOURCES / "demo"
    photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".png"})
    blobs = [p.read_bytes() for p in photos]
    for data in blobs[:3]:  # warm-up
        pipe.recommend_photo_bytes(data)
    stages: dict[str, list[float]] = {"decode": [], "tag": [], "recommend": [], "total": []}
    for _ in range(args.repeats):
        for data in blobs:
            t0 = time.perf_counter()
            image = load_image(
                data, max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels
            )
            t1 = time.perf_counter()
            tags = tagger.tag(image)
            t2 = time.perf_counter()
            pipe.recommender.recommend(tags, settings.top_k)
            t3 = time.perf_counter()
            for name, ms in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
                stages[name].append(1000 * ms)
    rows = []
    for name, samples in stages.items():
        s = percentiles(samples)
        rows.append([name, int(s["n"]), s["mean"], s["p50"], s["p95"], s["p99"], s["max"]])
    body = (
        f"{len(photos)} photos from `{folder.name}/` x {args.repeats} repeats, catalog "
        f"`{pipe.catalog.version}` ({len(pipe.catalog.songs)} songs). Times in ms.\n\n"
        + table(["stage", "n", "mean", "p50", "p95", "p99", "max"], rows)
        + f"\n\nOne-time load (catalog + EfficientNet weights + e5 tables): {load_ms:.0f} ms."
    )
    write_result("bench_photo", "Photo -> recommendation latency", body)


if __name__ == "__main__":
    main()
