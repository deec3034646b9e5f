"""Several assets in one window: the basket simulator against closed form, alignment policies,
the stacked representation's exact per-asset round trip, and cross-asset metrics against exact
answers."""

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import multivariate_normal

from wavediff.data.align import align
from wavediff.data.basket import BasketParams, BasketSource, simulate_basket
from wavediff.data.datamodule import WaveletDataModule
from wavediff.data.simulated import MINUTES_PER_YEAR
from wavediff.errors import ConfigError, DataError
from wavediff.metrics.cross_asset import (correlation_matrix, cross_asset_distances, crash_correlation,
                                          lower_tail_dependence, portfolio_returns, spillover)
from wavediff.metrics.report import compare_to_real, flat_metrics
from wavediff.transforms import build_representation

DT = 1 / MINUTES_PER_YEAR


# --- basket simulator ------------------------------------------------------------------------

def test_basket_moments_and_common_jumps_match_closed_form():
    p = BasketParams(n_assets=3, correlation=0.4, lam_common=20_000.0, lam=10_000.0)
    n = 400_000
    returns, common = simulate_basket(p, n, DT, np.random.default_rng(0))
    assert returns.shape == (n, 3) and common.shape == (n,)
    cov = p.covariance(DT)
    sample_cov = np.cov(returns, rowvar=False)
    # variances and covariances within ~4 standard errors (se of a covariance ~ sqrt((s_ii s_jj + s_ij^2) / n),
    # inflated for the jump kurtosis)
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert np.all(np.abs(sample_cov - cov) < 6 * se), (sample_cov, cov)
    mean_se = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(returns.mean(axis=0) - p.log_return_mean(DT)) < 4 * mean_se)
    # common jumps: Poisson counts at the stated rate, shared by all assets
    rate = p.lam_common * DT
    assert common.mean() == pytest.approx(rate, abs=4 * math.sqrt(rate / n))
    implied = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    assert np.corrcoef(returns, rowvar=False) == pytest.approx(implied, abs=0.01)


def test_basket_loadings_order_the_crash_exposure():
    """Bars with a common jump move every asset by its loading times the jump (plus the drift,
    which compensates the jumps)."""
    p = BasketParams(n_assets=3, sigma=0.01, sigma_last=0.01, lam=0.0, lam_common=50_000.0,
                     common_jump_mean=-0.01, common_jump_std=0.0, loading=0.5, loading_last=1.5)
    returns, common = simulate_basket(p, 50_000, DT, np.random.default_rng(1))
    single = common == 1
    assert single.sum() > 100
    moves = returns[single].mean(axis=0)
    assert moves == pytest.approx(p.loadings * p.common_jump_mean + p.drifts() * DT, rel=0.02)


def test_basket_bad_parameters_are_one_line_errors():
    with pytest.raises(ConfigError, match="n_assets"):
        BasketSource(n_assets=1)
    with pytest.raises(ConfigError, match="correlation"):
        BasketSource(n_assets=3, correlation=-0.6)  # below -1/(A-1): not a correlation matrix
    assert BasketParams(n_assets=4.0).n_assets == 4  # the command line passes floats


def test_basket_source_bars_are_aligned_series():
    data = BasketSource(days=1, n_assets=2).load()
    bars = data.bars
    assert sorted(bars["series"].unique()) == ["asset0", "asset1"]
    a, b = (bars[bars["series"] == s] for s in ("asset0", "asset1"))
    assert (a["timestamp"].to_numpy() == b["timestamp"].to_numpy()).all()


# --- alignment ---------------------------------------------------------------------------------

def _bars(rows: dict[str, list[tuple[str, float]]]) -> pd.DataFrame:
    frames = [pd.DataFrame({"timestamp": pd.to_datetime([d for d, _ in v]), "close": [c for _, c in v],
                            "series": k}) for k, v in rows.items()]
    return pd.concat(frames, ignore_index=True)


HAND = _bars({
    "f.csv:AAA": [("2024-01-01", 10.0), ("2024-01-02", 11.0), ("2024-01-03", 12.0), ("2024-01-04", 13.0)],
    "f.csv:BBB": [("2024-01-02", 20.0), ("2024-01-04", 22.0), ("2024-01-05", 23.0)],
})


