"""Hydra instantiation with errors a user can read in one line."""

from __future__ import annotations

import inspect
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
        if isinstance(cause, TypeError) and "argument" in detail:
            accepted = _parameters(node.get("_target_") if hasattr(node, "get") else None)
            if accepted:
                detail += f" (it takes: {', '.join(accepted)})"
        raise ConfigError(f"{key}: {type(cause).__name__}: {detail}") from exc


def _parameters(target: str | None) -> list[str]:
    """Keyword parameters of the callable a ``_target_`` names (for error messages)."""
    if not target:
        return []
    try:
        fn = hydra.utils.get_method(target)
        return [p.name for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in ("self", "cls")]
    except Exception:  # the message is a courtesy; never fail while reporting another error
        return []
