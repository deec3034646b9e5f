"""Scoring scenario forecasts: calibration (PIT, interval coverage, VaR exceedances with Kupiec's
test) and sharpness with calibration together (CRPS).

A forecast at origin ``o`` is an ensemble of ``M`` scenario paths ``(M, H)`` of log returns after
the origin; the outcome is the ``H`` returns that followed. Each is reduced to a scalar target per
horizon ``h``: the ``h``-bar cumulative log return ``sum(r[:h])`` and the realised volatility
``sqrt(sum(r[:h] ** 2))``.

Calibration uses the randomised rank PIT: with ``r`` scenarios below the outcome (and ``e`` equal
to it), ``PIT = (r + U (e + 1)) / (M + 1)``, ``U ~ Uniform(0, 1)``. It is exactly uniform for a
calibrated ensemble of any size, so coverage of the central ``level`` interval
(``|PIT - 1/2| <= level / 2``) and the VaR exceedance at ``alpha`` (``PIT < alpha``) need no
quantile interpolation from a small ensemble. Origins closer than ``h`` bars share outcome returns,
so Kupiec's and the PIT's KS tests use origins at least ``h`` bars apart (the rates use all), and
:func:`paired_crps` puts the overlap into its variance (Diebold-Mariano).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

LEVELS = (0.5, 0.9, 0.99)
ALPHAS = (0.01, 0.05)
TARGETS = ("cumulative_return", "realised_vol")


def targets(paths: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    """The scalar targets of log-return paths ``(..., H)`` over their first ``horizon`` bars."""
    if not 1 <= horizon <= paths.shape[-1]:
        raise ValueError(f"horizon {horizon} outside 1..{paths.shape[-1]}")
    head = np.asarray(paths[..., :horizon], dtype=np.float64)
    return {"cumulative_return": head.sum(axis=-1), "realised_vol": np.sqrt((head**2).sum(axis=-1))}


def randomized_pit(ensembles: np.ndarray, outcomes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The randomised rank PIT ``(O,)`` of ``outcomes`` ``(O,)`` in ``ensembles`` ``(O, M)``."""
    ensembles = np.asarray(ensembles, dtype=np.float64)
    outcomes = np.asarray(outcomes, dtype=np.float64)[:, None]
    below = (ensembles < outcomes).sum(axis=1)
    equal = (ensembles == outcomes).sum(axis=1)
    return (below + rng.random(len(below)) * (equal + 1)) / (ensembles.shape[1] + 1)


def coverage(pit: np.ndarray, level: float) -> float:
    """The share of outcomes inside the central ``level`` interval of their forecast."""
    return float(np.mean(np.abs(np.asarray(pit) - 0.5) <= level / 2))


def crps(ensembles: np.ndarray, outcomes: np.ndarray) -> np.ndarray:
    """The fair (unbiased for any ensemble size) CRPS ``(O,)`` of ``ensembles`` ``(O, M)`` at
    ``outcomes`` ``(O,)``, in the target's units: ``E|X - y| - E|X - X'| / 2`` over distinct pairs."""
    x = np.sort(np.asarray(ensembles, dtype=np.float64), axis=1)
    m = x.shape[1]
    if m < 2:
        raise ValueError("the fair CRPS needs at least 2 scenarios per origin")
    y = np.asarray(outcomes, dtype=np.float64)[:, None]
    spread = (x * (2 * np.arange(m) - (m - 1))).sum(axis=1)  # sum over i < j of x_(j) - x_(i)
    return np.abs(x - y).mean(axis=1) - spread / (m * (m - 1))


def kupiec_pof(exceedances: np.ndarray, alpha: float) -> dict[str, float]:
    """Kupiec's proportion-of-failures test: the exceedance rate and the likelihood-ratio p-value
    (chi-squared, 1 dof) of ``rate == alpha`` for independent exceedance indicators."""
    from scipy.stats import chi2

    hits = np.asarray(exceedances, dtype=bool)
    n, x = len(hits), int(hits.sum())
    if n == 0:
        return {"rate": float("nan"), "p_value": float("nan"), "n": 0}
    rate = x / n

    def loglik(p: float) -> float:  # 0 * log(0) = 0: rates of 0 or 1 are their own samples' optimum
        return ((n - x) * np.log1p(-p) if x < n else 0.0) + (x * np.log(p) if x > 0 else 0.0)

    statistic = max(0.0, -2.0 * (loglik(alpha) - loglik(rate)))
    return {"rate": float(rate), "p_value": float(chi2.sf(statistic, 1)), "n": n}