def test_align_drop_keeps_shared_dates_only():
    panel = align(HAND, ["BBB", "AAA"], "drop")
    assert panel.assets == ["BBB", "AAA"]
    assert panel.close.tolist() == [[20.0, 11.0], [22.0, 13.0]]
    assert panel.cleaning["dates"] == 5 and panel.cleaning["dates_dropped"] == 3


def test_align_ffill_carries_last_prices_and_counts_them():
    panel = align(HAND, ["AAA", "BBB"], "ffill")
    # 01-01: BBB has no earlier price (dropped); 01-03: BBB filled; 01-05: AAA filled
    assert panel.close.tolist() == [[11.0, 20.0], [12.0, 20.0], [13.0, 22.0], [13.0, 23.0]]
    assert panel.cleaning["filled"] == {"AAA": 1, "BBB": 1}


def test_align_errors_name_what_there_is():
    with pytest.raises(DataError, match="'CCC' is not in the data; the data has AAA, BBB"):
        align(HAND, ["AAA", "CCC"])
    apart = _bars({"X": [("2024-01-01", 1.0)], "Y": [("2025-01-01", 2.0)]})
    with pytest.raises(DataError, match="X and Y share no dates"):
        align(apart, None)
    with pytest.raises(DataError, match="single series"):
        align(HAND.drop(columns="series"), ["AAA"])


def test_csv_tickers_become_one_window_with_assets(tmp_path):
    rng = np.random.default_rng(0)
    dates = pd.bdate_range("2020-01-01", periods=400)
    frames = []
    for ticker, vol in (("AAA", 0.01), ("BBB", 0.02)):
        close = 100 * np.exp(np.cumsum(vol * rng.standard_normal(len(dates))))
        frames.append(pd.DataFrame({"date": dates, "ticker": ticker, "close": close}))
    table = pd.concat(frames, ignore_index=True)
    table = table.drop(table.index[(table["ticker"] == "BBB") & (table["date"] == dates[100])])  # one gap
    path = tmp_path / "two.csv"
    table.to_csv(path, index=False)
    dm = WaveletDataModule.from_csv(str(path), assets=["BBB", "AAA"], missing="ffill", window_size=32, stride=8,
                                    transform={"num_scales": 8, "window_scales": False})
    dm.setup()
    assert dm.windows["train"].shape[1:] == (2, 32)
    assert dm.image_shape == (4, 8, 32)
    description = dm.describe()
    assert description["assets"] == ["BBB", "AAA"] and description["alignment"]["filled"] == {"BBB": 1, "AAA": 0}
    # channel order follows data.assets: BBB (vol 0.02) first
    stds = dm.windows["train"].std(dim=(0, 2))
    assert stds[0] > 1.5 * stds[1]
    with pytest.raises(DataError, match="'ZZZ' is not in the data"):
        WaveletDataModule.from_csv(str(path), assets=["ZZZ", "AAA"], window_size=32, stride=8,
                                   transform={"num_scales": 8}).setup()
    with pytest.raises(ConfigError, match="data.missing"):
        WaveletDataModule.from_csv(str(path), assets=["AAA", "BBB"], missing="zero", window_size=32,
                                   transform={"num_scales": 8})
    # one name picks that series alone: today's (N, T) windows
    single = WaveletDataModule.from_csv(str(path), assets=["AAA"], window_size=32, stride=8,
                                        transform={"num_scales": 8, "window_scales": False})
    single.setup()
    assert single.windows["train"].ndim == 2


def test_too_short_after_alignment_says_how_many(tmp_path):
    with pytest.raises(DataError, match="too short|need at least"):
        dm = WaveletDataModule(BasketSource(days=0.05, n_assets=2), window_size=64, stride=16,
                               transform={"num_scales": 8})
        dm.setup()


# --- representation ----------------------------------------------------------------------------

@pytest.mark.parametrize("base", [{"kind": "complex_cwt", "num_scales": 8, "tails": "quantile"},
                                  {"kind": "returns", "num_scales": 8}])
