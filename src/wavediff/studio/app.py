"""The Studio's HTTP API (FastAPI, docs at ``/docs``) and the page that uses it.

Everything it does goes through what already exists: simulators + ``simulate_to_csv`` for data,
``scripts/train.py`` and ``scripts/generate.py`` subprocesses for training and sampling, and the
registry for every list. It only reads files under its outputs root.
"""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
import sys
import time
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from wavediff.simulation import simulate_to_csv
from wavediff.data.simulators import SIMULATORS
from wavediff.errors import WaveDiffError
from wavediff.registry.queries import TABLES, latest_metrics, row_dict
from wavediff.registry.store import PATH_COLUMNS, Registry
from wavediff.registry.tables import TrainRun
from wavediff.studio.forms import (StudioInputError, config_options, simulator_fields,
                                   validate_train_overrides)
from wavediff.studio.jobs import JobManager, TooManyJobs
from wavediff.studio.security import SecurityMiddleware, allowed_hosts, check_bind

HOST = socket.gethostname()
STATIC = Path(__file__).parent / "static"


@dataclass
class StudioSettings:
    """Where the Studio reads and writes. ``output_root`` holds runs, the registry and logs;
    ``config_dir`` and ``scripts_dir`` are a WaveDiff checkout's (``scripts/studio.py`` passes its own)."""

    output_root: Path = Path("outputs")
    config_dir: Path = Path("configs")
    scripts_dir: Path = Path("scripts")
    max_concurrent: int = 1
    generate_timeout_s: float = 900.0
    host: str = "127.0.0.1"  # the address it binds: loopback unless a token is set
    allowed_hosts: tuple[str, ...] = ()  # Host names it answers to besides loopback and ``host``
    token: str | None = None  # required on every request when set (header, cookie or ?token=)

    @property
    def registry_url(self) -> str:
        return f"sqlite:///{self.output_root / 'wavediff.db'}"


class DataRequest(BaseModel):
    model: str = "mjd"
    params: dict[str, float] = Field(default_factory=dict)
    days: float = Field(2.0, gt=0, le=366)
    bar_minutes: int = Field(1, ge=1, le=1440)
    start_price: float = Field(100.0, gt=0)
    seed: int = 0


class TrainRequest(BaseModel):
    overrides: list[str] = Field(default_factory=list, max_length=64)


