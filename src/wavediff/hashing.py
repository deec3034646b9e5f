"""Stable content hashes of JSON-able configs (registry rows, data caches)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def config_hash(config: Any) -> str:
    """SHA-256 hex digest of ``config`` serialised as JSON with sorted keys."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()
