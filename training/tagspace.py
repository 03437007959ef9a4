"""Learn the tag space from playlists.

The seed project placed a song at the mean text embedding of the tags of the playlists that
contain it. We keep that shape and learn the vectors instead of borrowing them from a text model:

    query vector  q = sum_t E[t] / sqrt(#tags)                 (the playlist's or photo's tags)
    song vector   s_j = sum_t C[j, t] F[t] / n_j ** gamma      (C = tag counts of j's playlists)
    score         q . s_j + a * log(1 + n_j)                   (n_j = playlists containing j)

E and F are trained with a sampled softmax (negatives drawn by popularity, log-Q corrected) to
predict each training playlist's songs from its tags. The positive song's profile leaves the
playlist itself out, so the model learns to generalise to unseen playlists instead of matching
a playlist against its own tags. Because a song vector is a function of a tag profile, any
song with a profile (an Arena song, or a named song described by artist, genre and mood tags)
lands in the same space.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn
from tqdm.auto import tqdm

from core.errors import InputFileError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TagSpaceConfig:
    """Hyper-parameters; the defaults are the ones measured in README (mri eval offline)."""

    dim: int = 128
    epochs: int = 6
    batch: int = 512
    negatives: int = 4096
    lr: float = 3e-3
    tag_dropout: float = 0.25
    gamma: float = 0.5
    neg_alpha: float = 0.5
    max_pos_per_playlist: int = 32
    seed: int = 0
    threads: int = 2


@dataclass(frozen=True)
class TagSpace:
    """The learned tag space: query-side E, profile-side F (both V x dim), popularity scale a."""

    query_vectors: np.ndarray
    profile_vectors: np.ndarray
    bias_scale: float
    gamma: float
    losses: tuple[float, ...] = ()  # mean training loss per epoch

    def song_vectors(self, counts: sp.csr_matrix, n: np.ndarray) -> np.ndarray:
        """(songs x tags) profile counts and playlist counts -> (songs x dim) vectors."""
        raw = np.asarray(counts @ self.profile_vectors, dtype=np.float32)
        return raw / np.maximum(n, 1.0)[:, None].astype(np.float32) ** self.gamma

    def song_bias(self, n: np.ndarray) -> np.ndarray:
        """Popularity prior a * log(1 + n)."""
        return (self.bias_scale * np.log1p(np.maximum(n, 0.0))).astype(np.float32)


class _Model(nn.Module):
    def __init__(self, n_tags: int, dim: int) -> None:
        super().__init__()
        self.query = nn.EmbeddingBag(n_tags, dim, mode="sum")
        self.profile = nn.EmbeddingBag(n_tags, dim, mode="sum")
        nn.init.normal_(self.query.weight, 0.0, 0.1)
        nn.init.normal_(self.profile.weight, 0.0, 0.1)
        self.bias_scale = nn.Parameter(torch.tensor(0.5))

    def bags(self, table: nn.EmbeddingBag, rows: sp.csr_matrix) -> torch.Tensor:
        """Weighted sums of embedding rows, one per CSR row (weights = the CSR values)."""
        return table(  # type: ignore[no-any-return]
            torch.from_numpy(rows.indices.astype(np.int64)),
            torch.from_numpy(rows.indptr[:-1].astype(np.int64)),
            per_sample_weights=torch.from_numpy(rows.data.astype(np.float32)),
        )

    def bias(self, n: torch.Tensor) -> torch.Tensor:
        return self.bias_scale * torch.log1p(n)


def query_rows(tags: sp.csr_matrix) -> sp.csr_matrix:
    """Scale each row's tag weights to unit L2 norm (binary rows -> 1/sqrt(#tags))."""
    tags = tags.tocsr().astype(np.float32)
    norms = np.sqrt(np.asarray(tags.multiply(tags).sum(axis=1)).ravel())
    return sp.diags(1.0 / np.maximum(norms, 1e-12)).astype(np.float32) @ tags  # type: ignore[no-any-return]


def _drop_tags(rows: sp.csr_matrix, rate: float, rng: np.random.Generator) -> sp.csr_matrix:
    """Randomly drop tags (robustness to partial queries), never emptying a row."""
    coo = rows.tocoo()
    keep = rng.random(coo.nnz) >= rate
    first = np.r_[True, coo.row[1:] != coo.row[:-1]]  # keep each row's first tag
    keep |= first
    return sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=rows.shape)


