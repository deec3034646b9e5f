"""Reports panel: every evaluation report (``report.json``: metrics with floors, generators side
by side, verdicts, plots) and every benchmark table (``benchmark.json``) under the outputs root.
The page reads the files themselves through ``/files/``; this lists them."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query

from wavediff.studio.context import StudioContext


def _newest(root: Path, name: str, limit: int) -> list[Path]:
    found = [p for p in root.rglob(name) if p.is_file()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)[:limit]


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):  # half-written or foreign: not listed
        return None


def _modified(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")


def router(ctx: StudioContext) -> APIRouter:
    api = APIRouter()

    @api.get("/api/reports")
    def reports(limit: int = Query(100, ge=1, le=1000)) -> dict[str, list[dict[str, Any]]]:
        """Evaluation reports and benchmark tables, newest first: where to fetch each (``url``), the
        folder its plots are in (``base_url``) and what it compares."""
        evaluations = []
        for path in _newest(ctx.root, "report.json", limit):
            report = _read(path)
            if not report or "results" not in report:
                continue
            run = report.get("train_run_id")
            evaluations.append({"url": ctx.file_url(path), "base_url": f"{ctx.file_url(path.parent)}/",
                                "title": f"train run {run}" if run is not None else path.parent.name,
                                "sets": list(report["results"]), "modified": _modified(path)})
        benchmarks = []
        for path in _newest(ctx.root, "benchmark.json", limit):
            summary = _read(path)
            if not summary or "rows" not in summary:
                continue
            benchmarks.append({"url": ctx.file_url(path), "suite": summary.get("suite"),
                               "datasets": summary.get("datasets", []), "generators": summary.get("generators", []),
                               "n": summary.get("n"), "missing": len(summary.get("missing", [])),
                               "commit": summary.get("commit"), "modified": _modified(path)})
        return {"evaluations": evaluations, "benchmarks": benchmarks}

    return api
