"""Are the joins of chained windows visible? A volatility step test at the seams of long paths.

At each seam ``s`` of each path the log of (std of the ``width`` returns after ``s``) / (std of
the ``width`` before) is taken; the statistic is its mean absolute value. The floor is the same
statistic at random positions of the same paths away from any seam: what the path's own
volatility changes give with no join at all. A ratio near 1 (and a large ``p_value``) means no
detectable seam.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _steps(returns: np.ndarray, positions: np.ndarray, width: int) -> np.ndarray:
    """``|log(std after / std before)|`` at ``positions`` of every path: ``(N, len(positions))``."""
    after = np.stack([returns[:, p:p + width].std(axis=1) for p in positions], axis=1)
    before = np.stack([returns[:, p - width:p].std(axis=1) for p in positions], axis=1)
    tiny = np.finfo(np.float64).tiny
    return np.abs(np.log(np.maximum(after, tiny) / np.maximum(before, tiny)))


def seam_report(returns: np.ndarray, seams: list[int], width: int = 16, draws: int = 200,
                seed: int = 0) -> dict[str, Any]:
    """The volatility step at the seams of ``returns`` ``(N, L)`` against random non-seam positions.

    Returns ``{"value", "floor" (median over draws), "ratio", "p_value" (share of draws at least
    as large), "abs_return_ratio" (mean |r| in the ``width`` after a seam over the path's mean |r|),
    "seams", "width"}``; ``None`` values when no seam has ``width`` returns on both sides."""
    returns = np.asarray(returns, dtype=np.float64)
    length = returns.shape[1]
    usable = np.array([s for s in seams if width <= s <= length - width], dtype=np.int64)
    empty = {"value": None, "floor": None, "ratio": None, "p_value": None, "abs_return_ratio": None,
             "seams": int(len(usable)), "width": width}
    if not len(usable):
        return empty
    allowed = np.array([p for p in range(width, length - width + 1)
                        if np.all(np.abs(usable - p) >= width)], dtype=np.int64)
    if not len(allowed):
        return empty
    value = float(_steps(returns, usable, width).mean())
    rng = np.random.default_rng(seed)
    null = np.array([_steps(returns, rng.choice(allowed, len(usable)), width).mean() for _ in range(draws)])
    floor = float(np.median(null))
    after = np.concatenate([np.abs(returns[:, s:s + width]) for s in usable], axis=1)
    return {"value": value, "floor": floor, "ratio": value / floor if floor > 0 else float("inf"),
            "p_value": float((null >= value).mean()),
            "abs_return_ratio": float(after.mean() / np.abs(returns).mean()),
            "seams": int(len(usable)), "width": width}
