"""The shape of OHLCV bars: range, body and volume facts of bar-channel windows ``(N, F, T)``.

Each fact is scale-free (a ratio within a bar, or a correlation within windows), so it is read
from the channels alone (bars decoded from a start close and volume of 1):

* ``range_over_close``: ``(H - L) / C`` of every bar (needs high and low);
* ``body_share``: ``|C - O| / (H - L)``, the body's share of the bar's range (needs open, high, low);
* ``volume_abs_return_corr``: the correlation of log volume with ``|r|``, both taken relative to
  their window's mean (needs volume): busy days are big days.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wavediff.metrics.stylized import ks_statistic
from wavediff.transforms.bars import bars_from_channels


def bar_shapes(channels: np.ndarray, fields: Sequence[str]) -> dict[str, np.ndarray]:
    """Every bar's range and body share (pooled, ``(N T,)``), as far as ``fields`` allow."""
    bars = bars_from_channels(channels, fields, 1.0, 1.0)
    out: dict[str, np.ndarray] = {}
    if "high" in bars and "low" in bars:
        spread = bars["high"] - bars["low"]
        out["range_over_close"] = (spread / bars["close"]).ravel()
        body = np.abs(bars["close"] - bars["open"])
        out["body_share"] = np.divide(body, spread, out=np.zeros_like(body), where=spread > 0).ravel()
    return out


def volume_abs_return_corr(channels: np.ndarray, fields: Sequence[str]) -> float | None:
    """Correlation of log volume with ``|r|``, each relative to its window's mean; ``None`` without volume."""
    if "volume" not in fields:
        return None
    x = np.asarray(channels, dtype=np.float64)
    log_volume = np.cumsum(x[:, list(fields).index("volume")], axis=1)
    size = np.abs(x[:, list(fields).index("close")])
    a = (log_volume - log_volume.mean(axis=1, keepdims=True)).ravel()
    b = (size - size.mean(axis=1, keepdims=True)).ravel()
    scale = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / scale) if scale > 0 else 0.0


def bar_shape_stats(channels: np.ndarray, fields: Sequence[str]) -> dict[str, float]:
    """Medians of the range and body share, and the volume-|r| correlation (for the report)."""
    out = {f"median_{k}": float(np.median(v)) for k, v in bar_shapes(channels, fields).items()}
    corr = volume_abs_return_corr(channels, fields)
    return out | ({"volume_abs_return_corr": corr} if corr is not None else {})


def bar_shape_distances(generated: np.ndarray, real: np.ndarray, fields: Sequence[str]) -> dict[str, float]:
    """KS distance of each bar-shape distribution and the absolute difference of the volume-|r| correlation."""
    g, r = bar_shapes(generated, fields), bar_shapes(real, fields)
    out = {f"{k}_ks": ks_statistic(g[k], r[k]) for k in g}
    corr_g, corr_r = volume_abs_return_corr(generated, fields), volume_abs_return_corr(real, fields)
    if corr_g is not None:
        out["volume_abs_return_corr_abs_diff"] = abs(corr_g - corr_r)
    return out
