"""Zero-shot tagging with an image-text model (CLIP; default Bingsu/clip-vit-base-patch32-ko).

Every shown catalog tag becomes a few Korean prompts ("바다 느낌의 사진", "바다 분위기의 사진" …);
their text embeddings, averaged per tag, are computed once per (catalog, model, templates) and
cached on disk. A photo is then one pass of the image tower: cosine to every tag, softmax, the
strongest tags (flattened so a runner-up still counts) pulled through the learned tag space.
Unlike the ImageNet tagger this scores moods directly, not objects that imply them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual alias
from PIL import Image

from core.catalog import Catalog
from core.config import RESOURCES
from core.domain import TaggerOutput, TagWeight
from core.errors import TaggerUnavailable
from core.tagging.base import TagScores
from core.tagging.hub import check_loaded_weights, model_fingerprint, quiet_transformers

log = logging.getLogger(__name__)

# Several phrasings, averaged: a single template makes scores depend on its wording (the CLIP
# paper's prompt ensembling). "{tag}" alone keeps words that read oddly in a sentence usable.
TEMPLATES = ("{tag} 느낌의 사진", "{tag} 분위기의 사진", "{tag}의 사진", "{tag}")
CACHE_FORMAT = 1
_LOAD_ERRORS = (OSError, ValueError, KeyError, RuntimeError, TypeError, ImportError)


@dataclass(frozen=True)
class ClipModel:
    """A loaded image-text model: the network, its tokenizer and its image processor."""

    model: Any
    tokenizer: Any
    image_processor: Any
    folder: Path
    fingerprint: str


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def load_clip(folder: Path) -> ClipModel:
    """`from_pretrained(folder)` for the model, tokenizer and image processor, never online."""
    quiet_transformers()
    from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

    model: Any
    try:
        model, info = AutoModel.from_pretrained(
            folder, local_files_only=True, output_loading_info=True
        )
        tokenizer: Any = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        image_processor: Any = AutoImageProcessor.from_pretrained(  # type: ignore[no-untyped-call]
            folder, local_files_only=True
        )
    except _LOAD_ERRORS as exc:
        raise TaggerUnavailable(
            f"cannot load the clip model from {folder}: {_reason(exc)}"
        ) from exc
    check_loaded_weights("clip", folder, model, info)
    if not (hasattr(model, "get_image_features") and hasattr(model, "get_text_features")):
        raise TaggerUnavailable(
            f"{folder} holds a {type(model).__name__}, not an image-text model like CLIPModel"
        )
    log.info("loaded clip model %s from %s", type(model).__name__, folder)
    return ClipModel(model.eval(), tokenizer, image_processor, folder, model_fingerprint(folder))


def _pooled(output: Any) -> torch.Tensor:
    """get_*_features give a tensor (transformers 4) or an output whose pooler_output is the
    projected embedding (transformers 5)."""
    return output if isinstance(output, torch.Tensor) else output.pooler_output


def tag_cache_dir(catalog: Catalog, fallback: Path) -> Path:
    """`<catalog>/cache` when the catalog folder may be written to; otherwise `fallback` (the
    data dir's cache). The embedded catalog is part of the source tree and never written."""
    folder = catalog.path.resolve()
    if folder.is_relative_to(RESOURCES.resolve()) or not os.access(folder, os.W_OK):
        return fallback
    return folder / "cache"


class ClipTagger:
    """Catalog tags scored against the photo by an image-text model."""

    name = "clip"

    def __init__(
        self,
        catalog: Catalog,
        clip: ClipModel,
        *,
        cache_dir: Path | None = None,
        templates: Sequence[str] = TEMPLATES,
        top_tags: int = 8,
        flatten: float = 0.5,
        max_tags: int = 12,
        threads: int = 2,
        batch_size: int = 64,
    ) -> None:
        torch.set_num_threads(threads)
        self.catalog = catalog
        self.clip = clip
        self.templates = tuple(templates)
        self.top_tags = top_tags
        self.flatten = flatten
        self.max_tags = max_tags
        self.batch_size = batch_size
        self.version = f"clip-1/{clip.fingerprint}"
        self.tag_words = [catalog.tag_display[int(i)] for i in catalog.shown]
        scale = getattr(clip.model, "logit_scale", None)
        self.logit_scale = float(scale.detach().exp()) if isinstance(scale, torch.Tensor) else 100.0
        self.cache_file: Path | None = None
        self.from_cache = False
        self.tag_matrix = self._tag_embeddings(cache_dir)

    # -- tag text embeddings, once per (catalog, model, templates) --------------------------

    def cache_key(self) -> str:
        spec = {
            "format": CACHE_FORMAT,
            "catalog": self.catalog.version,
            "model": self.clip.fingerprint,
            "templates": self.templates,
            "tags": self.tag_words,
        }
        return hashlib.sha256(json.dumps(spec, ensure_ascii=False).encode()).hexdigest()[:20]

    def _tag_embeddings(self, cache_dir: Path | None) -> np.ndarray:
        if cache_dir is not None:
            self.cache_file = cache_dir / f"clip-tags-{self.cache_key()}.npy"
            cached = self._read_cache(self.cache_file)
            if cached is not None:
                self.from_cache = True
                return cached
        matrix = self.embed_tags()
        if self.cache_file is not None:
            self._write_cache(self.cache_file, matrix)
        return matrix

    def _read_cache(self, path: Path) -> np.ndarray | None:
        try:
            matrix = np.load(path)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable tag embedding cache %s: %s", path, exc)
            return None
        if matrix.ndim != 2 or matrix.shape[0] != len(self.tag_words):
            log.warning("ignoring tag embedding cache %s: shape %s", path, matrix.shape)
            return None
        log.info("clip tag embeddings read from %s", path)
        return matrix.astype(np.float32)

    def _write_cache(self, path: Path, matrix: np.ndarray) -> None:
        """Atomic (write, then rename), so a concurrent worker never reads half a file."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                np.save(f, matrix)
            os.replace(tmp, path)
            meta = {"model": str(self.clip.folder), "fingerprint": self.clip.fingerprint,
                    "catalog": self.catalog.version, "templates": self.templates,
                    "tags": len(self.tag_words)}  # fmt: skip
            path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False) + "\n")
            log.info("clip tag embeddings cached in %s", path)
        except OSError as exc:
            log.warning("cannot cache clip tag embeddings in %s: %s", path.parent, exc)

    def embed_tags(self) -> np.ndarray:
        """(shown tags, dim) unit vectors: the mean of each tag's template embeddings."""
        prompts = [t.format(tag=word) for word in self.tag_words for t in self.templates]
        per_prompt = self.embed_texts(prompts).reshape(len(self.tag_words), len(self.templates), -1)
        mean = per_prompt.mean(axis=1)
        return mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) unit text embeddings, in batches."""
        model, tokenizer = self.clip.model, self.clip.tokenizer
        limit = getattr(getattr(model.config, "text_config", None), "max_position_embeddings", 77)
        max_length = min(int(getattr(tokenizer, "model_max_length", limit) or limit), limit)
        out = []
        for start in range(0, len(texts), self.batch_size):
            enc = tokenizer(
                list(texts[start : start + self.batch_size]),
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
            with torch.inference_mode():
                features = _pooled(
                    model.get_text_features(
                        input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]
                    )
                )
            out.append(F.normalize(features.float(), dim=-1).numpy())
        return np.concatenate(out).astype(np.float32)

    # -- photos ------------------------------------------------------------------------------

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """(n, dim) unit image embeddings, one forward pass for the batch."""
        pixels = self.clip.image_processor(
            images=[im.convert("RGB") for im in images], return_tensors="pt"
        )["pixel_values"]
        with torch.inference_mode():
            features = _pooled(self.clip.model.get_image_features(pixel_values=pixels))
        return F.normalize(features.float(), dim=-1).numpy()  # type: ignore[no-any-return]

    def tag_probabilities(self, images: Sequence[Image.Image]) -> np.ndarray:
        """(n images, shown tags) softmax over the tags, at the model's own temperature."""
        logits = self.logit_scale * (self.embed_images(images) @ self.tag_matrix.T)
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        return probs / probs.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]

    def tag_batch(self, images: Sequence[Image.Image]) -> list[TaggerOutput]:
        if not images:
            return []
        outputs = []
        shown = self.catalog.shown
        for row in self.tag_probabilities(images):
            scores = TagScores(self.catalog)
            for k in np.argsort(-row)[: self.top_tags]:
                scores.add(self.catalog.tag_keys[int(shown[k])], float(row[k]) ** self.flatten)
            scores.expand()
            outputs.append(TaggerOutput(tuple(scores.top(self.max_tags))))
        return outputs

    def tag(self, image: Image.Image) -> list[TagWeight]:
        return list(self.tag_batch([image])[0].tags)
