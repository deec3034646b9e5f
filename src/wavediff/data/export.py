"""Write a price source's bars to CSV."""

from __future__ import annotations

from pathlib import Path

from wavediff.data.sources import PriceData
from wavediff.utils import atomic_path

# The seed's CSV format (a simulator's jump counts stay in memory, for model.condition=jumps)
OHLCV_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")


def write_bars_csv(data: PriceData, out: Path) -> Path:
    """Write ``timestamp, open, high, low, close, volume`` to ``out`` (complete or not at all),
    with a leading ``ticker`` column when the bars hold several series (a multi-asset simulator),
    which the CSV loader reads back as one file of several tickers."""
    out = Path(out).expanduser().resolve()
    bars = data.bars
    columns = list(OHLCV_COLUMNS)
    if "series" in bars and bars["series"].nunique() > 1:
        bars, columns = bars.rename(columns={"series": "ticker"}), ["ticker", *columns]
    with atomic_path(out) as tmp:
        bars[columns].to_csv(tmp, index=False, date_format="%Y-%m-%d %H:%M:%S")
    return out
