"""Read-side of the registry: data frames for notebooks and the queries behind scripts/registry.py."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from wavediff.registry.store import Registry, RegistryError
from wavediff.registry.tables import DataRun, GenerationRun, Metric, SweepRun, TrainRun, utcnow

TABLES = {"data": DataRun, "train": TrainRun, "generation": GenerationRun, "sweep": SweepRun}
ARTIFACT_COLUMNS = ("output_path", "checkpoint_path", "png_path", "paths_png_path", "npz_path")


def table_for(kind: str) -> type:
    try:
        return TABLES[kind]
    except KeyError:
        raise RegistryError(f"unknown run kind {kind!r}: one of {', '.join(TABLES)}") from None


def row_dict(row: Any) -> dict[str, Any]:
    """All columns of an ORM row as a plain dict."""
    return {c.name: getattr(row, c.name) for c in row.__table__.columns}


def flatten(mapping: dict[str, Any] | None, prefix: str) -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"<prefix>.a.b": 1}`` (lists kept as values)."""
    out: dict[str, Any] = {}
    for key, value in (mapping or {}).items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name))
        else:
            out[name] = value
    return out


def run_metrics(registry: Registry, kind: str, run_id: int) -> list[dict[str, Any]]:
    """Metrics rows of a train run (all of its generations included) or of one generation, oldest first."""
    column = {"train": Metric.train_run_id, "generation": Metric.generation_run_id}.get(kind)
    if column is None:
        return []
    with registry.session() as s:
        rows = s.scalars(select(Metric).where(column == run_id).order_by(Metric.id)).all()
    return [row_dict(r) for r in rows]


def latest_metrics(registry: Registry, kind: str) -> dict[int, dict[str, float | None]]:
    """``{run id: {"metric.<name>": newest value}}`` for train or generation runs."""
    column = {"train": Metric.train_run_id, "generation": Metric.generation_run_id}.get(kind)
    out: dict[int, dict[str, float | None]] = {}
    if column is None:
        return out
    with registry.session() as s:
        for run_id, name, value in s.execute(select(column, Metric.name, Metric.value)
                                             .where(column.is_not(None)).order_by(Metric.id)):
            out.setdefault(run_id, {})[f"metric.{name}"] = value  # later rows overwrite earlier ones
    return out


def runs_frame(registry: Registry | str, kind: str = "train") -> pd.DataFrame:
    """One row per run of ``kind`` (``data``, ``train``, ``generation``), with the composed config
    flattened into ``config.*`` columns, generation summaries into ``summary.*`` and the newest
    value of each evaluation metric into ``metric.*``."""
    registry = Registry(registry) if isinstance(registry, str) else registry
    metrics = latest_metrics(registry, kind)
    records = []
    for row in registry.all(table_for(kind)):
        record = row_dict(row)
        record.update(flatten(record.pop("config"), "config"))
        for nested in ("params", "summary", "best_params"):
            if nested in record:
                record.update(flatten(record.pop(nested), nested))
        record.update(metrics.get(row.id, {}))
        records.append(record)
    return pd.DataFrame.from_records(records)


def filter_runs(frame: pd.DataFrame, where: list[str]) -> pd.DataFrame:
    """Keep rows where every ``column=value`` holds (values compared as text)."""
    for condition in where:
        column, sep, value = condition.partition("=")
        if not sep:
            raise RegistryError(f"filter {condition!r}: expected column=value")
        if column not in frame.columns:
            raise RegistryError(f"filter {condition!r}: no column {column!r}")
        frame = frame[frame[column].astype(str) == value]
    return frame


def best_run(registry: Registry, metric: str, maximize: bool = False, kind: str = "train") -> dict[str, Any]:
    """The finished run with the lowest (or highest) ``metric`` column."""
    frame = runs_frame(registry, kind)
    if frame.empty or metric not in frame.columns:
        raise RegistryError(f"no {kind} runs with a {metric!r} column")
    frame = frame[(frame["status"] == "finished") & frame[metric].notna()]
    if frame.empty:
        raise RegistryError(f"no finished {kind} run has {metric!r}")
    index = frame[metric].idxmax() if maximize else frame[metric].idxmin()
    return frame.loc[index].to_dict()


