"""The field's post-hoc GRU scores (TimeGAN, Diffusion-TS, ImagenTime), re-implemented.

Both take windows ``(N, T, F)`` scaled to ``[0, 1]`` per feature (min-max over the whole file,
as the protocol does) and a seed; neither is tuned, because the published numbers come from these
settings (``../shared/benchmarks/stocks/README.md``):

* :func:`gru_discriminative_score`: a GRU (hidden ``F // 2``) and a linear head tell real from
  generated; 80% of each set trains it (2,000 Adam steps of 128 + 128 windows), the other 20%
  tests it; the score is ``|accuracy - 0.5|`` (0: indistinguishable).
* :func:`gru_predictive_score`: a GRU (hidden ``F // 2``) trained on the *generated* windows to
  predict the last feature one step ahead from the other features (5,000 steps of 128, L1 loss,
  sigmoid output); the score is its mean absolute error on the *real* windows.

Our own discriminative score (:mod:`wavediff.metrics.discriminative`) is the one the evaluation
uses on returns; these two exist so that our numbers sit in the published table.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from wavediff.metrics.discriminative import _one_thread


class _GRUHead(nn.Module):
    """``(B, T, F_in)`` -> GRU -> linear: the last step's logit ``(B,)`` or one value per step ``(B, T)``."""

    def __init__(self, features: int, hidden: int, per_step: bool) -> None:
        super().__init__()
        self.gru = nn.GRU(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        self.per_step = per_step

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, last = self.gru(x)
        return self.head(out).squeeze(-1) if self.per_step else self.head(last[-1]).squeeze(-1)


def _check(windows: np.ndarray, name: str) -> torch.Tensor:
    x = np.asarray(windows, dtype=np.float32)
    if x.ndim != 3 or x.shape[1] < 2 or len(x) < 2:
        raise ValueError(f"{name}: expected windows (N >= 2, T >= 2, F), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: windows must be finite")
    return torch.from_numpy(x)


def gru_discriminative_score(real: np.ndarray, generated: np.ndarray, seed: int = 0, steps: int = 2000,
                             batch_size: int = 128, train_fraction: float = 0.8) -> float:
    """``|test accuracy - 0.5|`` of the post-hoc GRU classifier (see the module)."""
    r, g = _check(real, "real"), _check(generated, "generated")
    if r.shape[1:] != g.shape[1:]:
        raise ValueError(f"real {tuple(r.shape[1:])} and generated {tuple(g.shape[1:])} windows differ")
    rng = np.random.default_rng(seed)
    r, g = r[rng.permutation(len(r))], g[rng.permutation(len(g))]
    nr, ng = int(train_fraction * len(r)), int(train_fraction * len(g))
    if min(nr, ng, len(r) - nr, len(g) - ng) < 1:
        raise ValueError("too few windows to split into train and test")
    features = r.shape[2]
    with _one_thread(), torch.random.fork_rng():
        torch.manual_seed(seed)
        model = _GRUHead(features, max(features // 2, 1), per_step=False)
        optimizer = torch.optim.Adam(model.parameters())
        loss_fn = nn.BCEWithLogitsLoss()
        for _ in range(steps):
            i = torch.from_numpy(rng.integers(0, nr, min(batch_size, nr)))
            j = torch.from_numpy(rng.integers(0, ng, min(batch_size, ng)))
            logits = model(torch.cat([r[:nr][i], g[:ng][j]]))
            labels = torch.cat([torch.ones(len(i)), torch.zeros(len(j))])
            optimizer.zero_grad()
            loss_fn(logits, labels).backward()
            optimizer.step()
        with torch.no_grad():
            right = int((model(r[nr:]) > 0).sum()) + int((model(g[ng:]) <= 0).sum())
    accuracy = right / (len(r) - nr + len(g) - ng)
    return abs(accuracy - 0.5)


def gru_predictive_score(real: np.ndarray, generated: np.ndarray, seed: int = 0, steps: int = 5000,
                         batch_size: int = 128) -> float:
    """Mean absolute error on ``real`` of the GRU trained on ``generated`` (see the module)."""
    r, g = _check(real, "real"), _check(generated, "generated")
    if r.shape[1:] != g.shape[1:] or r.shape[2] < 2:
        raise ValueError(f"real {tuple(r.shape[1:])} and generated {tuple(g.shape[1:])}: need the same "
                         "shape with at least 2 features")
    rng = np.random.default_rng(seed)
    features = r.shape[2]
    inputs, target = slice(0, features - 1), features - 1
    with _one_thread(), torch.random.fork_rng():
        torch.manual_seed(seed)
        model = _GRUHead(features - 1, max(features // 2, 1), per_step=True)
        optimizer = torch.optim.Adam(model.parameters())
        for _ in range(steps):
            batch = g[torch.from_numpy(rng.integers(0, len(g), min(batch_size, len(g))))]
            predicted = torch.sigmoid(model(batch[:, :-1, inputs]))
            loss = (predicted - batch[:, 1:, target]).abs().mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            predicted = torch.sigmoid(model(r[:, :-1, inputs]))
            return float((predicted - r[:, 1:, target]).abs().mean())


def minmax_scale(windows: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """``(N, T, F)`` windows scaled per feature by the file's ``low`` and ``high`` ``(F,)`` (the protocol's
    min-max, with its small epsilon so a constant column does not divide by zero)."""
    low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    return (np.asarray(windows, dtype=np.float64) - low) / (high - low + 1e-7)
