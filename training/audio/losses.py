"""Losses for predicting song vectors, and the held-out metrics.

`cosine`: 1 - cos(predicted, true), the seed project's objective (it only fixes the direction;
the norm is set afterwards to the training songs' median norm).
`contrastive`: softmax over cosines / temperature, the true song against the other songs of the
batch and `negatives` random catalog songs. Targets are fixed catalog vectors, so catalog songs
are free negatives: this is the retrieval the recall metric measures.
`both`: their sum.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812

LossKind = Literal["cosine", "contrastive", "both"]


def vector_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    kind: LossKind,
    *,
    temperature: float = 0.05,
    negatives: torch.Tensor | None = None,
    exclude: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean loss of a batch. `negatives` (k x dim) are extra catalog songs; `exclude`
    (batch x k, bool) marks negatives that are the row's own song (never pushed away)."""
    p = F.normalize(pred.float(), dim=1)
    t = F.normalize(target.float(), dim=1)
    loss = torch.zeros((), device=pred.device)
    if kind in ("cosine", "both"):
        loss = loss + (1.0 - (p * t).sum(dim=1)).mean()
    if kind in ("contrastive", "both"):
        bank = (
            t
            if negatives is None or len(negatives) == 0
            else torch.cat([t, F.normalize(negatives.float(), dim=1)])
        )
        logits = p @ bank.T / temperature
        if exclude is not None and len(bank) > len(t):
            own = torch.zeros((len(p), len(t)), dtype=torch.bool, device=pred.device)
            logits = logits.masked_fill(torch.cat([own, exclude], dim=1), float("-inf"))
        labels = torch.arange(len(p), device=pred.device)
        loss = loss + F.cross_entropy(logits, labels)
    return loss


def unit_rows(m: np.ndarray) -> np.ndarray:
    return (m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def retrieval_metrics(
    predicted: np.ndarray,
    true_rows: np.ndarray,
    catalog: np.ndarray,
    ks: tuple[int, ...] = (10, 100),
    *,
    chunk: int = 128,
    device: str = "cpu",
) -> dict[str, float]:
    """Mean cosine of each prediction with its song's true vector, and recall@k: how often
    the true song is among the k catalog songs nearest (cosine) to the prediction."""
    if len(predicted) == 0:
        return {"n": 0.0}
    pred = torch.from_numpy(unit_rows(predicted)).to(device)
    songs = torch.from_numpy(unit_rows(catalog)).to(device)
    rows = torch.from_numpy(np.asarray(true_rows, dtype=np.int64)).to(device)
    cosines, ranks = [], []
    for start in range(0, len(pred), chunk):
        p, r = pred[start : start + chunk], rows[start : start + chunk]
        scores = p @ songs.T
        own = scores.gather(1, r[:, None])
        cosines.append(own[:, 0])
        ranks.append((scores > own).sum(dim=1))
    cos = torch.cat(cosines).cpu().numpy()
    rank = torch.cat(ranks).cpu().numpy()
    out = {"n": float(len(pred)), "mean_cosine": round(float(cos.mean()), 4)}
    for k in ks:
        out[f"recall@{k}"] = round(float((rank < k).mean()), 4)
    out["median_rank"] = float(np.median(rank))
    return out


def chance_recall(k: int, n_songs: int) -> float:
    """Recall@k of a random guess among n_songs songs."""
    return min(1.0, k / max(n_songs, 1))
