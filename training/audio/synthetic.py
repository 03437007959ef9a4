"""A small learnable task: mel-spectrograms rendered from known song vectors.

Real Arena mels are not in the shared data, so tests and benchmarks need a task whose answer is
known. Each song's vector z (unit length) is rendered into a clip by a fixed random "synth":

* a sustained timbre: band levels A·z over the mel bands;
* a pulse: band levels B·z, switched on and off at a tempo set by c·z, with a random phase;
* noise, and a random overall level (so absolute level carries no information).

Recovering z needs both what is always there and what comes and goes with the beat. The task
measures whether a network, a loss and the training loop can learn such a mapping; it says
nothing about how well real audio predicts playlist tags.
"""

from __future__ import annotations

import numpy as np


def render_mels(
    vectors: np.ndarray,
    n_mels: int = 48,
    frames: int = 1876,
    *,
    noise: float = 0.3,
    seed: int = 0,
    synth_seed: int = 1234,
) -> np.ndarray:
    """(n, n_mels, frames) float32 clips for (n, dim) song vectors (same synth per synth_seed)."""
    z = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    synth = np.random.default_rng(synth_seed)
    dim = z.shape[1]
    timbre = synth.normal(0, 1, (n_mels, dim)) / np.sqrt(dim) * 3.0
    pulse = synth.normal(0, 1, (n_mels, dim)) / np.sqrt(dim) * 3.0
    tempo = synth.normal(0, 1, dim) / np.sqrt(dim) * 2.0
    rng = np.random.default_rng(seed)
    n = len(z)
    t = np.arange(frames, dtype=np.float64)
    period = 8.0 + 24.0 / (1.0 + np.exp(-(z @ tempo)))  # 8-32 frames per beat
    phase = rng.uniform(0, 2 * np.pi, n)
    beat = (np.cos(2 * np.pi * t[None, :] / period[:, None] + phase[:, None]) > 0.3).astype(float)
    out = (z @ timbre.T)[:, :, None] + (z @ pulse.T)[:, :, None] * beat[:, None, :]
    out += rng.normal(0, noise, out.shape) + rng.normal(0, 2.0, (n, 1, 1))
    return out.astype(np.float32)


def clustered_vectors(
    n: int, dim: int, clusters: int = 8, spread: float = 0.5, seed: int = 0
) -> np.ndarray:
    """Song vectors in a few clusters (like songs of a few moods), for tests."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (clusters, dim))
    labels = rng.integers(0, clusters, n)
    return (centres[labels] + spread * rng.normal(0, 1, (n, dim))).astype(np.float32)
