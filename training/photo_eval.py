"""`mri eval photos DIR`: does a photo's top 5 tags hold a tag relevant to its scene?

A photo's scenes come from `DIR/labels.csv` when there is one (`file,scenes,...`, scenes
`;`-separated: a dog on a beach is `beach;dog`), else from its name, `<scene>__<anything>.<ext>`.
The relevance table (training/resources/scene_relevance.tsv) lists, per scene, the tags that
describe such a photo well, and the tags that name the photo's subject itself (강아지 on a dog
photo); it is part of the repo so the number can be checked and argued with.

Reported: per photo, whether each of its scenes got a relevant tag; per scene, the hit rate; the
macro average over scenes with enough photos; and the tags that crowd the top 5 of many photos
(a tag in the top 5 of more than a third of the photos, where it is not the subject, says little
about any of them).
"""

from __future__ import annotations

import csv
import logging
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from tqdm.auto import tqdm

from core.domain import TaggerOutput, TagWeight
from core.errors import InvalidImage

log = logging.getLogger(__name__)

RELEVANCE = Path(__file__).parent / "resources" / "scene_relevance.tsv"
LABELS_FILE = "labels.csv"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp"}
TOP = 5
MACRO_MIN_PHOTOS = 5
MACRO_SKIP = ("dog",)  # the subject scene: any dog breed names it, so it says little of a tagger
CROWDING_SHARE = 1 / 3

TagFn = Callable[[Image.Image], Sequence[TagWeight] | TaggerOutput]


@dataclass(frozen=True)
class Relevance:
    """scene -> relevant tag keys, and scene -> the tags naming the subject itself."""

    tags: dict[str, frozenset[str]]
    subject: dict[str, frozenset[str]]