class GenerateRequest(BaseModel):
    train_run_id: int
    sampler: str = "ancestral"
    steps: int | None = Field(None, ge=1, le=1000)
    n: int = Field(8, ge=1, le=256)
    seed: int = 0


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def create_app(settings: StudioSettings | None = None) -> FastAPI:
    settings = settings or StudioSettings()
    check_bind(settings.host, settings.token)
    root = settings.output_root = Path(settings.output_root).resolve()
    settings.config_dir, settings.scripts_dir = Path(settings.config_dir).resolve(), Path(settings.scripts_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    for needed in (settings.config_dir / "train.yaml", settings.scripts_dir / "train.py"):
        if not needed.is_file():
            raise FileNotFoundError(f"the Studio runs from a WaveDiff checkout; missing {needed}")
    registry = Registry(settings.registry_url, root)
    jobs = JobManager(root, settings.registry_url, settings.scripts_dir / "train.py", settings.max_concurrent)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.stop_all()  # a training started here does not outlive the Studio silently

    app = FastAPI(title="WaveDiff Studio", description=__doc__, lifespan=lifespan)
    app.state.settings, app.state.registry, app.state.jobs = settings, registry, jobs
    app.add_middleware(SecurityMiddleware, hosts=allowed_hosts(settings.host, settings.allowed_hosts),
                       token=settings.token)

    def file_url(value: Any) -> str | None:
        path = registry.resolve_path(value)
        if path is None:
            return None
        try:
            return "/files/" + path.resolve().relative_to(root).as_posix()
        except ValueError:
            return None

    def public(row: Any) -> dict[str, Any]:
        record = row_dict(row)
        record.pop("config", None)
        for column in PATH_COLUMNS:
            if column in record:
                record[f"{column}_url"] = file_url(record[column])
        return record

    def unprocessable(exc: Exception) -> HTTPException:
        return HTTPException(status_code=422, detail=str(exc))

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/options")
    def options() -> dict[str, Any]:
        """Config-group options (read from configs/), simulators with their parameters."""
        return {"groups": config_options(settings.config_dir), "simulators": simulator_fields(),
                "defaults": {"data": "mjd", "transform": "complex_cwt", "model": "unet_small",
                             "sampler": "ancestral", "trainer": "cpu"},
                "max_concurrent": settings.max_concurrent}

    @app.post("/api/data")
    def create_data(request: DataRequest) -> dict[str, Any]:
        """Simulate prices, write a CSV under outputs/studio/data and record a data run."""
        if request.model not in SIMULATORS:
            raise unprocessable(f"model {request.model!r}: one of {', '.join(SIMULATORS)}")
        cls = SIMULATORS[request.model]
        known = {f.name for f in fields(cls.params_type)}
        if unknown := set(request.params) - known:
            raise unprocessable(f"{request.model}: unknown parameter(s) {', '.join(sorted(unknown))}")
        out = root / "studio" / "data" / f"{request.model}-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**6}.csv"
        try:
            source = cls(days=request.days, bar_minutes=request.bar_minutes, start_price=request.start_price,
                         seed=request.seed, **request.params)
            run_id, _, data = simulate_to_csv(source, out, registry)
        except (WaveDiffError, ValueError, TypeError) as exc:
            raise unprocessable(exc) from None
        return {"id": run_id, "n_rows": len(data.bars), "csv_url": file_url(out)}

    @app.get("/api/data/{run_id}/preview")
    def data_preview(run_id: int, points: int = Query(400, ge=10, le=5000)) -> dict[str, Any]:
        """Close prices of a data run's CSV, thinned to at most ``points`` values."""
        row = registry.get(TABLES["data"], run_id)
        path = registry.resolve_path(row.output_path) if row else None
        if path is None or not path.is_file():
            raise HTTPException(404, f"data run {run_id} has no CSV to preview")
        close = pd.read_csv(path, usecols=["close"])["close"].to_numpy()
        step = max(1, -(-len(close) // points))  # ceil, so at most `points` values
        return {"id": run_id, "step": step, "close": close[::step].round(6).tolist()}

    @app.post("/api/train", status_code=201)
    def start_training(request: TrainRequest) -> dict[str, Any]:
        """Validate the overrides against the composed config, then start scripts/train.py."""
        try:
            validate_train_overrides(request.overrides, settings.config_dir)
            job = jobs.start(request.overrides)
        except StudioInputError as exc:
            raise unprocessable(exc) from None
        except TooManyJobs as exc:
            raise HTTPException(429, str(exc)) from None
        return job.state()

    def job_or_404(job_id: int):
        job = jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no training job {job_id}")
        return job

    def job_view(job) -> dict[str, Any]:
        with registry.session() as s:
            row = s.scalars(select(TrainRun).where(TrainRun.pid == job.process.pid, TrainRun.host == HOST,
                                                    TrainRun.created_at >= _utc(job.started_at - 5))
                            .order_by(TrainRun.id.desc())).first()
        return {**job.state(), "run": public(row) if row else None}

    @app.get("/api/train")
    def list_jobs() -> list[dict[str, Any]]:
        return [job_view(j) for j in sorted(jobs.jobs.values(), key=lambda j: -j.id)]

    @app.get("/api/train/{job_id}")
    def job_status(job_id: int) -> dict[str, Any]:
        return job_view(job_or_404(job_id))

    @app.post("/api/train/{job_id}/stop")
    def stop_job(job_id: int) -> dict[str, Any]:
        job = job_or_404(job_id)
        jobs.stop(job)
        return job.state()

    @app.get("/api/train/{job_id}/log")
    def job_log(job_id: int) -> StreamingResponse:
        """The run's output as server-sent events (``data:`` lines, then ``event: end``)."""
        job = job_or_404(job_id)

        def events():
            for line in jobs.follow(job):
                yield f"data: {line.rstrip()}\n\n"
            yield f"event: end\ndata: exit code {job.process.poll()}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.post("/api/generate")
    def generate(request: GenerateRequest) -> dict[str, Any]:
        """Sample from a finished training run with scripts/generate.py; returns the generation row."""
        run = registry.get(TrainRun, request.train_run_id)
        if run is None:
            raise unprocessable(f"no train run {request.train_run_id}")
        if run.status != "finished" or not run.checkpoint_path:
            raise unprocessable(f"train run {run.id} is {run.status}; pick a finished run")
        if request.sampler not in config_options(settings.config_dir)["sampler"]:
            raise unprocessable(f"sampler {request.sampler!r}: not one of configs/sampler/")
        out = root / "studio" / "generations" / f"run{run.id}-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**6}.png"
        args = [sys.executable, str(settings.scripts_dir / "generate.py"), f"checkpoint={run.id}",
                f"n={request.n}", f"sampler={request.sampler}", f"seed={request.seed}", f"output_path={out}",
                f"paths.output_root={root}", f"registry.url={settings.registry_url}"]
        if request.steps is not None:
            args.append(f"sampler.steps={request.steps}")
        try:
            proc = subprocess.run(args, capture_output=True, text=True, timeout=settings.generate_timeout_s,
                                  cwd=settings.scripts_dir.parent, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise HTTPException(504, f"generation took longer than {settings.generate_timeout_s:.0f} s") from None
        match = re.search(r"generation run (\d+)", proc.stdout)
        if proc.returncode != 0 or match is None:
            lines = [ln for ln in proc.stderr.strip().splitlines() if ln.startswith("error:")] or \
                proc.stderr.strip().splitlines()[-1:] or ["generate.py failed"]
            raise HTTPException(500, lines[-1])
        return public(registry.get(TABLES["generation"], int(match.group(1))))

    @app.get("/api/runs/{kind}")
    def runs(kind: str, limit: int = Query(200, ge=1, le=5000)) -> list[dict[str, Any]]:
        """Registry rows of ``kind`` (data, train, generation, sweep), newest first, with file URLs
        and, for train and generation runs, the newest value of each evaluation metric."""
        if kind not in TABLES:
            raise HTTPException(404, f"unknown run kind {kind!r}: one of {', '.join(TABLES)}")
        metrics = latest_metrics(registry, kind)
        rows = registry.all(TABLES[kind])[::-1][:limit]
        return [{**public(r), "metrics": {k.removeprefix("metric."): v for k, v in metrics.get(r.id, {}).items()}}
                for r in rows]

    @app.get("/api/summary")
    def summary() -> dict[str, dict[str, int]]:
        """Run counts per kind and status."""
        out: dict[str, dict[str, int]] = {}
        with registry.session() as s:
            for kind, table in TABLES.items():
                counts = dict(s.execute(select(table.status, func.count()).group_by(table.status)).all())
                out[kind] = {"total": sum(counts.values()), **counts}
        return out

    @app.get("/files/{path:path}", include_in_schema=False)
    def files(path: str) -> FileResponse:
        """A file under the outputs root (anything else, e.g. ``../``, is refused)."""
        target = (root / path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise HTTPException(404, "no such file under the outputs root")
        return FileResponse(target)

    return app
