"""Contiguous time splits and sliding windows over a 1-D series of log returns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from wavediff.errors import DataError


def time_split(n: int, fractions: Mapping[str, float], gap: int, min_len: int) -> dict[str, slice]:
    """Split ``range(n)`` into consecutive parts in the order of ``fractions``.

    Parts are separated by ``gap`` unused samples so that no window of one part overlaps the
    next, and each part holds at least ``min_len`` samples. Fractions are of the samples left
    after the gaps. Raises :class:`DataError` naming how many samples are needed.
    """
    names = [k for k, f in fractions.items() if f > 0]
    if any(f < 0 for f in fractions.values()) or not names:
        raise DataError(f"split fractions must be >= 0 with one > 0, got {dict(fractions)}")
    total = sum(fractions[k] for k in names)
    usable = n - gap * (len(names) - 1)
    sizes = [int(usable * fractions[k] / total) for k in names]
    needed = max(int(np.ceil(min_len * total / min(fractions[k] for k in names))), min_len * len(names))
    needed += gap * (len(names) - 1)
    if min(sizes, default=0) < min_len:
        raise DataError(
            f"series of {n} returns is too short for window_size={min_len} with splits {dict(fractions)}:"
            f" need at least {needed} (use more data, a smaller data.window_size, or other splits)"
        )
    parts, start = {}, 0
    for name, size in zip(names, sizes):
        parts[name] = slice(start, start + size)
        start += size + gap
    return parts


def date_split(times: np.ndarray, starts: Mapping[str, Any], gap: int, min_len: int) -> dict[str, slice]:
    """Split sorted ``times`` (one per sample) at dates: ``starts`` maps the later parts, in
    order, to their first date (e.g. ``{val: 2023-01-01, test: 2023-07-01}``); ``train`` is all
    before the first. Each later part starts ``gap`` samples after its date.
    """
    bounds = [np.datetime64(pd.Timestamp(v)) for v in starts.values()]
    if any(b2 <= b1 for b1, b2 in zip(bounds, bounds[1:])):
        raise DataError(f"split dates must increase, got {dict(starts)}")
    cuts = [int(np.searchsorted(times, b)) for b in bounds]
    names = ["train", *starts]
    edges = [0, *cuts, len(times)]
    parts = {}
    for i, name in enumerate(names):
        start = edges[i] + (gap if i > 0 else 0)
        stop = edges[i + 1]
        if stop - start < min_len:
            raise DataError(f"part '{name}' ({starts.get(name, 'start')} onwards) has {max(stop - start, 0)} "
                            f"returns after the gap; need at least {min_len} for window_size={min_len}")
        parts[name] = slice(start, stop)
    return parts


def sliding_windows(series: np.ndarray, window_size: int, stride: int) -> np.ndarray:
    """Overlapping windows ``(N, window_size)`` of a 1-D ``series``, every ``stride`` samples."""
    if stride <= 0:
        raise DataError(f"stride must be positive, got {stride}")
    if len(series) < window_size:
        raise DataError(f"series of {len(series)} samples is shorter than window_size={window_size}")
    view = np.lib.stride_tricks.sliding_window_view(series, window_size)
    return np.ascontiguousarray(view[::stride])