def read_relevance_table(path: Path = RELEVANCE) -> Relevance:
    """Both columns of scene_relevance.tsv (the subject column may be empty or absent)."""
    tags: dict[str, frozenset[str]] = {}
    subject: dict[str, frozenset[str]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        next(reader)
        for row in reader:
            if not row:
                continue
            scene = row[0].strip()
            tags[scene] = frozenset(t.strip() for t in row[1].split(",") if t.strip())
            cell = row[2] if len(row) > 2 else ""
            subject[scene] = frozenset(t.strip() for t in cell.split(",") if t.strip())
    return Relevance(tags, subject)


def read_relevance(path: Path = RELEVANCE) -> dict[str, set[str]]:
    """scene -> relevant tag keys."""
    return {scene: set(tags) for scene, tags in read_relevance_table(path).tags.items()}


def halves(photos: Mapping[Path, Sequence[str]]) -> dict[Path, int]:
    """A stable split of the photos into halves 1 and 2, for tuning on one and checking on the
    other. Stratified: photos are grouped by their rarest scene, ordered within a group by a
    hash of their name, and dealt out alternately (rarest scenes first, the count running on
    from one group to the next), so every scene and the whole are split evenly."""
    counts = Counter(s for scenes in photos.values() for s in scenes)
    groups: defaultdict[str, list[Path]] = defaultdict(list)
    for path, scenes in photos.items():
        groups[min(scenes, key=lambda s: (counts[s], s))].append(path)
    ordered = [
        p
        for scene in sorted(groups, key=lambda s: (counts[s], s))
        for p in sorted(groups[scene], key=lambda p: (zlib.crc32(p.name.encode("utf-8")), p.name))
    ]
    return {p: 1 + k % 2 for k, p in enumerate(ordered)}  # dealt on across groups


def labelled_photos(folder: Path) -> dict[Path, list[str]]:
    """photo -> its scenes: from labels.csv when the folder has one, else from the file names."""
    labels = folder / LABELS_FILE
    if labels.is_file():
        out: dict[Path, list[str]] = {}
        with open(labels, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if not {"file", "scenes"} <= set(reader.fieldnames or ()):
                raise ValueError(f"{labels} needs a header with the columns file and scenes")
            for row in reader:
                path = folder / (row.get("file") or "").strip()
                scenes = [s.strip() for s in (row.get("scenes") or "").split(";") if s.strip()]
                if not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
                    log.warning(
                        "%s names %r, which is not a photo here; skipped", labels, path.name
                    )
                elif scenes:
                    out[path] = scenes
        return dict(sorted(out.items()))
    return {
        p: [p.name.split("__", 1)[0]]
        for p in sorted(folder.iterdir())
        if p.suffix.lower() in IMAGE_SUFFIXES and "__" in p.name
    }


def _known_scenes(photos: dict[Path, list[str]], relevance: Relevance) -> dict[Path, list[str]]:
    unknown = sorted({s for scenes in photos.values() for s in scenes} - set(relevance.tags))
    for scene in unknown:
        log.warning("no relevance entry for scene %r; its labels are skipped", scene)
    kept = {p: [s for s in scenes if s in relevance.tags] for p, scenes in photos.items()}
    return {p: scenes for p, scenes in kept.items() if scenes}


def _top_tags(tag: TagFn, image: Image.Image) -> tuple[list[str], str | None]:
    seen = tag(image)
    if isinstance(seen, TaggerOutput):
        return [t.tag for t in seen.tags[:TOP]], seen.caption
    return [t.tag for t in seen[:TOP]], None


def evaluate_photos(
    folder: Path,
    tag: TagFn,
    load: Callable[[Path], Image.Image],
    relevance: Relevance | dict[str, set[str]] | None = None,
    *,
    half: int | None = None,
    macro_min_photos: int = MACRO_MIN_PHOTOS,
    macro_skip: Collection[str] = MACRO_SKIP,
) -> dict[str, Any]:
    """Per-photo top tags and hits, per-scene counts, the macro average and crowding tags.
    A photo counts as a hit when any of its scenes got a relevant tag. `tag` may return a
    TaggerOutput; its caption is then kept with the photo."""
    table = _as_table(relevance)
    photos_in = _known_scenes(labelled_photos(folder), table)
    if half is not None:
        split = halves(photos_in)
        photos_in = {p: s for p, s in photos_in.items() if split[p] == half}
    photos: list[dict[str, Any]] = []
    per_scene: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for path, scenes in tqdm(photos_in.items(), desc="eval photos", unit="photo"):
        caption = None
        try:
            tags, caption = _top_tags(tag, load(path))
        except InvalidImage as exc:
            log.warning("%s: %s", path.name, exc)
            tags = []
        hits = {s: bool(set(tags) & table.tags[s]) for s in scenes}
        photo = {"file": path.name, "scenes": scenes, f"top{TOP}": tags, "hits": hits}
        photo["hit"] = any(hits.values())
        if caption:
            photo["caption"] = caption
        photos.append(photo)
        for s, hit in hits.items():
            per_scene[s][0] += int(hit)
            per_scene[s][1] += 1
    hits_total = sum(p["hit"] for p in photos)
    counts = {s: {"hits": h, "n": n} for s, (h, n) in sorted(per_scene.items())}
    return {
        "n": len(photos),
        "hits": hits_total,
        "hit_rate": round(hits_total / len(photos), 4) if photos else 0.0,
        "per_scene": counts,
        "macro": macro_average(counts, macro_min_photos, macro_skip),
        "crowding": crowding_tags(photos, table),
        "photos": photos,
    }


def _as_table(relevance: Relevance | dict[str, set[str]] | None) -> Relevance:
    if relevance is None:
        return read_relevance_table()
    if isinstance(relevance, Relevance):
        return relevance
    return Relevance({s: frozenset(t) for s, t in relevance.items()}, {})


def macro_average(
    counts: Mapping[str, Mapping[str, int]], min_photos: int, skip: Collection[str]
) -> dict[str, Any]:
    """Mean of the per-scene hit rates over scenes with at least `min_photos` photos, leaving
    out `skip`: every scene weighs the same, however many photos it has."""
    used = [s for s, c in counts.items() if c["n"] >= min_photos and s not in skip]
    rates = [counts[s]["hits"] / counts[s]["n"] for s in used]
    return {
        "hit_rate": round(sum(rates) / len(rates), 4) if rates else 0.0,
        "scenes": used,
        "min_photos": min_photos,
        "left_out": sorted(set(counts) - set(used)),
    }


def crowding_tags(
    photos: Sequence[Mapping[str, Any]], relevance: Relevance, limit: int = 8
) -> list[dict[str, Any]]:
    """The tags in the top 5 of the most photos, not counting photos whose subject the tag
    names (강아지 on a dog photo): tag, photos, share of all photos."""
    seen: Counter[str] = Counter()
    for p in photos:
        subject = set().union(*(relevance.subject.get(s, frozenset()) for s in p["scenes"]))
        seen.update(t for t in p[f"top{TOP}"] if t not in subject)
    n = max(len(photos), 1)
    return [
        {"tag": t, "photos": c, "share": round(c / n, 4)}
        for t, c in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    ]


def compare_taggers(
    folder: Path,
    taggers: Mapping[str, TagFn | str],
    load: Callable[[Path], Image.Image],
    relevance: Relevance | dict[str, set[str]] | None = None,
    *,
    half: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Every tagger on the same photos: name -> evaluate_photos' result, or, for a tagger that
    cannot run here (given as the reason, a str), {"unavailable": reason}."""
    table = _as_table(relevance)
    return {
        name: {"unavailable": tag}
        if isinstance(tag, str)
        else evaluate_photos(folder, tag, load, table, half=half)
        for name, tag in taggers.items()
    }
