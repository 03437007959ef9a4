"""Fixtures for the tagger tests: tiny transformers models built once per session."""

from __future__ import annotations

import pytest

from tests.models import TinyModels, forbid_network, tiny_models


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    return tiny_models(tmp_path_factory)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_network(monkeypatch)
