"""Cost of face evidence (goal: detection + expression p95 <= 15 ms per photo on 2 cores, and
<= 100 MB more resident memory than the imagenet tagger alone).

One process, as a worker runs: the imagenet tagger is loaded and run first (its RSS is the
baseline: OpenCV is not imported yet), then the face reader (OpenCV, the Haar cascade,
mini-XCEPTION). Every photo of ../shared/data/flickr_scenes and ../shared/data/photos (else the
demo photos) goes through detection and expression one at a time, after 3 warm-up photos:

* wall time with 2 threads (OpenCV and torch), as a worker runs: what a user waits for, but on a
  shared machine it grows with the load, which is recorded before and after;
* CPU time of the same work on one thread (`time.thread_time`, OpenCV threading off): the work
  itself, hardly moved by other processes. Two idle cores take at most this long.

Then the whole imagenet tagger without and with faces (wall, 2 threads).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.common import percentiles, rss_mb, shared_dir, table, write_result
from core.tagging.people import PeopleReader

SUFFIXES = {".jpg", ".jpeg", ".png"}
Clock = Callable[[], float]


def _photos() -> tuple[list[Path], str]:
    from core.config import RESOURCES

    shared = shared_dir()
    folders = [shared / "flickr_scenes", shared / "photos"] if shared else []
    folders = [f for f in folders if f.is_dir()] or [RESOURCES / "demo"]
    files = [p for f in folders for p in sorted(f.iterdir()) if p.suffix.lower() in SUFFIXES]
    return files, " + ".join(f"`{f.name}/`" for f in folders)


def _face_pass(
    reader: PeopleReader, images: list[Image.Image], repeats: int, clock: Clock, label: str
) -> tuple[dict[str, list[float]], int]:
    """Detection, expression (all faces of a photo in one batch) and both, per photo, in ms of
    `clock`; and how many faces were found per pass."""
    from core.tagging.expression import expression_probabilities

    samples: dict[str, list[float]] = {f"{label}: {s}": [] for s in ("detect", "expression")}
    samples[f"{label}: faces (both)"] = []
    found = 0
    for image in images[:3]:  # warm-up
        reader.read(image)
    for _ in range(repeats):
        for image in images:
            t1 = clock()
            faces = reader.detector.detect(image)[: reader.rules.max_faces]
            t2 = clock()
            if faces:
                expression_probabilities(reader.model, np.stack([f.crop for f in faces]))
            t3 = clock()
            for key, ms in zip(samples, (t2 - t1, t3 - t2, t3 - t1), strict=True):
                samples[key].append(1000 * ms)
            found += len(faces)
    return samples, found // repeats


def _single_thread_pass(
    reader: PeopleReader, images: list[Image.Image], repeats: int
) -> dict[str, list[float]]:
    """The same work on one thread, timed in CPU time; threads restored afterwards."""
    import cv2
    import torch

    cv2_threads, torch_threads = cv2.getNumThreads(), torch.get_num_threads()
    cv2.setNumThreads(0)  # 0: OpenCV runs everything on the calling thread
    torch.set_num_threads(1)
    try:
        samples, _ = _face_pass(reader, images, repeats, time.thread_time, "1 thread, CPU")
    finally:
        cv2.setNumThreads(cv2_threads)
        torch.set_num_threads(torch_threads)
    return samples


def _tagger_pass(
    plain: Callable[[Image.Image], object],
    fused: Callable[[Image.Image], object],
    images: list[Image.Image],
) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"imagenet tagger": [], "imagenet tagger + faces": []}
    for image in images:
        for name, tag in zip(samples, (plain, fused), strict=True):
            t = time.perf_counter()
            tag(image)
            samples[name].append(1000 * (time.perf_counter() - t))
    return samples


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    load_before = os.getloadavg()
    import torch

    from core.catalog import load_catalog
    from core.config import Settings
    from core.imaging import read_image_file
    from core.tagging.fusion import PeopleFusion
    from core.tagging.imagenet import ImageNetTagger
    from core.tagging.people import load_people_reader

    torch.set_num_threads(2)
    catalog = load_catalog(Settings().catalog_dir)
    files, folders = _photos()
    images = [read_image_file(p, max_bytes=20_000_000, max_pixels=40_000_000) for p in files]
    imagenet = ImageNetTagger(catalog, threads=2)
    imagenet.tag(images[0])
    rss_imagenet = rss_mb()[0]
    t0 = time.perf_counter()
    reader = load_people_reader()  # imports OpenCV
    load_ms = 1000 * (time.perf_counter() - t0)
    rss_loaded = rss_mb()[0]
    import cv2

    threads = f"torch threads {torch.get_num_threads()}, OpenCV threads {cv2.getNumThreads()}"
    samples, found = _face_pass(reader, images, args.repeats, time.perf_counter, "2 threads, wall")
    samples |= _single_thread_pass(reader, images, args.repeats)
    samples |= _tagger_pass(imagenet.tag, PeopleFusion(imagenet, reader, catalog).tag, images)
    rss_after, peak = rss_mb()
    load_after = os.getloadavg()
    rows = []
    for name, values in samples.items():
        s = percentiles(values)
        rows.append([name, int(s["n"]), min(values), s["p50"], s["p95"], s["p99"], s["max"]])
    sizes = sorted(max(im.size) for im in images)
    memory = [
        ["RSS with the imagenet tagger loaded and run (no OpenCV yet)", f"{rss_imagenet:.0f}"],
        ["RSS after loading the face reader (OpenCV, cascade, mini-XCEPTION)", f"{rss_loaded:.0f}"],
        ["RSS after all photos", f"{rss_after:.0f}"],
        ["**more than the imagenet tagger alone**", f"**{rss_after - rss_imagenet:.0f}**"],
        ["peak RSS of the process", f"{peak:.0f}"],
        ["face reader load time (ms)", f"{load_ms:.0f}"],
    ]
    body = (
        f"{len(images)} photos from {folders} (longer side {sizes[0]}-{sizes[-1]} px, median "
        f"{sizes[len(sizes) // 2]}) x {args.repeats} repeats, one photo at a time after 3 "
        f"warm-up photos; {threads}. {found} faces found per pass. Times in ms.\n\n"
        + table(["stage", "n", "min", "p50", "p95", "p99", "max"], rows)
        + "\n\n"
        + table(["memory (MB, /proc/self/status)", "value"], memory)
        + f"\n\nLoad average (1, 5, 15 min) before: {', '.join(f'{v:.2f}' for v in load_before)};"
        f" after: {', '.join(f'{v:.2f}' for v in load_after)} (2 cores: above 2, other work was"
        " competing for them, and the wall times grow with it; the CPU times hardly do)."
    )
    write_result("bench_faces", "Faces and expressions: latency and memory", body)


if __name__ == "__main__":
    main()
