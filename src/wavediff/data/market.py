"""Real daily market series shipped with the ``arch`` package, as a price source.

Nothing is downloaded: ``arch.data`` holds the files (``pip install arch``). ``scripts/market_data.py
sp500`` writes them as OHLCV CSV (``outputs/data/sp500.csv``) and records a data run;
``experiment=real_sp500`` trains on that file through ``data=csv``.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import pandas as pd

from wavediff.data.sources import PriceData
from wavediff.errors import ConfigError, DataError

# arch.data modules with daily OHLCV
SERIES = {"sp500": "S&P 500 index, daily, 1999-2018", "nasdaq": "NASDAQ Composite index, daily, 1999-2018"}


class MarketSource:
    """The ``arch.data`` series ``series`` (one of :data:`SERIES`) as daily OHLCV bars; a list of
    them gives one frame with a ``series`` column, which the data module aligns on the dates as
    assets of one window (``data=sp500_nasdaq``)."""

    def __init__(self, series: str | Sequence[str] = "sp500") -> None:
        names = [series] if isinstance(series, str) else [str(s) for s in series]
        unknown = [s for s in names if s not in SERIES]
        if unknown or not names or len(set(names)) != len(names):
            raise ConfigError(f"unknown market series {series!r}: one of {', '.join(SERIES)} "
                              "(or a list of them, each once)")
        self.series = series if isinstance(series, str) else names
        self.name = "arch." + "+".join(names)

    @property
    def asset_names(self) -> list[str] | None:
        """The series as assets of one window (several series only)."""
        return None if isinstance(self.series, str) else list(self.series)

    def load(self) -> PriceData:
        if not isinstance(self.series, str):
            parts = [MarketSource(name).load() for name in self.series]
            bars = pd.concat([p.bars.assign(series=name) for p, name in zip(parts, self.series)], ignore_index=True)
            return PriceData(bars=bars, source=self.name, params={
                "series": list(self.series), "description": "; ".join(SERIES[s] for s in self.series)})
        try:
            module = importlib.import_module(f"arch.data.{self.series}")
        except ImportError:
            raise DataError("the market series come with the arch package: pip install arch") from None
        frame = module.load()
        columns = {str(c).lower().replace(" ", "_"): c for c in frame.columns}
        close = columns.get("adj_close", columns.get("close"))
        bars = pd.DataFrame({"timestamp": pd.to_datetime(frame.index),
                             "open": frame[columns["open"]].to_numpy(), "high": frame[columns["high"]].to_numpy(),
                             "low": frame[columns["low"]].to_numpy(), "close": frame[close].to_numpy(),
                             "volume": frame[columns["volume"]].to_numpy()})
        return PriceData(bars=bars.dropna().reset_index(drop=True), source=self.name,
                         params={"series": self.series, "description": SERIES[self.series]})
