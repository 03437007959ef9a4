"""Audio model speed on 2 cores: mel extraction per clip, training and inference throughput.

Mel extraction: the real clips in ../shared/data/librosa_example_audio (synthetic 60 s clips
when the shared data is absent), as `mri catalog add-audio` runs it (read, resample to 16 kHz,
48 mel bands over 30 s). The first call of a process is reported apart, twice, each in a fresh
subprocess: with an empty numba cache (librosa's JIT functions are compiled; this happens once
per installation, as librosa caches the compiled code on disk) and with the cache warm (imports
and cache loading only, every new process pays it).

Training: clips per second of one optimisation step (batch 16, Adam, the default loss) on
Arena-sized mels (48 x 1876), for the seed network and the pooled network (trained on 938-frame
crops, as `mri audio train` does), and inference on whole clips.

What the networks learn: benchmarks/bench_audio_quality.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from benchmarks.common import REPO, percentiles, shared_dir, table, write_result

FIRST_CALL = (
    "import sys, time; t = time.perf_counter(); "
    "from training.audio.mel import extract_mel; extract_mel(sys.argv[1]); "
    "print(time.perf_counter() - t)"
)


def _clips(tmp: Path) -> tuple[list[Path], str]:
    shared = shared_dir()
    if shared is not None and (shared / "librosa_example_audio").is_dir():
        clips = sorted((shared / "librosa_example_audio").glob("*.ogg"))
        return clips, f"the {len(clips)} clips of `librosa_example_audio` (5-133 s, 22.05 kHz OGG)"
    rng = np.random.default_rng(0)
    clips = []
    for i in range(4):
        path = tmp / f"clip{i}.wav"
        sf.write(path, 0.1 * rng.standard_normal(60 * 22_050), 22_050)
        clips.append(path)
    return clips, "4 synthetic 60 s noise clips (22.05 kHz WAV; no shared data here)"


def _first_call(clip: Path, cache: Path) -> float:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "2"}
    out = subprocess.run(
        [sys.executable, "-c", FIRST_CALL, str(clip)],
        capture_output=True, text=True, check=True, cwd=REPO, env=env, timeout=600,
    )  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def bench_mels(tmp: Path) -> str:
    from training.audio.mel import extract_mel

    clips, what = _clips(tmp)
    cache = tmp / "numba-cache"
    cold = _first_call(clips[0], cache)  # empty cache: compiles
    warm = _first_call(clips[0], cache)  # same cache, new process
    extract_mel(clips[0])  # this process: imports and JIT done
    times = []
    for _ in range(3):
        for clip in clips:
            t = time.perf_counter()
            extract_mel(clip)
            times.append((time.perf_counter() - t) * 1000)
    p = percentiles(times)
    rows = [
        ["first call, fresh process, empty numba cache (compile)", f"{cold * 1000:.0f}"],
        ["first call, fresh process, numba cache warm", f"{warm * 1000:.0f}"],
        [f"per clip after that: p50 ({len(times)} calls)", f"{p['p50']:.0f}"],
        ["per clip: p95", f"{p['p95']:.0f}"],
    ]
    return f"Clips: {what}.\n\n" + table(["mel extraction", "ms"], rows)


def _throughput(arch: str, frames: int, steps: int = 3, batch: int = 16) -> tuple[float, float]:
    from training.audio.losses import vector_loss
    from training.audio.model import AudioNetConfig, build_model

    torch.manual_seed(0)
    model = build_model(AudioNetConfig(arch=arch, frames=1876 if arch == "seed" else frames))  # type: ignore[arg-type]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x, target = torch.randn(batch, 1, 48, frames), torch.randn(batch, 128)
    negatives = torch.randn(4096, 128)
    seconds = []
    for step in range(steps + 1):
        t = time.perf_counter()
        loss = vector_loss(model(x), target, "both", negatives=negatives)
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        if step:  # the first step warms up allocators
            seconds.append(time.perf_counter() - t)
    model.eval()
    with torch.no_grad():
        model(torch.randn(4, 1, 48, 1876))
        t = time.perf_counter()
        model(torch.randn(batch, 1, 48, 1876))
        infer = batch / (time.perf_counter() - t)
    return batch / float(np.median(seconds)), infer


def bench_training() -> str:
    from training.audio.model import AudioNetConfig, build_model, count_parameters

    rows = []
    for arch, frames in (("seed", 1876), ("pooled", 938), ("pooled", 1876)):
        train, infer = _throughput(arch, frames)
        params = count_parameters(build_model(AudioNetConfig(arch=arch)))  # type: ignore[arg-type]
        rows.append([arch, f"{params:,}", f"48 x {frames}", f"{train:.1f}", f"{infer:.1f}"])
    return (
        "One step = forward, cosine + contrastive loss (4,096 catalog negatives), backward, "
        "AdamW; batch 16; median of 3 steps after a warm-up step. Inference: whole 48 x 1876 "
        "clips, batch 16.\n\n"
        + table(
            ["network", "parameters", "train input", "train clips/s", "inference clips/s"], rows
        )
    )


def main() -> None:
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        body = bench_mels(Path(tmp)) + "\n\n" + bench_training()
    write_result("bench_audio", "Audio model: mel extraction and training speed", body)


if __name__ == "__main__":
    main()
