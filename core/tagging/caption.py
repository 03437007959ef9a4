"""The seed project's method, measured rather than cited: caption the photo, keep its content
words, turn them into Korean catalog tags.

1. A captioning model (default Salesforce/blip-image-captioning-base) writes an English caption.
2. Content words: lower-case words minus a stop list (function words, people nouns, "photo",
   BLIP's "arafed" artefact); plurals folded onto known singulars. No tagger, no downloads.
3. Each word (or phrase: "coffee shop") in the curated table `caption_words.tsv` votes for its
   tags; other words go to multilingual-e5 (word as query, shown tags as passages), corrected
   for hubness with the tags' mean similarity to the 1,000 English ImageNet labels, and vote
   only when the match stands out.
4. The strongest tags pull in their neighbours in the learned tag space.
The caption is kept in the output so a reply can show what the model saw.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from core.catalog import Catalog
from core.config import RESOURCES
from core.domain import TaggerOutput, TagWeight
from core.errors import TaggerUnavailable
from core.tagging.base import TagScores, parse_tag_weights
from core.tagging.hub import check_loaded_weights, model_fingerprint, quiet_transformers
from core.textembed import embed_queries

log = logging.getLogger(__name__)

WORD_TABLE = RESOURCES / "caption_words.tsv"
_WORD = re.compile(r"[a-z]+")
# Function words, and words every caption has that say nothing about a scene or mood.
_STOP_TEXT = """
a an the this that these those it its there here is are was were be been being has have had do
does did of in on at to from by with without for over under into onto near next behind front
beside between through across around along up down out off top bottom side and or but while as
than then very some several many few each other another one two three four five six lots lot
group his her their our my your he she they we you i me him them who what which
man men woman women person people boy boys girl girls guy lady picture photo photograph
image view close closeup shot background foreground scene something thing things
arafed araffe arafe arafly blurry large small big little young old white black red blue green
yellow brown gray grey orange pink purple
standing sitting holding looking wearing posing taking getting making doing playing walking
stands sits holds looks wears poses takes gets makes plays walks
"""
STOPWORDS = frozenset(_STOP_TEXT.split())


@dataclass(frozen=True)
class Captioner:
    """A loaded captioning model and its processor (image processor + tokenizer)."""

    model: Any
    processor: Any
    folder: Path
    fingerprint: str


def load_captioner(folder: Path) -> Captioner:
    """`from_pretrained(folder)` for an image-to-text model and its processor, never online."""
    quiet_transformers()
    from transformers import AutoModelForImageTextToText, AutoProcessor

    model: Any
    info: dict[str, Any]
    try:
        model, info = AutoModelForImageTextToText.from_pretrained(  # type: ignore[misc]
            folder, local_files_only=True, output_loading_info=True
        )
        processor: Any = AutoProcessor.from_pretrained(  # type: ignore[no-untyped-call]
            folder, local_files_only=True
        )
    except (OSError, ValueError, KeyError, RuntimeError, TypeError, ImportError) as exc:
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise TaggerUnavailable(f"cannot load the caption model from {folder}: {reason}") from exc
    check_loaded_weights("caption", folder, model, info)
    log.info("loaded caption model %s from %s", type(model).__name__, folder)
    return Captioner(model.eval(), processor, folder, model_fingerprint(folder))


def read_word_table(path: Path = WORD_TABLE) -> dict[str, list[tuple[str, float]]]:
    """English word or phrase -> [(tag key, weight)] from caption_words.tsv."""
    table: dict[str, list[tuple[str, float]]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            pairs = parse_tag_weights(row["tags"])
            for word in row["words"].split(","):
                table[word.strip()] = pairs
    return table


def content_words(caption: str, known: set[str] | dict[str, Any]) -> list[str]:
    """Phrases from `known` first ("coffee shop"), then every other non-stop word, in order;
    plurals become the singular the table knows (dogs -> dog, puppies -> puppy)."""
    words = _WORD.findall(caption.lower())
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in (3, 2):
            phrase = " ".join(words[i : i + n])
            if len(words) - i >= n and phrase in known:
                out.append(phrase)
                i += n
                break
        else:
            w = words[i]
            i += 1
            for singular in (w[:-3] + "y" if w.endswith("ies") else "", w[:-2], w[:-1]):
                if w.endswith("s") and len(singular) > 2 and singular in known:
                    w = singular
                    break
            if w not in STOPWORDS and len(w) > 2:
                out.append(w)
    return list(dict.fromkeys(out))


class CaptionTagger:
    """Caption -> English content words -> Korean catalog tags -> tag-space expansion."""

    name = "caption"

    def __init__(
        self,
        catalog: Catalog,
        captioner: Captioner,
        *,
        max_new_tokens: int = 20,
        num_beams: int = 1,
        e5_min_z: float = 4.0,
        e5_weight: float = 0.5,
        max_tags: int = 12,
        threads: int = 2,
    ) -> None:
        torch.set_num_threads(threads)
        self.catalog = catalog
        self.captioner = captioner
        self.version = f"caption-1/{captioner.fingerprint}"
        self.max_new_tokens = max_new_tokens
        self.num_beams = num_beams
        self.e5_min_z = e5_min_z
        self.e5_weight = e5_weight
        self.max_tags = max_tags
        self.table = read_word_table()
        # How similar an English word is to each tag on average (the ImageNet labels are English
        # words): subtracting it stops tags that resemble every word from winning every photo.
        self.tag_mean = catalog.imagenet_affinity.mean(axis=0)

    def captions(self, images: Sequence[Image.Image]) -> list[str]:
        """One English caption per photo, generated in one batch."""
        processor = self.captioner.processor
        inputs = processor(images=[im.convert("RGB") for im in images], return_tensors="pt")
        with torch.inference_mode():
            ids = self.captioner.model.generate(
                pixel_values=inputs["pixel_values"],
                max_new_tokens=self.max_new_tokens,
                num_beams=self.num_beams,
            )
        return [" ".join(c.split()) for c in processor.batch_decode(ids, skip_special_tokens=True)]

    def word_votes(self, words: Sequence[str]) -> list[tuple[str, float]]:
        """(tag key, weight) for content words: table entries, else a clear e5 match."""
        votes: list[tuple[str, float]] = []
        unknown = []
        for w in words:
            if w in self.table:
                votes += self.table[w]
            else:
                unknown.append(w)
        if unknown and len(self.catalog.shown):
            sims = embed_queries(unknown[:12]) @ self.catalog.tag_text.T - self.tag_mean
            sims -= sims.mean(axis=1, keepdims=True)
            z = sims / np.maximum(sims.std(axis=1, keepdims=True), 1e-6)
            for row in z:
                for k in np.argsort(-row)[:2]:
                    if row[k] >= self.e5_min_z:
                        key = self.catalog.tag_keys[int(self.catalog.shown[k])]
                        votes.append((key, self.e5_weight * min(1.0, float(row[k]) / 6.0)))
        return votes

    def tags_for_caption(self, caption: str) -> list[TagWeight]:
        scores = TagScores(self.catalog)
        scores.add_many(self.word_votes(content_words(caption, self.table)))
        scores.expand()
        return scores.top(self.max_tags)

    def tag_batch(self, images: Sequence[Image.Image]) -> list[TaggerOutput]:
        if not images:
            return []
        return [
            TaggerOutput(tuple(self.tags_for_caption(c)), caption=c) for c in self.captions(images)
        ]

    def tag(self, image: Image.Image) -> list[TagWeight]:
        return list(self.tag_batch([image])[0].tags)
