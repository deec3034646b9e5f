"""Schema migrations of the registry (Alembic), applied when a registry is opened."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
FIRST_REVISION = "0001"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@contextmanager
def _quiet_alembic() -> Iterator[None]:
    """Alembic logs its context at INFO on every open; we say once when a migration runs."""
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    alembic_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        alembic_log.setLevel(level)


def current_revision(connection: Connection) -> str | None:
    with _quiet_alembic():
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` in one transaction (concurrent openers wait on it).

    A registry written before migrations existed (tables, no ``alembic_version``) has the first
    schema: it is stamped with it, then upgraded.
    """
    target = head_revision() if revision == "head" else revision
    with engine.begin() as connection:
        current = current_revision(connection)
        if current == target:
            return
        log.info("registry: schema %s -> %s (%s)", current or "new", target, engine.url.render_as_string())
        config = alembic_config(connection)
        with _quiet_alembic():
            if current is None and "train_runs" in inspect(connection).get_table_names():
                command.stamp(config, FIRST_REVISION)
            command.upgrade(config, revision)
