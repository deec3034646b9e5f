"""``simulate_to_csv``: a price source's bars (a simulator, or a real series from ``data.market``) written
to CSV and recorded as a data run (``scripts/simulate.py``, ``scripts/market_data.py``, the Studio's
Data panel)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wavediff.data.export import write_bars_csv
from wavediff.data.sources import PriceData
from wavediff.registry.store import Registry, git_commit
from wavediff.registry.tables import DataRun


def simulate_to_csv(source: Any, out: Path, registry: Registry) -> tuple[int, Path, PriceData]:
    """Load ``source`` (a simulator), write its bars to ``out`` and record a ``data_runs`` row.

    Returns ``(data run id, csv path, data)``. The row ends ``failed`` if writing fails.
    """
    with registry.track(DataRun, source=getattr(source, "name", type(source).__name__), git_commit=git_commit(Path(__file__).parent)) as row_id:
        data = source.load()
        path = write_bars_csv(data, out)
        registry.update(DataRun, row_id, source=data.source, params=data.params, n_rows=len(data.bars),
                        output_path=str(path), config={"source": data.source, **data.params})
    return row_id, path, data
