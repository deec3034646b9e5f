"""GARCH(1,1)-t and GJR-GARCH(1,1)-t baselines, fitted with ``arch`` on the training returns.

``r_t = mu + e_t``, ``e_t = sigma_t z_t`` with standardised Student-t ``z_t``,
``sigma_t^2 = omega + (alpha + gamma 1[e_{t-1} < 0]) e_{t-1}^2 + beta sigma_{t-1}^2`` (``gamma = 0``
without leverage). Returns are divided by their training standard deviation before the fit
(``arch`` misfits at minute scale, 1e-4) and multiplied back after sampling. Each sampled window
starts from the fitted conditional variance of a random training day, so a near-integrated fit
does not drift away from the levels the data had.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from wavediff.baselines.base import Baseline, check_series
from wavediff.errors import DataError


class GARCHBaseline(Baseline):
    """GARCH(1,1)-t (``leverage=False``, name ``garch_t``) or GJR-GARCH(1,1)-t (``gjr_t``)."""

    def __init__(self, leverage: bool = False) -> None:
        self.leverage = bool(leverage)
        self.params: dict[str, float] = {}
        self.scale = 1.0
        self.start_variances = np.ones(1)  # fitted conditional variances of the training days (scaled)
        self.residuals = np.zeros(0)  # standardised residuals e_t / sigma_t of the training days

    @property
    def name(self) -> str:  # type: ignore[override]
        return "gjr_t" if self.leverage else "garch_t"

    def fit(self, series: list[np.ndarray]) -> "GARCHBaseline":
        try:
            from arch import arch_model
        except ImportError:
            raise DataError(f"{self.name}: needs the arch package (pip install arch, or make install)") from None
        returns = check_series(self.name, series, minimum=100)
        self.scale = float(returns.std())
        model = arch_model(returns / self.scale, mean="Constant", vol="GARCH", p=1, o=int(self.leverage), q=1,
                           dist="t", rescale=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence is checked below, in one line
            result = model.fit(disp="off", show_warning=False)
        if result.convergence_flag != 0:
            raise DataError(f"{self.name}: the maximum-likelihood fit did not converge "
                            f"({result.optimization_result.message})")
        p = result.params
        self.params = {"mu": float(p["mu"]), "omega": float(p["omega"]), "alpha": float(p["alpha[1]"]),
                       "gamma": float(p["gamma[1]"]) if self.leverage else 0.0, "beta": float(p["beta[1]"]),
                       "nu": float(p["nu"])}
        if self.params["nu"] <= 2:
            raise DataError(f"{self.name}: fitted nu={self.params['nu']:.2f} has no finite variance")
        self.start_variances = np.asarray(result.conditional_volatility, dtype=np.float64) ** 2
        self.residuals = np.asarray(result.std_resid, dtype=np.float64)
        return self

    def _shocks(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Standardised Student-t shocks (unit variance)."""
        nu = self.params["nu"]
        return rng.standard_t(nu, shape) * np.sqrt((nu - 2) / nu)

    def _simulate(self, variance: np.ndarray, shocks: np.ndarray) -> np.ndarray:
        """Scaled returns ``shocks.shape`` ``(..., steps)`` from next-bar conditional variances ``(...)``."""
        p = self.params
        out = np.empty(shocks.shape)
        for t in range(shocks.shape[-1]):  # the recursion is over time only; every path moves at once
            eps = np.sqrt(variance) * shocks[..., t]
            out[..., t] = p["mu"] + eps
            variance = p["omega"] + (p["alpha"] + p["gamma"] * (eps < 0)) * eps**2 + p["beta"] * variance
        return out

    def sample(self, n: int, window: int, rng: np.random.Generator) -> np.ndarray:
        """``(n, window)`` log returns, each from a random training day's conditional variance."""
        if not self.params:
            raise DataError(f"{self.name}: fit() first")
        shocks = self._shocks((n, window), rng)  # drawn before the start variances: the published draws
        return self._simulate(rng.choice(self.start_variances, n), shocks) * self.scale

    def filtered_variance(self, history: np.ndarray) -> np.ndarray:
        """The next-bar conditional variance (scaled units) after each row of ``history`` ``(O, k)``,
        filtered with the training fit from the training days' mean conditional variance."""
        p = self.params
        variance = np.full(len(history), float(self.start_variances.mean()))
        for t in range(history.shape[1]):
            eps = history[:, t] / self.scale - p["mu"]
            variance = p["omega"] + (p["alpha"] + p["gamma"] * (eps < 0)) * eps**2 + p["beta"] * variance
        return variance

    def scenarios(self, history: np.ndarray, horizon: int, m: int, rng: np.random.Generator) -> np.ndarray:
        """``(O, m, horizon)``: the fitted model simulated from the variance its filter reaches at
        each origin (``arch``'s simulation forecast with the training parameters held fixed)."""
        if not self.params:
            raise DataError(f"{self.name}: fit() first")
        variance = np.repeat(self.filtered_variance(np.asarray(history, dtype=np.float64))[:, None], m, axis=1)
        return self._simulate(variance, self._shocks((*variance.shape, horizon), rng)) * self.scale

    def describe(self) -> dict[str, Any]:
        return {**self.params, "scale": self.scale}
