"""Basket Merton jump diffusion: several assets with correlated diffusions, a common ("systemic")
jump process that hits every asset at once with its own loading, and idiosyncratic jumps.

Asset ``i``'s log return over one bar of ``dt`` years is

    ``r_i = d_i dt + sigma_i sqrt(dt) Z_i + beta_i J_c + J_i``

with ``Z ~ N(0, R)`` (equicorrelation ``R_ij = correlation``), ``J_c`` the sum of a
``Poisson(lam_common dt)`` number of ``N(common_jump_mean, common_jump_std^2)`` jumps shared by
all assets, and ``J_i`` the asset's own MJD jumps (``lam``, ``jump_mean``, ``jump_std``). Volatilities
and loadings run linearly from the first asset's value to the last's, so the assets differ in a
known way. Drifts are compensated so that ``E[S_i(t)] = S_i(0) exp(mu t)``. The closed-form
moments (:meth:`BasketParams.covariance`) are what the tests check the simulation against.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wavediff.data.mjd import merton_jumps
from wavediff.data.ohlcv import bars_from_log_returns
from wavediff.data.simulated import SimulatedSource
from wavediff.data.sources import PriceData
from wavediff.errors import ConfigError


@dataclass(frozen=True)
class BasketParams:
    """Annualised basket-MJD parameters (per-asset values interpolate first -> last asset)."""

    n_assets: int = field(default=3, metadata={"help": "number of assets A (2 or more)"})
    mu: float = field(default=0.05, metadata={"help": "annual drift of every price"})
    sigma: float = field(default=0.2, metadata={"help": "annual diffusion volatility of the first asset"})
    sigma_last: float = field(default=0.3, metadata={"help": "... and of the last asset (linear in between)"})
    correlation: float = field(default=0.5, metadata={"help": "correlation of the diffusions (equicorrelation)"})
    lam_common: float = field(default=1000.0, metadata={"help": "common jumps per year (hit every asset)"})
    common_jump_mean: float = field(default=-0.002, metadata={"help": "mean of the common log jump size"})
    common_jump_std: float = field(default=0.003, metadata={"help": "std of the common log jump size"})
    loading: float = field(default=0.5, metadata={"help": "common-jump loading of the first asset"})
    loading_last: float = field(default=1.5, metadata={"help": "... and of the last asset (linear in between)"})
    lam: float = field(default=1000.0, metadata={"help": "idiosyncratic jumps per year, per asset"})
    jump_mean: float = field(default=-0.001, metadata={"help": "mean of idiosyncratic log jump sizes"})
    jump_std: float = field(default=0.003, metadata={"help": "std of idiosyncratic log jump sizes"})

    def __post_init__(self) -> None:
        # the command line hands every parameter over as a float
        if isinstance(self.n_assets, float) and self.n_assets.is_integer():
            object.__setattr__(self, "n_assets", int(self.n_assets))

    def validate(self) -> None:
        if not isinstance(self.n_assets, int) or isinstance(self.n_assets, bool) or self.n_assets < 2:
            raise ConfigError(f"basket n_assets must be an integer >= 2, got {self.n_assets!r}")
        if min(self.sigma, self.sigma_last) < 0 or self.lam < 0 or self.lam_common < 0 \
                or self.jump_std < 0 or self.common_jump_std < 0:
            raise ConfigError(f"basket sigmas, jump rates and jump stds must be >= 0, got {self}")
        low = -1.0 / (self.n_assets - 1)  # an equicorrelation matrix is positive definite above this
        if not low < self.correlation < 1:
            raise ConfigError(f"basket correlation must be in ({low:.3g}, 1) for {self.n_assets} assets, "
                              f"got {self.correlation}")

    @property
    def names(self) -> list[str]:
        return [f"asset{i}" for i in range(self.n_assets)]

    @property
    def sigmas(self) -> np.ndarray:
        """``(A,)`` annual diffusion volatilities."""
        return np.linspace(self.sigma, self.sigma_last, self.n_assets)

    @property
    def loadings(self) -> np.ndarray:
        """``(A,)`` common-jump loadings ``beta_i``."""
        return np.linspace(self.loading, self.loading_last, self.n_assets)

    @property
    def correlation_matrix(self) -> np.ndarray:
        """``(A, A)`` correlation of the diffusion shocks."""
        eye = np.eye(self.n_assets)
        return eye + self.correlation * (1 - eye)

    def drifts(self) -> np.ndarray:
        """``(A,)`` compensated annual log drifts ``d_i``."""
        beta = self.loadings
        common = np.exp(beta * self.common_jump_mean + 0.5 * (beta * self.common_jump_std) ** 2) - 1
        own = np.exp(self.jump_mean + 0.5 * self.jump_std**2) - 1
        return self.mu - 0.5 * self.sigmas**2 - self.lam_common * common - self.lam * own

    def log_return_mean(self, dt: float) -> np.ndarray:
        """``(A,)`` mean of one bar's log return."""
        return (self.drifts() + self.lam_common * self.loadings * self.common_jump_mean
                + self.lam * self.jump_mean) * dt

    def covariance(self, dt: float) -> np.ndarray:
        """``(A, A)`` covariance of one bar's log returns."""
        s = self.sigmas
        common = self.lam_common * dt * (self.common_jump_std**2 + self.common_jump_mean**2)
        own = self.lam * dt * (self.jump_std**2 + self.jump_mean**2)
        return (self.correlation_matrix * np.outer(s, s) * dt + common * np.outer(self.loadings, self.loadings)
                + own * np.eye(self.n_assets))


