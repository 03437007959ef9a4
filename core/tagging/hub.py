"""Where the weights of the transformers taggers come from; `mri models fetch` is the only download.

A model source (`MRI_CLIP_MODEL`, `MRI_CAPTION_MODEL`, `--model`) is a local folder or a Hugging
Face hub id. At run time nothing is downloaded: a hub id is looked up in
`<data_dir>/models/<owner>--<name>` (what `mri models fetch` writes) and then in the Hugging Face
cache, always with `local_files_only=True`. Without weights the tagger is unavailable and says
which command fetches them; the pipeline then falls back to the offline default tagger.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path
from typing import Any

from core.errors import TaggerUnavailable

log = logging.getLogger(__name__)

# What each weight-based tagger needs, and the Settings field that names its model.
MODEL_SETTINGS = {"clip": "clip_model", "caption": "caption_model"}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
# Other frameworks' weights and exports: never needed by transformers on torch.
_SKIP = ["*.h5", "*.msgpack", "*.ot", "*.onnx", "*.onnx_data", "*.tflite", "onnx/*", "coreml/*",
         "tf_model*", "flax_model*", "rust_model*", "openvino/*"]  # fmt: skip


def fetch_command(kind: str) -> str:
    return f"mri models fetch --tagger {kind}"


def set_offline() -> None:
    """Make huggingface_hub and transformers refuse the network in this process (MRI_OFFLINE).
    Best before they are imported: they read the variables at import time."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def is_hub_id(source: str) -> bool:
    """'owner/name' (not a path that happens to contain one slash, like ./x or /x)."""
    return bool(_HUB_ID.match(source)) and not Path(source).expanduser().exists()


def local_copy(models_dir: Path, repo_id: str) -> Path:
    """The folder `mri models fetch` writes a hub model to."""
    return models_dir / repo_id.replace("/", "--")


def _complete(folder: Path) -> bool:
    return (folder / "config.json").is_file()


def _hub_cache(repo_id: str) -> Path | None:
    """The model's snapshot in the Hugging Face cache, if it was downloaded before (no network)."""
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError
    except ImportError:  # pragma: no cover - a dependency of transformers
        return None
    try:
        path = Path(snapshot_download(repo_id, local_files_only=True))
    except (LocalEntryNotFoundError, HFValidationError, OSError, ValueError):
        return None
    return path if _complete(path) else None


def resolve_model(kind: str, source: str, models_dir: Path) -> Path:
    """The local folder holding the weights of `source`, or TaggerUnavailable naming the fix."""
    setting = f"MRI_{MODEL_SETTINGS.get(kind, kind + '_model').upper()}"
    path = Path(source).expanduser()
    if path.is_dir():
        if not _complete(path):
            raise TaggerUnavailable(
                f"the {kind} model folder {path} has no config.json: it is not a "
                "transformers model folder (save one with save_pretrained)"
            )
        return path
    if not is_hub_id(source):
        raise TaggerUnavailable(
            f"the {kind} model folder {path} does not exist; set {setting} to a model folder "
            f"or a hub id and run `{fetch_command(kind)}`"
        )
    fetched = local_copy(models_dir, source)
    if _complete(fetched):
        return fetched
    cached = _hub_cache(source)
    if cached is not None:
        return cached
    raise TaggerUnavailable(
        f"the {kind} tagger's weights ({source}) are not on this machine (looked in {fetched} "
        f"and the Hugging Face cache). Fetch them once with `{fetch_command(kind)}` (needs "
        f"network), or set {setting} to a local model folder."
    )


def fetch_model(repo_id: str, models_dir: Path) -> Path:
    """Download a hub model into `<models_dir>/<owner>--<name>` (safetensors only, when the
    repository has them) and return the folder. Needs network; resumes partial downloads."""
    from huggingface_hub import HfApi, snapshot_download

    if not is_hub_id(repo_id):
        raise TaggerUnavailable(f"{repo_id!r} is not a hub id (owner/name); nothing to fetch")
    from huggingface_hub.errors import HfHubHTTPError

    # The HTTP library under huggingface_hub changes between versions (httpx, httpx2); its
    # error class is a base of HfHubHTTPError, next to OSError.
    failures: tuple[type[BaseException], ...] = (ValueError, *HfHubHTTPError.__bases__)
    target = local_copy(models_dir, repo_id)
    try:
        files = HfApi().list_repo_files(repo_id)
        skip = list(_SKIP)
        if any(f.endswith(".safetensors") for f in files):
            skip += ["*.bin", "*.pt", "*.pth", "*.ckpt"]  # same weights, slower and pickled
        log.info("fetching %s into %s", repo_id, target)
        snapshot_download(repo_id, local_dir=target, ignore_patterns=skip)
    except failures as exc:
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise TaggerUnavailable(f"cannot fetch {repo_id}: {reason}") from exc
    if not _complete(target):
        raise TaggerUnavailable(f"{repo_id} was fetched into {target} but has no config.json")
    return target


def model_fingerprint(folder: Path) -> str:
    """Changes when the model in `folder` changes: config and tokenizer bytes, weight file
    names and sizes (hashing gigabytes of weights on every start would cost seconds)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path.suffix in {".json", ".txt", ".model"} and path.stat().st_size < 50_000_000:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        else:
            digest.update(f"{path.name}\0{path.stat().st_size}".encode())
    return digest.hexdigest()[:16]


def check_loaded_weights(kind: str, folder: Path, model: Any, info: dict[str, Any]) -> None:
    """Refuse a checkpoint that does not fit the architecture (a BLIP folder given as CLIP …):
    transformers would fill the gaps with random weights and the tags would be noise."""
    missing = list(info.get("missing_keys") or ())
    total = max(1, len(model.state_dict()))
    if len(missing) > 0.1 * total:
        raise TaggerUnavailable(
            f"the weights in {folder} do not fit {type(model).__name__} ({len(missing)} of "
            f"{total} tensors missing, e.g. {', '.join(sorted(missing)[:3])}): "
            f"is it a {kind} model?"
        )
    if missing:
        log.warning("%s: %d tensors not in the checkpoint: %s", folder, len(missing), missing[:5])


def quiet_transformers() -> None:
    """No progress bars from transformers in service logs (warnings, such as weights that did
    not fit the architecture, still come through)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
