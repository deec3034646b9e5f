"""Bates model: Heston stochastic volatility plus Merton log-normal jumps (compensated drift)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from wavediff.data.heston import HestonParams, simulate_heston
from wavediff.data.mjd import MJDParams, merton_jumps
from wavediff.data.simulated import SimulatedSource


@dataclass(frozen=True)
class BatesParams(HestonParams):
    lam: float = field(default=2000.0, metadata={"help": "jump intensity, jumps per year"})
    jump_mean: float = field(default=-0.001, metadata={"help": "mean of log jump sizes"})
    jump_std: float = field(default=0.003, metadata={"help": "std of log jump sizes"})


def simulate_bates_log_returns(params: BatesParams, n_steps: int, dt: float,
                               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(n_steps,)`` log returns (Heston diffusion + Merton jumps, drift compensated by
    ``lam kappa_J``) and the number of jumps in each bar."""
    heston = HestonParams(**{k: v for k, v in asdict(params).items() if k in HestonParams.__dataclass_fields__})
    returns, _ = simulate_heston(heston, n_steps, dt, rng)
    compensator = MJDParams(lam=params.lam, jump_mean=params.jump_mean,
                            jump_std=params.jump_std).jump_compensator
    jumps, counts = merton_jumps(params.lam, params.jump_mean, params.jump_std, n_steps, dt, rng)
    return returns - params.lam * compensator * dt + jumps, counts


class BatesSource(SimulatedSource):
    """Bates bars. Args: the Heston parameters, lam, jump_mean, jump_std (see :class:`BatesParams`)
    and the common arguments of :class:`SimulatedSource`."""

    name = "bates"
    records_jumps = True  # bars carry a ``jumps`` column (model.condition=jumps)
    params_type = BatesParams

    def simulate_path(self, n_steps: int, dt: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return simulate_bates_log_returns(self.params, n_steps, dt, rng)
