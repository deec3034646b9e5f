"""Write a price source's bars to CSV."""

from __future__ import annotations

from pathlib import Path

from wavediff.data.sources import PriceData
from wavediff.utils import atomic_path

# The seed's CSV format (a simulator's jump counts stay in memory, for model.condition=jumps)
OHLCV_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")


def write_bars_csv(data: PriceData, out: Path) -> Path:
    """Write ``timestamp, open, high, low, close, volume`` to ``out`` (complete or not at all)."""
    out = Path(out).expanduser().resolve()
    with atomic_path(out) as tmp:
        data.bars[list(OHLCV_COLUMNS)].to_csv(tmp, index=False, date_format="%Y-%m-%d %H:%M:%S")
    return out
