"""Post-hoc discriminative score: how well a small classifier tells generated from real windows.

A 1-D CNN over the channels (r, |r|) of each window, scaled by the real returns' std, is trained
on 70% of a balanced real/generated set and scored on the other 30% (as many of each kind, so
a classifier that learnt nothing scores 0); the score is
``|accuracy - 0.5|`` (0: indistinguishable, 0.5: always told apart). It works for one-dimensional
series (a hidden size is never derived from the number of input dimensions).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from scipy import stats
from torch import nn


class WindowClassifier(nn.Module):
    """``(B, channels, T)`` -> logit ``(B,)``."""

    def __init__(self, hidden: int = 16, channels: int = 2) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(channels, hidden, 5, padding=2), nn.ReLU(),
            nn.Conv1d(hidden, hidden, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv1d(hidden, hidden, 5, stride=2, padding=2), nn.ReLU(),
            nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


def _features(windows: np.ndarray, scale: float) -> torch.Tensor:
    """``(N, T)`` -> ``(N, 2, T)`` channels ``(r, |r|)``; joint windows ``(N, A, T)`` -> ``(N, 2A, T)``."""
    r = torch.as_tensor(np.asarray(windows, dtype=np.float32) / scale)
    r = r.reshape(len(r), -1, r.shape[-1])
    return torch.cat([r, r.abs()], dim=1)


@contextmanager
def _one_thread() -> Iterator[None]:
    """Torch on one CPU thread inside the block: the classifier's tensors are tiny, and with the
    cores busy (a training process, a test run) its intra-op threads wait on each other — measured
    4-7x slower with 2 threads than with 1 on a loaded 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def discriminative_score(generated: np.ndarray, real: np.ndarray, epochs: int = 30, seed: int = 0,
                         test_fraction: float = 0.3) -> float:
    """``|test accuracy - 0.5|`` of a classifier of real vs generated windows ``(N, T)`` (or joint
    windows ``(N, A, T)``, every asset a channel, so it sees how the assets move together)."""
    # the classifier seeds torch for its initialisation: inside a training run (the evaluation
    # callback) that must not reseed the training's own random stream
    with _one_thread(), torch.random.fork_rng(devices=[]):
        return _discriminative_score(generated, real, epochs, seed, test_fraction)


def _discriminative_score(generated: np.ndarray, real: np.ndarray, epochs: int, seed: int,
                          test_fraction: float) -> float:
    rng = np.random.default_rng(seed)
    n = min(len(generated), len(real))
    if n < 8:
        raise ValueError(f"need at least 8 windows of each kind, got {len(generated)} and {len(real)}")
    g = np.asarray(generated)[rng.choice(len(generated), n, replace=False)]
    r = np.asarray(real)[rng.choice(len(real), n, replace=False)]
    scale = float(np.asarray(real).std()) or 1.0  # one scale for all assets: their relative sizes are data
    # as many of each kind in the test set (g and r are in random order): a classifier that learnt
    # nothing and answers one class then scores exactly 0, not the test set's class imbalance
    k = max(int(test_fraction * n), 1)
    x_test = torch.cat([_features(r[:k], scale), _features(g[:k], scale)])
    y_test = torch.cat([torch.zeros(k), torch.ones(k)])
    x_train = torch.cat([_features(r[k:], scale), _features(g[k:], scale)])
    y_train = torch.cat([torch.zeros(n - k), torch.ones(n - k)])
    order = torch.as_tensor(rng.permutation(len(x_train)))
    x_train, y_train = x_train[order], y_train[order]
    torch.manual_seed(seed)
    model = WindowClassifier(channels=x_train.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(x_train), generator=generator).split(64):
            optimizer.zero_grad()
            loss_fn(model(x_train[idx]), y_train[idx]).backward()
            optimizer.step()
    with torch.no_grad():
        accuracy = float(((model(x_test) > 0).float() == y_test).float().mean())
    return abs(accuracy - 0.5)


def discriminative_draws(generated: np.ndarray, real: np.ndarray, draws: int, seed: int = 0,
                         epochs: int = 30, test_fraction: float = 0.3) -> np.ndarray:
    """Scores of ``draws`` classifiers, each with its own seed ``seed + i`` (its own real/generated
    subsets, split and initialisation): ``(draws,)``. Two generators scored with the same ``seed``
    against the same ``real`` windows (and as many windows each) share every split of the real
    windows, so their scores pair draw by draw (:func:`paired_discriminative`).

    Kept in memory for the last few inputs: a report compares one set with several others, and
    its fits are the costly part (seconds each at n = 256)."""
    key = (_digest(generated), _digest(real), draws, seed, epochs, test_fraction)
    if key not in _DRAWS:
        _DRAWS[key] = np.array([discriminative_score(generated, real, epochs, seed + i, test_fraction)
                                for i in range(draws)])
        while len(_DRAWS) > 16:
            _DRAWS.popitem(last=False)
    return _DRAWS[key].copy()


_DRAWS: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()


def _digest(windows: np.ndarray) -> tuple[tuple[int, ...], str]:
    array = np.ascontiguousarray(windows, dtype=np.float64)
    return array.shape, hashlib.sha1(array.tobytes()).hexdigest()


def paired_discriminative(scores_a: np.ndarray, scores_b: np.ndarray, level: float = 0.9,
                          test_fraction: float = 0.3) -> dict[str, float | str]:
    """Is generator ``a`` harder to tell from the real windows than ``b``, given their paired
    :func:`discriminative_draws` (same seed, same real windows)?

    A paired t-test on the score differences ``d(a) - d(b)``. The draws reuse the same windows, so
    their differences are correlated and the plain standard error is too small: the variance is
    inflated by ``n_test / n_train`` (Nadeau & Bengio's corrected resampled t-test), which keeps the
    rate of false "better" / "worse" verdicts at or below ``1 - level`` (it errs on "same").
    Returns ``{"diff": mean difference, "low", "high" (the ``level`` interval), "verdict"}``.
    """
    diffs = np.asarray(scores_a, dtype=np.float64) - np.asarray(scores_b, dtype=np.float64)
    if diffs.ndim != 1 or len(diffs) < 2:
        raise ValueError(f"a paired classifier comparison needs two equal lists of at least 2 scores, "
                         f"got shapes {np.shape(scores_a)} and {np.shape(scores_b)}")
    mean = float(diffs.mean())
    se = float(np.sqrt((1 / len(diffs) + test_fraction / (1 - test_fraction)) * diffs.var(ddof=1)))
    half = float(stats.t.ppf(0.5 + level / 2, len(diffs) - 1)) * se
    low, high = mean - half, mean + half
    verdict = "better" if high < 0 else "worse" if low > 0 else "same"
    return {"diff": mean, "low": low, "high": high, "verdict": verdict}
