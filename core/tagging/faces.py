"""Frontal faces with OpenCV's Haar cascade (Viola-Jones), on a grey copy of the photo.

Chat photos are often thumbnails (Flickr8k's are 200 px wide), where a face is 15-25 px: below
the cascade's 24 px window. The grey copy is therefore scaled so its longer side is
`work_side` pixels (small photos up, large ones down, which also bounds the cost), and faces are
reported in fractions of the photo. Each face carries the cascade's confidence (the level weight
of its last stage) and a 64x64 grey crop with a margin, ready for the expression model.

The defaults are a cost trade-off, measured (benchmarks/bench_faces.py): the cascade's work grows
with the square of `work_side` and with the number of scales. A 272 px copy, scale step 1.25
and 3 neighbours cost about 15 ms at p95 on 2 cores; 320 px and step 1.15 found faces in 10
instead of 8 of the 12 smiling Flickr photos but cost twice as much.

cv2 is imported on first use, so that importing this module stays cheap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.errors import TaggerUnavailable
from core.tagging.fer_files import FACE_CASCADE, fer_data_file

log = logging.getLogger(__name__)

CROP_SIZE = 64


@dataclass(frozen=True)
class DetectedFace:
    """One face: its box in fractions of the photo's width and height, the cascade's
    confidence and a CROP_SIZE x CROP_SIZE grey crop (uint8) for the expression model."""

    x: float
    y: float
    width: float
    height: float
    confidence: float
    crop: np.ndarray

    @property
    def area(self) -> float:
        """Share of the photo the face covers (0..1)."""
        return self.width * self.height


class FaceDetector:
    """Haar cascade on a resized grey copy. Parameters are OpenCV's detectMultiScale ones;
    `min_face` is in pixels of the working copy, `margin` the share of the box added on each
    side of a crop (FER-2013 faces include the chin and some hair)."""

    def __init__(
        self,
        cascade: Path | None = None,
        *,
        work_side: int = 272,
        scale_factor: float = 1.25,
        min_neighbors: int = 3,
        min_face: int = 24,
        margin: float = 0.1,
    ) -> None:
        import cv2  # ~60 MB of native code: only in processes that look at faces

        self._cv2 = cv2
        path = cascade or fer_data_file(FACE_CASCADE)
        try:  # a broken file is a cv2.error, surfacing as SystemError from the constructor
            self.cascade = cv2.CascadeClassifier(str(path))
        except (cv2.error, SystemError) as exc:
            raise TaggerUnavailable(f"cannot read the face cascade {path}") from exc
        if self.cascade.empty():
            raise TaggerUnavailable(f"cannot read the face cascade {path}")
        self.work_side = work_side
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_face = min_face
        self.margin = margin

    def grey_copy(self, image: Image.Image) -> np.ndarray:
        """The photo in grey (uint8), its longer side resized to `work_side`."""
        grey = image.convert("L")
        scale = self.work_side / max(grey.size)
        if abs(scale - 1.0) > 0.05:
            size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
            grey = grey.resize(size, Image.Resampling.BILINEAR)
        return np.asarray(grey, dtype=np.uint8)

    def detect(self, image: Image.Image) -> list[DetectedFace]:
        """Faces, largest first."""
        grey = self.grey_copy(image)
        boxes, confidences = self._detect(grey)
        rows, cols = grey.shape
        faces = [
            DetectedFace(x / cols, y / rows, w / cols, h / rows, c, self._crop(grey, (x, y, w, h)))
            for (x, y, w, h), c in zip(boxes, confidences, strict=True)
        ]
        return sorted(faces, key=lambda f: -f.area)

    def _detect(self, grey: np.ndarray) -> tuple[list[tuple[int, int, int, int]], list[float]]:
        cv2 = self._cv2
        found: Any = self.cascade.detectMultiScale3(
            cv2.equalizeHist(grey),
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(self.min_face, self.min_face),
            outputRejectLevels=True,
        )
        boxes, _levels, weights = found
        if len(boxes) == 0:
            return [], []
        out = [(int(x), int(y), int(w), int(h)) for x, y, w, h in np.asarray(boxes)]
        return out, [float(w) for w in np.asarray(weights).ravel()]

    def _crop(self, grey: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        x, y, w, h = box
        mx, my = round(self.margin * w), round(self.margin * h)
        rows, cols = grey.shape
        crop = grey[max(0, y - my) : min(rows, y + h + my), max(0, x - mx) : min(cols, x + w + mx)]
        resized = self._cv2.resize(crop, (CROP_SIZE, CROP_SIZE), interpolation=self._cv2.INTER_AREA)
        return np.asarray(resized, dtype=np.uint8)
