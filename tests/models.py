"""Tiny CLIP and BLIP models built here, saved with `save_pretrained`, for the real taggers to load.

Real architectures and real loading code, tiny sizes (hidden 32, 2 layers, 32 px images) and a
WordPiece tokenizer trained with `tokenizers` on a few Korean and English sentences: the tags they
produce mean nothing, the mechanics are the ones a real model goes through. Built once per test
session (about a second) and shared by every test module that asks.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Nothing in the tests may reach the Hugging Face hub; set before huggingface_hub is imported.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

SENTENCES = [
    "바다 느낌의 사진",
    "겨울 분위기의 사진",
    "카페의 사진",
    "여름 해변 눈 크리스마스 커피 잔잔한 기분전환",
    "a dog running on the beach at sunset",
    "a cup of coffee on a wooden table in a cafe",
    "people walking in the snow at night",
    "a city street in the rain with umbrellas",
]
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]"]
PAD, UNK, CLS, SEP, MASK, DEC = range(len(SPECIAL))


@dataclass(frozen=True)
class TinyModels:
    clip: Path
    blip: Path


def train_tokenizer() -> Any:
    """A WordPiece tokenizer trained on SENTENCES, wrapped for transformers."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import WordPieceTrainer
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(SENTENCES, WordPieceTrainer(vocab_size=400, special_tokens=SPECIAL))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", CLS), ("[SEP]", SEP)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        bos_token="[DEC]",
        model_max_length=32,
    )


def _tiny(**extra: Any) -> dict[str, Any]:
    return (
        dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4)
        | extra
    )


def save_tiny_clip(folder: Path, tokenizer: Any) -> Path:
    """A CLIPModel (text tower + vision tower) with its tokenizer and image processor."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel

    torch.manual_seed(0)
    config = CLIPConfig(
        text_config=_tiny(
            vocab_size=len(tokenizer),
            max_position_embeddings=32,
            pad_token_id=PAD,
            bos_token_id=CLS,
            eos_token_id=SEP,  # pooled at the first [SEP], as in a BERT-tokenised CLIP
        ),
        vision_config=_tiny(image_size=32, patch_size=8),
        projection_dim=16,
    )
    CLIPModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    CLIPImageProcessorPil(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    ).save_pretrained(folder)
    return folder


def save_tiny_blip(folder: Path, tokenizer: Any) -> Path:
    """A BlipForConditionalGeneration with a BlipProcessor (image processor + tokenizer)."""
    import torch
    from transformers import (
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessorPil,
        BlipProcessor,
    )

    torch.manual_seed(0)
    config = BlipConfig(
        text_config=_tiny(
            vocab_size=len(tokenizer),
            max_position_embeddings=40,
            bos_token_id=DEC,
            sep_token_id=SEP,
            eos_token_id=SEP,
            pad_token_id=PAD,
        ),
        vision_config=_tiny(image_size=32, patch_size=8),
        projection_dim=16,
    )
    BlipForConditionalGeneration(config).save_pretrained(folder)
    processor = BlipProcessor(
        image_processor=BlipImageProcessorPil(size={"height": 32, "width": 32}), tokenizer=tokenizer
    )
    processor.save_pretrained(folder)
    return folder


_built: dict[Path, TinyModels] = {}


def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    """Build both models once per session (memoised on the session's temp root)."""
    root = tmp_path_factory.getbasetemp()
    if root not in _built:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        folder = tmp_path_factory.mktemp("tiny-models")
        tokenizer = train_tokenizer()
        _built[root] = TinyModels(
            clip=save_tiny_clip(folder / "clip", tokenizer),
            blip=save_tiny_blip(folder / "blip", tokenizer),
        )
    return _built[root]


def forbid_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection other than to this machine fails the test at once."""
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None:
            try:
                local = ipaddress.ip_address(host).is_loopback
            except ValueError:
                local = host == "localhost"
            if not local:
                raise AssertionError(f"a test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
