"""`mri eval photos DIR`: does a photo's top 5 tags hold a tag relevant to its scene?

Photos are named `<scene>__<anything>.<ext>` (beach__…, night__…). The relevance table
(training/resources/scene_relevance.tsv) lists, per scene, the tags that describe such a photo
well; it is part of the repo so the number can be checked and argued with.
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image
from tqdm.auto import tqdm

from core.domain import TagWeight
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
    tag: Callable[[Image.Image], list[TagWeight]],
    load: Callable[[Path], Image.Image],
    relevance: dict[str, set[str]] | None = None,
    top: int = 5,
) -> dict[str, Any]:
    """Per-photo top tags and hits, per-scene counts, and the overall hit rate."""
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
        try:
            tags = [t.tag for t in tag(load(path))[:top]]
        except InvalidImage as exc:
            log.warning("%s: %s", path.name, exc)
            tags = []
        hit = bool(set(tags) & relevance[scene])
        photos.append({"file": path.name, "scene": scene, f"top{top}": tags, "hit": hit})
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
