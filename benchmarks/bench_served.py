"""What people are shown, per placement evidence source and hub-correction strength.

Learns the tag space once from the shared data (`training.catalog_build.prepare`), then builds
the compact catalog once per setting (named songs placed with one evidence source switched off,
or all of them) and reports, per setting:

- the placement check of `mri catalog info` (Arena songs with known metadata: the vector placed
  from metadata alone vs the one learned from their playlists);
- the served figures of `mri eval served` on ../shared/data/photos (33 photos) and on
  ../shared/data/flickr_scenes (294 photos, a second set the defaults were checked on).

Photos are tagged once (imagenet tagger); every setting recommends from the same tags.

    python -m benchmarks.bench_served [--quick]     # --quick: only the defaults and 'none'
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from benchmarks.common import REPO, shared_dir, table, write_result
from core.catalog import load_catalog
from core.config import Settings
from core.domain import TagWeight
from core.imaging import read_image_file
from core.recommender import Recommender
from core.tagging.factory import build_tagger
from training.catalog_build import BuildConfig, Prepared, build_catalog, default_inputs, prepare
from training.melon_chart import read_chart_songs
from training.named_songs import build_named_songs
from training.photo_eval import IMAGE_SUFFIXES
from training.placement import EVIDENCE, PlacementWeights
from training.served_eval import ChartLookup, Reply, summarise_served
from training.songs_io import read_named_songs, write_jsonl

CACHE = REPO / "artifacts" / "bench-served"


def _prepared(shared: Path, config: BuildConfig) -> tuple[Prepared, Path]:
    """Named songs and the learned stages, cached under artifacts/ between runs."""
    CACHE.mkdir(parents=True, exist_ok=True)
    named = CACHE / "named_songs.jsonl"
    if not named.exists():
        write_jsonl(build_named_songs(shared), named)
    cached = CACHE / "prepared.pkl"
    if cached.exists():  # the learned stages depend on the playlists, not on the named songs
        prepared: Prepared = pickle.loads(cached.read_bytes())  # our own cache file
        return replace(prepared, named=read_named_songs([named])), named
    prepared = prepare(default_inputs(shared, named), config)
    cached.write_bytes(pickle.dumps(prepared))
    return prepared, named


def _tag_folder(folder: Path, catalog_dir: Path) -> list[tuple[str, str, list[TagWeight]]]:
    settings = Settings()
    tagger = build_tagger("imagenet", load_catalog(catalog_dir), settings)
    out = []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        image = read_image_file(
            path, max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels
        )
        scene = path.name.split("__", 1)[0] if "__" in path.name else ""
        out.append((path.name, scene, list(tagger.tag_batch([image])[0].tags)))
    return out


def _served(
    recommender: Recommender, tagged: list[tuple[str, str, list[TagWeight]]], chart: ChartLookup
) -> dict[str, Any]:
    replies = [Reply(name, scene, recommender.recommend(tags, 10)) for name, scene, tags in tagged]
    return summarise_served(replies, chart)


def _row(label: str, check: dict[str, Any], served: list[dict[str, Any]]) -> list[object]:
    cells: list[object] = [
        label,
        f"{check.get('mean_cosine', 0):.3f} / {check.get('recall@100', 0):.3f} / "
        f"{check.get('median_rank', 0):.0f}",
    ]
    for s in served:
        seasons = s["seasons"]
        cells += [
            f"{s['distinct_share']:.0%} · {s['most_repeated']['replies']}",
            f"{s['links']['song']:.0%} · {s['charted_share']:.0%}",
            f"{seasons['snow']['lift']:.1f}× · {seasons['beach']['lift']:.1f}×",
        ]
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="defaults and 'none' only")
    args = parser.parse_args()
    shared = shared_dir()
    if shared is None:
        raise SystemExit("../shared/data not found: this benchmark needs the shared data")
    torch.set_num_threads(2)
    base = BuildConfig(compact=True)
    prepared, named = _prepared(shared, base)
    inputs = default_inputs(shared, named)
    chart = ChartLookup(read_chart_songs(shared / "melon_monthly_chart"))
    settings = Settings()
    hub, variety = settings.hub_strength, settings.variety
    settings_rows: list[tuple[str, PlacementWeights, float, float]] = [
        ("all evidence (default)", base.placement, hub, variety),
        ("all evidence, no variety", base.placement, hub, 0.0),
        ("all evidence, no hub correction", base.placement, 0.0, variety),
    ]
    if not args.quick:
        settings_rows += [
            (f"without {name}", base.placement.without(name), hub, variety) for name in EVIDENCE
        ]
        settings_rows += [("without shrink", replace(base.placement, shrink=0.0), hub, variety)]
    settings_rows.append(
        ("artist, genre, mood, keyword only; no hub correction, no variety",
         replace(base.placement, era=0.0, season=0.0, popularity=0.0, shrink=0.0), 0.0, 0.0)
    )  # fmt: skip
    folders = [shared / "photos", shared / "flickr_scenes"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tagged: list[list[tuple[str, str, list[TagWeight]]]] = []
        for label, weights, strength, noise in settings_rows:
            out = Path(tmp) / "catalog"
            manifest = build_catalog(
                inputs, out, replace(base, placement=weights), prepared=prepared
            )
            if not tagged:
                tagged = [_tag_folder(folder, out) for folder in folders]
            catalog = load_catalog(out)
            recommender = Recommender(
                catalog,
                max_per_artist=settings.max_per_artist,
                popularity_weight=settings.popularity_weight,
                hub_strength=strength,
                hub_temperature=settings.hub_temperature,
                variety=noise,
            )
            served = [_served(recommender, t, chart) for t in tagged]
            rows.append(_row(label, manifest["placement_check"], served))
            print(rows[-1], flush=True)
    headers = ["setting", "placement check: cos / recall@100 / median rank"]
    for folder in folders:
        headers += [
            f"{folder.name}: distinct · max replies",
            f"{folder.name}: song page · charted",
            f"{folder.name}: season lift snow · beach",
        ]
    body = (
        "Compact catalog from the shared data (the embedded default's inputs); served = top 10 "
        "per photo with the imagenet tagger. Season lift = share of a scene's charted songs "
        "that chart mostly in Nov-Feb (snow) / Jun-Aug (beach), over the same share among all "
        "chart songs. Placement check on the Arena songs whose metadata is known "
        f"(`mri catalog info`). Serving: popularity weight {settings.popularity_weight}, hub "
        f"correction strength {hub} (temperature {settings.hub_temperature}), variety "
        f"{variety}.\n\n" + table(headers, rows)
    )
    write_result("bench_served", "Served songs by evidence source and hub correction", body)


if __name__ == "__main__":
    main()
