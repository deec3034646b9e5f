"""Real daily market series shipped with the ``arch`` package, as a price source.

Nothing is downloaded: ``arch.data`` holds the files (``pip install arch``). ``scripts/market_data.py
sp500`` writes them as OHLCV CSV (``outputs/data/sp500.csv``) and records a data run;
``experiment=real_sp500`` trains on that file through ``data=csv``.
"""

from __future__ import annotations

import importlib

import pandas as pd

from wavediff.data.sources import PriceData
from wavediff.errors import ConfigError, DataError

# arch.data modules with daily OHLCV
SERIES = {"sp500": "S&P 500 index, daily, 1999-2018", "nasdaq": "NASDAQ Composite index, daily, 1999-2018"}


class MarketSource:
    """The ``arch.data`` series ``series`` (one of :data:`SERIES`) as daily OHLCV bars."""

    def __init__(self, series: str = "sp500") -> None:
        if series not in SERIES:
            raise ConfigError(f"unknown market series {series!r}: one of {', '.join(SERIES)}")
        self.series = series
        self.name = f"arch.{series}"

    def load(self) -> PriceData:
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
