"""Stylized facts of log-return windows and distances between two sets of windows.

All functions take returns as arrays ``(N, T)`` (windows) or ``(n,)`` and work in market units.
Distances have a noise floor: the same distance between two independent real samples of the
same size (:func:`noise_floor`), so that a value can be read as "k times what chance gives".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from wavediff.metrics.tails import tail_distances


def moments(returns: np.ndarray) -> dict[str, float]:
    """Mean, std, skewness and excess kurtosis of all returns pooled."""
    r = np.asarray(returns, dtype=np.float64).ravel()
    c = r - r.mean()
    var = (c**2).mean()
    return {"mean": float(r.mean()), "std": float(np.sqrt(var)),
            "skewness": float((c**3).mean() / var**1.5), "excess_kurtosis": float((c**4).mean() / var**2 - 3)}


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic ``sup |F_a - F_b|``."""
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.abs(cdf_a - cdf_b).max())


def wasserstein1(a: np.ndarray, b: np.ndarray) -> float:
    """Wasserstein-1 distance ``integral |F_a - F_b| dx`` between two empirical distributions."""
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    grid = np.sort(np.concatenate([a, b]))
    widths = np.diff(grid)
    cdf_a = np.searchsorted(a, grid[:-1], side="right") / len(a)
    cdf_b = np.searchsorted(b, grid[:-1], side="right") / len(b)
    return float((np.abs(cdf_a - cdf_b) * widths).sum())


def acf(windows: np.ndarray, max_lag: int = 50) -> np.ndarray:
    """Autocorrelation at lags ``1..max_lag`` pooled over windows ``(N, T)``: ``(max_lag,)``.

    Pairs never cross window boundaries; the mean and variance are those of all windows.
    """
    x = np.atleast_2d(np.asarray(windows, dtype=np.float64))
    c = x - x.mean()
    denom = (c**2).sum()
    lags = range(1, min(max_lag, x.shape[1] - 1) + 1)
    return np.array([(c[:, k:] * c[:, :-k]).sum() / denom * x.shape[1] / (x.shape[1] - k) for k in lags])


def acf_curves(windows: np.ndarray, max_lag: int = 50) -> dict[str, np.ndarray]:
    """ACF of ``r``, ``|r|`` and ``r^2`` (dependence and volatility clustering)."""
    w = np.asarray(windows, dtype=np.float64)
    return {"r": acf(w, max_lag), "abs": acf(np.abs(w), max_lag), "sq": acf(w**2, max_lag)}


def hill_tail_index(returns: np.ndarray, tail: str = "left", fraction: float = 0.05) -> float:
    """Hill estimator of the tail index alpha from the largest ``fraction`` of one tail.

    ``alpha = 1 / mean(log(x_(i) / x_(k+1)))`` over the ``k`` largest losses (``left``) or gains
    (``right``), centred at the median; Student-t with nu degrees of freedom has alpha = nu.
    """
    r = np.ravel(np.asarray(returns, dtype=np.float64))
    x = (np.median(r) - r) if tail == "left" else (r - np.median(r))
    x = np.sort(x[x > 0])[::-1]
    k = max(int(fraction * len(r)), 2)
    if len(x) <= k:
        return float("nan")
    spread = float(np.mean(np.log(x[:k] / x[k])))
    return 1.0 / spread if spread > 0 else float("inf")  # k equal extremes (e.g. clipped samples)


def leverage(windows: np.ndarray, max_lag: int = 20) -> np.ndarray:
    """``corr(r_t, r_{t+k}^2)`` for ``k = 1..max_lag``, pooled over windows ``(N, T)``.

    Negative values are the leverage effect: falls are followed by higher volatility.
    """
    x = np.atleast_2d(np.asarray(windows, dtype=np.float64))
    r = x - x.mean()
    sq = x**2 - (x**2).mean()
    scale = np.sqrt((r**2).mean() * (sq**2).mean())
    return np.array([(r[:, :-k] * sq[:, k:]).mean() / scale for k in range(1, min(max_lag, x.shape[1] - 1) + 1)])


