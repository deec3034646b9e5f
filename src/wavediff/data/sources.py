"""Price sources for the data module: each returns OHLCV bars and a description of itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wavediff.data.mjd import MINUTES_PER_YEAR, MJDParams, simulate_mjd_log_returns
from wavediff.data.ohlcv import bars_from_log_returns


@dataclass
class PriceData:
    """Bars of one or more series plus what made them (recorded in the ``data_runs`` table)."""

    bars: pd.DataFrame  # timestamp, open, high, low, close, volume
    source: str
    params: dict[str, Any] = field(default_factory=dict)


class MJDSource:
    """Merton jump diffusion minute bars (annualised parameters, 24/7 market as in the seed).

    Args:
        days: length of the simulation in days (``days * 1440 / bar_minutes`` bars).
        mu, sigma: annual drift and volatility of log prices.
        lam: jumps per year; jump_mean, jump_std: mean and std of log jump sizes.
        bar_minutes: minutes per bar (``dt = bar_minutes / 525600`` years).
        start_price: first open price; year, month: first timestamp; seed: RNG seed.
    """

    def __init__(self, days: float = 30, mu: float = 0.05, sigma: float = 0.2, lam: float = 0.1,
                 jump_mean: float = -0.02, jump_std: float = 0.1, bar_minutes: int = 1,
                 start_price: float = 100.0, year: int = 2022, month: int = 1, seed: int = 0) -> None:
        self.params = MJDParams(mu=mu, sigma=sigma, lam=lam, jump_mean=jump_mean, jump_std=jump_std)
        self.days, self.bar_minutes, self.start_price = days, bar_minutes, start_price
        self.year, self.month, self.seed = year, month, seed

    @property
    def dt(self) -> float:
        """Bar length in years."""
        return self.bar_minutes / MINUTES_PER_YEAR

    @property
    def n_bars(self) -> int:
        return int(self.days * 24 * 60 / self.bar_minutes)

    def load(self) -> PriceData:
        rng = np.random.default_rng(self.seed)
        returns = simulate_mjd_log_returns(self.params, self.n_bars, self.dt, rng)
        bars = bars_from_log_returns(
            returns, self.start_price, pd.Timestamp(year=self.year, month=self.month, day=1),
            f"{self.bar_minutes}min", rng,
        )
        params = {**self.params.as_dict(), "days": self.days, "bar_minutes": self.bar_minutes,
                  "dt_years": self.dt, "start_price": self.start_price, "year": self.year,
                  "month": self.month, "seed": self.seed}
        return PriceData(bars=bars, source="mjd", params=params)
