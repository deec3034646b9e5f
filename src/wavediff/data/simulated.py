"""Base class of the simulated price sources: bars, timestamps and bookkeeping shared by all."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from wavediff.data.ohlcv import bars_from_log_returns
from wavediff.data.sources import PriceData
from wavediff.errors import ConfigError

MINUTES_PER_YEAR = 365 * 24 * 60


class SimulatedSource:
    """A simulator of one log-return path, turned into OHLCV bars.

    Subclasses set ``name``, ``params_type`` (a frozen dataclass of model parameters) and
    implement :meth:`simulate`. Model parameters are keyword arguments of the constructor;
    the common ones are:

    Args:
        days: length in days (``days * 1440 / bar_minutes`` bars).
        bar_minutes: minutes per bar, 1 (default) for minute bars, 1440 for daily bars; the bar
            length in years is ``dt = bar_minutes / 525600`` (a 24/7 market, as in the seed).
        start_price: first open price. year, month: first timestamp. seed: RNG seed.
    """

    name: ClassVar[str]
    params_type: ClassVar[type]

    def __init__(self, days: float = 30, bar_minutes: int = 1, start_price: float = 100.0,
                 year: int = 2022, month: int = 1, seed: int = 0, **model_params: Any) -> None:
        known = {f.name for f in fields(self.params_type)}
        unknown = set(model_params) - known
        if unknown:
            raise ConfigError(f"{self.name}: unknown parameters {sorted(unknown)}; known: {sorted(known)}")
        if days <= 0 or bar_minutes <= 0 or start_price <= 0:
            raise ConfigError(f"{self.name}: days, bar_minutes and start_price must be positive")
        self.params = self.params_type(**model_params)
        if hasattr(self.params, "validate"):
            self.params.validate()  # bad parameters fail here, before anything is recorded
        self.days, self.bar_minutes, self.start_price = days, int(bar_minutes), float(start_price)
        self.year, self.month, self.seed = year, month, seed

    @property
    def dt(self) -> float:
        """Bar length in years."""
        return self.bar_minutes / MINUTES_PER_YEAR

    @property
    def n_bars(self) -> int:
        return int(self.days * 24 * 60 / self.bar_minutes)

    def cache_key(self) -> dict[str, Any]:
        """Everything that determines the simulated bars (for the data module's disk cache)."""
        return {"source": f"{type(self).__module__}.{type(self).__qualname__}", **asdict(self.params),
                "days": self.days, "bar_minutes": self.bar_minutes, "start_price": self.start_price,
                "year": self.year, "month": self.month, "seed": self.seed}

    def simulate(self, n_steps: int, dt: float, rng: np.random.Generator) -> np.ndarray:
        """``(n_steps,)`` log returns of one path."""
        raise NotImplementedError

    def simulate_path(self, n_steps: int, dt: float,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
        """``(log returns, jump count per bar or None)``; jump models override it to record jumps."""
        return self.simulate(n_steps, dt, rng), None

    def load(self) -> PriceData:
        rng = np.random.default_rng(self.seed)
        returns, jumps = self.simulate_path(self.n_bars, self.dt, rng)
        start = pd.Timestamp(year=self.year, month=self.month, day=1)
        bars = bars_from_log_returns(returns, self.start_price, start, f"{self.bar_minutes}min", rng)
        if jumps is not None:  # exact jump counts, for model.condition=jumps
            bars["jumps"] = jumps.astype(np.int64)
        params = {**asdict(self.params), "days": self.days, "bar_minutes": self.bar_minutes,
                  "dt_years": self.dt, "start_price": self.start_price, "year": self.year,
                  "month": self.month, "seed": self.seed}
        return PriceData(bars=bars, source=self.name, params=params)
