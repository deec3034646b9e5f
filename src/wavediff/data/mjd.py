"""Merton jump diffusion (MJD): vectorised log-return simulation and its closed-form moments.

Parameters are annualised (``mu``, ``sigma`` per year, ``lam`` jumps per year); one bar lasts
``dt`` years (one minute of a 24/7 market by default). Jump sizes are log-price jumps drawn from
``N(jump_mean, jump_std^2)``. The drift is compensated so that ``E[S_t] = S_0 exp(mu t)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from wavediff.errors import ConfigError

MINUTES_PER_YEAR = 365 * 24 * 60


@dataclass(frozen=True)
class MJDParams:
    """Annualised Merton jump-diffusion parameters."""

    mu: float = 0.05
    sigma: float = 0.2
    lam: float = 0.1
    jump_mean: float = -0.02
    jump_std: float = 0.1

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


def simulate_mjd_log_returns(
    params: MJDParams, n_steps: int, dt: float, rng: np.random.Generator
) -> np.ndarray:
    """Simulate ``n_steps`` log returns of one MJD path. Returns ``(n_steps,)`` float64."""
    if n_steps <= 0:
        raise ConfigError(f"n_steps must be positive, got {n_steps}")
    if params.sigma < 0 or params.lam < 0 or params.jump_std < 0:
        raise ConfigError(f"MJD sigma, lam and jump_std must be >= 0, got {params}")
    drift = (params.mu - 0.5 * params.sigma**2 - params.lam * params.jump_compensator) * dt
    diffusion = params.sigma * np.sqrt(dt) * rng.standard_normal(n_steps)
    n_jumps = rng.poisson(params.lam * dt, n_steps)
    # Sum of k iid normal jumps is N(k m, k s^2): one draw per bar, no loop over jumps.
    jumps = n_jumps * params.jump_mean + np.sqrt(n_jumps) * params.jump_std * rng.standard_normal(n_steps)
    return drift + diffusion + jumps
