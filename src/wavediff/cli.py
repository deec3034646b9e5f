"""What every entry point shares: one-line errors and exit codes."""

from __future__ import annotations

import errno
import functools
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from wavediff.errors import WaveDiffError

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> None:
    """Print ``error: message`` as one line on stderr and exit with ``code``."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(code)


def unknown_choice(config_dir: Path, group: str, option: str) -> str | None:
    """Why ``group=option`` names no file in ``configs/<group>/`` (``None`` when it does, or when
    ``group`` is not a config group)."""
    folder = Path(config_dir) / group
    if not folder.is_dir() or option == "null" or (folder / f"{option}.yaml").is_file():
        return None
    options = sorted(p.stem for p in folder.glob("*.yaml"))
    return f"{group}={option}: no such option; choose one of {', '.join(options)} (files in configs/{group}/)"


def check_choices(config_dir: Path, overrides: Sequence[str]) -> None:
    """Fail with one line when a command-line ``group=option`` (``a,b`` in sweeps) names no config
    file, before Hydra reports it in many lines."""
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
            if reason := unknown_choice(config_dir, key, option.strip()):
                fail(reason, code=2)


def check_overrides(config_dir: Path, config_name: str, argv: Sequence[str]) -> None:
    """Compose the config with the command line's overrides, as Hydra is about to, and fail with
    one line (naming the keys that exist there) where Hydra would print a many-line report.
    Sweeps (``-m``) and flags are left to Hydra."""
    check_choices(config_dir, argv)
    if any(a in ("-m", "--multirun") or a.startswith("--") for a in argv):
        return
    overrides = [a for a in argv if not a.startswith("-")]
    try:
        cfg = compose_config(config_dir, config_name, overrides)
    except Exception as exc:  # Hydra's composition and override errors
        fail(_composition_error(config_dir, config_name, overrides, exc), code=2)
    check_writable(cfg)


def check_writable(cfg: Any) -> None:
    """Fail in one line when ``paths.output_root`` cannot be created or written (before Hydra
    tries to make the run directory there)."""
    import os

    from omegaconf import OmegaConf

    root = OmegaConf.select(cfg, "paths.output_root", throw_on_resolution_failure=False)
    if not isinstance(root, str):
        return
    path = Path(root).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"paths.output_root={root}: cannot create it ({exc.strerror or exc})")
    if not os.access(path, os.W_OK | os.X_OK):
        fail(f"paths.output_root={root}: not writable")


def compose_config(config_dir: Path, config_name: str, overrides: list[str]) -> Any:
    """``configs/<config_name>.yaml`` with ``overrides``, composed as Hydra would (unresolved),
    leaving Hydra's global state clear for the next caller."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(Path(config_dir).resolve()), version_base="1.3"):
            return compose(config_name=config_name, overrides=overrides)
    finally:
        GlobalHydra.instance().clear()


def _composition_error(config_dir: Path, config_name: str, overrides: list[str], exc: Exception) -> str:
    """Hydra's message in one line; for a key that does not exist, the keys that do."""
    import re

    from omegaconf import DictConfig, OmegaConf

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
        cfg = compose_config(config_dir, config_name, rest)
    except Exception:
        return message
    parts = key.split(".")
    for depth in range(len(parts) - 1, 0, -1):
        node = OmegaConf.select(cfg, ".".join(parts[:depth]))
        if isinstance(node, DictConfig):
            keys = ", ".join(k for k in node.keys() if not str(k).startswith("_"))
            return f"{key}: no such key; {'.'.join(parts[:depth])} has {keys} (a new key needs +{key}=...)"
    return message


def _in_multirun() -> bool:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    try:
        return HydraConfig.get().mode == RunMode.MULTIRUN
    except ValueError:
        return False


def one_line_errors(fn: F) -> F:
    """Turn input errors, disk errors and Ctrl-C into one line and a non-zero exit.

    In a Hydra multirun any error ends only its own job (its registry row says ``failed``; a
    bug's traceback goes to the job's log file) and the sweep goes on. Outside sweeps, bugs keep
    their traceback: they need one.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except WaveDiffError as exc:
            if _in_multirun():
                print(f"error: {exc}", file=sys.stderr, flush=True)
                return None
            fail(str(exc))
        except OSError as exc:  # disk full, read-only or missing folders: input, not a bug
            reason = "disk full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
            message = f"{reason}: {exc.filename}" if exc.filename else reason
            if _in_multirun():
                print(f"error: {message}", file=sys.stderr, flush=True)
                return None
            fail(message)
        except Exception as exc:
            if not _in_multirun():
                raise
            logging.getLogger(fn.__module__).exception("job failed")
            print(f"error: job failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            return None
        except KeyboardInterrupt:
            fail("interrupted", code=130)
        except SystemExit as exc:
            # Lightning turns SIGTERM into a SystemExit subclass with no code (exit status 0).
            if type(exc).__name__ == "SIGTERMException":
                fail("terminated (SIGTERM)", code=143)
            raise

    return wrapper  # type: ignore[return-value]
