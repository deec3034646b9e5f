"""The stationary block bootstrap (Politis and Romano, 1994) of the training returns."""

from __future__ import annotations

from typing import Any

import numpy as np

from wavediff.baselines.base import Baseline, check_series


def block_indices(n: int, window: int, length: int, mean_block: float | None,
                  rng: np.random.Generator) -> np.ndarray:
    """``(n, window)`` indices into ``length`` returns read as a circle: blocks of consecutive
    indices with geometric lengths (mean ``mean_block``, default ``window / 4``) from random starts."""
    mean_block = mean_block or max(1.0, window / 4)
    steps = np.arange(window)
    new_block = rng.random((n, window)) < 1.0 / mean_block
    new_block[:, 0] = True
    block_start = np.maximum.accumulate(np.where(new_block, steps, 0), axis=1)  # (n, T) time of its block's start
    starts = rng.integers(0, length, (n, window))
    return (np.take_along_axis(starts, block_start, axis=1) + steps - block_start) % length


class StationaryBootstrap(Baseline):
    """Windows made of blocks of consecutive training returns with geometric lengths (mean
    ``mean_block``, default a quarter of the window), from random starts on the training returns
    read as one circle. It keeps the marginal exactly and short-range dependence within blocks.
    """

    name = "bootstrap"

    def __init__(self, mean_block: float | None = None) -> None:
        if mean_block is not None and not mean_block >= 1:
            raise ValueError(f"mean_block must be >= 1, got {mean_block}")
        self.mean_block = mean_block
        self.returns = np.zeros(0)

    def fit(self, series: list[np.ndarray]) -> "StationaryBootstrap":
        self.returns = check_series(self.name, series, minimum=2)
        return self

    def sample(self, n: int, window: int, rng: np.random.Generator) -> np.ndarray:
        return self.returns[block_indices(n, window, len(self.returns), self.mean_block, rng)]

    def describe(self) -> dict[str, Any]:
        return {"mean_block": self.mean_block, "n_returns": int(len(self.returns))}
