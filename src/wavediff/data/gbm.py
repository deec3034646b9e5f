"""Geometric Brownian motion: iid Gaussian log returns (annualised ``mu``, ``sigma``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wavediff.data.simulated import SimulatedSource
from wavediff.errors import ConfigError


@dataclass(frozen=True)
class GBMParams:
    mu: float = field(default=0.05, metadata={"help": "annual drift of the price"})
    sigma: float = field(default=0.2, metadata={"help": "annual volatility"})

    def validate(self) -> None:
        if self.sigma < 0:
            raise ConfigError(f"GBM sigma must be >= 0, got {self.sigma}")

    def log_return_mean(self, dt: float) -> float:
        return (self.mu - 0.5 * self.sigma**2) * dt

    def log_return_var(self, dt: float) -> float:
        return self.sigma**2 * dt


def simulate_gbm_log_returns(params: GBMParams, n_steps: int, dt: float, rng: np.random.Generator) -> np.ndarray:
    """``(n_steps,)`` iid log returns ``N((mu - sigma^2/2) dt, sigma^2 dt)``."""
    params.validate()
    return params.log_return_mean(dt) + params.sigma * np.sqrt(dt) * rng.standard_normal(n_steps)


class GBMSource(SimulatedSource):
    """GBM bars. Args: mu, sigma (annual) and the common arguments of :class:`SimulatedSource`."""

    name = "gbm"
    params_type = GBMParams

    def simulate(self, n_steps: int, dt: float, rng: np.random.Generator) -> np.ndarray:
        return simulate_gbm_log_returns(self.params, n_steps, dt, rng)
