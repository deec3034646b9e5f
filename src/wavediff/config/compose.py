"""Composing the Hydra configs outside ``@hydra.main``, and the command-line checks that turn
Hydra's many-line reports into one :class:`~wavediff.errors.UsageError` line."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

from wavediff.errors import ConfigError, UsageError


def config_dir() -> Path:
    """The ``configs/`` folder: ``$WAVEDIFF_CONFIG_DIR``, else the one inside the package (in a
    checkout ``src/wavediff/configs`` links to the top-level ``configs/``; a wheel ships a copy)."""
    if env := os.environ.get("WAVEDIFF_CONFIG_DIR"):
        return Path(env).expanduser().resolve()
    from importlib.resources import files

    packaged = Path(str(files("wavediff") / "configs"))
    if not (packaged / "train.yaml").is_file():
        raise ConfigError(f"no configs in {packaged}; reinstall WaveDiff or set WAVEDIFF_CONFIG_DIR")
    return packaged.resolve()


def compose_config(config_name: str, overrides: Sequence[str] = (), directory: Path | None = None,
                   return_hydra_config: bool = False) -> DictConfig:
    """``configs/<config_name>.yaml`` with ``overrides``, composed as Hydra would (unresolved),
    leaving Hydra's global state clear for the next caller."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(Path(directory or config_dir()).resolve()), version_base="1.3"):
            return compose(config_name=config_name, overrides=list(overrides),
                           return_hydra_config=return_hydra_config)
    finally:
        GlobalHydra.instance().clear()


def resolved(cfg: DictConfig) -> dict[str, Any]:
    """The config as plain JSON-able containers, interpolations resolved."""
    try:
        return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)  # type: ignore[return-value]
    except MissingMandatoryValue as exc:
        raise ConfigError(f"{exc.full_key}: missing value; set it, e.g. {exc.full_key}=...") from None
    except OmegaConfBaseException as exc:
        raise ConfigError(f"{exc.full_key}: {' '.join(str(exc).split()[:30])}") from None


def unknown_choice(directory: Path, group: str, option: str) -> str | None:
    """Why ``group=option`` names no file in ``configs/<group>/`` (``None`` when it does, or when
    ``group`` is not a config group)."""
    folder = Path(directory) / group
    if not folder.is_dir() or option == "null" or (folder / f"{option}.yaml").is_file():
        return None
    options = sorted(p.stem for p in folder.glob("*.yaml"))
    return f"{group}={option}: no such option; choose one of {', '.join(options)} (files in configs/{group}/)"


def check_choices(overrides: Sequence[str], directory: Path | None = None) -> None:
    """Raise :class:`UsageError` when a command-line ``group=option`` (``a,b`` in sweeps) names no
    config file, before Hydra reports it in many lines."""
    directory = directory or config_dir()
    for item in overrides:
        if "=" not in item or item.startswith("-"):
            continue
        key, value = item.split("=", 1)
        key = key.lstrip("+~").split("@")[0]
        if key.startswith("hydra"):  # launchers and sweepers also come from plugins
            continue
        if any(ch in value for ch in "()[]{}$"):  # sweep functions, lists, interpolations: Hydra's job
            continue
        for option in value.split(","):
            if reason := unknown_choice(directory, key, option.strip()):
                raise UsageError(reason)


def check_overrides(config_name: str, argv: Sequence[str], directory: Path | None = None) -> DictConfig | None:
    """Compose the config with the command line's overrides, as Hydra is about to, and raise
    :class:`UsageError` with one line (naming the keys that exist) where Hydra would print a
    many-line report. Returns the composed config; sweeps (``-m``) and flags are left to Hydra."""
    directory = directory or config_dir()
    check_choices(argv, directory)
    if any(a in ("-m", "--multirun") or a.startswith("--") for a in argv):
        return None
    overrides = [a for a in argv if not a.startswith("-")]
    try:
        cfg = compose_config(config_name, overrides, directory)
    except Exception as exc:  # Hydra's composition and override errors
        raise UsageError(_composition_error(directory, config_name, overrides, exc)) from None
    check_writable(cfg)
    return cfg


def check_writable(cfg: Any) -> None:
    """Raise :class:`ConfigError` when ``paths.output_root`` cannot be created or written
    (before Hydra tries to make the run directory there)."""
    root = OmegaConf.select(cfg, "paths.output_root", throw_on_resolution_failure=False)
    if not isinstance(root, str):
        return
    path = Path(root).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"paths.output_root={root}: cannot create it ({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"paths.output_root={root}: not writable")


def _composition_error(directory: Path, config_name: str, overrides: list[str], exc: Exception) -> str:
    """Hydra's message in one line; for a key that does not exist, the keys that do."""
    text = str(exc) + (f"\n{exc.__cause__}" if exc.__cause__ is not None else "")
    lines = [ln.strip() for ln in text.splitlines()
             if ln.strip() and not ln.strip().startswith(("full_key", "object_type", "reference_type"))]
    message = " ".join(lines) or type(exc).__name__
    match = re.search(r"Could not override '([^']+)'", message)
    if match is None or "not in struct" not in message:
        return message
    key = match.group(1)
    rest = [o for o in overrides if o.split("=", 1)[0].lstrip("+~") != key]
    try:
        cfg = compose_config(config_name, rest, directory)
    except Exception:
        return message
    parts = key.split(".")
    for depth in range(len(parts) - 1, 0, -1):
        node = OmegaConf.select(cfg, ".".join(parts[:depth]))
        if isinstance(node, DictConfig):
            keys = ", ".join(k for k in node.keys() if not str(k).startswith("_"))
            return f"{key}: no such key; {'.'.join(parts[:depth])} has {keys} (a new key needs +{key}=...)"
    return message
