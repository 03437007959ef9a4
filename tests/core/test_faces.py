"""Haar-cascade faces on a resized grey copy: boxes in fractions of the photo, 64x64 crops,
nothing on photos without people, real faces on the shared Flickr photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.config import RESOURCES
from core.errors import TaggerUnavailable
from core.imaging import read_image_file
from core.tagging.faces import CROP_SIZE, FaceDetector
from tests.shared_data import require_shared

LIMITS = {"max_bytes": 20_000_000, "max_pixels": 40_000_000}
COUPLE = "smile__flickr8k_1616016569_673de1d678.jpg"  # two children, cheek to cheek, 200 px
BOY_IN_STREET = "city__flickr8k_1015118661_980735411b.jpg"  # a small face, 200 px


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


def test_small_photos_are_scaled_up_and_large_ones_down(detector: FaceDetector) -> None:
    small = detector.grey_copy(Image.new("RGB", (200, 150), (200, 10, 10)))
    large = detector.grey_copy(Image.new("RGB", (1280, 960)))
    assert small.shape == (204, 272) and small.dtype == np.uint8
    assert large.shape == (204, 272)
    assert detector.grey_copy(Image.new("L", (100, 272))).shape == (272, 100)
    assert FaceDetector(work_side=320).grey_copy(Image.new("L", (200, 150))).shape == (240, 320)


def test_no_faces_in_photos_without_people(detector: FaceDetector) -> None:
    coffee = read_image_file(RESOURCES / "demo/coffee.png", **LIMITS)
    assert detector.detect(coffee) == []
    assert detector.detect(Image.new("RGB", (300, 200), (128, 128, 128))) == []


def test_an_unreadable_cascade_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "cascade.xml"
    bad.write_text("<opencv_storage></opencv_storage>", encoding="utf-8")
    with pytest.raises(TaggerUnavailable, match="cannot read the face cascade"):
        FaceDetector(bad)


@pytest.mark.shared
def test_faces_in_a_thumbnail_are_found(detector: FaceDetector) -> None:
    photo = read_image_file(require_shared() / "flickr_scenes" / COUPLE, **LIMITS)
    faces = detector.detect(photo)
    assert len(faces) == 2
    for face in faces:
        assert 0 <= face.x < 1 and 0 <= face.y < 1 and 0 < face.width <= 1 - face.x
        assert 0.05 < face.area < 0.3 and face.confidence > 2.0
        assert face.crop.shape == (CROP_SIZE, CROP_SIZE) and face.crop.dtype == np.uint8
    assert faces[0].area >= faces[1].area  # largest first


@pytest.mark.shared
def test_scaling_a_thumbnail_up_finds_its_small_face(detector: FaceDetector) -> None:
    photo = read_image_file(require_shared() / "flickr_scenes" / BOY_IN_STREET, **LIMITS)
    assert photo.size == (200, 150)
    assert len(detector.detect(photo)) == 1
    assert FaceDetector(work_side=200).detect(photo) == []  # at its own size: too small