def train_tag_space(
    tags: sp.csr_matrix,
    songs: sp.csr_matrix,
    weights: np.ndarray,
    config: TagSpaceConfig,
) -> TagSpace:
    """Fit E and F on playlists (rows of `tags` and `songs`), weighting each playlist's loss."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    torch.set_num_threads(config.threads)
    tags = tags.tocsr().astype(np.float32)
    songs = songs.tocsr().astype(np.float32)
    counts = (songs.T @ tags).tocsr().astype(np.float32)  # songs x tags
    n = np.asarray(songs.sum(axis=0)).ravel().astype(np.float32)
    rows = np.flatnonzero((np.diff(tags.indptr) > 0) & (np.diff(songs.indptr) > 0))
    if len(rows) == 0:
        raise InputFileError(
            "no playlist has both songs and a tag that made it into the vocabulary: "
            "nothing to learn from"
        )
    model = _Model(tags.shape[1], config.dim)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    steps = config.epochs * -(-len(rows) // config.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=config.lr, total_steps=steps, pct_start=0.1
    )
    q = n.astype(np.float64) ** config.neg_alpha
    neg_p = torch.from_numpy((q / q.sum()).astype(np.float32))
    log_q = torch.log(neg_p.clamp_min(1e-30))
    gen = torch.Generator().manual_seed(config.seed)
    n_t = torch.from_numpy(n)
    losses: list[float] = []
    with tqdm(total=steps, desc="tag space", unit="batch") as bar:
        for epoch in range(config.epochs):
            order = rng.permutation(rows)
            total = 0.0
            for start in range(0, len(order), config.batch):
                batch = order[start : start + config.batch]
                loss = _step(model, tags[batch], songs[batch], weights[batch], counts, n_t,
                             neg_p, log_q, gen, rng, config)  # fmt: skip
                opt.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
                sched.step()
                total += loss.item()
                bar.update(1)
            losses.append(total / -(-len(order) // config.batch))
            log.info("tag space epoch %d: loss %.4f", epoch + 1, losses[-1])
    return TagSpace(
        query_vectors=model.query.weight.detach().numpy().copy(),
        profile_vectors=model.profile.weight.detach().numpy().copy(),
        bias_scale=float(model.bias_scale.detach()),
        gamma=config.gamma,
        losses=tuple(losses),
    )


def _step(
    model: _Model,
    tag_rows: sp.csr_matrix,
    song_rows: sp.csr_matrix,
    weights: np.ndarray,
    counts: sp.csr_matrix,
    n: torch.Tensor,
    neg_p: torch.Tensor,
    log_q: torch.Tensor,
    gen: torch.Generator,
    rng: np.random.Generator,
    config: TagSpaceConfig,
) -> torch.Tensor:
    """Sampled-softmax loss of one batch of playlists."""
    shown = _drop_tags(tag_rows, config.tag_dropout, rng) if config.tag_dropout else tag_rows
    h = model.bags(model.query, query_rows(shown))
    own = model.bags(model.profile, tag_rows)  # this playlist's share of each positive profile
    pos = song_rows.tocoo()
    pr, pc = pos.row, pos.col
    cap = len(tag_rows.indptr) * config.max_pos_per_playlist
    if len(pc) > cap:
        pick = rng.choice(len(pc), cap, replace=False)
        pr, pc = pr[pick], pc[pick]
    uniq, inv = np.unique(pc, return_inverse=True)
    pr_t = torch.from_numpy(pr.astype(np.int64))
    pc_t = torch.from_numpy(pc.astype(np.int64))
    n_loo = (n[pc_t] - 1.0).clamp_min(0.0)
    prof = model.bags(model.profile, counts[uniq])[torch.from_numpy(inv)] - own[pr_t]
    s_pos = prof / n_loo.clamp_min(1.0).pow(config.gamma)[:, None]
    logit_pos = (h[pr_t] * s_pos).sum(1) + model.bias(n_loo) - log_q[pc_t]
    neg = torch.multinomial(neg_p, config.negatives, replacement=True, generator=gen)
    uneg, ninv = torch.unique(neg, return_inverse=True)
    s_neg = model.bags(model.profile, counts[uneg.numpy()])
    s_neg = s_neg / n[uneg].clamp_min(1.0).pow(config.gamma)[:, None]
    logit_neg = h @ s_neg[ninv].T + (model.bias(n[neg]) - log_q[neg])[None, :]
    lse_neg = torch.logsumexp(logit_neg, dim=1)[pr_t]
    w = torch.from_numpy(weights[pr].astype(np.float32))
    per_pos = torch.logaddexp(logit_pos, lse_neg) - logit_pos
    return (per_pos * w).sum() / w.sum()
