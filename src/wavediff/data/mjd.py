"""Merton jump diffusion (MJD): vectorised log-return simulation and its closed-form moments.

Parameters are annualised (``mu``, ``sigma`` per year, ``lam`` jumps per year); one bar lasts
``dt`` years. Jump sizes are log-price jumps drawn from ``N(jump_mean, jump_std^2)``. The drift
is compensated so that ``E[S_t] = S_0 exp(mu t)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from wavediff.data.simulated import MINUTES_PER_YEAR, SimulatedSource
from wavediff.errors import ConfigError

__all__ = ["MINUTES_PER_YEAR", "MJDParams", "MJDSource", "merton_jumps", "simulate_mjd_log_returns"]


@dataclass(frozen=True)
class MJDParams:
    """Annualised Merton jump-diffusion parameters."""

    mu: float = field(default=0.05, metadata={"help": "annual drift of the price"})
    sigma: float = field(default=0.2, metadata={"help": "annual diffusion volatility"})
    lam: float = field(default=0.1, metadata={"help": "jump intensity, jumps per year"})
    jump_mean: float = field(default=-0.02, metadata={"help": "mean of log jump sizes"})
    jump_std: float = field(default=0.1, metadata={"help": "std of log jump sizes"})

    def validate(self) -> None:
        if self.sigma < 0 or self.lam < 0 or self.jump_std < 0:
            raise ConfigError(f"MJD sigma, lam and jump_std must be >= 0, got {self}")

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @property
    def jump_compensator(self) -> float:
        """``kappa = E[e^J] - 1`` for the drift compensation."""
        return float(np.exp(self.jump_mean + 0.5 * self.jump_std**2) - 1.0)

    def log_return_mean(self, dt: float) -> float:
        """Mean of one bar's log return."""
        drift = self.mu - 0.5 * self.sigma**2 - self.lam * self.jump_compensator
        return drift * dt + self.lam * dt * self.jump_mean

    def log_return_var(self, dt: float) -> float:
        """Variance of one bar's log return."""
        return self.sigma**2 * dt + self.lam * dt * (self.jump_std**2 + self.jump_mean**2)


def merton_jumps(lam: float, jump_mean: float, jump_std: float, n_steps: int, dt: float,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(log jump sum, jump count)`` of each bar, both ``(n_steps,)``: Poisson count, normal sizes."""
    if lam < 0 or jump_std < 0:
        raise ConfigError(f"jump lam and jump_std must be >= 0, got {lam} and {jump_std}")
    n_jumps = rng.poisson(lam * dt, n_steps)
    # Sum of k iid normal jumps is N(k m, k s^2): one draw per bar, no loop over jumps.
    return n_jumps * jump_mean + np.sqrt(n_jumps) * jump_std * rng.standard_normal(n_steps), n_jumps


def simulate_mjd_path(params: MJDParams, n_steps: int, dt: float,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n_steps`` log returns of one MJD path and the number of jumps in each, ``(n_steps,)`` each."""
    if n_steps <= 0:
        raise ConfigError(f"n_steps must be positive, got {n_steps}")
    params.validate()
    drift = (params.mu - 0.5 * params.sigma**2 - params.lam * params.jump_compensator) * dt
    diffusion = params.sigma * np.sqrt(dt) * rng.standard_normal(n_steps)
    jumps, counts = merton_jumps(params.lam, params.jump_mean, params.jump_std, n_steps, dt, rng)
    return drift + diffusion + jumps, counts


def simulate_mjd_log_returns(params: MJDParams, n_steps: int, dt: float, rng: np.random.Generator) -> np.ndarray:
    """Simulate ``n_steps`` log returns of one MJD path. Returns ``(n_steps,)`` float64."""
    return simulate_mjd_path(params, n_steps, dt, rng)[0]


class MJDSource(SimulatedSource):
    """MJD bars. Args: mu, sigma, lam, jump_mean, jump_std (annual; see :class:`MJDParams`) and
    the common arguments of :class:`SimulatedSource`."""

    name = "mjd"
    records_jumps = True  # bars carry a ``jumps`` column (model.condition=jumps)
    params_type = MJDParams

    def simulate_path(self, n_steps: int, dt: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return simulate_mjd_path(self.params, n_steps, dt, rng)
