"""Ctrl-C that is never lost: the request is remembered, and long loops check it.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be when SIGINT arrives.
When that is inside a finaliser or a weak-reference callback (torch and Lightning run many),
the exception is "ignored" (printed as an unraisable traceback) and training would go on. So
the command's SIGINT handler (:func:`handle_sigint`) records the request before raising, and
the training loop (a Lightning callback) and the samplers' network calls call :func:`check`,
which raises again at a safe point. Ground floor: any layer may import it.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_requested = threading.Event()


def requested() -> bool:
    """Whether Ctrl-C was pressed since the command started."""
    return _requested.is_set()


def check() -> None:
    """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed (and perhaps swallowed where it landed)."""
    if _requested.is_set():
        raise KeyboardInterrupt


def _on_sigint(signum: int, frame: Any) -> None:
    _requested.set()
    raise KeyboardInterrupt


def _quiet_unraisable(previous: Any) -> Any:
    def hook(unraisable: Any) -> None:
        if unraisable.exc_type is KeyboardInterrupt:  # remembered; check() raises it again
            return
        previous(unraisable)
    return hook


@contextmanager
def handle_sigint() -> Iterator[None]:
    """Within the block, Ctrl-C raises ``KeyboardInterrupt`` and is remembered for :func:`check`.

    Only in the main thread, and never where SIGINT is ignored (a job started with ``nohup`` or
    ``&`` is meant to survive the terminal's Ctrl-C). The previous handler comes back afterwards.
    """
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        yield
        return
    _requested.clear()
    previous, previous_hook = signal.signal(signal.SIGINT, _on_sigint), sys.unraisablehook
    sys.unraisablehook = _quiet_unraisable(previous_hook)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = previous_hook
        _requested.clear()
