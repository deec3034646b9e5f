"""Hydra instantiation with errors a user can read in one line."""

from __future__ import annotations

from typing import Any

import hydra
from omegaconf import DictConfig

from wavediff.errors import ConfigError


def instantiate(node: DictConfig | dict, key: str, **kwargs: Any) -> Any:
    """``hydra.utils.instantiate(node, **kwargs)``; our own errors pass through, others become
    :class:`ConfigError` naming the config ``key`` and the cause."""
    try:
        return hydra.utils.instantiate(node, **kwargs)
    except hydra.errors.InstantiationException as exc:
        cause = exc.__cause__ or exc
        if isinstance(cause, Exception) and type(cause).__module__.startswith("wavediff"):
            raise cause from None
        detail = " ".join(str(cause).split()) if cause is not exc else str(exc).splitlines()[0]
        raise ConfigError(f"{key}: {type(cause).__name__}: {detail}") from exc
