"""Contiguous time splits and sliding windows over a series of log returns (one asset or a panel)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from wavediff.errors import DataError


def check_splits(fractions: Mapping[str, float]) -> None:
    """Split fractions: numbers in [0, 1] summing to at most 1, with a positive ``train``."""
    bad = {k: v for k, v in fractions.items()
           if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 1}
    if bad:
        raise DataError(f"data.splits: fractions must be numbers in [0, 1], got {bad}")
    if not fractions.get("train", 0) > 0:
        raise DataError(f"data.splits: needs a 'train' fraction > 0, got {dict(fractions)}")
    if sum(fractions.values()) > 1 + 1e-9:
        raise DataError(f"data.splits: fractions sum to {sum(fractions.values()):g}; they must sum to at most 1")


def check_split_dates(starts: Mapping[str, Any]) -> list[np.datetime64]:
    """First dates of the later parts (e.g. ``{val: ..., test: ...}``): valid dates, increasing."""
    try:
        bounds = [np.datetime64(pd.Timestamp(v)) for v in starts.values()]
    except (ValueError, TypeError) as exc:
        raise DataError(f"data.split_dates: not a date in {dict(starts)} ({exc})") from None
    if any(b2 <= b1 for b1, b2 in zip(bounds, bounds[1:])):
        raise DataError(f"data.split_dates must increase, got {dict(starts)}")
    return bounds


def time_split(n: int, fractions: Mapping[str, float], gap: int, min_len: int) -> dict[str, slice]:
    """Split ``range(n)`` into consecutive parts in the order of ``fractions``.

    Parts are separated by ``gap`` unused samples so that no window of one part overlaps the
    next, and each part holds at least ``min_len`` samples. Fractions are of the samples left
    after the gaps. Raises :class:`DataError` naming how many samples are needed.
    """
    check_splits(fractions)
    names = [k for k, f in fractions.items() if f > 0]
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
    bounds = check_split_dates(starts)
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
    """Overlapping windows of ``series`` along its first axis, every ``stride`` samples:
    ``(N, window_size)`` of a 1-D series, ``(N, A, window_size)`` of an ``(L, A)`` panel of assets."""
    if stride <= 0:
        raise DataError(f"stride must be positive, got {stride}")
    if len(series) < window_size:
        raise DataError(f"series of {len(series)} samples is shorter than window_size={window_size}")
    view = np.lib.stride_tricks.sliding_window_view(series, window_size, axis=0)
    return np.ascontiguousarray(view[::stride])
