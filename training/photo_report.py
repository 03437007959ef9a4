"""The text `mri eval photos` prints: per photo a line per tagger, then per-scene hit rates,
the macro average and the tags that crowd many photos' top 5, one column per tagger."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from training.photo_eval import CROWDING_SHARE, TOP


def _photo_lines(ran: Mapping[str, dict[str, Any]], width: int) -> list[str]:
    lines: list[str] = []
    by_file = [{p["file"]: p for p in r["photos"]} for r in ran.values()]
    for file in by_file[0] if by_file else {}:
        scenes = next(iter(by_file))[file]["scenes"]
        lines.append(f"{file}  [{' '.join(scenes)}]")
        for name, photos in zip(ran, by_file, strict=True):
            p = photos.get(file)
            if p is None:
                continue
            caption = f'  "{p["caption"]}"' if p.get("caption") else ""
            mark = "✓" if p["hit"] else "✗"
            missed = [s for s, hit in p["hits"].items() if not hit]
            note = f"  (missed: {' '.join(missed)})" if p["hit"] and missed else ""
            lines.append(f"  {mark} {name:<{width}} {' '.join(p[f'top{TOP}'])}{note}{caption}")
    return lines


def _scene_table(ran: Mapping[str, dict[str, Any]], width: int) -> list[str]:
    cell = width + 10
    lines = [f"{'scene':<10}" + "".join(f"{n:>{cell}}" for n in ran)]
    scenes = sorted({s for r in ran.values() for s in r["per_scene"]})
    for scene in scenes:
        cells = []
        for r in ran.values():
            c = r["per_scene"].get(scene, {"hits": 0, "n": 0})
            rate = f"{c['hits'] / c['n']:.0%}" if c["n"] else "-"
            cells.append(f"{c['hits']}/{c['n']} {rate:>4}".rjust(cell))
        lines.append(f"{scene:<10}" + "".join(cells))
    macro = [r["macro"] for r in ran.values()]
    lines.append(f"{'macro':<10}" + "".join(f"{m['hit_rate']:.1%}".rjust(cell) for m in macro))
    if macro:
        lines.append(
            f"  (mean over scenes with >= {macro[0]['min_photos']} photos: "
            f"{', '.join(macro[0]['scenes'])}; left out: {', '.join(macro[0]['left_out']) or '-'})"
        )
    return lines


def _crowding_lines(ran: Mapping[str, dict[str, Any]], width: int) -> list[str]:
    lines = [f"tags in the most top {TOP}s (the subject itself not counted):"]
    for name, r in ran.items():
        cells = [f"{c['tag']} {c['share']:.0%}" for c in r["crowding"][:5]]
        over = [c["tag"] for c in r["crowding"] if c["share"] > CROWDING_SHARE]
        warn = f"  <- over a third: {' '.join(over)}" if over else ""
        lines.append(f"  {name:<{width}} {', '.join(cells)}{warn}")
    return lines


def format_comparison(results: Mapping[str, dict[str, Any]], *, per_photo: bool = True) -> str:
    """Side by side: per photo a line per tagger (hit, top 5, caption), then per-scene hit
    rates, the macro average, crowding tags and the overall hit rate of each tagger."""
    ran = {name: r for name, r in results.items() if "unavailable" not in r}
    width = max([8, *(len(n) for n in results)])
    lines = _photo_lines(ran, width) if per_photo else []
    if ran:
        lines += ["", *_scene_table(ran, width), "", *_crowding_lines(ran, width)]
    lines.append("")
    for name, r in results.items():
        if "unavailable" in r:
            lines.append(f"{name:<{width}} unavailable: {r['unavailable']}")
        else:
            lines.append(
                f"{name:<{width}} scene-relevant tag in top {TOP}: "
                f"{r['hits']}/{r['n']} = {r['hit_rate']:.1%}; macro {r['macro']['hit_rate']:.1%}"
            )
    return "\n".join(lines)
