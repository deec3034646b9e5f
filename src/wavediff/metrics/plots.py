"""Evaluation pictures: return histogram (log scale), QQ plot, ACFs with the noise-floor band,
leverage curve and sample paths, generated against held-out real windows ``(N, T)`` of log returns."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from wavediff.metrics.stylized import acf_curves, leverage
from wavediff.transforms.base import prices_from_returns
from wavediff.transforms.render import paths_figure, save_figure  # also selects the headless backend

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

BAND_DRAWS = 20  # real sets drawn for the noise-floor band (ACFs are cheap)


def floor_band(pool: np.ndarray, n: int, fn, draws: int = BAND_DRAWS, seed: int = 0,
               quantiles: tuple[float, float] = (0.05, 0.95)) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise ``quantiles`` of the curve ``fn(windows)`` over random sets of ``n`` real windows:
    where a perfect generator's curve would lie with this many samples."""
    rng = np.random.default_rng(seed)
    curves = np.stack([fn(pool[rng.choice(len(pool), min(n, len(pool)), replace=False)]) for _ in range(draws)])
    low, high = np.quantile(curves, quantiles, axis=0)
    return low, high


def histogram_figure(sets: dict[str, np.ndarray], real: np.ndarray) -> Figure:
    """Density of returns in units of the real std, log y axis (the tails are what matters)."""
    std = float(np.std(real))
    edges = np.linspace(-12, 12, 97)
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    ax.hist(np.clip(np.ravel(real) / std, edges[0], edges[-1]), bins=edges, density=True, histtype="step",
            lw=1.6, color="black", label="real (held-out)")
    for name, r in sets.items():
        ax.hist(np.clip(np.ravel(r) / std, edges[0], edges[-1]), bins=edges, density=True, histtype="step",
                lw=1.2, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("log return / real std (clipped at ±12)")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def qq_figure(sets: dict[str, np.ndarray], real: np.ndarray) -> Figure:
    """Quantiles of generated returns against real ones, both in units of the real std."""
    std = float(np.std(real))
    probs = np.concatenate([np.geomspace(1e-4, 0.05, 30), np.linspace(0.05, 0.95, 40), 1 - np.geomspace(0.05, 1e-4, 30)])
    q_real = np.quantile(np.ravel(real), probs) / std
    fig, ax = plt.subplots(figsize=(4.6, 4.6), constrained_layout=True)
    for name, r in sets.items():
        ax.plot(q_real, np.quantile(np.ravel(r), probs) / std, ".", ms=4, label=name)
    lim = float(np.abs(q_real).max()) * 1.05
    ax.plot([-lim, lim], [-lim, lim], color="black", lw=0.8, label="y = x")
    ax.set_xlabel("real quantile / real std")
    ax.set_ylabel("generated quantile / real std")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def _curves_with_band(ax, fn, sets: dict[str, np.ndarray], real: np.ndarray, pool: np.ndarray, n: int,
                      seed: int) -> None:
    """Real curve, generated curves and the real 5-95% band of ``fn(windows)`` against lag."""
    low, high = floor_band(pool, n, fn, seed=seed)
    lags = np.arange(1, len(low) + 1)
    ax.fill_between(lags, low, high, color="grey", alpha=0.3, label=f"real, n={n} (5-95%)")
    ax.plot(lags, fn(real), color="black", lw=1.4, label="real (held-out)")
    for name, r in sets.items():
        ax.plot(lags, fn(r), lw=1.2, label=name)
    ax.axhline(0, color="black", lw=0.5)
    ax.grid(alpha=0.3)


def acf_figure(sets: dict[str, np.ndarray], real: np.ndarray, pool: np.ndarray, n: int,
               max_lag: int = 50, seed: int = 0) -> Figure:
    """ACF of r and of |r|: real curve, generated curves, and the 5-95% band of real sets of size n."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
    for ax, key, label in zip(axes, ("r", "abs"), ("ACF(r)", "ACF(|r|)")):
        _curves_with_band(ax, lambda w, k=key: acf_curves(w, max_lag)[k], sets, real, pool, n, seed)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("lag (bars)")
    axes[0].legend(fontsize=8)
    return fig


def leverage_figure(sets: dict[str, np.ndarray], real: np.ndarray, pool: np.ndarray, n: int,
                    seed: int = 0) -> Figure:
    """``corr(r_t, r_{t+k}^2)`` for k = 1..20 with the real 5-95% band."""
    fig, ax = plt.subplots(figsize=(6, 3.8), constrained_layout=True)
    _curves_with_band(ax, leverage, sets, real, pool, n, seed)
    ax.set_xlabel("lag k (bars)")
    ax.set_ylabel("corr(r_t, r_{t+k}^2)")
    ax.legend(fontsize=8)
    return fig


def write_evaluation_plots(sets: dict[str, np.ndarray], real: np.ndarray, pool: np.ndarray, out_dir: Path,
                           start_price: float = 100.0, max_lag: int = 50, seed: int = 0) -> dict[str, Path]:
    """Write ``histogram.png``, ``qq.png``, ``acf.png``, ``leverage.png`` and ``paths_<name>.png``
    into ``out_dir``; returns ``{plot name: path}``."""
    out_dir = Path(out_dir)
    n = min(len(r) for r in sets.values())
    figures = {"histogram": histogram_figure(sets, real), "qq": qq_figure(sets, real),
               "acf": acf_figure(sets, real, pool, n, max_lag, seed),
               "leverage": leverage_figure(sets, real, pool, n, seed)}
    real_prices = prices_from_returns(real, start_price).numpy()
    for name, r in sets.items():
        figures[f"paths_{name}"] = paths_figure(prices_from_returns(r, start_price).numpy(), real_prices,
                                                title=f"{name} vs held-out real")
    paths = {}
    for key, fig in figures.items():
        paths[key] = out_dir / f"{key}.png"
        save_figure(fig, paths[key])
    return paths


def long_acf_figure(report: Mapping[str, Any], label: str) -> Figure:
    """ACF(|r|) of long paths against real segments (a :func:`~wavediff.metrics.long_paths.long_path_report`), lags 1..max_lag, the window marked."""
    lags = np.arange(1, len(report["acf_abs"]["generated"]) + 1)
    fig, ax = plt.subplots(figsize=(7, 3.4), constrained_layout=True)
    ax.plot(lags, report["acf_abs"]["reference"], color="black", lw=1.2, label="real segments")
    ax.plot(lags, report["acf_abs"]["generated"], color="tab:blue", lw=1.0, label="WaveDiff long paths")
    ax.axvline(report["window"], color="gray", lw=0.8, ls="--", label="one window")
    ax.axhline(0, color="gray", lw=0.5)
    ax.set_xscale("log")
    ax.set_xlabel("lag (bars)", fontsize=8)
    ax.set_ylabel("ACF(|r|)", fontsize=8)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    ax.set_title(f"{label}: {report['n']} paths of {report['length']} returns", fontsize=9)
    return fig
