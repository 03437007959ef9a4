"""The tag vocabulary: canonical keys, counts, display forms, and which tags may be shown."""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.config import RESOURCES
from core.textnorm import tag_key

LEXICON = RESOURCES / "tag_lexicon.tsv"


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Tags ordered by frequency; index i of every tag matrix is `keys[i]`."""

    keys: tuple[str, ...]
    display: tuple[str, ...]
    counts: tuple[int, ...]
    categories: tuple[str, ...]  # '' = kept in the space, never shown

    def index(self) -> dict[str, int]:
        """key -> row index."""
        return {k: i for i, k in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.keys)


def read_lexicon(path: Path = LEXICON) -> dict[str, str]:
    """tag key -> category for tags that may be shown to people."""
    with open(path, encoding="utf-8", newline="") as f:
        return {tag_key(row["tag"]): row["category"] for row in csv.DictReader(f, delimiter="\t")}


def build_vocabulary(
    tag_lists: Iterable[Sequence[str]],
    *,
    min_count: int,
    max_size: int,
    lexicon: dict[str, str],
) -> Vocabulary:
    """Count canonical keys (once per playlist) and keep the `max_size` most frequent.

    The display form of a key is its most frequent surface form (NFC, trimmed), so `edm`
    shows as `EDM` and `비오는날` as people usually wrote it.
    """
    counts: Counter[str] = Counter()
    surfaces: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for tags in tag_lists:
        seen: set[str] = set()
        for raw in tags:
            key = tag_key(raw)
            if key and key not in seen:
                seen.add(key)
                counts[key] += 1
                surfaces[key][unicodedata.normalize("NFC", raw).strip()] += 1
    kept = [(k, n) for k, n in counts.most_common() if n >= min_count][:max_size]
    keys = tuple(k for k, _ in kept)
    return Vocabulary(
        keys=keys,
        display=tuple(_display(k, surfaces[k]) for k in keys),
        counts=tuple(n for _, n in kept),
        categories=tuple(lexicon.get(k, "") for k in keys),
    )


def _display(key: str, forms: Counter[str]) -> str:
    # Only forms that spell the key itself (up to case and spaces) qualify, so a folded
    # variant (까페 -> 카페, rock -> 락) never becomes the label people see.
    own = [(n, f) for f, n in forms.items() if "".join(f.split()).lower() == key]
    return max(own)[1] if own else key


def write_vocabulary(vocab: Vocabulary, path: Path) -> None:
    """tags.tsv: index, key, display, count, category."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["index", "key", "display", "count", "category"])
        rows = zip(vocab.keys, vocab.display, vocab.counts, vocab.categories, strict=True)
        for i, row in enumerate(rows):
            w.writerow([i, *row])