def test_multi_asset_round_trip_is_exact_per_asset(base):
    torch.manual_seed(0)
    scales = torch.tensor([0.001, 0.01, 0.003])
    train = torch.randn(64, 3, 32) * scales[:, None] + 1e-4
    rep = build_representation({"kind": "multi_asset", "assets": ["a", "b", "c"],
                                "base": {**base, "window_size": 32}})
    rep.fit(train, start_price=torch.tensor([10.0, 20.0, 30.0]))
    images = rep.encode(train[:8])
    channels = rep.channels_per_asset
    assert images.shape == (8, 3 * channels, *rep.parts[0].image_shape[1:])
    back = rep.decode(images)
    assert torch.allclose(back, train[:8], atol=1e-6 * float(scales.max()) * 10)
    # each asset's channels are that asset's own representation: per-asset scalers
    for i, part in enumerate(rep.parts):
        assert torch.allclose(images[:, i * channels:(i + 1) * channels], part.encode(train[:8, i]))
        assert float(part.return_scaler.std) == pytest.approx(float(train[:, i].std()), rel=1e-3)
    assert rep.prices(train[:2]).shape == (2, 3, 33)
    assert rep.prices(train[:2])[:, :, 0].tolist() == [[10.0, 20.0, 30.0]] * 2
    assert rep.range_noise(4, torch.Generator().manual_seed(0)).shape == images[:4].shape
    # rebuilt from its config and state dict (what a checkpoint does), it decodes the same
    again = build_representation(rep.config())
    again.load_state_dict(rep.state_dict())
    assert torch.equal(again.decode(images), back)
    with pytest.raises(ValueError, match=r"\(B, 3, T\)"):
        rep.encode(train[:, :2])


def test_decorrelated_assets_are_uncorrelated_components_with_an_exact_inverse():
    rho = 0.9
    train = torch.from_numpy(_gaussian_windows(rho, 200, 12, t=32)).float() * torch.tensor([1.0, 3.0])[:, None]
    rep = build_representation({"kind": "multi_asset", "assets": ["a", "b"], "decorrelate": True,
                                "base": {"kind": "complex_cwt", "num_scales": 8, "window_size": 32}})
    rep.fit(train, start_price=[1.0, 2.0])
    components = rep._components(train.double())
    pooled = components.transpose(1, 2).reshape(-1, 2)
    assert torch.corrcoef(pooled.T)[0, 1].abs() < 1e-6  # whitened on the training split
    assert pooled.var(0).tolist() == pytest.approx([1.0, 1.0], rel=1e-3)
    assert float(rep.whitening[0].sign().sum()) == 2  # the first component is "the market"
    back = rep.decode(rep.encode(train[:8]))
    assert torch.allclose(back, train[:8], atol=1e-5)
    again = build_representation(rep.config())
    again.load_state_dict(rep.state_dict())
    assert torch.allclose(again.decode(rep.encode(train[:8])), back)
    assert rep.row_labels()[0].startswith("PC1")


def test_one_asset_pipeline_is_unchanged():
    """Without data.assets a univariate source keeps its (N, T) windows and plain representation."""
    from wavediff.data.mjd import MJDSource

    dm = WaveletDataModule(MJDSource(days=2, lam=2000.0), window_size=64, stride=32,
                           transform={"num_scales": 8})
    dm.setup()
    assert dm.windows["train"].ndim == 2 and dm.representation.kind == "complex_cwt"
    assert dm.image_shape == (2, 8, 64)


# --- cross-asset metrics -----------------------------------------------------------------------

def _gaussian_windows(rho: float, n: int, seed: int, assets: int = 2, t: int = 50) -> np.ndarray:
    cov = np.eye(assets) + rho * (1 - np.eye(assets))
    z = np.random.default_rng(seed).multivariate_normal(np.zeros(assets), cov, size=(n, t))
    return 0.01 * z.transpose(0, 2, 1)  # (n, A, t)


def test_tail_dependence_of_a_gaussian_copula_matches_the_bivariate_normal():
    rho, level = 0.6, 0.05
    windows = _gaussian_windows(rho, 4000, 0)
    q = NormalDist().inv_cdf(level)
    exact = multivariate_normal([0, 0], [[1, rho], [rho, 1]]).cdf([q, q]) / level
    measured = lower_tail_dependence(windows, level)
    assert measured[0, 1] == pytest.approx(exact, abs=0.02)  # 200k pairs: se ~ 0.005
    assert measured[0, 0] == 1.0
    assert correlation_matrix(windows)[0, 1] == pytest.approx(rho, abs=0.01)


