"""The offline default tagger: EfficientNet-Lite0 ImageNet classes -> Korean catalog tags.

1. The top ImageNet classes, their probabilities flattened (p ** 0.5) so that a scene class
   behind a confident object class (the beach behind a dog) still counts.
2. Each class votes for tags from the curated scene/mood table (seashore -> 바다, 해변, 여름)
   or, for classes the table leaves out, weakly for the shown tags its English label matches
   best in multilingual-e5 (label as query, tags as passages; hubness-corrected so that no tag
   matches everything). A class the table knows does not also vote through e5: its label match
   is a guess where a person already chose (pug -> 방학, 파도; Chihuahua -> 도시, 심야).
   Only the labels of instruments and stages may match a music genre: a genre names a kind of
   music, not a scene.
3. Light and colour cues (night, sunset, snow, sky, green).
4. The strongest tags pull in their close neighbours in the learned tag space (cosine >= 0.3:
   바다 -> 여름 stays, 강아지 -> 음식 at 0.28 does not).
5. Genre tags, from any of the steps above, are kept only when the photo shows music being
   made: instruments or a stage among its top classes (the tag space put 뉴에이지 next to
   강아지, so expansion alone gave dog photos a genre).
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from core.catalog import Catalog
from core.config import RESOURCES
from core.domain import TaggerOutput, TagWeight
from core.tagging.base import TagScores, parse_tag_weights
from core.tagging.cues import colour_cues
from core.tagging.efficientnet import EfficientNetLite0, load_efficientnet_lite0, predict_logits

log = logging.getLogger(__name__)

SCENE_TABLE = RESOURCES / "imagenet_scene_tags.tsv"
CLASS_NAMES = RESOURCES / "imagenet_classes.txt"
GENRE = "genre"
# ImageNet classes that show music being made: instruments, a stage, its curtain and lights.
MUSIC_CLASSES = frozenset({
    "accordion", "acoustic guitar", "banjo", "bassoon", "cello", "chime", "cornet", "drum",
    "drumstick", "electric guitar", "flute", "French horn", "gong", "grand piano", "harmonica",
    "harp", "maraca", "marimba", "microphone", "oboe", "ocarina", "organ", "panpipe", "sax",
    "spotlight", "stage", "steel drum", "theater curtain", "trombone", "upright", "violin",
})  # fmt: skip


def read_scene_table(path: Path = SCENE_TABLE) -> dict[int, list[tuple[str, float]]]:
    """class index -> [(tag key, weight)] from imagenet_scene_tags.tsv."""
    table: dict[int, list[tuple[str, float]]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            pairs = parse_tag_weights(row["tags"])
            table[int(row["index"])] = pairs
    return table


def music_class_indices(path: Path = CLASS_NAMES) -> frozenset[int]:
    """Indices of MUSIC_CLASSES in the ImageNet class list."""
    names = path.read_text(encoding="utf-8").splitlines()
    return frozenset(i for i, name in enumerate(names) if name in MUSIC_CLASSES)


def _hubness_corrected(affinity: np.ndarray) -> np.ndarray:
    """z-scores of label-tag similarity after removing each tag's and each label's mean."""
    centred = affinity - affinity.mean(axis=0, keepdims=True)
    centred = centred - centred.mean(axis=1, keepdims=True)
    return centred / np.maximum(centred.std(axis=1, keepdims=True), 1e-6)  # type: ignore[no-any-return]


class ImageNetTagger:
    """EfficientNet-Lite0 + scene table + e5 label matching + colour cues + tag-space expansion."""

    name = "imagenet"
    version = "efficientnet-lite0/scene-table-2"

    def __init__(
        self,
        catalog: Catalog,
        model: EfficientNetLite0 | None = None,
        *,
        top_classes: int = 10,
        flatten: float = 0.5,
        text_weight: float = 0.25,
        text_min_z: float = 4.0,
        music_min_evidence: float = 0.2,
        text_for_curated: bool = False,
        expand_min_similarity: float = 0.3,
        max_tags: int = 12,
        threads: int = 2,
        table: Path | None = None,
    ) -> None:
        torch.set_num_threads(threads)
        self.catalog = catalog
        self.model = model or load_efficientnet_lite0()
        self.table = read_scene_table(table or SCENE_TABLE)
        if table is not None:  # learned from corrections (mri eval corrections --write)
            digest = hashlib.sha256(Path(table).read_bytes()).hexdigest()[:8]
            self.version = f"{type(self).version}+learned-{digest}"
        self.top_classes = top_classes
        self.flatten = flatten
        self.text_weight = text_weight
        self.max_tags = max_tags
        self.music = music_class_indices()
        self.music_min_evidence = music_min_evidence
        self.text_for_curated = text_for_curated
        self.expand_min_similarity = expand_min_similarity
        self.genres = frozenset(i for i, c in enumerate(catalog.tag_categories) if c == GENRE)
        self.text_votes = self._text_votes(text_min_z)

    def _text_votes(self, min_z: float) -> list[list[tuple[str, float]]]:
        """Per class, the (at most two) shown tags its English label matches clearly in e5;
        genres only for music classes."""
        z = _hubness_corrected(self.catalog.imagenet_affinity)
        shown = self.catalog.shown
        votes: list[list[tuple[str, float]]] = []
        for c, row in enumerate(z):
            if c in self.table and not self.text_for_curated:
                votes.append([])
                continue
            allowed = [
                k for k in np.argsort(-row) if c in self.music or shown[k] not in self.genres
            ]
            votes.append(
                [(self.catalog.tag_keys[int(shown[k])], min(1.0, float(row[k]) / 6.0))
                 for k in allowed[:2] if row[k] >= min_z]
            )  # fmt: skip
        return votes

    def class_probabilities(self, image: Image.Image) -> np.ndarray:
        """Softmax over the 1000 ImageNet classes."""
        logits = predict_logits(self.model, [image])[0]
        return torch.softmax(logits, dim=0).numpy()  # type: ignore[no-any-return]

    def tag(self, image: Image.Image) -> list[TagWeight]:
        return self._tag(image)[0]

    def _tag(self, image: Image.Image) -> tuple[list[TagWeight], tuple[tuple[int, float], ...]]:
        probs = self.class_probabilities(image)
        top = np.argsort(-probs)[: self.top_classes]
        evidence = probs[top] ** self.flatten
        evidence = evidence / max(float(evidence.sum()), 1e-12)
        classes = tuple((int(c), round(float(e), 4)) for c, e in zip(top, evidence, strict=True))
        scores = TagScores(self.catalog)
        for c, e in zip(top.tolist(), evidence.tolist(), strict=True):
            scores.add_many(self.table.get(c, []), e)
            scores.add_many(self.text_votes[c], e * self.text_weight)
        scores.add_many(colour_cues(image), 0.6)
        scores.expand(min_similarity=self.expand_min_similarity)
        music = sum(
            e for c, e in zip(top.tolist(), evidence.tolist(), strict=True) if c in self.music
        )
        if music < self.music_min_evidence:
            for i in self.genres & scores.scores.keys():
                del scores.scores[i]
        return scores.top(self.max_tags), classes

    def tag_batch(self, images: Sequence[Image.Image]) -> list[TaggerOutput]:
        out = []
        for image in images:
            tags, classes = self._tag(image)
            out.append(TaggerOutput(tuple(tags), classes=classes))
        return out
