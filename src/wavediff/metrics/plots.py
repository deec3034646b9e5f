"""Evaluation pictures: return histogram (log scale), QQ plot, ACFs with the noise-floor band,
leverage curve and sample paths, generated against held-out real windows ``(N, T)`` of log returns."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

import torch

from wavediff.metrics.cross_asset import correlation_matrix, lower_tail_dependence, portfolio_returns
from wavediff.metrics.report import close_channel
from wavediff.metrics.stylized import acf_curves, leverage
from wavediff.transforms.base import prices_from_returns
from wavediff.transforms.bars import bars_from_channels
from wavediff.transforms.render import candles_figure, paths_figure, save_figure  # also selects the headless backend

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


def correlation_figure(sets: dict[str, np.ndarray], real: np.ndarray, assets: list[str]) -> Figure:
    """Heat maps of the return correlation matrix: real, then each generated set (joint windows)."""
    panels = [("real (held-out)", real), *sets.items()]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels) + 0.8, 3.2), squeeze=False,
                             constrained_layout=True)
    for ax, (name, windows) in zip(axes.flat, panels):
        corr = correlation_matrix(windows)
        image = ax.imshow(corr, vmin=-1, vmax=1, cmap="RdBu_r")
        for (i, j), value in np.ndenumerate(corr):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7)
        ax.set_xticks(range(len(assets)), assets, fontsize=7, rotation=45)
        ax.set_yticks(range(len(assets)), assets, fontsize=7)
        ax.set_title(name, fontsize=9)
    fig.colorbar(image, ax=axes.ravel().tolist(), fraction=0.03).ax.tick_params(labelsize=7)
    return fig


def tail_dependence_figure(sets: dict[str, np.ndarray], real: np.ndarray, assets: list[str],
                           level: float = 0.05) -> Figure:
    """Bars of ``P(r_j below its level-quantile | r_i below its own)`` per asset pair, real and generated."""
    pairs = [(i, j) for i in range(len(assets)) for j in range(i + 1, len(assets))]
    panels = [("real (held-out)", real), *sets.items()]
    width = 0.8 / len(panels)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.4 * len(pairs) + 2), 3.4), constrained_layout=True)
    for k, (name, windows) in enumerate(panels):
        dependence = lower_tail_dependence(windows, level)
        values = [(dependence[i, j] + dependence[j, i]) / 2 for i, j in pairs]
        ax.bar(np.arange(len(pairs)) + (k - (len(panels) - 1) / 2) * width, values, width,
               label=name, color="black" if k == 0 else None)
    ax.axhline(level, color="gray", lw=0.8, ls="--", label=f"independent ({level:g})")
    ax.set_xticks(range(len(pairs)), [f"{assets[i]}-{assets[j]}" for i, j in pairs], fontsize=8)
    ax.set_ylabel(f"lower-tail dependence at {level:.0%}", fontsize=8)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="y")
    return fig


def write_evaluation_plots(sets: dict[str, np.ndarray], real: np.ndarray, pool: np.ndarray, out_dir: Path,
                           start_price: float | list[float] = 100.0, max_lag: int = 50, seed: int = 0,
                           assets: list[str] | None = None, fields: list[str] | None = None) -> dict[str, Path]:
    """Write ``histogram.png``, ``qq.png``, ``acf.png``, ``leverage.png`` and ``paths_<name>.png``
    into ``out_dir``; returns ``{plot name: path}``. For joint windows ``(N, A, T)`` the first four
    show the equal-weight portfolio's returns, the paths one row per asset, and ``correlation.png``
    and ``tail_dependence.png`` are added. For bar-channel windows ``(N, F, T)`` (bar ``fields``)
    they show the close, and ``bars.png`` shows a few bars of the real and of each set (beside the
    ``candles.png`` of a set sampled in the same folder, which shows that set alone)."""
    out_dir = Path(out_dir)
    n = min(len(r) for r in sets.values())
    candles = None
    if fields is not None and len(fields) > 1:
        first = float(np.atleast_1d(start_price)[0])
        candles = candles_figure({name: bars_from_channels(r, fields, first, 1.0)
                                  for name, r in {"held-out real": real, **sets}.items() if np.ndim(r) == 3},
                                 title="bars (each window from the same start close)")  # closes alone: no candles
        sets = {k: close_channel(v, fields) for k, v in sets.items()}
        real, pool, start_price = real[:, 0], pool[:, 0], first
    joint = np.ndim(real) == 3
    if joint:
        assets = list(assets or [f"asset{i}" for i in range(real.shape[1])])
        figures = {"correlation": correlation_figure(sets, real, assets),
                   "tail_dependence": tail_dependence_figure(sets, real, assets)}
        windows = {name: portfolio_returns(r) for name, r in sets.items()}
        one, one_pool = portfolio_returns(real), portfolio_returns(pool)
    else:
        figures, windows, one, one_pool = {}, sets, real, pool
    figures |= {"histogram": histogram_figure(windows, one), "qq": qq_figure(windows, one),
                "acf": acf_figure(windows, one, one_pool, n, max_lag, seed),
                "leverage": leverage_figure(windows, one, one_pool, n, seed)}
    if joint:
        for key in ("histogram", "qq", "acf", "leverage"):
            figures[key].suptitle(f"{key} (equal-weight portfolio)", fontsize=9)
    starts = torch.as_tensor(start_price, dtype=torch.float64)
    starts = starts[:, None] if starts.ndim == 1 else starts  # one start per asset
    real_prices = (starts * prices_from_returns(real, 1.0)).numpy()
    for name, r in sets.items():
        figures[f"paths_{name}"] = paths_figure((starts * prices_from_returns(r, 1.0)).numpy(), real_prices,
                                                title=f"{name} vs held-out real", assets=assets)
    if candles is not None:
        figures["bars"] = candles
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
