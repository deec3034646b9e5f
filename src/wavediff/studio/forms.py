"""What the Studio's forms offer and accept: config-group options, simulator parameters, and
override validation against the composed training config (before any process starts)."""

from __future__ import annotations

import re
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from wavediff.data.simulators import SIMULATORS, STYLIZED_FACTS
from wavediff.config.compose import compose_config, unknown_choice
from wavediff.errors import ConfigError

FORM_GROUPS = ("data", "transform", "model", "model/net", "model/noise", "sampler", "trainer")
# The Studio decides where runs write; a user override must not move them.
RESERVED_PREFIXES = ("hydra", "paths", "registry", "resume", "ckpt_path", "hparams_search", "+", "~")
OVERRIDE = re.compile(r"^[A-Za-z_][\w.\-/]*=[^\n\r\x00]*$")
# Hydra's instantiation keys: an override that sets one names the code a training run executes.
INSTANTIATION_KEYS = ("_target_", "_partial_", "_args_", "_recursive_", "_convert_")
# ${resolver:...} (oc.env, oc.decode, custom resolvers) reaches outside the config; ${a.b} does not.
RESOLVER = re.compile(r"\$\{\s*[\w.\-]+\s*:")


class StudioInputError(ValueError):
    """A form value the Studio refuses (HTTP 422), with the reason in one line."""


def config_options(config_dir: Path) -> dict[str, list[str]]:
    """``{group: [option, ...]}`` read from the config directory, so new files appear by themselves."""
    return {g: sorted(p.stem for p in (config_dir / g).glob("*.yaml")) for g in FORM_GROUPS}


def simulator_fields() -> dict[str, dict[str, Any]]:
    """Each simulator's parameters with defaults and help, and its stylized facts."""
    out = {}
    for name, cls in SIMULATORS.items():
        params = [{"name": f.name, "default": f.default if f.default is not MISSING else None,
                   "help": f.metadata.get("help", "")} for f in fields(cls.params_type)]
        out[name] = {"params": params, "facts": STYLIZED_FACTS[name]}
    return out


def check_overrides(overrides: list[str], config_dir: Path | None = None) -> list[str]:
    """Values only: syntax, reserved keys, no instantiation keys or resolvers anywhere in the
    override, and config-group choices that are files in ``config_dir``. Returns the overrides."""
    for item in overrides:
        if not isinstance(item, str) or not OVERRIDE.match(item):
            raise StudioInputError(f"{item!r}: expected key=value")
        key, value = item.split("=", 1)
        if key.startswith(RESERVED_PREFIXES):
            raise StudioInputError(f"{key}: set by the Studio, not by a form")
        if found := next((k for k in INSTANTIATION_KEYS if k in item), None):
            raise StudioInputError(f"{key}: {found} cannot be set from the Studio (it would choose the code "
                                   "a run executes); overrides set values only")
        if RESOLVER.search(value):
            raise StudioInputError(f"{key}: resolvers such as ${{oc.env:...}} are not allowed; give a plain value")
        if config_dir is not None and (reason := unknown_choice(config_dir, key, value)):
            raise StudioInputError(reason)
    return overrides


def validate_train_overrides(overrides: list[str], config_dir: Path) -> dict[str, Any]:
    """Compose ``train.yaml`` with ``overrides`` and run the training config checks.

    Returns the resolved config; raises :class:`StudioInputError` with Hydra's or our reason.
    """
    from omegaconf import OmegaConf

    from wavediff.config.checks import check_train_config

    check_overrides(overrides, config_dir)
    try:
        cfg = compose_config("train", overrides, config_dir)
        check_train_config(cfg)
        return OmegaConf.to_container(cfg, resolve=False)
    except ConfigError as exc:
        raise StudioInputError(str(exc)) from None
    except Exception as exc:  # Hydra's composition errors: keep their first line
        raise StudioInputError(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__) from None
