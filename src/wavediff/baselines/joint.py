"""Classical generators of joint windows ``(n, A, T)`` of several aligned assets.

- ``ccc_garch_t``: constant-conditional-correlation GARCH-t (Bollerslev 1990). A GARCH(1,1)-t per
  asset (:class:`~wavediff.baselines.garch.GARCHBaseline`); the shocks of all assets at one bar are
  tied by a Student-t copula with the training standardised residuals' correlation (rank
  correlation turned into the copula's ``R``) and the median of the fitted degrees of freedom,
  each asset keeping its own fitted Student-t marginal. Each window starts from the conditional
  variances of one random training day, the same day for every asset.
- ``joint_bootstrap``: the stationary block bootstrap on dates: the same blocks of training days
  for every asset, so it keeps whatever dependence the data had, at the price of only ever
  replaying it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from wavediff.baselines.base import Baseline
from wavediff.baselines.bootstrap import block_indices
from wavediff.baselines.garch import GARCHBaseline
from wavediff.errors import DataError


def check_panel(name: str, series: list[np.ndarray], minimum: int) -> np.ndarray:
    """The one ``(A, L)`` training panel of aligned assets, refused in one line otherwise."""
    if len(series) != 1 or np.ndim(series[0]) != 2 or np.shape(series[0])[0] < 2:
        shapes = [np.shape(s) for s in series]
        raise DataError(f"{name} models several aligned assets (data.assets or data=basket); got training "
                        f"series of shapes {shapes}")
    panel = np.asarray(series[0], dtype=np.float64)
    if panel.shape[1] < minimum:
        raise DataError(f"{name}: {panel.shape[1]} aligned training returns; it needs at least {minimum}")
    if not np.all(np.isfinite(panel)):
        raise DataError(f"{name}: training returns contain NaN or infinity")
    return panel


class JointBaseline(Baseline):
    """A baseline of joint windows ``(n, A, T)``: refuses data of one asset per window."""

    def check_data(self, multi_asset: bool) -> None:
        if not multi_asset:
            raise DataError(f"{self.name} models several aligned assets in one window (data.assets, data=basket, "
                            "data=sp500_nasdaq); for one asset use garch_t, gjr_t or bootstrap")


class CCCGarchBaseline(JointBaseline):
    """Constant-conditional-correlation GARCH(1,1)-t with a Student-t copula (see the module)."""

    name = "ccc_garch_t"

    def __init__(self) -> None:
        self.assets: list[GARCHBaseline] = []
        self.copula_correlation = np.eye(1)
        self.copula_nu = math.inf

    def fit(self, series: list[np.ndarray]) -> "CCCGarchBaseline":
        panel = check_panel(self.name, series, minimum=100)
        self.assets = [GARCHBaseline(leverage=False).fit([row]) for row in panel]
        residuals = np.stack([a.residuals for a in self.assets])  # (A, L)
        # Kendall's tau -> the elliptical copula's R (sin(pi tau / 2)): robust to the t marginals
        a = len(self.assets)
        r = np.eye(a)
        for i in range(a):
            for j in range(i + 1, a):
                r[i, j] = r[j, i] = math.sin(math.pi / 2 * stats.kendalltau(residuals[i], residuals[j])[0])
        eigen = np.linalg.eigvalsh(r)
        if eigen.min() <= 1e-8:  # pairwise estimates need not form a correlation matrix
            r = r + (1e-6 - min(eigen.min(), 0)) * np.eye(a)
            r = r / np.sqrt(np.outer(np.diag(r), np.diag(r)))
        self.copula_correlation = r
        self.copula_nu = float(np.median([g.params["nu"] for g in self.assets]))
        return self

    def _shocks(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        """``(n, A, T)`` unit-variance shocks: t copula with ``R`` and ``copula_nu``, then each
        asset's own standardised Student-t quantile."""
        n, steps = shape
        a = len(self.assets)
        z = rng.standard_normal((n, steps, a)) @ np.linalg.cholesky(self.copula_correlation).T
        w = rng.chisquare(self.copula_nu, (n, steps, 1)) / self.copula_nu
        u = stats.t.cdf(z / np.sqrt(w), self.copula_nu)  # (n, T, A) uniforms with t dependence
        out = np.empty((n, a, steps))
        for i, g in enumerate(self.assets):
            nu = g.params["nu"]
            out[:, i] = stats.t.ppf(np.clip(u[..., i], 1e-15, 1 - 1e-15), nu) * math.sqrt((nu - 2) / nu)
        return out

    def sample(self, n: int, window: int, rng: np.random.Generator) -> np.ndarray:
        """``(n, A, window)`` log returns."""
        if not self.assets:
            raise DataError(f"{self.name}: fit() first")
        shocks = self._shocks((n, window), rng)
        days = rng.integers(0, len(self.assets[0].start_variances), n)  # one start day for all assets
        return np.stack([g._simulate(g.start_variances[days], shocks[:, i]) * g.scale
                         for i, g in enumerate(self.assets)], axis=1)

    def describe(self) -> dict[str, Any]:
        return {"assets": [g.describe() for g in self.assets], "copula_nu": self.copula_nu,
                "copula_correlation": self.copula_correlation.tolist()}


class JointBootstrap(JointBaseline):
    """The stationary block bootstrap of training dates (the same blocks for every asset)."""

    name = "joint_bootstrap"

    def __init__(self, mean_block: float | None = None) -> None:
        if mean_block is not None and not mean_block >= 1:
            raise ValueError(f"mean_block must be >= 1, got {mean_block}")
        self.mean_block = mean_block
        self.panel = np.zeros((0, 0))

    def fit(self, series: list[np.ndarray]) -> "JointBootstrap":
        self.panel = check_panel(self.name, series, minimum=2)
        return self

    def sample(self, n: int, window: int, rng: np.random.Generator) -> np.ndarray:
        """``(n, A, window)`` log returns."""
        index = block_indices(n, window, self.panel.shape[1], self.mean_block, rng)  # (n, T)
        return self.panel[:, index].transpose(1, 0, 2)

    def describe(self) -> dict[str, Any]:
        return {"mean_block": self.mean_block, "n_returns": int(self.panel.shape[1])}