def pit_uniformity(pit: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """The PIT histogram (counts in ``bins`` equal bins) and the KS test's p-value against uniform."""
    from scipy.stats import kstest

    pit = np.asarray(pit, dtype=np.float64)
    counts = np.histogram(pit, bins=bins, range=(0.0, 1.0))[0]
    p_value = float(kstest(pit, "uniform").pvalue) if len(pit) else float("nan")
    return {"histogram": counts.tolist(), "ks_p_value": p_value, "n": int(len(pit))}


def spaced(positions: np.ndarray, groups: np.ndarray, gap: int) -> np.ndarray:
    """A mask keeping, within each group, origins at least ``gap`` bars after the last kept one
    (so no two kept forecasts share an outcome return)."""
    keep = np.zeros(len(positions), dtype=bool)
    last: dict[Any, int] = {}
    for i in np.lexsort((positions, groups)):
        g, p = groups[i], int(positions[i])
        if g not in last or p - last[g] >= gap:
            keep[i] = True
            last[g] = p
    return keep


def score_forecasts(scenarios: np.ndarray, outcomes: np.ndarray, horizons: Sequence[int],
                    positions: np.ndarray | None = None, groups: np.ndarray | None = None,
                    levels: Sequence[float] = LEVELS, alphas: Sequence[float] = ALPHAS,
                    seed: int = 0) -> dict[str, Any]:
    """Every score of one forecaster.

    Args:
        scenarios: ``(O, M, H)`` scenario log returns after each origin.
        outcomes: ``(O, H)`` the returns that followed.
        horizons: the ``h`` to score (each ``<= H``).
        positions, groups: each origin's bar index and series id (for the spaced subsets of the
            tests); default: consecutive origins one bar apart in one series.

    Returns ``{str(h): {target: {"coverage": {level: share}, "crps": mean, "crps_per_origin": list,
    "var": {alpha: kupiec}, "pit": pit_uniformity}}}``; VaR exceedances are
    scored on the cumulative return only (a loss beyond the forecast's ``alpha`` quantile).
    """
    scenarios = np.asarray(scenarios, dtype=np.float64)
    outcomes = np.asarray(outcomes, dtype=np.float64)
    if scenarios.ndim != 3 or outcomes.shape != (scenarios.shape[0], scenarios.shape[2]):
        raise ValueError(f"expected scenarios (O, M, H) and outcomes (O, H); got {scenarios.shape}, {outcomes.shape}")
    count = len(outcomes)
    positions = np.arange(count) if positions is None else np.asarray(positions)
    groups = np.zeros(count, dtype=np.int64) if groups is None else np.asarray(groups)
    rng = np.random.default_rng(seed)
    report: dict[str, Any] = {}
    for h in horizons:
        keep = spaced(positions, groups, h)
        forecast, realised = targets(scenarios, h), targets(outcomes, h)
        per_target: dict[str, Any] = {}
        for name in TARGETS:
            pit = randomized_pit(forecast[name], realised[name], rng)
            scores = crps(forecast[name], realised[name])
            entry: dict[str, Any] = {
                "coverage": {str(level): coverage(pit, level) for level in levels},
                "crps": float(scores.mean()), "crps_per_origin": scores.tolist(),
                "pit": pit_uniformity(pit[keep]), "n_origins": count, "n_spaced": int(keep.sum())}
            if name == "cumulative_return":
                entry["var"] = {str(a): {**kupiec_pof(pit[keep] < a, a), "rate_all": float(np.mean(pit < a))}
                                for a in alphas}
            per_target[name] = entry
        report[str(h)] = per_target
    return report


def paired_crps(first: Sequence[float], second: Sequence[float], lags: int = 0,
                groups: Sequence[int] | None = None) -> dict[str, float]:
    """Diebold-Mariano comparison of two forecasters' CRPS over the same origins (in time order):
    the mean difference ``first - second`` (negative: ``first`` is better), its standard error and
    the t-statistic. h-bar forecasts ``stride`` bars apart share outcome returns, so their
    differences are MA(``lags``) with ``lags = ceil(h / stride) - 1``: the long-run variance sums
    the autocovariances to ``lags`` with equal weights (Diebold and Mariano's choice, exact for an
    MA of that order), falling back to Bartlett weights if that comes out negative. Pairs of origins
    in different ``groups`` (series) are not counted as dependent."""
    d = np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)
    n = len(d)
    if n < 2:
        return {"mean": float("nan"), "se": float("nan"), "t": float("nan"), "n": n, "lags": lags}
    g = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups)
    c = d - d.mean()
    gamma = [float((c * c).mean())] + [float((c[j:] * c[:-j] * (g[j:] == g[:-j])).sum() / n)
                                       for j in range(1, min(lags, n - 1) + 1)]
    variance = gamma[0] + 2 * sum(gamma[1:])
    if variance <= 0:
        variance = gamma[0] + 2 * sum((1 - j / (lags + 1)) * gamma[j] for j in range(1, len(gamma)))
    se = float(np.sqrt(max(variance, 0.0) / n))
    mean = float(d.mean())
    return {"mean": mean, "se": se, "t": mean / se if se > 0 else float("nan"), "n": n, "lags": lags}
