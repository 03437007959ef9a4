"""`mri recommend --tagger/--model`, `mri models fetch`, `mri status` and `mri eval photos` with
the weight-based taggers (tiny local models; the network is off limits)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.config import RESOURCES
from mri.cli import app
from tests.models import TinyModels, forbid_network, tiny_models

runner = CliRunner()
COFFEE = str(RESOURCES / "demo/coffee.png")


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    return tiny_models(tmp_path_factory)


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    forbid_network(monkeypatch)
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("MRI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MRI_OFFLINE", "1")
    for name in ("MRI_TAGGER", "MRI_CLIP_MODEL", "MRI_CAPTION_MODEL", "MRI_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("MRI_QUEUE_URL", raising=False)


@pytest.mark.slow
def test_recommend_with_a_chosen_tagger_and_model(tiny: TinyModels) -> None:
    result = runner.invoke(
        app, ["recommend", COFFEE, "--tagger", "clip", "--model", str(tiny.clip), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["tagger"] == "clip" and data["tags"] and len(data["songs"]) == 10
    assert "caption" not in data

    result = runner.invoke(
        app, ["recommend", COFFEE, "--tagger", "caption", "--model", str(tiny.blip)]
    )
    assert result.exit_code == 0, result.output
    assert "tagger: caption" in result.stdout and "\ncaption: " in result.stdout


def test_an_explicit_tagger_without_weights_is_an_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-model")
    result = runner.invoke(app, ["recommend", COFFEE, "--tagger", "clip", "--model", missing])
    assert result.exit_code == 2 and "does not exist" in result.output
    result = runner.invoke(app, ["recommend", COFFEE, "--tagger", "caption"])
    assert result.exit_code == 2 and "mri models fetch --tagger caption" in result.output
    result = runner.invoke(app, ["recommend", COFFEE, "--tagger", "nope"])
    assert result.exit_code == 2 and "--tagger must be one of" in result.output
    result = runner.invoke(app, ["recommend", COFFEE, "--model", missing])  # imagenet has none
    assert result.exit_code == 2 and "--model goes with" in result.output


@pytest.mark.slow
def test_a_configured_tagger_without_weights_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MRI_TAGGER", "clip")
    monkeypatch.setenv("MRI_CLIP_MODEL", "nobody/no-such-clip")
    result = runner.invoke(app, ["recommend", COFFEE])
    assert result.exit_code == 0, result.output
    assert "tagger: imagenet" in result.stdout
    assert "note: clip tagger unavailable" in result.stdout
    assert "mri models fetch --tagger clip" in result.stdout


def test_models_fetch_refuses_offline_and_knows_local_folders(
    monkeypatch: pytest.MonkeyPatch, tiny: TinyModels
) -> None:
    result = runner.invoke(app, ["models", "fetch", "--tagger", "clip"])
    assert result.exit_code == 2 and "MRI_OFFLINE" in result.output
    result = runner.invoke(app, ["models", "fetch", "--tagger", "imagenet"])
    assert result.exit_code == 2 and "imagenet needs no fetch" in result.output
    monkeypatch.setenv("MRI_OFFLINE", "0")
    monkeypatch.setenv("MRI_CLIP_MODEL", str(tiny.clip))
    result = runner.invoke(app, ["models", "fetch", "--tagger", "clip"])
    assert result.exit_code == 0 and "nothing to fetch" in result.output


def test_status_names_missing_weights_and_what_workers_use(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from core.db.database import Database
    from core.db.models import WorkerBeat, utcnow

    monkeypatch.setenv("MRI_TAGGER", "clip")
    (tmp_path / "var").mkdir(exist_ok=True)
    db = Database(f"sqlite:///{(tmp_path / 'var' / 'mri.db').resolve()}")
    db.upgrade()
    with db.transaction() as s:
        now = utcnow()
        s.add(
            WorkerBeat(
                id="h:1", started_at=now, last_seen=now, tagger="imagenet (fallback for clip)"
            )
        )
    db.dispose()
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["tagger"] == "clip" and data["worker_taggers"] == ["imagenet (fallback for clip)"]
    assert "mri models fetch --tagger clip" in data["tagger_missing_weights"]["clip"]
    text = runner.invoke(app, ["status"]).stdout
    assert "tagger: clip (workers: imagenet (fallback for clip))" in text
    assert "workers fall back to imagenet" in text


@pytest.mark.slow
def test_eval_photos_compares_taggers_side_by_side(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny: TinyModels
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(RESOURCES / "demo/coffee.png", photos / "cafe__coffee.png")
    shutil.copy(RESOURCES / "demo/karwendel.jpg", photos / "mountain__karwendel.jpg")
    monkeypatch.setenv("MRI_CLIP_MODEL", str(tiny.clip))
    monkeypatch.setenv("MRI_CAPTION_MODEL", "nobody/no-such-blip")
    args = ["eval", "photos", str(photos), "--tagger", "imagenet", "--tagger", "clip"]
    result = runner.invoke(app, [*args, "--tagger", "caption", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["taggers"]) == {"imagenet", "clip", "caption"}
    assert data["n"] == 2 and data["hits"] == data["taggers"]["imagenet"]["hits"] == 2
    assert data["taggers"]["clip"]["n"] == 2
    assert "mri models fetch --tagger caption" in data["taggers"]["caption"]["unavailable"]
    text = runner.invoke(app, args).stdout
    assert (
        "✓ imagenet" in text
        and "clip" in text
        and "imagenet scene-relevant tag in top 5: 2/2" in text
    )
