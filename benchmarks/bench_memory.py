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

from benchmarks.common import REPO, rss_mb, table, write_result


def probe(catalog: Path | None, text: bool, faces: bool = True) -> dict[str, object]:
    import torch

    from core.config import RESOURCES, Settings
    from core.pipeline import Pipeline

    torch.set_num_threads(2)
    pipe = Pipeline.from_settings(Settings(faces=faces), catalog_dir=catalog)
    out: dict[str, object] = {"catalog": pipe.catalog.version, "songs": len(pipe.catalog.songs)}
    out["loaded"] = rss_mb()
    rec = pipe.recommend_photo_file(RESOURCES / "demo/coffee.png")
    if text:
        pipe.recommend_text("비 오는 날 카페")
    if pipe.catalog.exact is not None:
        weights = pipe.recommender.resolve([*rec.tags])
        weights = weights or {0: 1.0}
        pipe.recommender.rank(weights)
    out["after"] = rss_mb()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("--catalog", type=Path, default=None)
    ap.add_argument("--text", action="store_true")
    ap.add_argument("--no-faces", action="store_true", help="MRI_FACES=false")
    args = ap.parse_args()
    if args.probe:
        print(json.dumps(probe(args.catalog, args.text, faces=not args.no_faces)))
        return
    configs: list[list[str]] = [["--no-faces"], [], ["--text"]]
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
        if "--no-faces" in extra:
            requests += " (MRI_FACES=false)"
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
        "loaded by the first text query; P of the exact model is memory-mapped. Face evidence "
        "(MRI_FACES, on by default: OpenCV, the cascade, mini-XCEPTION) is loaded with the "
        "first photo.\n\n"
        + table(["catalog", "songs", "requests", "RSS loaded", "RSS after", "peak RSS"], rows)
    )
    write_result("bench_memory", "Resident memory with the catalog loaded", body)


if __name__ == "__main__":
    main()
