"""The Studio's HTTP API (FastAPI, docs at ``/docs``) and the page that uses it.

Everything it does goes through what already exists: simulators + ``export_prices`` for data,
``python -m wavediff train`` and ``generate`` subprocesses (the installed entry points) for
training and sampling, and the registry for every list. It only reads files under its outputs root. One router per panel
(:mod:`wavediff.studio.panels`); who may call it is decided by :mod:`wavediff.studio.security`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from wavediff.registry.store import Registry
from wavediff.studio.context import StudioContext, StudioSettings
from wavediff.studio.forms import config_options, simulator_fields
from wavediff.studio.jobs import JobManager
from wavediff.studio.panels import data, generate, history, reports, train
from wavediff.studio.security import SecurityMiddleware, allowed_hosts, check_bind

STATIC = Path(__file__).parent / "static"
DEFAULTS = {"data": "mjd", "transform": "complex_cwt", "model": "unet_small", "model/net": "unet2d",
            "model/noise": "range", "sampler": "ancestral", "trainer": "auto"}

__all__ = ["StudioSettings", "create_app"]


def create_app(settings: StudioSettings | None = None) -> FastAPI:
    settings = settings or StudioSettings()
    check_bind(settings.host, settings.token)
    root = settings.output_root = Path(settings.output_root).resolve()
    settings.config_dir = Path(settings.config_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    if not (settings.config_dir / "train.yaml").is_file():
        raise FileNotFoundError(f"no train.yaml in the Studio's config_dir {settings.config_dir}")
    registry = Registry(settings.registry_url, root)
    jobs = JobManager(root, settings.registry_url, settings.config_dir, settings.max_concurrent)
    ctx = StudioContext(settings, registry, jobs)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.stop_all()  # a training started here does not outlive the Studio silently

    app = FastAPI(title="WaveDiff Studio", description=__doc__, lifespan=lifespan)
    app.state.settings, app.state.registry, app.state.jobs = settings, registry, jobs
    app.add_middleware(SecurityMiddleware, hosts=allowed_hosts(settings.host, settings.allowed_hosts),
                       token=settings.token)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/options")
    def options() -> dict[str, Any]:
        """Config-group options (read from configs/), simulators with their parameters."""
        return {"groups": config_options(settings.config_dir), "simulators": simulator_fields(),
                "defaults": DEFAULTS, "max_concurrent": settings.max_concurrent}

    for panel in (data, train, generate, history, reports):
        app.include_router(panel.router(ctx))

    @app.get("/files/{path:path}", include_in_schema=False)
    def files(path: str) -> FileResponse:
        """A file under the outputs root (anything else, e.g. ``../``, is refused)."""
        target = (root / path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise HTTPException(404, "no such file under the outputs root")
        return FileResponse(target)

    return app
