"""Classical baselines on data with a known answer, and their refusals."""

from __future__ import annotations

import numpy as np
import pytest

from wavediff.baselines import BASELINES, build_baselines, training_series
from wavediff.baselines.bootstrap import StationaryBootstrap
from wavediff.baselines.garch import GARCHBaseline
from wavediff.baselines.simulator import SimulatorBaseline
from wavediff.data.garch import GARCHParams, simulate_garch_log_returns
from wavediff.errors import ConfigError, DataError

pytest.importorskip("arch")

TRUE = GARCHParams(mu=0.0, omega=2e-8, alpha=0.08, beta=0.9, nu=6.0)  # minute-scale: std ~ 1e-3


@pytest.fixture(scope="module")
def garch_returns() -> np.ndarray:
    return simulate_garch_log_returns(TRUE, 20_000, 1.0, np.random.default_rng(0))


def test_garch_t_recovers_the_parameters_of_a_simulated_garch_t(garch_returns):
    fitted = GARCHBaseline().fit([garch_returns])
    p = fitted.describe()
    assert p["alpha"] == pytest.approx(TRUE.alpha, abs=0.02)
    assert p["beta"] == pytest.approx(TRUE.beta, abs=0.03)
    assert p["nu"] == pytest.approx(TRUE.nu, abs=1.5)
    # omega is fitted on returns divided by their std: back in market units it is the truth
    assert p["omega"] * p["scale"] ** 2 == pytest.approx(TRUE.omega, rel=0.5)
    windows = fitted.sample(512, 256, np.random.default_rng(1))
    assert windows.shape == (512, 256) and np.isfinite(windows).all()
    assert windows.std() == pytest.approx(garch_returns.std(), rel=0.15)
    # volatility clusters: |r| is autocorrelated within the generated windows
    a = np.abs(windows - windows.mean())
    lag1 = np.mean([np.corrcoef(w[:-1], w[1:])[0, 1] for w in a])
    assert lag1 > 0.05


def test_gjr_finds_no_leverage_where_there_is_none(garch_returns):
    p = GARCHBaseline(leverage=True).fit([garch_returns]).describe()
    assert abs(p["gamma"]) < 0.04 and p["alpha"] == pytest.approx(TRUE.alpha, abs=0.03)
    assert BASELINES["gjr_t"](None).name == "gjr_t" and BASELINES["garch_t"](None).name == "garch_t"


def test_bootstrap_keeps_the_training_marginal_and_blocks_of_a_quarter_window():
    rng = np.random.default_rng(0)
    train = rng.standard_t(3, 5_000) * 1e-3
    boot = StationaryBootstrap().fit([train[:3000], train[3000:]])
    windows = boot.sample(400, 64, np.random.default_rng(1))
    assert windows.shape == (400, 64)
    assert np.isin(windows, train).all()  # nothing that was not a training return
    # the pooled draws have the training quantiles
    assert np.quantile(windows, [0.01, 0.5, 0.99]) == pytest.approx(np.quantile(train, [0.01, 0.5, 0.99]), rel=0.15)
    # consecutive draws continue a block with probability 1 - 1/16
    position = {v: i for i, v in enumerate(train)}
    index = np.vectorize(position.get)(windows)
    continued = ((index[:, 1:] - index[:, :-1]) % len(train) == 1).mean()
    assert continued == pytest.approx(1 - 1 / 16, abs=0.02)


def test_the_simulator_baseline_sits_at_the_noise_floor():
    from wavediff.data.datamodule import WaveletDataModule
    from wavediff.data.mjd import MJDSource
    from wavediff.metrics.report import compare_to_real

    dm = WaveletDataModule(MJDSource(days=12, lam=2000.0, jump_mean=-0.001, jump_std=0.003), window_size=64,
                           stride=32, transform={"num_scales": 8, "tails": None})
    dm.setup()
    held_out = np.concatenate([dm.windows["val"].numpy(), dm.windows["test"].numpy()])
    pool = dm.windows["train"].numpy()
    sim = SimulatorBaseline(dm.source).fit(training_series(dm))
    report = compare_to_real(sim.sample(64, 64, np.random.default_rng(3)), held_out, pool, draws=5, max_lag=10)
    ratios = {k: m["ratio"] for k, m in report["metrics"].items()}
    assert ratios["ks"] < 2.5 and ratios["w1_over_std"] < 2.5, ratios


def test_a_baseline_never_sees_val_or_test(tmp_path):
    """Two CSVs that differ only after the training part give the same fit."""
    import pandas as pd

    from wavediff.data.datamodule import WaveletDataModule

    rng = np.random.default_rng(0)
    returns = simulate_garch_log_returns(TRUE, 3_000, 1.0, rng)
    poisoned = returns.copy()
    poisoned[2_300:] *= 50  # the gap, val and test (training is the first 2,297 returns) from another planet
    fits = []
    for name, r in (("clean", returns), ("poisoned", poisoned)):
        prices = 100 * np.exp(np.concatenate([[0.0], np.cumsum(r)]))
        frame = pd.DataFrame({"timestamp": pd.date_range("2020-01-01", periods=len(prices), freq="min"),
                              "close": prices})
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        dm = WaveletDataModule.from_csv(str(tmp_path / f"{name}.csv"), window_size=64, stride=32,
                                        transform={"num_scales": 8, "tails": None})
        dm.setup()
        fits.append(GARCHBaseline().fit(training_series(dm)).describe())
    assert fits[0] == fits[1]


def test_bad_baselines_are_one_line():
    with pytest.raises(ConfigError, match="unknown garch; choose from garch_t, gjr_t, bootstrap, simulator"):
        build_baselines(["garch"], None)
    with pytest.raises(DataError, match="garch_t: the training returns are constant"):
        GARCHBaseline().fit([np.zeros(500)])
    with pytest.raises(DataError, match="garch_t: 50 training returns; it needs at least 100"):
        GARCHBaseline().fit([np.ones(50)])
    with pytest.raises(DataError, match="simulator: data source csv is not a simulator"):
        SimulatorBaseline(type("CSVSource", (), {"name": "csv"})())
