"""`make bench`: every benchmark in turn (several minutes; needs ../shared for build/index)."""

from __future__ import annotations

import subprocess
import sys

BENCHES = [
    "bench_photo",
    "bench_memory",
    "bench_queue",
    "bench_index",
    "bench_build",
    "bench_audio",
    "bench_faces",
    "bench_taggers",  # about 10 minutes (full-size CLIP and BLIP with random weights)
]  # bench_audio_quality (about 40 min) runs on its own

if __name__ == "__main__":
    for name in BENCHES:
        print(f"== {name}", flush=True)
        subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], check=True)
