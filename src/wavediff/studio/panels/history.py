"""History panel: registry rows of every kind with their newest metrics, and counts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import func, select

from wavediff.registry.queries import TABLES, latest_metrics
from wavediff.studio.context import StudioContext


def router(ctx: StudioContext) -> APIRouter:
    api = APIRouter()

    @api.get("/api/runs/{kind}")
    def runs(kind: str, limit: int = Query(200, ge=1, le=5000)) -> list[dict[str, Any]]:
        """Registry rows of ``kind`` (data, train, generation, sweep), newest first, with file URLs
        and, for train and generation runs, the newest value of each evaluation metric."""
        if kind not in TABLES:
            raise HTTPException(404, f"unknown run kind {kind!r}: one of {', '.join(TABLES)}")
        metrics = latest_metrics(ctx.registry, kind)
        rows = ctx.registry.all(TABLES[kind])[::-1][:limit]
        return [{**ctx.public(r), "metrics": {k.removeprefix("metric."): v for k, v in metrics.get(r.id, {}).items()}}
                for r in rows]

    @api.get("/api/summary")
    def summary() -> dict[str, dict[str, int]]:
        """Run counts per kind and status."""
        out: dict[str, dict[str, int]] = {}
        with ctx.registry.session() as s:
            for kind, table in TABLES.items():
                counts = dict(s.execute(select(table.status, func.count()).group_by(table.status)).all())
                out[kind] = {"total": sum(counts.values()), **counts}
        return out

    return api
