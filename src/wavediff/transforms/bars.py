"""OHLCV bars as channel series that always decode to valid bars (``data.fields``).

Bar ``t`` of ``L`` bars becomes, for ``t = 1 .. L-1`` (bar 0 is the reference the first
return starts from), one value per field, in this order:

==========  ================  ======================================================
field       channel           value
==========  ================  ======================================================
close       ``return``        ``log(C_t / C_{t-1})``: the close's log return (today's series)
open        ``gap``           ``log(O_t / C_{t-1})``: the overnight gap
high        ``upper_wick``    ``log(H_t / max(O_t, C_t))``, ``>= 0``
low         ``lower_wick``    ``log(min(O_t, C_t) / L_t)``, ``>= 0``
volume      ``volume_change`` ``log(V_t / V_{t-1})``
==========  ================  ======================================================

The inverse starts from the previous close and volume (like prices from returns) and clamps the
wicks at zero, so *any* channel values decode to a valid bar: ``H >= max(O, C)``,
``L <= min(O, C)``, ``V > 0``; real bars round-trip to float precision. Volume is a change
rather than a standardised level so that it decodes like the close, from a start state, and a
window's volume level follows its start (what ties volume to the price era in a long file).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from wavediff.errors import ConfigError
from wavediff.transforms.multi_asset import MultiAssetRepresentation

FIELDS = ("close", "open", "high", "low", "volume")  # canonical order: channel 0 is the close return
CHANNELS = {"close": "return", "open": "gap", "high": "upper_wick", "low": "lower_wick", "volume": "volume_change"}
FIELD_OF_CHANNEL = {c: f for f, c in CHANNELS.items()}


def check_fields(fields: Sequence[str] | None) -> list[str]:
    """``data.fields`` in canonical order (``None`` -> ``[close]``); one-line error otherwise."""
    if fields is None:
        return ["close"]
    if isinstance(fields, str) or not all(isinstance(f, str) for f in fields):
        raise ConfigError(f"data.fields={fields!r}: a list of bar fields, e.g. [close, open, high, low, volume]")
    wanted = [f.lower() for f in fields]
    unknown = [f for f in wanted if f not in FIELDS]
    if unknown:
        raise ConfigError(f"data.fields: unknown field {unknown[0]!r}; fields are {', '.join(FIELDS)}")
    if len(set(wanted)) != len(wanted):
        raise ConfigError(f"data.fields={list(fields)}: a field is named twice")
    if "close" not in wanted:
        raise ConfigError(f"data.fields={list(fields)}: must include close (every bar is built around it)")
    if ("high" in wanted or "low" in wanted) and "open" not in wanted:
        raise ConfigError(f"data.fields={list(fields)}: high and low are measured from the bar's body, "
                          "so they need open")
    return [f for f in FIELDS if f in wanted]


def channel_names(fields: Sequence[str]) -> list[str]:
    """The channel of each field, in the order of ``fields``."""
    return [CHANNELS[f] for f in fields]


def bar_channels(bars: dict[str, np.ndarray], fields: Sequence[str]) -> np.ndarray:
    """``bars`` (field -> ``(L,)`` float64, valid bars) -> channel series ``(L - 1, F)``."""
    close = np.asarray(bars["close"], dtype=np.float64)
    prev = close[:-1]
    out = []
    for field in fields:
        if field == "close":
            out.append(np.log(close[1:] / prev))
        elif field == "open":
            out.append(np.log(np.asarray(bars["open"], dtype=np.float64)[1:] / prev))
        elif field in ("high", "low"):
            o, c = np.asarray(bars["open"], dtype=np.float64)[1:], close[1:]
            v = np.asarray(bars[field], dtype=np.float64)[1:]
            out.append(np.log(v / np.maximum(o, c)) if field == "high" else np.log(np.minimum(o, c) / v))
        else:  # volume
            volume = np.asarray(bars["volume"], dtype=np.float64)
            out.append(np.log(volume[1:] / volume[:-1]))
    return np.stack(out, axis=1)


def bars_from_channels(channels: np.ndarray, fields: Sequence[str], prev_close: np.ndarray | float,
                       prev_volume: np.ndarray | float = 1.0) -> dict[str, np.ndarray]:
    """Channel windows ``(B, F, T)`` -> valid bars: field -> ``(B, T)`` float64, from each window's
    previous close and volume ``(B,)`` (or one value for all). Wicks below zero are zero."""
    x = np.asarray(channels, dtype=np.float64)
    if x.ndim != 3 or x.shape[1] != len(fields):
        raise ValueError(f"expected channel windows (B, {len(fields)}, T) for fields {list(fields)}, got {x.shape}")
    b = x.shape[0]
    col = {f: x[:, i] for i, f in enumerate(fields)}
    prev_close = np.broadcast_to(np.asarray(prev_close, dtype=np.float64), (b,))[:, None]
    log_close = np.log(prev_close) + np.cumsum(col["close"], axis=1)
    close = np.exp(log_close)
    before = np.exp(np.concatenate([np.log(prev_close), log_close[:, :-1]], axis=1))  # C_{t-1}
    out = {"close": close}
    if "open" in col:
        out["open"] = before * np.exp(col["open"])
        top, bottom = np.maximum(out["open"], close), np.minimum(out["open"], close)
        if "high" in col:  # max/min again: exp(log(x)) can lose the last bit
            out["high"] = np.maximum(top * np.exp(np.maximum(col["high"], 0.0)), top)
        if "low" in col:
            out["low"] = np.minimum(bottom * np.exp(-np.maximum(col["low"], 0.0)), bottom)
    if "volume" in col:
        prev_volume = np.broadcast_to(np.asarray(prev_volume, dtype=np.float64), (b,))[:, None]
        out["volume"] = prev_volume * np.exp(np.cumsum(col["volume"], axis=1))
    return {f: out[f] for f in fields}


def _bar_rules(bars: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
    """Each rule a valid bar keeps, as (what a violation says, elementwise mask of the bars keeping it)."""
    rules = [(f"{name}: values must be finite and positive", np.isfinite(v) & (v > 0)) for name, v in bars.items()]
    if "high" in bars:
        rules.append(("a high below the bar's body", bars["high"] >= np.maximum(bars["open"], bars["close"])))
    if "low" in bars:
        rules.append(("a low above the bar's body", bars["low"] <= np.minimum(bars["open"], bars["close"])))
    return rules


def valid_bars(bars: dict[str, np.ndarray]) -> np.ndarray:
    """Which bars are valid, elementwise (the shape of each field): finite and positive, high not
    below the body, low not above it (the rules :func:`check_valid_bars` enforces)."""
    return np.logical_and.reduce([mask for _, mask in _bar_rules(bars)])


def check_valid_bars(bars: dict[str, np.ndarray]) -> None:
    """Raise ``ValueError`` unless every bar is valid (finite, positive, high and low outside the body)."""
    for message, mask in _bar_rules(bars):
        if not np.all(mask):
            raise ValueError(message)


class BarRepresentation(MultiAssetRepresentation):
    """The channels of one asset's bars, each through its own fitted copy of ``base``, stacked
    like assets: ``(B, F, T)`` channel windows <-> ``(B, F * C, S, T)`` images, exact inverse.

    ``prices`` is the close path (what every price plot and evaluation of a single series reads);
    :meth:`bars` decodes whole bars. Each part's ``start_price`` is its channel's start: the last
    training close (return), the last training volume (volume change), 1 for the bar shapes.
    """

    kind = "bars"

    def __init__(self, fields: Sequence[str], base: Mapping[str, Any], window_size: int | None = None) -> None:
        fields = check_fields(fields)
        if len(fields) < 2:
            raise ValueError(f"fields={fields}: bars need the close and at least one more field")
        super().__init__(channel_names(fields), base, window_size)
        self.fields = fields

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "fields": list(self.fields), "base": self.parts[0].config()}

    def prices(self, returns: Tensor, start_price: Tensor | Sequence[float] | float | None = None) -> Tensor:
        """Close paths ``(B, T + 1)`` from channel windows ``(B, F, T)`` (channel 0: the close's returns)."""
        start = self.start_prices[0] if start_price is None else start_price
        return self.parts[0].prices(returns[:, 0], start)

    def bars(self, channels: Tensor | np.ndarray, prev_close: np.ndarray | float | None = None,
             prev_volume: np.ndarray | float | None = None) -> dict[str, np.ndarray]:
        """Valid bars (field -> ``(B, T)``) of channel windows ``(B, F, T)``, from each window's
        previous close and volume (default: the last training ones)."""
        channels = channels.detach().cpu().numpy() if isinstance(channels, torch.Tensor) else channels
        starts = dict(zip(self.fields, self.start_prices))
        return bars_from_channels(channels, self.fields, starts["close"] if prev_close is None else prev_close,
                                  starts.get("volume", 1.0) if prev_volume is None else prev_volume)
