"""The entry-point floor: the ``wavediff`` command and its subcommands (``scripts/*.py`` are shims
over them). What they share lives here: one-line errors, exit codes, the JSON hand-off line."""

from __future__ import annotations

import errno
import functools
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from wavediff import interrupts
from wavediff.errors import WaveDiffError

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> None:
    """Print ``error: message`` as one line on stderr and exit with ``code``."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(code)


def add_table_options(parser: Any, out: str, stem: str) -> None:
    """The options every table-writing command shares: --out, --table, --publish, --registry."""
    from pathlib import Path

    parser.add_argument("--out", type=Path, default=Path(out), help=f"where its files and the table go (default {out})")
    parser.add_argument("--table", default=stem, help=f"file stem of the table (default {stem}: {stem}.md, .json)")
    parser.add_argument("--publish", type=Path, default=None, help="also copy the table here (e.g. docs)")
    parser.add_argument("--registry", action="append", default=[], metavar="OVERRIDE",
                        help="registry config override, e.g. registry.url=sqlite:///x.db")


def labelled_checkpoints(flag: str, items: list[str]) -> dict[str, str]:
    """``LABEL=CHECKPOINT`` arguments as a mapping, refused in one line when malformed."""
    from wavediff.errors import ConfigError

    out = {}
    for item in items:
        label, sep, path = item.partition("=")
        if not sep or not label or not path:
            raise ConfigError(f"{flag} {item!r}: expected LABEL=CHECKPOINT")
        out[label] = path
    return out


def report(result: Any, summary: str) -> None:
    """Print a job's human summary, then its hand-off (``result.handoff()``) as one JSON line that
    programs (the Studio, scripts) read instead of the text."""
    import json

    print(summary, flush=True)
    print(json.dumps(result.handoff(), default=str), flush=True)


def _in_multirun() -> bool:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    try:
        return HydraConfig.get().mode == RunMode.MULTIRUN
    except ValueError:
        return False


class Terminated(SystemExit):
    """Raised in the main thread on SIGTERM, so open registry rows are left ``interrupted`` and
    partial files are discarded, as for Ctrl-C (Lightning installs its own handler during fit)."""


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated(143)


def one_line_errors(fn: F | None = None, *, sigterm: bool = True) -> Any:
    """Turn input errors, disk errors, Ctrl-C and SIGTERM into one line and a non-zero exit.

    In a Hydra multirun any error ends only its own job (its registry row says ``failed``; a
    bug's traceback goes to the job's log file) and the sweep goes on. Outside sweeps, bugs keep
    their traceback: they need one. ``sigterm=False`` leaves SIGTERM to the job (training:
    Lightning's handler stops at a step boundary and keeps its checkpoint).
    """
    if fn is None:
        return functools.partial(one_line_errors, sigterm=sigterm)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        main_thread = sigterm and threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
        try:
            with interrupts.handle_sigint():
                return fn(*args, **kwargs)
        except WaveDiffError as exc:
            if _in_multirun():
                print(f"error: {exc}", file=sys.stderr, flush=True)
                return None
            fail(str(exc), code=exc.exit_code)
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
            if isinstance(exc, Terminated) or type(exc).__name__ == "SIGTERMException":
                fail("terminated (SIGTERM)", code=143)
            raise
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, previous)

    return wrapper  # type: ignore[return-value]
