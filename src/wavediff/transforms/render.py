"""Pictures of samples: scalogram magnitude grid and price paths (matplotlib, headless)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from wavediff.utils import atomic_path  # noqa: E402


def _fixed_margins(fig: Figure, left: float, right: float, bottom: float, top: float,
                   wspace: float = 0.3, hspace: float = 0.3) -> None:
    """Margins in inches (so they hold for any grid size) instead of a layout engine: constrained
    layout was about 2/3 of the drawing time of the figures made every sampling epoch."""
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height,
                        wspace=wspace, hspace=hspace)


def scalogram_figure(magnitudes: np.ndarray, labels: list[str], title: str = "",
                     max_panels: int = 16) -> Figure:
    """Grid of ``|CWT|`` images ``(N, S, T)``; y axis = period in bars, x axis = time in bars."""
    n = min(len(magnitudes), max_panels)
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.4 * rows), squeeze=False)
    _fixed_margins(fig, 0.6, 0.3, 0.45, 0.4 if title else 0.15, wspace=0.22, hspace=0.28)
    num_scales, window = magnitudes.shape[1:]
    ticks = np.linspace(0, num_scales - 1, min(5, num_scales)).round().astype(int)
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.axis("off")
            continue
        im = ax.imshow(magnitudes[i], aspect="auto", cmap="magma", origin="upper",
                       extent=(0, window, num_scales - 0.5, -0.5), interpolation="nearest")
        ax.set_yticks(ticks, [labels[j] for j in ticks], fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        if i % cols == 0:
            ax.set_ylabel("period (bars)", fontsize=8)
        if i >= (rows - 1) * cols:
            ax.set_xlabel("time (bars)", fontsize=8)
        fig.colorbar(im, ax=ax, fraction=0.05, pad=0.02).ax.tick_params(labelsize=6)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def paths_figure(generated_prices: np.ndarray, real_prices: np.ndarray | None = None,
                 title: str = "", max_paths: int = 16, assets: list[str] | None = None) -> Figure:
    """Generated price paths ``(N, T + 1)`` (left) next to real ones (right), same y range; for
    several assets ``(N, A, T + 1)`` one row per asset (small multiples, ``assets`` names them)."""
    generated_prices = np.asarray(generated_prices)
    multi = generated_prices.ndim == 3
    count = generated_prices.shape[1] if multi else 1
    panels = 2 if real_prices is not None and len(real_prices) else 1
    fig, axes = plt.subplots(count, panels, figsize=(6 * panels, 3.6 if not multi else 2.2 * count + 0.6),
                             squeeze=False, sharey="row", sharex=True)
    _fixed_margins(fig, 0.75, 0.15, 0.5, 0.55 if title else 0.35, wspace=0.08, hspace=0.15)
    sets = [("generated", generated_prices)] + ([("real", np.asarray(real_prices))] if panels == 2 else [])
    for col, (name, prices) in enumerate(sets):
        for row in range(count):
            ax = axes[row, col]
            ax.plot((prices[:max_paths, row] if multi else prices[:max_paths]).T, lw=0.8, alpha=0.8)
            if row == 0:
                ax.set_title(f"{name} ({min(len(prices), max_paths)} paths)", fontsize=9)
            if row == count - 1:
                ax.set_xlabel("time (bars)", fontsize=8)
            ax.grid(alpha=0.3)
    for row in range(count):
        label = "price" if not multi else f"{(assets or [f'asset {i}' for i in range(count)])[row]} price"
        axes[row, 0].set_ylabel(label, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def denoising_figure(prices: np.ndarray, sigmas: list[float], title: str = "") -> Figure:
    """How one sample emerges: the price path ``(K, T + 1)`` (``(K, A, T + 1)`` for several assets)
    of the network's clean prediction at ``K`` noise levels ``sigmas`` (high to low), one panel each."""
    count = len(prices)
    # own y range per panel: at high σ the prediction is far off, and a shared range flattens the rest
    fig, axes = plt.subplots(1, count, figsize=(2.4 * count, 2.6), squeeze=False)
    _fixed_margins(fig, 0.55, 0.1, 0.3, 0.55 if title else 0.3, wspace=0.35)
    for ax, path, sigma in zip(axes.flat, prices, sigmas):
        ax.plot(np.asarray(path).T, lw=0.8)  # (T + 1,), or (A, T + 1): one line per asset
        ax.set_title(f"σ = {sigma:.3g}", fontsize=8)
        ax.tick_params(labelsize=6)
        ax.grid(alpha=0.3)
    axes.flat[0].set_ylabel("price", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def fan_figure(prices: np.ndarray, history_length: int, title: str = "", max_paths: int = 5) -> Figure:
    """Scenarios after a known history: prices ``(N, T + 1)`` whose first ``history_length + 1``
    points are the history (black), then the 5-95% and 25-75% bands of the scenarios, their median
    and a few paths."""
    prices = np.asarray(prices, dtype=np.float64)
    k = int(history_length)
    time = np.arange(prices.shape[1])
    future = time[k:]
    fig, ax = plt.subplots(figsize=(7, 3.6), constrained_layout=True)
    q05, q25, q50, q75, q95 = np.quantile(prices[:, k:], [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    ax.fill_between(future, q05, q95, color="tab:blue", alpha=0.18, lw=0, label="5-95%")
    ax.fill_between(future, q25, q75, color="tab:blue", alpha=0.35, lw=0, label="25-75%")
    ax.plot(future, q50, color="tab:blue", lw=1.2, label="median")
    ax.plot(future, prices[:max_paths, k:].T, color="tab:orange", lw=0.6, alpha=0.8)
    ax.plot(time[:k + 1], prices[0, :k + 1], color="black", lw=1.2, label="history")
    ax.axvline(k, color="gray", lw=0.8, ls="--")
    ax.set_xlabel("time (bars)", fontsize=8)
    ax.set_ylabel("price", fontsize=8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(title or f"{len(prices)} scenarios after {k} known returns", fontsize=9)
    return fig


def long_paths_figure(prices: np.ndarray, seams: list[int], title: str = "", max_paths: int = 4,
                      history_length: int = 0) -> Figure:
    """Long price paths ``(N, L + 1)`` with the joins of their chained windows marked (dotted) and
    a known history (the first ``history_length`` returns) in black."""
    prices = np.asarray(prices, dtype=np.float64)
    k = int(history_length)
    fig, ax = plt.subplots(figsize=(10, 3.6), constrained_layout=True)
    time = np.arange(prices.shape[1])
    ax.plot(time[k:], prices[:max_paths, k:].T, lw=0.6, alpha=0.9)
    if k:
        ax.plot(time[:k + 1], prices[0, :k + 1], color="black", lw=1.0, label="history")
        ax.legend(fontsize=7, loc="upper left")
    for seam in seams:
        ax.axvline(seam, color="gray", lw=0.5, ls=":")
    ax.set_xlabel("time (bars); dotted: where a chained window's generated part starts", fontsize=8)
    ax.set_ylabel("price", fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title(title or f"{min(len(prices), max_paths)} of {len(prices)} paths, {prices.shape[1] - 1} returns",
                 fontsize=9)
    return fig


def candles_figure(sets: dict[str, dict[str, np.ndarray]], title: str = "", windows: int = 3) -> Figure:
    """Candlesticks of the first ``windows`` windows of each set (a row per set): ``sets`` maps a
    name to bars (field -> ``(N, T)``, :meth:`~wavediff.transforms.bars.BarRepresentation.bars`);
    green bodies close above the open, red below; volume, when present, as grey bars underneath."""
    names = list(sets)
    count = min(windows, min(len(b["close"]) for b in sets.values()))
    fig, axes = plt.subplots(len(names), count, figsize=(3.6 * count, 2.6 * len(names)), squeeze=False,
                             constrained_layout=True)
    for row, name in enumerate(names):
        bars = sets[name]
        for col in range(count):
            ax = axes[row, col]
            close = bars["close"][col]
            t = np.arange(len(close))
            open_ = bars["open"][col] if "open" in bars else np.r_[close[0], close[:-1]]  # no open: the last close
            up = close >= open_
            if "high" in bars:
                ax.vlines(t, bars["low"][col], bars["high"][col], color="k", lw=0.6)
            bottom, height = np.minimum(open_, close), np.abs(close - open_)
            ax.bar(t, np.maximum(height, 1e-9 * close), bottom=bottom, width=0.7,
                   color=np.where(up, "tab:green", "tab:red"), edgecolor="k", linewidth=0.3)
            if "volume" in bars:
                vol = ax.twinx()
                vol.bar(t, bars["volume"][col], width=0.7, color="0.6", alpha=0.35)
                vol.set_ylim(0, 4 * bars["volume"][col].max())
                vol.set_yticks([])
            ax.set_title(f"{name} {col + 1}", fontsize=8)
            ax.tick_params(labelsize=6)
            ax.grid(alpha=0.3)
        axes[row, 0].set_ylabel("price", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def save_figure(fig: Figure, path: Path) -> np.ndarray:
    """Write ``fig`` as PNG (atomically) and return it as an RGB array ``(H, W, 3)`` uint8.

    The figure is drawn once, at 100 dpi, and the PNG is written from that drawing: drawing is
    most of a picture's cost (``savefig`` would draw it a second time)."""
    fig.set_dpi(100)
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    with atomic_path(path) as tmp:
        plt.imsave(tmp, rgba, format="png")
    plt.close(fig)
    return rgba[..., :3].copy()
