"""Long paths against real long segments: volatility memory beyond one window, drawdowns and
the realised volatility of each window along the path, each distance over its noise floor.

``generated`` is ``(N, L)`` chained paths; ``pool`` is ``(M, L)`` real segments of the same length
(fresh simulator paths, or segments of the one observed series). The reference is ``N`` segments
of the pool; the floor is the median of the same distance between two further sets of ``N`` pool
segments (drawn with replacement when the pool is small, as one observed series is), so a ratio
near 1 means "as close as another stretch of real data".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from wavediff.metrics.stylized import acf, ks_statistic


def max_drawdowns(paths: np.ndarray) -> np.ndarray:
    """Largest peak-to-trough fall of the log price of each path ``(N, L)`` -> ``(N,)`` (>= 0)."""
    log_price = np.concatenate([np.zeros((len(paths), 1)), np.cumsum(paths, axis=1)], axis=1)
    return (np.maximum.accumulate(log_price, axis=1) - log_price).max(axis=1)


def window_volatilities(paths: np.ndarray, window: int) -> np.ndarray:
    """Standard deviation of each non-overlapping ``window`` of each path -> ``(N, L // window)``."""
    count = paths.shape[1] // window
    return paths[:, :count * window].reshape(len(paths), count, window).std(axis=2)


def _distances(a: np.ndarray, b: np.ndarray, window: int, max_lag: int) -> dict[str, float]:
    lags = slice(window, max_lag)  # lags window+1 .. max_lag: memory no single window holds
    acf_a, acf_b = acf(np.abs(a), max_lag), acf(np.abs(b), max_lag)
    vol_a, vol_b = window_volatilities(a, window), window_volatilities(b, window)
    return {
        "acf_abs_beyond_window_l2": float(np.sqrt(np.mean((acf_a[lags] - acf_b[lags]) ** 2))),
        "acf_abs_within_window_l2": float(np.sqrt(np.mean((acf_a[:window] - acf_b[:window]) ** 2))),
        "max_drawdown_ks": ks_statistic(max_drawdowns(a), max_drawdowns(b)),
        "window_vol_ks": ks_statistic(np.log(vol_a), np.log(vol_b)),
        # persistence of the volatility level along the path: lag-1 autocorrelation of log window vol
        "window_vol_persistence_abs_diff": abs(_lag1(np.log(vol_a)) - _lag1(np.log(vol_b))),
    }


def _lag1(x: np.ndarray) -> float:
    c = x - x.mean()
    return float((c[:, 1:] * c[:, :-1]).sum() / max((c**2).sum(), np.finfo(float).tiny))


def long_path_report(generated: np.ndarray, pool: np.ndarray, window: int, max_lag: int = 250, draws: int = 10,
                     seed: int = 0, curves: Callable[[np.ndarray], np.ndarray] | None = None) -> dict[str, Any]:
    """Each distance between ``generated`` and ``N`` pool segments, its floor and ratio, plus the
    ACF(|r|) curves (generated, reference) to ``max_lag`` for a plot."""
    generated = np.asarray(generated, dtype=np.float64)
    pool = np.asarray(pool, dtype=np.float64)
    n, length = generated.shape
    if pool.ndim != 2 or pool.shape[1] != length:
        raise ValueError(f"the pool's segments must have the paths' length {length}; got {pool.shape}")
    if not window < max_lag < length:
        raise ValueError(f"need window ({window}) < max_lag ({max_lag}) < path length ({length})")
    if length < 2 * window:
        raise ValueError(f"paths of {length} returns hold fewer than two windows of {window}")
    rng = np.random.default_rng(seed)
    replace = len(pool) < 3 * n

    def segments() -> np.ndarray:
        return pool[rng.choice(len(pool), n, replace=replace)]

    reference = segments()
    values = _distances(generated, reference, window, max_lag)
    null = [_distances(segments(), segments(), window, max_lag) for _ in range(draws)]
    metrics = {}
    for key, value in values.items():
        floor = float(np.median([d[key] for d in null]))
        metrics[key] = {"value": value, "floor": floor, "ratio": value / floor if floor > 0 else float("inf")}
    return {"metrics": metrics, "n": n, "length": length, "window": window, "max_lag": max_lag,
            "pool": len(pool), "with_replacement": replace,
            "acf_abs": {"generated": acf(np.abs(generated), max_lag).tolist(),
                        "reference": acf(np.abs(reference), max_lag).tolist()}}


def segments_of(series: list[np.ndarray], length: int, stride: int) -> np.ndarray:
    """Every ``stride``-th segment of ``length`` returns of each series -> ``(M, length)``."""
    out = [s[i:i + length] for s in series for i in range(0, len(s) - length + 1, stride)]
    if not out:
        raise ValueError(f"no series holds {length} returns")
    return np.stack(out)
