"""What every Studio panel shares: settings, the registry, the job manager, and row rendering."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import HTTPException

from wavediff.registry.queries import row_dict
from wavediff.config.compose import config_dir
from wavediff.registry.store import PATH_COLUMNS, Registry, default_url
from wavediff.studio.jobs import JobManager


@dataclass
class StudioSettings:
    """Where the Studio reads and writes. ``output_root`` holds runs, the registry and logs;
    ``config_dir`` is the configs the jobs it starts use (default: the installed ones)."""

    output_root: Path = Path("outputs")
    config_dir: Path = field(default_factory=config_dir)
    max_concurrent: int = 1
    generate_timeout_s: float = 900.0
    host: str = "127.0.0.1"  # the address it binds: loopback unless a token is set
    allowed_hosts: tuple[str, ...] = ()  # Host names it answers to besides loopback and ``host``
    token: str | None = None  # required on every request when set (header, cookie or ?token=)

    @property
    def registry_url(self) -> str:
        return default_url(self.output_root)


@dataclass
class StudioContext:
    settings: StudioSettings
    registry: Registry
    jobs: JobManager

    @property
    def root(self) -> Path:
        return self.settings.output_root

    def file_url(self, value: Any) -> str | None:
        """``/files/...`` URL of a registry path, if it lies under the outputs root."""
        path = self.registry.resolve_path(value)
        if path is None:
            return None
        try:
            return "/files/" + path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None

    def public(self, row: Any) -> dict[str, Any]:
        """A registry row for the page: no config, a ``<column>_url`` beside every path."""
        record = row_dict(row)
        record.pop("config", None)
        for column in PATH_COLUMNS:
            if column in record:
                record[f"{column}_url"] = self.file_url(record[column])
        return record


def unprocessable(exc: Exception | str) -> HTTPException:
    return HTTPException(status_code=422, detail=str(exc))