def test_tail_dependence_extremes_comonotone_and_independent():
    x = np.random.default_rng(1).standard_normal((2000, 1, 50))
    comonotone = np.concatenate([x, 3 * x], axis=1)
    assert lower_tail_dependence(comonotone, 0.05)[0, 1] == pytest.approx(1.0)
    independent = np.random.default_rng(2).standard_normal((2000, 2, 50))
    assert lower_tail_dependence(independent, 0.05)[0, 1] == pytest.approx(0.05, abs=0.01)


def test_crash_correlation_sees_contagion():
    """Assets that share a jump only on crash bars: crash correlation above calm correlation."""
    rng = np.random.default_rng(3)
    calm = 0.01 * rng.standard_normal((1000, 2, 50))
    crash = rng.random((1000, 1, 50)) < 0.05
    windows = calm - 0.05 * crash  # every jump bar is among the worst 10%, so "calm" has none
    high, low = crash_correlation(windows)
    # worst 10%: the jump bars and the calm lower tail; the rest, cut along the sum, is anti-correlated
    assert high > 0.5 and -0.2 < low < 0


def test_crash_correlation_of_independent_assets_is_the_truncation_effect():
    """Selecting bars by the portfolio's return makes even independent assets correlated (the
    Forbes-Rigobon effect, which is why the metric compares two sets rather than reading a level):
    with S = X + Y, D = X - Y independent and S cut at its 10% quantile b, the correlation is
    (v - 1) / (v + 1) with v the truncated standard normal's variance."""
    b = NormalDist().inv_cdf(0.1)
    phi = math.exp(-b * b / 2) / math.sqrt(2 * math.pi)
    low_tail = 1 - b * phi / 0.1 - (phi / 0.1) ** 2  # Var(Z | Z <= b)
    high_tail = 1 + b * phi / 0.9 - (phi / 0.9) ** 2  # Var(Z | Z > b)
    crash, calm = crash_correlation(_gaussian_windows(0.0, 2000, 4))
    assert crash == pytest.approx((low_tail - 1) / (low_tail + 1), abs=0.02)
    assert calm == pytest.approx((high_tail - 1) / (high_tail + 1), abs=0.02)


def test_spillover_finds_a_lagged_volatility_link():
    rng = np.random.default_rng(5)
    vol = np.exp(rng.standard_normal((500, 1, 60)))
    lead = vol[:, :, 3:] * rng.standard_normal((500, 1, 57))
    follow = vol[:, :, :-3] * rng.standard_normal((500, 1, 57))  # asset 1's vol is asset 0's, 3 bars later
    s = spillover(np.concatenate([lead, follow], axis=1), max_lag=5)
    assert s[0, 1].argmax() == 3 and s[0, 1, 3] > 0.1
    assert abs(s[1, 0, 3]) < 0.05  # not the other way round


def test_portfolio_returns_of_identical_assets_are_the_asset():
    x = 0.01 * np.random.default_rng(6).standard_normal((10, 1, 20))
    assert portfolio_returns(np.concatenate([x, x], axis=1)) == pytest.approx(x[:, 0])


def test_cross_asset_distances_zero_for_identical_and_larger_for_wrong_correlation():
    a = _gaussian_windows(0.6, 300, 7)
    assert all(v == pytest.approx(0.0, abs=1e-12) for v in cross_asset_distances(a, a).values())
    same = cross_asset_distances(_gaussian_windows(0.6, 300, 8), a)
    wrong = cross_asset_distances(_gaussian_windows(0.0, 300, 8), a)
    for key in ("corr_frobenius", "tail_dependence_5pct_abs_diff", "crash_corr_abs_diff",
                "portfolio_var_1pct_abs_diff_over_std"):
        assert wrong[key] > 3 * same[key], key


