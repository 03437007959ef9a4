"""`mri audio train`: the mel-spectrogram CNN that places cold-start songs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from mri.cli.context import load_settings
from mri.cli.errors import UserError

app = typer.Typer(no_args_is_help=True, help="Audio model for cold-start songs.")


@app.command("train")
def audio_train(
    mels: Annotated[
        Path, typer.Option(exists=True, file_okay=False, help="arena_mel: <id//1000>/<id>.npy")
    ],
    catalog: Annotated[
        Path, typer.Option(exists=True, file_okay=False, help="Catalog whose vectors to learn.")
    ],
    out: Annotated[Path, typer.Option(dir_okay=False, help="Checkpoint (resumed if present).")],
    arch: Annotated[str, typer.Option(help="pooled (default) or seed (the baseline).")] = "pooled",
    epochs: Annotated[int, typer.Option(min=1)] = 30,
    batch: Annotated[int, typer.Option(min=2)] = 64,
    lr: Annotated[float, typer.Option(min=0.0)] = 1e-3,
    loss: Annotated[str, typer.Option(help="both, cosine or contrastive.")] = "both",
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    workers: Annotated[int, typer.Option(min=0, help="Data-loading processes.")] = 0,
    threads: Annotated[int, typer.Option(min=1, help="CPU threads (cpu device).")] = 2,
    limit: Annotated[int | None, typer.Option(min=4, help="Use only the first N songs.")] = None,
    restart: Annotated[bool, typer.Option(help="Ignore an existing checkpoint.")] = False,
) -> None:
    """Train the mel-spectrogram CNN on Arena mels of songs that are in the catalog."""
    from training.audio.arena import arena_training_set
    from training.audio.checkpoint import catalog_info
    from training.audio.mel import MelConfig
    from training.audio.model import AudioNetConfig
    from training.audio.train import FileMels, TrainConfig, TrainData, train_audio_model

    load_settings(quiet=True)
    if arch not in ("pooled", "seed") or loss not in ("both", "cosine", "contrastive"):
        raise UserError("--arch is pooled or seed; --loss is both, cosine or contrastive")
    if device not in ("auto", "cpu", "cuda"):
        raise UserError("--device is auto, cpu or cuda")
    found, manifest = arena_training_set(mels, catalog, limit=limit)
    typer.echo(f"mel files: {json.dumps(found.report)}; compression: {found.compression}")
    mel = MelConfig(compression=found.compression)
    net = AudioNetConfig(
        arch=arch,  # type: ignore[arg-type]
        n_mels=mel.n_mels,
        frames=mel.frames,
        out_dim=int(manifest["dims"]["tag_space"]),
    )
    config = TrainConfig(
        epochs=epochs,
        batch=batch,
        lr=lr,
        loss=loss,  # type: ignore[arg-type]
        device=device,  # type: ignore[arg-type]
        workers=workers,
        threads=threads,
    )
    data = TrainData(
        FileMels(found.paths, mel.n_mels, mel.frames),
        found.targets,
        found.rows,
        found.catalog_vectors,
    )
    summary = train_audio_model(
        data, net, mel, config, out, catalog_info(manifest, catalog), resume=not restart
    )
    last = summary["history"][-1] if summary["history"] else {}
    typer.echo(json.dumps({"out": str(out), "epoch": last.get("epoch"),
                           "holdout": last.get("holdout")}, ensure_ascii=False))  # fmt: skip
