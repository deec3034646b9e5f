"""Tail statistics of return windows: value at risk, expected shortfall, extreme quantiles, jumps,
and the nearest-neighbour memorisation check. Same definitions on real and generated data."""

from __future__ import annotations

from typing import Any

import numpy as np

LEVELS = (0.01, 0.05)


def value_at_risk(returns: np.ndarray, level: float) -> float:
    """``VaR_level``: the loss exceeded with probability ``level`` (``-quantile(r, level)``)."""
    return float(-np.quantile(np.ravel(returns), level))


def expected_shortfall(returns: np.ndarray, level: float) -> float:
    """``ES_level``: the mean loss beyond ``VaR_level``."""
    r = np.ravel(returns)
    return float(-r[r <= np.quantile(r, level)].mean())


def jump_counts(windows: np.ndarray, threshold: float = 4.0) -> np.ndarray:
    """Jumps per window ``(N,)`` by a bipower-variation threshold test: a return is a jump when it
    is more than ``threshold`` local standard deviations from the window's median, the local
    variance being the window's bipower variation ``(pi / 2) mean(|r_t| |r_(t-1)|)`` (which jumps
    barely move, unlike the plain variance)."""
    x = np.atleast_2d(np.asarray(windows, dtype=np.float64))
    bipower = (np.pi / 2) * (np.abs(x[:, 1:]) * np.abs(x[:, :-1])).mean(axis=1, keepdims=True)
    deviation = np.abs(x - np.median(x, axis=1, keepdims=True))
    return (deviation > threshold * np.sqrt(bipower)).sum(axis=1)


def tail_stats(windows: np.ndarray) -> dict[str, float]:
    """VaR and ES at 1% and 5%, the 99% and 99.9% quantiles of ``|r|``, jumps per window."""
    r = np.asarray(windows, dtype=np.float64)
    out = {}
    for level in LEVELS:
        pct = f"{round(level * 100)}pct"
        out[f"var_{pct}"] = value_at_risk(r, level)
        out[f"es_{pct}"] = expected_shortfall(r, level)
    out["abs_q99"] = float(np.quantile(np.abs(r), 0.99))
    out["abs_q999"] = float(np.quantile(np.abs(r), 0.999))
    out["jumps_per_window"] = float(jump_counts(r).mean())
    return out


def tail_distances(generated: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """``|generated - real|`` of each :func:`tail_stats` entry, in units of the real std (jumps
    per window as a plain count)."""
    g, r = tail_stats(generated), tail_stats(real)
    std = float(np.std(real))
    return {f"{key}_abs_diff" + ("" if key == "jumps_per_window" else "_over_std"):
            abs(g[key] - r[key]) / (1.0 if key == "jumps_per_window" else std) for key in g}


def nearest_distances(windows: np.ndarray, train: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Euclidean distances from each window ``(N, T)`` to its nearest and second-nearest training
    windows ``(M, T)``: ``(N, 2)``."""
    a, b = np.asarray(windows, dtype=np.float64), np.asarray(train, dtype=np.float64)
    b2 = (b**2).sum(axis=1)
    out = []
    for start in range(0, len(a), chunk):
        block = a[start:start + chunk]
        d2 = (block**2).sum(axis=1)[:, None] + b2[None, :] - 2 * block @ b.T
        out.append(np.sqrt(np.maximum(np.partition(d2, 1, axis=1)[:, :2], 0.0)))
    return np.concatenate(out) if out else np.zeros((0, 2))


COPY_RATIO = 1 / 3  # nearest / second-nearest distance below this: a near copy of one training window


def memorisation(generated: np.ndarray, heldout: np.ndarray, train: np.ndarray) -> dict[str, Any]:
    """Distances to the nearest training window, generated vs held-out real windows (which the
    model never saw). ``ratio`` = generated median / held-out median (below 1: closer to the
    training data than fresh data is, though a generator with too little volatility also lands
    there); ``copy_share``: share of windows whose nearest training window is less than a third
    as far as the second nearest (a scale-free sign of a near copy), with the held-out share as
    its floor."""
    g, h = nearest_distances(generated, train), nearest_distances(heldout, train)
    g_median, h_median = float(np.median(g[:, 0])), float(np.median(h[:, 0]))
    copies = [float((d[:, 0] < COPY_RATIO * d[:, 1]).mean()) for d in (g, h)]
    return {"generated_median": g_median, "heldout_median": h_median,
            "ratio": g_median / h_median if h_median > 0 else float("inf"),
            "copy_share": copies[0], "heldout_copy_share": copies[1],
            "generated_quantiles": np.quantile(g[:, 0], [0.05, 0.25, 0.5, 0.75, 0.95]).tolist(),
            "heldout_quantiles": np.quantile(h[:, 0], [0.05, 0.25, 0.5, 0.75, 0.95]).tolist()}
