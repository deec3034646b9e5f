"""Stops training at the next batch after a Ctrl-C that landed where Python could not raise it
(see :mod:`wavediff.interrupts`); Lightning then shuts down as for any Ctrl-C."""

from __future__ import annotations

from typing import Any

import lightning as L

from wavediff import interrupts


class InterruptCallback(L.Callback):
    def on_train_batch_end(self, *args: Any, **kwargs: Any) -> None:
        interrupts.check()

    def on_validation_batch_end(self, *args: Any, **kwargs: Any) -> None:
        interrupts.check()
