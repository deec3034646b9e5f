"""Simulators against known answers on long series."""

import numpy as np
import pytest

from wavediff.data.bates import BatesParams, simulate_bates_log_returns
from wavediff.data.garch import GARCHParams, simulate_garch_log_returns
from wavediff.data.gbm import GBMParams, simulate_gbm_log_returns
from wavediff.data.heston import HestonParams, simulate_heston
from wavediff.data.simulated import MINUTES_PER_YEAR
from wavediff.data.simulators import SIMULATORS
from wavediff.errors import ConfigError

DT = 1 / MINUTES_PER_YEAR


def excess_kurtosis(x: np.ndarray) -> float:
    c = x - x.mean()
    return float((c**4).mean() / (c**2).mean() ** 2 - 3)


def acf(x: np.ndarray, lag: int) -> float:
    c = x - x.mean()
    return float((c[lag:] * c[:-lag]).mean() / c.var())


def test_gbm_mean_and_variance():
    p = GBMParams(mu=0.1, sigma=0.3)
    n = 1_000_000
    r = simulate_gbm_log_returns(p, n, DT, np.random.default_rng(0))
    assert abs(r.mean() - p.log_return_mean(DT)) < 4 * np.sqrt(p.log_return_var(DT) / n)
    assert r.var() == pytest.approx(p.log_return_var(DT), rel=0.01)  # se of a variance: sqrt(2/n)
    assert abs(excess_kurtosis(r)) < 0.05


def test_heston_long_run_variance_and_leverage():
    p = HestonParams()
    n = 1_000_000
    returns, variance = simulate_heston(p, n, DT, np.random.default_rng(1))
    # Mean of a mean-reverting process over time T: se ~ sd(v) sqrt(2 / (kappa T)).
    se = np.sqrt(p.theta * p.xi**2 / (2 * p.kappa)) * np.sqrt(2 / (p.kappa * n * DT))
    assert abs(variance.mean() - p.theta) < 4 * se
    assert abs(returns.var() / DT - p.theta) < 4 * se + 0.01 * p.theta
    # Variance moves against returns when rho < 0 (leverage), by about rho.
    assert np.corrcoef(returns[:-1], np.diff(variance))[0, 1] == pytest.approx(p.rho, abs=0.05)
    assert acf(np.abs(returns), 10) > 0.05  # volatility clustering
    assert excess_kurtosis(returns) > 0.5


def test_heston_rho_positive_flips_leverage():
    returns, variance = simulate_heston(HestonParams(rho=0.5), 200_000, DT, np.random.default_rng(2))
    assert np.corrcoef(returns[:-1], np.diff(variance))[0, 1] > 0.4


def test_garch_unconditional_variance_clustering_and_tails():
    p = GARCHParams()
    r = simulate_garch_log_returns(p, 1_000_000, DT, np.random.default_rng(3))
    assert r.var() == pytest.approx(p.unconditional_variance, rel=0.05)
    assert acf(r**2, 1) > 0.05 and acf(r**2, 5) > 0.03
    assert abs(acf(r, 1)) < 0.01  # returns themselves are uncorrelated
    assert excess_kurtosis(r) > 1.0


def test_bates_adds_jumps_to_heston():
    p = BatesParams()
    r, _ = simulate_bates_log_returns(p, 1_000_000, DT, np.random.default_rng(4))
    jump_var = p.lam * DT * (p.jump_std**2 + p.jump_mean**2)
    assert r.var() == pytest.approx(p.theta * DT + jump_var, rel=0.05)
    assert excess_kurtosis(r) > 10


@pytest.mark.parametrize("name", sorted(SIMULATORS))
def test_every_simulator_is_reproducible_and_makes_consistent_bars(name):
    cls = SIMULATORS[name]
    a, b = cls(days=1, seed=7).load(), cls(days=1, seed=7).load()
    assert a.source == name and a.params["seed"] == 7
    assert np.array_equal(a.bars["close"], b.bars["close"])
    assert not np.array_equal(a.bars["close"], cls(days=1, seed=8).load().bars["close"])
    bars = a.bars
    assets = getattr(cls(days=1), "asset_names", [None])  # a basket: one series per asset, same timestamps
    assert len(bars) == 1440 * len(assets)
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()


def test_daily_bars():
    bars = SIMULATORS["gbm"](days=365, bar_minutes=1440).load().bars
    assert len(bars) == 365 and (bars["timestamp"].diff().dropna().dt.days == 1).all()


@pytest.mark.parametrize("name,bad", [("garch", {"alpha": 0.5, "beta": 0.6}), ("garch", {"nu": 2.0}),
                                      ("heston", {"rho": -1.5}), ("mjd", {"sigma": -1.0}),
                                      ("gbm", {"kappa": 1.0})])
def test_bad_parameters_are_config_errors(name, bad):
    with pytest.raises(ConfigError):
        SIMULATORS[name](days=1, **bad)
