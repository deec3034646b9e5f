"""Write a price source's bars to CSV and record the data run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from wavediff.data.sources import PriceData
from wavediff.registry.store import Registry, git_commit
from wavediff.registry.tables import DataRun


def write_bars_csv(data: PriceData, out: Path) -> Path:
    """Write ``timestamp, open, high, low, close, volume`` to ``out`` (complete or not at all)."""
    out = Path(out).expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        data.bars.to_csv(tmp, index=False, date_format="%Y-%m-%d %H:%M:%S")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


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
