"""Shared helpers: timing statistics, machine description, Markdown tables and result files."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from training.shared import REPO_ROOT, shared_data_dir

RESULTS = Path(__file__).parent / "results"
REPO = REPO_ROOT


def shared_dir() -> Path | None:
    """The shared data folder, or None when this machine has none."""
    path = shared_data_dir()
    return path if path.is_dir() else None


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    a = np.asarray(samples_ms, dtype=np.float64)
    return {
        "n": float(len(a)),
        "mean": float(a.mean()),
        "p50": float(np.percentile(a, 50)),
        "p95": float(np.percentile(a, 95)),
        "p99": float(np.percentile(a, 99)),
        "max": float(a.max()),
    }


def rss_mb() -> tuple[float, float]:
    """(resident memory now, its peak so far) of this process in MB, from /proc/self/status."""
    fields = dict(
        line.split(":", 1)
        for line in Path("/proc/self/status").read_text().splitlines()
        if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return (
        f"{os.cpu_count()} cores ({cpu}), torch threads {torch.get_num_threads()}, "
        f"Python {platform.python_version()}, torch {torch.__version__}, {platform.system()}"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def fmt(v: object) -> str:
        return f"{v:.1f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_result(name: str, title: str, body: str) -> Path:
    """Print and save benchmarks/results/<name>.md with the command and the machine."""
    command = (
        "python -m benchmarks." + name + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    )
    text = (
        f"# {title}\n\nCommand: `{command}`  \nDate: {dt.date.today().isoformat()}  \n"
        f"Machine: {machine()}\n\n{body}\n"
    )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    print(text)
    return path


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)