def test_joint_report_has_per_asset_and_cross_asset_rows_with_floors():
    pool = _gaussian_windows(0.6, 64, 9, t=32)
    reference = _gaussian_windows(0.6, 32, 10, t=32)
    generated = _gaussian_windows(0.0, 16, 11, t=32)
    result = compare_to_real(generated, reference, pool, draws=2, assets=["x", "y"])
    assert set(result["assets"]) == {"x", "y"}
    metrics = result["metrics"]
    for key in ("ks", "corr_frobenius", "discriminative_joint", "spillover_l2"):
        assert metrics[key]["floor"] > 0
    assert metrics["corr_frobenius"]["ratio"] > 2  # independent assets against rho = 0.6
    rows = flat_metrics(result)
    assert "x/ks" in rows and "y/std" in rows and "corr_frobenius" in rows
    again = compare_to_real(generated, reference, pool, draws=2, assets=["x", "y"],
                            floors={k: v["floor"] for k, v in rows.items() if v.get("floor") is not None})
    assert again["metrics"]["corr_frobenius"] == metrics["corr_frobenius"]


# --- end to end --------------------------------------------------------------------------------

@pytest.mark.slow  # ~25 s end to end; the joint pieces have their own fast tests
def test_basket_trains_samples_evaluates_and_records(tmp_path):
    """A three-asset smoke run through train, the sampling and evaluation callbacks and ``wavediff
    evaluate`` with the joint baselines: (B, 6, S, T) images, per-asset and cross-asset registry
    rows, the cross-asset pictures; a univariate baseline is refused in one line."""
    import sqlite3

    from conftest import run_cli

    root = tmp_path / "out"
    common = [f"paths.output_root={root}"]
    ran = run_cli("train", "experiment=smoke", "data=basket", "data.source.days=3",
                  "callbacks.sampling.num_samples=4", *common)
    assert ran.code == 0, ran.err
    db = sqlite3.connect(root / "wavediff.db")
    (run_id,), = db.execute("select id from train_runs where status = 'finished'").fetchall()
    train_metrics = {name for (name,) in db.execute("select name from metrics")}
    assert {"asset0/ks", "asset2/std", "corr_frobenius", "spillover_l2"} <= train_metrics
    out = tmp_path / "eval"
    ran = run_cli("evaluate", f"run={run_id}", "n=8", "floor_draws=2", "verdict_draws=2", "max_lag=10",
                  "floor_pool=simulator",
                  "baselines=[ccc_garch_t,joint_bootstrap]", "sampler=ddim", "sampler.steps=4",
                  f"hydra.run.dir={out}", f"publish={tmp_path / 'docs'}", *common)
    assert ran.code == 0, ran.err
    report = (out / "report.md").read_text()
    assert "cross-asset fact" in report and "ccc_garch_t: asset1" in report
    for picture in ("correlation.png", "tail_dependence.png", "paths_ccc_garch_t.png"):
        assert (out / picture).is_file() and (tmp_path / "docs" / picture).is_file()
    assert "Commit " in (tmp_path / "docs" / "report.md").read_text()
    with np.load(out / "joint_bootstrap.npz") as npz:
        assert npz["returns"].shape == (8, 3, 64) and npz["prices"].shape == (8, 3, 65)
    rows = db.execute("select count(*) from metrics m join generation_runs g on m.generation_run_id = g.id "
                      "where g.sampler = 'baseline:ccc_garch_t' and m.name = 'tail_dependence_1pct_abs_diff'")
    assert rows.fetchone()[0] == 1
    refused = run_cli("evaluate", f"run={run_id}", "n=8", "baselines=[garch_t]", f"hydra.run.dir={tmp_path / 'e2'}",
                      *common)
    assert refused.code == 1 and refused.err.strip().startswith("error: garch_t models one asset")


def test_one_asset_of_a_basket_refuses_the_whole_basket_simulator(tmp_path):
    from conftest import run_cli

    ran = run_cli("evaluate", "data=basket", "data.source.days=3", "data.window_size=64", "data.stride=32",
                  "data.assets=[asset1]", "baselines=[bootstrap]", "n=8", "floor_pool=simulator",
                  f"paths.output_root={tmp_path}", f"hydra.run.dir={tmp_path / 'e'}")
    assert ran.code == 1 and ran.err.strip().startswith("error: floor_pool=simulator: simulator: the data picks one")
