"""What every price source returns to the data module."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class PriceData:
    """Bars of one or more series plus what made them (recorded in the ``data_runs`` table).

    ``bars`` has at least ``timestamp`` and ``close`` (the price the model learns from); a
    ``series`` column, when present, names separate series (files, tickers) that windows never span.
    """

    bars: pd.DataFrame
    source: str
    params: dict[str, Any] = field(default_factory=dict)


def __getattr__(name: str):  # noqa: ANN202
    # Configs saved before the simulators got their own modules name this path.
    if name == "MJDSource":
        from wavediff.data.mjd import MJDSource

        return MJDSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
