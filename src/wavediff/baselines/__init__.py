"""Classical generators a quant would fit instead of training WaveDiff, evaluated the same way.

Each baseline is fitted on the contiguous training returns of a data module (never its val or
test parts) and draws windows ``(n, T)`` of log returns in market units:

- ``garch_t``: GARCH(1,1) with Student-t shocks; ``gjr_t``: GJR-GARCH(1,1)-t (leverage). Each
  window starts from the fitted conditional variance of a random training day.
- ``bootstrap``: the stationary block bootstrap of the training returns (mean block ``T / 4``).
- ``simulator``: fresh paths from the data's own simulator with its true parameters (simulated
  data only): the perfect generator, which should sit at the noise floor.
- ``ccc_garch_t`` and ``joint_bootstrap``: for several assets in one window ``(n, A, T)``
  (:mod:`wavediff.baselines.joint`): constant-conditional-correlation GARCH-t with a t copula, and
  the bootstrap of whole training dates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from wavediff.baselines.base import Baseline, training_series
from wavediff.baselines.bootstrap import StationaryBootstrap
from wavediff.baselines.garch import GARCHBaseline
from wavediff.baselines.joint import CCCGarchBaseline, JointBootstrap
from wavediff.baselines.simulator import SimulatorBaseline
from wavediff.errors import ConfigError

BASELINES: dict[str, Callable[[Any], Baseline]] = {
    "garch_t": lambda source: GARCHBaseline(leverage=False),
    "gjr_t": lambda source: GARCHBaseline(leverage=True),
    "bootstrap": lambda source: StationaryBootstrap(),
    "simulator": SimulatorBaseline,
    "ccc_garch_t": lambda source: CCCGarchBaseline(),
    "joint_bootstrap": lambda source: JointBootstrap(),
}

__all__ = ["BASELINES", "Baseline", "build_baselines", "check_baseline_names", "training_series"]


def check_baseline_names(names: Sequence[str]) -> None:
    """An unknown name is one line that lists the known ones."""
    unknown = [n for n in names if n not in BASELINES]
    if unknown:
        raise ConfigError(f"baselines={list(names)}: unknown {', '.join(map(str, unknown))}; "
                          f"choose from {', '.join(BASELINES)}")


def build_baselines(names: Sequence[str], source: Any) -> list[Baseline]:
    """Unfitted baselines by name, for data from ``source``."""
    check_baseline_names(names)
    return [BASELINES[n](source) for n in names]