def linked_runs(registry: Registry, kind: str, run_id: int) -> dict[str, list[int]]:
    """Ids of the runs a run is linked to (its data run, its generations, its train run)."""
    with registry.session() as s:
        if kind == "train":
            row = s.get(TrainRun, run_id)
            gens = s.scalars(select(GenerationRun.id).where(GenerationRun.train_run_id == run_id)).all()
            return {"data": [row.data_run_id] if row and row.data_run_id else [], "generation": list(gens)}
        if kind == "data":
            trains = s.scalars(select(TrainRun.id).where(TrainRun.data_run_id == run_id)).all()
            return {"train": list(trains)}
        row = s.get(GenerationRun, run_id)
        return {"train": [row.train_run_id] if row and row.train_run_id else []}


def show_run(registry: Registry, kind: str, run_id: int) -> dict[str, Any]:
    row = registry.get(table_for(kind), run_id)
    if row is None:
        raise RegistryError(f"no {kind} run with id {run_id}")
    return {**row_dict(row), "linked": linked_runs(registry, kind, run_id),
            "metrics": run_metrics(registry, kind, run_id)}


def compare_runs(registry: Registry, a: int, b: int) -> dict[str, Any]:
    """Config keys that differ between train runs ``a`` and ``b``, and their result columns."""
    ra, rb = show_run(registry, "train", a), show_run(registry, "train", b)
    fa, fb = flatten(ra["config"], "config"), flatten(rb["config"], "config")
    diff = {k: (fa.get(k), fb.get(k)) for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)}
    results = {k: (ra[k], rb[k]) for k in ("status", "epochs_completed", "final_train_loss", "final_val_loss")}
    return {"config_diff": diff, "results": results}


def verify_artifacts(registry: Registry, root: Path) -> dict[str, list[str]]:
    """Rows whose files are missing, and files under ``root`` that no row refers to.

    The files looked for are checkpoints (``*.ckpt``), PNGs, ``.npz`` and CSVs; everything inside
    a recorded training run's directory belongs to that run (e.g. its best-epoch checkpoints).
    """
    referenced: set[str] = set()
    run_dirs = [registry.resolve_path(r.run_dir).resolve() for r in registry.all(TrainRun) if r.run_dir]
    missing = []
    for kind, table in TABLES.items():
        for row in registry.all(table):
            for column in ARTIFACT_COLUMNS:
                value = getattr(row, column, None)
                if not value:
                    continue
                path = str(registry.resolve_path(value).resolve())
                referenced.add(path)
                if not Path(path).exists():
                    missing.append(f"{kind} {row.id} {column}: {value}")
    orphans = sorted(str(p.resolve()) for pattern in ("*.ckpt", "*.png", "*.npz", "*.csv")
                     for p in Path(root).rglob(pattern)
                     if str(p.resolve()) not in referenced
                     and not any(p.resolve().is_relative_to(d) for d in run_dirs))
    return {"missing": missing, "unreferenced": orphans}


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; the registry writes UTC.
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def dead_runs(registry: Registry, stale_after: timedelta | None = None) -> list[tuple[str, int]]:
    """``running`` rows whose process is gone: started on this host by a pid that no longer
    exists, or (any host) silent for longer than ``stale_after`` (no heartbeat)."""
    host, now = socket.gethostname(), utcnow()
    dead = []
    for kind, table in TABLES.items():
        for row in registry.all(table):
            if row.status != "running":
                continue
            gone = row.host == host and row.pid is not None and not pid_alive(row.pid)
            beat = _utc(row.heartbeat_at or row.created_at)
            stale = stale_after is not None and beat is not None and now - beat > stale_after
            if gone or stale:
                dead.append((kind, row.id))
    return dead


def mark_dead_runs_interrupted(registry: Registry, stale_after: timedelta | None = None) -> list[tuple[str, int]]:
    dead = dead_runs(registry, stale_after)
    for kind, run_id in dead:
        registry.finish(TABLES[kind], run_id, status="interrupted",
                        error="process gone or silent while running (marked by registry gc)")
    return dead
