"""Train panel: validated overrides -> a ``wavediff train`` subprocess, its live log, stop."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from wavediff.registry.tables import DataRun, TrainRun
from wavediff.studio.context import StudioContext, unprocessable
from wavediff.studio.forms import StudioInputError, validate_train_overrides
from wavediff.studio.jobs import TooManyJobs, TrainJob

class TrainRequest(BaseModel):
    overrides: list[str] = Field(default_factory=list, max_length=64)
    # Train on the CSV of this data run (Data panel): adds data=csv data.path=<its file>.
    data_run_id: int | None = None


def router(ctx: StudioContext) -> APIRouter:
    api = APIRouter()

    def data_run_overrides(run_id: int, overrides: list[str]) -> list[str]:
        row = ctx.registry.get(DataRun, run_id)
        path = ctx.registry.resolve_path(row.output_path) if row and row.output_path else None
        if path is None or not path.is_file():
            raise StudioInputError(f"data run {run_id} has no CSV to train on")
        if any(o.split("=", 1)[0] in ("data", "data.path") for o in overrides):
            raise StudioInputError("data_run_id chooses the data; remove data=... and data.path=... overrides")
        return ["data=csv", f"data.path={path}", *overrides]

    @api.post("/api/train", status_code=201)
    def start_training(request: TrainRequest) -> dict[str, Any]:
        """Validate the overrides against the composed config, then start ``wavediff train``."""
        try:
            overrides = request.overrides
            if request.data_run_id is not None:
                overrides = data_run_overrides(request.data_run_id, overrides)
            validate_train_overrides(overrides, ctx.settings.config_dir)
            job = ctx.jobs.start(overrides)
        except StudioInputError as exc:
            raise unprocessable(exc) from None
        except TooManyJobs as exc:
            raise HTTPException(429, str(exc)) from None
        return job.state()

    def job_or_404(job_id: int) -> TrainJob:
        job = ctx.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no training job {job_id}")
        return job

    def job_view(job: TrainJob) -> dict[str, Any]:
        row = ctx.registry.find_by_path(TrainRun, "run_dir", job.run_dir)  # the run dir the Studio chose
        return {**job.state(), "run": ctx.public(row) if row else None}

    @api.get("/api/train")
    def list_jobs() -> list[dict[str, Any]]:
        return [job_view(j) for j in sorted(ctx.jobs.jobs.values(), key=lambda j: -j.id)]

    @api.get("/api/train/{job_id}")
    def job_status(job_id: int) -> dict[str, Any]:
        return job_view(job_or_404(job_id))

    @api.post("/api/train/{job_id}/stop")
    def stop_job(job_id: int) -> dict[str, Any]:
        job = job_or_404(job_id)
        ctx.jobs.stop(job)
        return job.state()

    @api.get("/api/train/{job_id}/log")
    def job_log(job_id: int) -> StreamingResponse:
        """The run's output as server-sent events (``data:`` lines, then ``event: end``)."""
        job = job_or_404(job_id)

        def events():
            for line in ctx.jobs.follow(job):
                yield f"data: {line.rstrip()}\n\n"
            yield f"event: end\ndata: exit code {job.process.poll()}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return api