def simulate_basket(params: BasketParams, n_steps: int, dt: float,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(log returns (n_steps, A), common jump count per bar (n_steps,))``."""
    if n_steps <= 0:
        raise ConfigError(f"n_steps must be positive, got {n_steps}")
    params.validate()
    a = params.n_assets
    shocks = rng.standard_normal((n_steps, a)) @ np.linalg.cholesky(params.correlation_matrix).T
    common, counts = merton_jumps(params.lam_common, params.common_jump_mean, params.common_jump_std,
                                  n_steps, dt, rng)
    own = np.stack([merton_jumps(params.lam, params.jump_mean, params.jump_std, n_steps, dt, rng)[0]
                    for _ in range(a)], axis=1)
    returns = params.drifts() * dt + params.sigmas * np.sqrt(dt) * shocks + common[:, None] * params.loadings + own
    return returns, counts


class BasketSource(SimulatedSource):
    """Aligned bars of ``n_assets`` assets (a ``series`` column names them, same timestamps), from
    :func:`simulate_basket`. Args: see :class:`BasketParams` and :class:`SimulatedSource`."""

    name = "basket"
    params_type = BasketParams

    @property
    def asset_names(self) -> list[str]:
        return self.params.names

    def simulate_path(self, n_steps: int, dt: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(log returns (n_steps, A), common jump count per bar (n_steps,))``."""
        return simulate_basket(self.params, n_steps, dt, rng)

    def load(self) -> PriceData:
        rng = np.random.default_rng(self.seed)
        returns, counts = self.simulate_path(self.n_bars, self.dt, rng)
        start = pd.Timestamp(year=self.year, month=self.month, day=1)
        frames = []
        for i, name in enumerate(self.asset_names):
            bars = bars_from_log_returns(returns[:, i], self.start_price, start, f"{self.bar_minutes}min", rng)
            frames.append(bars.assign(series=name, common_jumps=counts.astype(np.int64)))
        params: dict[str, Any] = {**asdict(self.params), "days": self.days, "bar_minutes": self.bar_minutes,
                                  "dt_years": self.dt, "start_price": self.start_price, "year": self.year,
                                  "month": self.month, "seed": self.seed}
        return PriceData(bars=pd.concat(frames, ignore_index=True), source=self.name, params=params)
