"""OHLCV bars from a fine-grained log-price path (what the seed's ``data_downloader.py`` wrote)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def bars_from_log_returns(
    log_returns: np.ndarray, start_price: float, start: pd.Timestamp, freq: str,
    rng: np.random.Generator, ticks_per_bar: int = 8, base_volume: float = 1_000.0,
) -> pd.DataFrame:
    """Build consistent OHLCV bars from per-bar log returns.

    Each bar's return is split into ``ticks_per_bar`` Brownian-bridge ticks so that high and low
    are real extremes of an intra-bar path: ``low <= min(open, close) <= max(open, close) <= high``.
    The close of bar ``t`` is ``start_price * exp(cumsum(log_returns)[t])`` exactly.

    Returns a frame with columns ``timestamp, open, high, low, close, volume``.
    """
    n = len(log_returns)
    log_close = np.log(start_price) + np.cumsum(log_returns)
    log_open = np.concatenate([[np.log(start_price)], log_close[:-1]])
    # Brownian bridge between open and close inside each bar, scaled by the bar's own move size.
    scale = np.abs(log_returns).mean() + 1e-12
    steps = rng.standard_normal((n, ticks_per_bar)) * scale / np.sqrt(ticks_per_bar)
    walk = np.cumsum(steps, axis=1)
    frac = np.arange(1, ticks_per_bar + 1) / ticks_per_bar
    bridge = walk - frac[None, :] * walk[:, -1:]
    intra = log_open[:, None] + frac[None, :] * log_returns[:, None] + bridge
    path = np.concatenate([log_open[:, None], intra], axis=1)
    open_, close = np.concatenate([[start_price], np.exp(log_close[:-1])]), np.exp(log_close)
    # exp(log(p)) can differ from p in the last bit: make the bounds hold exactly.
    high = np.maximum.reduce([np.exp(path.max(axis=1)), open_, close])
    low = np.minimum.reduce([np.exp(path.min(axis=1)), open_, close])
    volume = base_volume * (1.0 + np.abs(log_returns) / scale) * rng.lognormal(0.0, 0.25, n)
    return pd.DataFrame({
        "timestamp": pd.date_range(start=start, periods=n, freq=freq),
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": volume.round(4),
    })
