"""Ground-floor helpers every layer may use: stable config hashes and the one atomic write."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
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

