"""Ground-floor helpers every layer may use: stable config hashes, the one atomic write and the
resumable JSON record of finished work."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def config_hash(config: Any) -> str:
    """SHA-256 hex digest of ``config`` serialised as JSON with sorted keys."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary file beside ``path`` to write; on success it replaces ``path`` in one
    rename, on any error it is removed, so ``path`` is always complete or absent (or unchanged).

    The temporary name keeps ``path``'s suffix (``.png``, ``.npz``), because writers such as
    ``savefig`` and ``np.savez`` choose the format or append an extension by it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` through :func:`atomic_path`; returns ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)



def reuse_or_compute(record: str | os.PathLike, settings: dict[str, Any],
                     compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The JSON ``record`` when it holds every key of ``settings`` with the same value (finished
    work, reused), else ``{**settings, **compute()}``, written to ``record`` last (atomically), so
    an interrupted job leaves no record and resumes by computing again."""
    path = Path(record)
    if path.is_file():
        kept = json.loads(path.read_text())
        if all(kept.get(k) == v for k, v in settings.items()):
            logging.getLogger(__name__).info("reusing %s", path)
            return kept
    done = {**settings, **compute()}
    atomic_write_text(path, json.dumps(done, indent=2))
    return done
