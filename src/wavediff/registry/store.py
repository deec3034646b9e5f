"""The one engine/session helper for the registry, and the run-lifecycle helpers built on it."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from wavediff.errors import WaveDiffError
from wavediff.utils import config_hash
from wavediff.registry.migrate import upgrade
from wavediff.registry.tables import DataRun, GenerationRun, Metric, SweepRun, TrainRun, utcnow

RunT = TypeVar("RunT", DataRun, TrainRun, GenerationRun, SweepRun)

DB_NAME = "wavediff.db"  # the SQLite file under an outputs root


def default_url(output_root: str | os.PathLike = "outputs") -> str:
    """The default registry: ``sqlite:///<output_root>/wavediff.db``."""
    return f"sqlite:///{Path(output_root) / DB_NAME}"


class RegistryError(WaveDiffError):
    """The registry database cannot be opened or written."""


def git_commit(cwd: str | os.PathLike | None = None) -> str | None:
    """Current commit of the working tree (``+dirty`` when it has changes), or ``None``."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                             timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # busy_timeout first, so that switching to WAL itself waits for other writers.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # Let SQLAlchemy's "begin" event issue the BEGIN (pysqlite would defer it to the first write).
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at the start of the transaction: a read-then-write transaction can
    # then never fail half-way with "database is locked" when another writer got in between.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _is_locked(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()


WRITE_ATTEMPTS = 5
# Columns holding file or directory paths: stored relative to the artifacts root when inside it.
PATH_COLUMNS = ("results_path", "output_path", "checkpoint_path", "png_path", "paths_png_path", "npz_path", "run_dir",
                "tensorboard_dir")


def normalize_url(url: str) -> str:
    """Make relative SQLite paths absolute (runs may change directory) and create the folder."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return parsed.set(database=str(path)).render_as_string(hide_password=False)
    return url


