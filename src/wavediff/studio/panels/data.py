"""Data panel: simulate prices to a CSV (a data run) and preview them."""

from __future__ import annotations

import time
from dataclasses import fields
from typing import Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from wavediff.data.simulators import SIMULATORS
from wavediff.errors import WaveDiffError
from wavediff.registry.tables import DataRun
from wavediff.jobs.recorder import RunRecorder
from wavediff.jobs.simulate import export_prices
from wavediff.studio.context import StudioContext, unprocessable


class DataRequest(BaseModel):
    model: str = "mjd"
    params: dict[str, float] = Field(default_factory=dict)
    days: float = Field(2.0, gt=0, le=366)
    bar_minutes: int = Field(1, ge=1, le=1440)
    start_price: float = Field(100.0, gt=0)
    seed: int = 0


def router(ctx: StudioContext) -> APIRouter:
    api = APIRouter()

    @api.post("/api/data")
    def create_data(request: DataRequest) -> dict[str, Any]:
        """Simulate prices, write a CSV under outputs/studio/data and record a data run."""
        if request.model not in SIMULATORS:
            raise unprocessable(f"model {request.model!r}: one of {', '.join(SIMULATORS)}")
        cls = SIMULATORS[request.model]
        known = {f.name for f in fields(cls.params_type)}
        if unknown := set(request.params) - known:
            raise unprocessable(f"{request.model}: unknown parameter(s) {', '.join(sorted(unknown))}")
        stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**6}"
        out = ctx.root / "studio" / "data" / f"{request.model}-{stamp}.csv"
        try:
            source = cls(days=request.days, bar_minutes=request.bar_minutes, start_price=request.start_price,
                         seed=request.seed, **request.params)
            result = export_prices(source, out, RunRecorder(ctx.registry))
        except (WaveDiffError, ValueError, TypeError) as exc:
            raise unprocessable(exc) from None
        return {"id": result.data_run_id, "n_rows": len(result.data.bars), "csv_url": ctx.file_url(out)}

    @api.get("/api/data/{run_id}/preview")
    def data_preview(run_id: int, points: int = Query(400, ge=10, le=5000)) -> dict[str, Any]:
        """Close prices of a data run's CSV, thinned to at most ``points`` values."""
        row = ctx.registry.get(DataRun, run_id)
        path = ctx.registry.resolve_path(row.output_path) if row else None
        if path is None or not path.is_file():
            raise HTTPException(404, f"data run {run_id} has no CSV to preview")
        close = pd.read_csv(path, usecols=["close"])["close"].to_numpy()
        step = max(1, -(-len(close) // points))  # ceil, so at most `points` values
        return {"id": run_id, "step": step, "close": close[::step].round(6).tolist()}

    return api
