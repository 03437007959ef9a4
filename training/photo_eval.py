"""`mri eval photos DIR`: does a photo's top 5 tags hold a tag relevant to its scene?

Photos are named `<scene>__<anything>.<ext>` (beach__…, night__…). The relevance table
(training/resources/scene_relevance.tsv) lists, per scene, the tags that describe such a photo
well; it is part of the repo so the number can be checked and argued with.
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from PIL import Image
from tqdm.auto import tqdm

from core.domain import TaggerOutput, TagWeight
from core.errors import InvalidImage

log = logging.getLogger(__name__)

RELEVANCE = Path(__file__).parent / "resources" / "scene_relevance.tsv"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp"}


def read_relevance(path: Path = RELEVANCE) -> dict[str, set[str]]:
    """scene -> relevant tag keys."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        next(reader)
        return {scene: set(tags.split(",")) for scene, tags in reader}


def evaluate_photos(
    folder: Path,
    tag: Callable[[Image.Image], Sequence[TagWeight] | TaggerOutput],
    load: Callable[[Path], Image.Image],
    relevance: dict[str, set[str]] | None = None,
    top: int = 5,
) -> dict[str, Any]:
    """Per-photo top tags and hits, per-scene counts, and the overall hit rate. `tag` may
    return a TaggerOutput; its caption is then kept with the photo."""
    relevance = relevance or read_relevance()
    files = sorted(
        p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and "__" in p.name
    )
    photos: list[dict[str, Any]] = []
    per_scene: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for path in tqdm(files, desc="eval photos", unit="photo"):
        scene = path.name.split("__", 1)[0]
        if scene not in relevance:
            log.warning("%s: no relevance entry for scene %r; skipped", path.name, scene)
            continue
        caption = None
        try:
            seen = tag(load(path))
            if isinstance(seen, TaggerOutput):
                caption = seen.caption
            ranked = seen.tags if isinstance(seen, TaggerOutput) else seen
            tags = [t.tag for t in ranked[:top]]
        except InvalidImage as exc:
            log.warning("%s: %s", path.name, exc)
            tags = []
        hit = bool(set(tags) & relevance[scene])
        photos.append({"file": path.name, "scene": scene, f"top{top}": tags, "hit": hit})
        if caption:
            photos[-1]["caption"] = caption
        per_scene[scene][0] += int(hit)
        per_scene[scene][1] += 1
    hits = sum(p["hit"] for p in photos)
    return {
        "n": len(photos),
        "hits": hits,
        "hit_rate": round(hits / len(photos), 4) if photos else 0.0,
        "per_scene": {s: {"hits": h, "n": n} for s, (h, n) in sorted(per_scene.items())},
        "photos": photos,
    }


def compare_taggers(
    folder: Path,
    taggers: Mapping[str, Callable[[Image.Image], Sequence[TagWeight] | TaggerOutput] | str],
    load: Callable[[Path], Image.Image],
    relevance: dict[str, set[str]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Every tagger on the same photos: name -> evaluate_photos' result, or, for a tagger that
    cannot run here (given as the reason, a str), {"unavailable": reason}."""
    relevance = relevance or read_relevance()
    return {
        name: {"unavailable": tag}
        if isinstance(tag, str)
        else evaluate_photos(folder, tag, load, relevance)
        for name, tag in taggers.items()
    }


def format_comparison(results: Mapping[str, dict[str, Any]]) -> str:
    """Side by side: per photo a line per tagger (hit, top 5, caption), then per-scene hits and
    the hit rate of each tagger in columns."""
    ran = {name: r for name, r in results.items() if "unavailable" not in r}
    width = max([8, *(len(n) for n in results)])
    lines: list[str] = []
    by_file = [{p["file"]: p for p in r["photos"]} for r in ran.values()]
    for file in by_file[0] if by_file else {}:
        lines.append(file)
        for name, photos in zip(ran, by_file, strict=True):
            p = photos.get(file)
            if p is None:
                continue
            caption = f'  "{p["caption"]}"' if p.get("caption") else ""
            mark = "✓" if p["hit"] else "✗"
            lines.append(f"  {mark} {name:<{width}} {' '.join(p['top5'])}{caption}")
    lines.append("")
    lines.append(f"{'scene':<10}" + "".join(f"{n:>{width + 2}}" for n in ran))
    scenes = sorted({s for r in ran.values() for s in r["per_scene"]})
    for scene in scenes:
        cells = []
        for r in ran.values():
            c = r["per_scene"].get(scene, {"hits": 0, "n": 0})
            cells.append(f"{c['hits']}/{c['n']}".rjust(width + 2))
        lines.append(f"{scene:<10}" + "".join(cells))
    lines.append("")
    for name, r in results.items():
        if "unavailable" in r:
            lines.append(f"{name:<{width}} unavailable: {r['unavailable']}")
        else:
            lines.append(
                f"{name:<{width}} scene-relevant tag in top 5: "
                f"{r['hits']}/{r['n']} = {r['hit_rate']:.1%}"
            )
    return "\n".join(lines)
