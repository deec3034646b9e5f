"""Generate panel: sample from a finished run with ``wavediff generate``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from wavediff.registry.tables import GenerationRun, TrainRun
from wavediff.studio.context import StudioContext, unprocessable
from wavediff.studio.forms import config_options
from wavediff.studio.jobs import job_env


class GenerateRequest(BaseModel):
    train_run_id: int
    sampler: str = "ancestral"
    steps: int | None = Field(None, ge=1, le=1000)
    churn: float | None = Field(None, ge=0)  # sampler=edm: EDM's stochasticity (sampler.options.churn)
    n: int = Field(8, ge=1, le=256)
    seed: int = 0
    # scenarios "from the last days of the run's data": continue the end of this split
    history: Literal["train", "val", "test"] | None = None
    horizon: int | None = Field(None, ge=1)  # returns generated after the history


def last_json_line(stdout: str) -> dict[str, Any]:
    """The job's hand-off: the last line of its output that is a JSON object (``{}`` if none)."""
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return {}


def router(ctx: StudioContext) -> APIRouter:
    api = APIRouter()
    settings = ctx.settings

    @api.post("/api/generate")
    def generate(request: GenerateRequest) -> dict[str, Any]:
        """Sample from a finished training run with ``wavediff generate``; returns the generation row."""
        run = ctx.registry.get(TrainRun, request.train_run_id)
        if run is None:
            raise unprocessable(f"no train run {request.train_run_id}")
        if run.status != "finished" or not run.checkpoint_path:
            raise unprocessable(f"train run {run.id} is {run.status}; pick a finished run")
        if request.sampler not in config_options(settings.config_dir)["sampler"]:
            raise unprocessable(f"sampler {request.sampler!r}: not one of configs/sampler/")
        if (request.history is None) != (request.horizon is None):
            raise unprocessable("history and horizon go together: the split whose end to continue and the "
                                "number of returns to generate after it")
        stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**6}"
        out = ctx.root / "studio" / "generations" / f"run{run.id}-{stamp}.png"
        args = [sys.executable, "-m", "wavediff", "generate", f"checkpoint={run.id}",
                f"n={request.n}", f"sampler={request.sampler}", f"seed={request.seed}", f"output_path={out}",
                f"paths.output_root={ctx.root}", f"registry.url={settings.registry_url}"]
        if request.steps is not None:
            args.append(f"sampler.steps={request.steps}")
        if request.churn is not None:
            args.append(f"sampler.options.churn={request.churn}")
        if request.history is not None:
            args += [f"history={request.history}", f"horizon={request.horizon}"]
        try:
            proc = subprocess.run(args, capture_output=True, text=True, timeout=settings.generate_timeout_s,
                                  cwd=ctx.root, stdin=subprocess.DEVNULL,
                                  env=job_env(settings.config_dir))
        except subprocess.TimeoutExpired:
            raise HTTPException(504, f"generation took longer than {settings.generate_timeout_s:.0f} s") from None
        handoff = last_json_line(proc.stdout)
        if proc.returncode != 0 or handoff.get("generation_run_id") is None:
            lines = [ln for ln in proc.stderr.strip().splitlines() if ln.startswith("error:")] or \
                proc.stderr.strip().splitlines()[-1:] or ["generate.py failed"]
            raise HTTPException(500, lines[-1])
        return ctx.public(ctx.registry.get(GenerationRun, int(handoff["generation_run_id"])))

    return api
