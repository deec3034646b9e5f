"""The data-export job (``wavediff simulate``, ``wavediff market-data``, the Studio's Data panel):
a price source's bars (a simulator, or a real series from :mod:`wavediff.data.market`) written to
CSV and recorded as a ``data_runs`` row."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wavediff.data.export import write_bars_csv
from wavediff.data.sources import PriceData
from wavediff.jobs.recorder import RunRecorder
from wavediff.registry.tables import DataRun

log = logging.getLogger(__name__)


@dataclass
class ExportResult:
    """What a data export hands to its caller (and logs as one JSON line)."""

    data_run_id: int | None
    csv: Path
    data: PriceData

    def handoff(self) -> dict[str, Any]:
        return {"job": "simulate", "data_run_id": self.data_run_id, "csv": str(self.csv),
                "source": self.data.source, "n_rows": len(self.data.bars)}


def export_prices(source: Any, out: Path, recorder: RunRecorder) -> ExportResult:
    """Load ``source`` (a simulator or market series), write its bars to ``out`` and record a
    ``data_runs`` row, which ends ``failed`` if writing fails."""
    with recorder.data_export(getattr(source, "name", type(source).__name__)) as row_id:
        data = source.load()
        path = write_bars_csv(data, out)
        recorder.update(DataRun, row_id, source=data.source, params=data.params, n_rows=len(data.bars),
                        output_path=str(path), config={"source": data.source, **data.params})
    log.info("data run %s: %d bars of %s -> %s", row_id, len(data.bars), data.source, path)
    return ExportResult(row_id, path, data)