def psd_slope(windows: np.ndarray) -> float:
    """Slope of log power against log frequency of the mean periodogram of windows ``(N, T)``
    (about 0 for white noise, -2 for a random walk)."""
    x = np.atleast_2d(np.asarray(windows, dtype=np.float64))
    x = x - x.mean(axis=1, keepdims=True)
    power = (np.abs(np.fft.rfft(x, axis=1)) ** 2).mean(axis=0)[1:]
    freqs = np.fft.rfftfreq(x.shape[1])[1:]
    keep = power > 0
    return float(np.polyfit(np.log(freqs[keep]), np.log(power[keep]), 1)[0])


def hurst_dfa(windows: np.ndarray, scales: tuple[int, ...] = (4, 8, 16, 32, 64)) -> float:
    """Hurst exponent of returns by detrended fluctuation analysis (DFA-1), pooled over windows.

    Returns about 0.5 for independent returns, above 0.5 for persistent ones.
    """
    x = np.atleast_2d(np.asarray(windows, dtype=np.float64))
    profile = np.cumsum(x - x.mean(), axis=1)
    used, fluct = [], []
    for n in scales:
        segments = x.shape[1] // n
        if segments < 2:
            continue
        seg = profile[:, : segments * n].reshape(x.shape[0], segments, n)
        t = np.arange(n)
        coeffs = np.polynomial.polynomial.polyfit(t, seg.reshape(-1, n).T, 1)  # (2, N * segments)
        trend = (coeffs[0][:, None] + coeffs[1][:, None] * t[None, :]).reshape(seg.shape)
        used.append(n)
        fluct.append(np.sqrt(((seg - trend) ** 2).mean()))
    if len(used) < 2:
        return float("nan")
    return float(np.polyfit(np.log(used), np.log(fluct), 1)[0])


def distances(generated: np.ndarray, real: np.ndarray, max_lag: int = 50) -> dict[str, float]:
    """Distances between generated and real windows ``(N, T)`` (0 for identical sets).

    ``w1_over_std`` is Wasserstein-1 divided by the real std; ``acf_*_l2`` are L2 distances
    between ACF curves; ``std_ratio`` and moment differences say which way the shape is off.
    """
    g, r = np.asarray(generated, dtype=np.float64), np.asarray(real, dtype=np.float64)
    mg, mr = moments(g), moments(r)
    cg, cr = acf_curves(g, max_lag), acf_curves(r, max_lag)
    out = {"ks": ks_statistic(g, r), "w1_over_std": wasserstein1(g, r) / mr["std"],
           "abs_std_log_ratio": abs(float(np.log(mg["std"] / mr["std"]))),
           "abs_kurtosis_diff": abs(mg["excess_kurtosis"] - mr["excess_kurtosis"])}
    for name in cg:
        out[f"acf_{name}_l2"] = float(np.linalg.norm(cg[name] - cr[name]))
    out["leverage_l2"] = float(np.linalg.norm(leverage(g) - leverage(r)))
    for tail in ("left", "right"):
        out[f"hill_{tail}_abs_diff"] = abs(hill_tail_index(g, tail) - hill_tail_index(r, tail))
    out["psd_slope_abs_diff"] = abs(psd_slope(g) - psd_slope(r))
    out["hurst_abs_diff"] = abs(hurst_dfa(g) - hurst_dfa(r))
    out.update(tail_distances(g, r))
    return out


def noise_floor(real_a: np.ndarray, real_b: np.ndarray, fn: Callable[..., dict[str, float]] = distances,
                **kwargs) -> dict[str, float]:
    """``fn`` between two independent real samples (same sizes as the comparison they calibrate)."""
    return fn(real_a, real_b, **kwargs)
