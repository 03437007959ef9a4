"""Resident memory of a serving process with the catalog loaded (goal: <= 1.2 GB).

Each configuration runs in a fresh subprocess (`--probe`); we report RSS after loading and
peak RSS (VmHWM) after answering one photo, one text query (which loads kiwipiepy) and, for
a full catalog, one exact re-ranking.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from benchmarks.common import REPO, table, write_result


def _rss_mb() -> tuple[float, float]:
    fields = dict(
        line.split(":", 1)
        for line in Path("/proc/self/status").read_text().splitlines()
        if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def probe(catalog: Path | None, text: bool) -> dict[str, object]:
    import torch

    from core.config import RESOURCES, Settings
    from core.pipeline import Pipeline

    torch.set_num_threads(2)
    pipe = Pipeline.from_settings(Settings(), catalog_dir=catalog)
    out: dict[str, object] = {"catalog": pipe.catalog.version, "songs": len(pipe.catalog.songs)}
    out["loaded"] = _rss_mb()
    rec = pipe.recommend_photo_file(RESOURCES / "demo/coffee.png")
    if text:
        pipe.recommend_text("비 오는 날 카페")
    if pipe.catalog.exact is not None:
        weights = pipe.recommender.resolve([*rec.tags])
        weights = weights or {0: 1.0}
        pipe.recommender.rank(weights)
    out["after"] = _rss_mb()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("--catalog", type=Path, default=None)
    ap.add_argument("--text", action="store_true")
    args = ap.parse_args()
    if args.probe:
        print(json.dumps(probe(args.catalog, args.text)))
        return
    configs: list[list[str]] = [[], ["--text"]]
    full = REPO / "artifacts/catalog-full"
    if (full / "manifest.json").is_file():
        configs += [["--catalog", str(full)], ["--catalog", str(full), "--text"]]
    rows = []
    for extra in configs:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_memory", "--probe", *extra],
            capture_output=True, text=True, check=True, cwd=REPO,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        requests = "photo + text" if "--text" in extra else "photo"
        if "--catalog" in extra:
            requests += " + exact rank"
        loaded, after = r["loaded"], r["after"]
        rows.append(
            [
                r["catalog"],
                f"{r['songs']:,}",
                requests,
                f"{loaded[0]:.0f}",
                f"{after[0]:.0f}",
                f"{after[1]:.0f}",
            ]
        )
    body = (
        "RSS in MB (Linux /proc/self/status). kiwipiepy (text queries) costs ~500 MB and is only "
        "loaded by the first text query; P of the exact model is memory-mapped.\n\n"
        + table(["catalog", "songs", "requests", "RSS loaded", "RSS after", "peak RSS"], rows)
    )
    write_result("bench_memory", "Resident memory with the catalog loaded", body)


if __name__ == "__main__":
    main()