class Registry:
    """Run registry on any SQLAlchemy URL (SQLite by default; WAL + busy timeout for SQLite).

    Every write is a short transaction through :meth:`session`. Errors opening or writing the
    database become :class:`RegistryError` with one line naming the URL.

    Paths of artifacts are stored relative to ``artifacts_root`` (default: the SQLite file's
    folder, i.e. ``outputs/``), so an outputs folder can move with its registry; read them back
    with :meth:`resolve_path`.
    """

    def __init__(self, url: str, artifacts_root: str | os.PathLike | None = None) -> None:
        try:
            self.url = normalize_url(url)
            self.engine: Engine = create_engine(self.url)
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _sqlite_pragmas)
                event.listen(self.engine, "begin", _sqlite_begin_immediate)
            upgrade(self.engine)
        except ImportError as exc:  # e.g. a postgresql:// URL without its driver
            raise RegistryError(f"registry {url}: no database driver ({exc}); install it, e.g. "
                                "pip install psycopg") from exc
        except (SQLAlchemyError, OSError, ValueError) as exc:
            raise RegistryError(f"registry {url}: cannot open ({_one_line(exc)})") from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if artifacts_root is None:
            database = make_url(self.url).database if self.engine.dialect.name == "sqlite" else None
            artifacts_root = Path(database).parent if database and database != ":memory:" else Path("outputs")
        self.artifacts_root = Path(artifacts_root).expanduser().resolve()

    @classmethod
    def from_config(cls, cfg: Any) -> "Registry":
        """The registry a composed config names: ``registry.url`` and ``registry.artifacts_root``."""
        node = cfg.get("registry") or {}
        return cls(node.get("url") or default_url(), node.get("artifacts_root"))

    def stored_path(self, value: str | os.PathLike) -> str:
        """``value`` relative to the artifacts root if it lies inside it, else absolute."""
        path = Path(value).expanduser().resolve()
        try:
            return str(path.relative_to(self.artifacts_root))
        except ValueError:
            return str(path)

    def resolve_path(self, value: str | os.PathLike | None) -> Path | None:
        """Absolute path of a stored path column (``None`` stays ``None``)."""
        if not isinstance(value, (str, os.PathLike)) or value == "":
            return None  # missing (None, or NaN in a data frame)
        path = Path(value)
        return path if path.is_absolute() else self.artifacts_root / path

    def _with_stored_paths(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {k: (self.stored_path(v) if k in PATH_COLUMNS and v else v) for k, v in fields.items()}

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: commits on success, rolls back and raises ``RegistryError`` on DB errors."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            raise RegistryError(f"registry {self.url}: {_one_line(exc)}") from exc
        finally:
            session.close()

    def _write(self, fn: Any) -> Any:
        """Run ``fn(session)`` in its own transaction, retrying a bounded number of times if the
        database stays locked longer than the busy timeout."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with self.session() as s:
                    return fn(s)
            except RegistryError as exc:
                if attempt == WRITE_ATTEMPTS - 1 or not _is_locked(exc.__cause__):
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    # -- generic row helpers -------------------------------------------------------------------
    def create(self, table: type[RunT], **fields: Any) -> int:
        """Insert a row (status ``running`` unless given) with host and pid; returns its id."""
        fields.setdefault("host", socket.gethostname())
        fields.setdefault("pid", os.getpid())
        fields.setdefault("heartbeat_at", utcnow())
        if "config" in fields and fields["config"] is not None and "config_hash" not in fields:
            fields["config_hash"] = config_hash(fields["config"])
        fields = self._with_stored_paths(fields)

        def insert(s: Session) -> int:
            row = table(**fields)
            s.add(row)
            s.flush()
            return row.id

        return self._write(insert)

    def update(self, table: type[RunT], row_id: int, **fields: Any) -> None:
        fields = self._with_stored_paths(fields)

        def change(s: Session) -> None:
            row = s.get(table, row_id)
            if row is None:
                raise RegistryError(f"registry: no {table.__tablename__} row with id {row_id}")
            for key, value in fields.items():
                setattr(row, key, value)

        self._write(change)

    def finish(self, table: type[RunT], row_id: int, status: str = "finished",
               error: str | None = None, **fields: Any) -> None:
        self.update(table, row_id, status=status, error=error, finished_at=utcnow(), **fields)

    def get(self, table: type[RunT], row_id: int) -> RunT | None:
        with self.session() as s:
            return s.get(table, row_id)

    def all(self, table: type[RunT]) -> list[RunT]:
        with self.session() as s:
            return list(s.scalars(select(table).order_by(table.id)))

    def find_by_path(self, table: type[RunT], column: str, path: str | os.PathLike) -> RunT | None:
        """The newest row of ``table`` whose path ``column`` names the file ``path``."""
        with self.session() as s:
            attr = getattr(table, column)
            return s.scalars(select(table).where(attr == self.stored_path(path)).order_by(table.id.desc())).first()

    def record_metrics(self, metrics: Mapping[str, Mapping[str, float]], source: str,
                       train_run_id: int | None = None, generation_run_id: int | None = None,
                       epoch: int | None = None) -> int:
        """Insert one ``metrics`` row per entry of ``{name: {"value", "floor", "ratio"}}`` in one
        transaction (``floor``/``ratio`` optional; NaN and infinities stored as NULL); returns the count."""

        def number(x: Any) -> float | None:
            return float(x) if x is not None and math.isfinite(float(x)) else None

        rows = [Metric(train_run_id=train_run_id, generation_run_id=generation_run_id, source=source,
                       name=name, epoch=epoch, value=number(m.get("value")), floor=number(m.get("floor")),
                       ratio=number(m.get("ratio")))
                for name, m in metrics.items()]

        def insert(s: Session) -> int:
            s.add_all(rows)
            return len(rows)

        return self._write(insert)

    @contextmanager
    def track(self, table: type[RunT], resume_id: int | None = None, **fields: Any) -> Iterator[int]:
        """Create a ``running`` row and always leave it ``finished``, ``failed`` or ``interrupted``.

        Ctrl-C (``KeyboardInterrupt``, or the ``SystemExit`` Lightning raises after handling it or
        a SIGTERM) marks the row ``interrupted``; any other exception marks it ``failed`` with its
        type and message. The exception is re-raised. With ``resume_id`` the existing row is set
        back to ``running`` (this process) instead of creating one.
        """
        if resume_id is None:
            row_id = self.create(table, **fields)
        else:
            row_id = resume_id
            self.update(table, row_id, status="running", finished_at=None, error=None,
                        host=socket.gethostname(), pid=os.getpid(), heartbeat_at=utcnow())
        try:
            yield row_id
        except (KeyboardInterrupt, SystemExit) as exc:
            self.finish(table, row_id, status="interrupted", error=f"{type(exc).__name__}")
            raise
        except BaseException as exc:
            self.finish(table, row_id, status="failed", error=f"{type(exc).__name__}: {exc}")
            raise
        else:
            if self.get(table, row_id).status == "running":
                self.finish(table, row_id)


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
