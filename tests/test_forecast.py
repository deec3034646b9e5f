"""Forecast scoring (PIT, coverage, CRPS, Kupiec) against known answers, the classical
forecasters' conditioning, and the forecast job end to end on the smoke model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wavediff.baselines.bootstrap import StationaryBootstrap
from wavediff.baselines.garch import GARCHBaseline
from wavediff.metrics.forecast import (coverage, crps, kupiec_pof, paired_crps, randomized_pit, score_forecasts,
                                       spaced, targets)


def gaussian_forecasts(origins: int, m: int, width: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes ~ N(0, s_o) with a different s_o per origin; ensembles N(0, width * s_o)."""
    rng = np.random.default_rng(seed)
    scale = np.exp(rng.normal(0, 0.5, origins))
    outcomes = rng.normal(0, 1, origins) * scale
    ensembles = rng.normal(0, 1, (origins, m)) * (width * scale)[:, None]
    return ensembles, outcomes


def test_a_calibrated_forecaster_has_uniform_pit_and_nominal_coverage():
    ensembles, outcomes = gaussian_forecasts(4000, 8, width=1.0)  # a small ensemble is still exact
    pit = randomized_pit(ensembles, outcomes, np.random.default_rng(1))
    from scipy.stats import kstest

    assert kstest(pit, "uniform").pvalue > 0.01
    for level in (0.5, 0.9, 0.99):
        se = np.sqrt(level * (1 - level) / len(pit))
        assert abs(coverage(pit, level) - level) < 4 * se
    var = kupiec_pof(pit < 0.05, 0.05)
    assert abs(var["rate"] - 0.05) < 0.015 and var["p_value"] > 0.001


def test_a_too_narrow_forecaster_is_caught_by_every_calibration_score():
    ensembles, outcomes = gaussian_forecasts(1000, 16, width=0.5)
    pit = randomized_pit(ensembles, outcomes, np.random.default_rng(1))
    assert coverage(pit, 0.9) < 0.7 and coverage(pit, 0.5) < 0.35
    assert kupiec_pof(pit < 0.01, 0.01)["p_value"] < 1e-6
    narrow = crps(ensembles, outcomes).mean()
    calibrated = crps(*gaussian_forecasts(1000, 16, width=1.0)).mean()
    assert narrow > calibrated  # CRPS is proper: the right spread scores best


def test_fair_crps_against_closed_forms():
    assert crps(np.array([[0.0, 1.0]]), np.array([0.0]))[0] == pytest.approx(0.0)  # 1/2 - 1/2 * 1
    assert crps(np.array([[1.0, 1.0, 4.0]]), np.array([2.0]))[0] == pytest.approx(4 / 3 - 2 / 2)  # E|X - y| - mean pair distance / 2
    big = np.random.default_rng(0).normal(size=(2, 20000))
    # CRPS of N(0, 1) at y: y (2 Phi(y) - 1) + 2 phi(y) - 1 / sqrt(pi)
    assert crps(big, np.array([0.0, 1.0])) == pytest.approx([0.233695, 0.602441], abs=4e-3)


def test_kupiec_against_the_textbook_value_and_at_the_edges():
    hits = np.zeros(250, dtype=bool)
    hits[:5] = True  # 5 exceedances of a 1% VaR in 250 days
    result = kupiec_pof(hits, 0.01)
    assert result["rate"] == 0.02 and result["p_value"] == pytest.approx(0.16185, abs=1e-4)
    # no exceedance in 300 days: LR = -2 * 300 * ln(0.99) = 6.03
    assert kupiec_pof(np.zeros(300, dtype=bool), 0.01)["p_value"] == pytest.approx(0.01406, abs=1e-4)
    assert kupiec_pof(np.ones(10, dtype=bool), 0.01)["p_value"] < 1e-10


def test_spaced_origins_share_no_outcome_within_a_series():
    positions = np.array([0, 4, 8, 12, 16, 0, 4, 8])
    groups = np.array([0, 0, 0, 0, 0, 1, 1, 1])
    assert spaced(positions, groups, 8).tolist() == [True, False, True, False, True, True, False, True]
    assert spaced(positions, groups, 1).all()


def test_targets_and_the_score_report_shape():
    paths = np.array([[0.01, -0.02, 0.03]])
    t = targets(paths, 2)
    assert t["cumulative_return"][0] == pytest.approx(-0.01)
    assert t["realised_vol"][0] == pytest.approx(np.sqrt(0.0005))
    rng = np.random.default_rng(0)
    report = score_forecasts(rng.normal(size=(30, 8, 5)), rng.normal(size=(30, 5)), [1, 5])
    entry = report["5"]["cumulative_return"]
    assert set(entry["coverage"]) == {"0.5", "0.9", "0.99"} and entry["n_spaced"] == 6
    assert set(entry["var"]) == {"0.01", "0.05"} and "var" not in report["5"]["realised_vol"]
    better = paired_crps([1.0, 1.0, 1.1], [2.0, 2.1, 2.0])
    assert better["mean"] == pytest.approx(-1.0) and better["t"] < -10


def test_diebold_mariano_widens_the_error_for_overlapping_forecasts():
    rng = np.random.default_rng(0)
    shocks = rng.normal(size=4003)
    overlapping = shocks[:-3] + shocks[1:-2] + shocks[2:-1] + shocks[3:]  # MA(3): 4-bar outcomes, 1 bar apart
    naive = paired_crps(overlapping, np.zeros(4000))
    dm = paired_crps(overlapping, np.zeros(4000), lags=3)
    # long-run variance of an MA(3) of unit shocks: 16, against a marginal variance of 4
    assert dm["se"] / naive["se"] == pytest.approx(2.0, rel=0.15)
    split = paired_crps(overlapping, np.zeros(4000), lags=3, groups=np.repeat([0, 1], 2000))
    assert split["se"] == pytest.approx(dm["se"], rel=0.01)  # one boundary barely matters


def garch_path(n: int, seed: int) -> np.ndarray:
    """A GARCH(1,1)-t path with strong persistence (alpha 0.1, beta 0.88), daily scale."""
    rng = np.random.default_rng(seed)
    out, variance = np.empty(n), 1e-4
    for t in range(n):
        out[t] = np.sqrt(variance) * rng.standard_t(6) * np.sqrt(4 / 6)
        variance = 2e-6 + 0.1 * out[t] ** 2 + 0.88 * variance
    return out


def test_garch_scenarios_follow_the_history_and_the_bootstrap_ignores_it():
    returns = garch_path(4000, 0)
    calm = np.full((1, 40), 0.002)
    stormy = np.tile([0.04, -0.04], 20)[None]
    history = np.concatenate([calm, stormy])
    garch = GARCHBaseline().fit([returns])
    first = garch.scenarios(history, 5, 4000, np.random.default_rng(0))[:, :, 0].std(axis=1)
    assert first[1] > 3 * first[0]  # next-day volatility follows the history's
    boot = StationaryBootstrap().fit([returns]).scenarios(history, 5, 4000, np.random.default_rng(0))
    spread = boot.std(axis=(1, 2))
    assert boot.shape == (2, 4000, 5) and abs(spread[1] / spread[0] - 1) < 0.1


@pytest.mark.slow  # ~15 s end to end; the scores and the bad input have fast tests
def test_forecast_job_scores_wavediff_beside_the_baselines_and_resumes(trained, tmp_path):
    from conftest import run_cli
    from wavediff.registry.store import Registry
    from wavediff.registry.tables import GenerationRun

    ckpt = trained[1] / "checkpoints" / "last.ckpt"
    db = f"registry.url=sqlite:///{tmp_path}/r.db"
    args = ("forecast", "--model", f"tiny={ckpt}", "--horizons", "1", "4", "--stride", "256", "--scenarios", "3",
            "--sampler", "euler", "--out", str(tmp_path / "out"), "--registry", db,
            "--long-model", f"tiny={ckpt}", "--length", "128", "--paths", "2")
    ran = run_cli(*args, "--batch-size", "64")
    assert ran.code == 0, ran.err
    payload = json.loads((tmp_path / "out" / "forecasts.json").read_text())
    report = payload["reports"][0]
    assert set(report["scores"]) == {"wavediff", "garch_t", "bootstrap"} and report["horizons"] == [1, 4]
    with np.load(report["generation"]["npz"]) as npz:
        scenarios, history = npz["scenarios"], npz["history"]
        assert scenarios.shape == (report["origins"], 3, 4) and history.shape[1] == report["known"] == 60
        assert np.isfinite(scenarios).all()
    cell = report["scores"]["wavediff"]["4"]["cumulative_return"]
    assert 0 <= cell["coverage"]["0.9"] <= 1 and cell["crps"] > 0 and "garch_t" in cell["crps_vs"]
    table = (tmp_path / "out" / "forecasts.md").read_text()
    assert "| tiny | 4 | cum. return | garch_t |" in table and "seconds per 1,000 scenarios" in table
    assert (tmp_path / "out" / "tiny" / "fan.png").stat().st_size > 0
    (long,) = payload["long_paths"]  # 2 chained paths of 128 returns against fresh simulator paths
    assert long["length"] == 128 and long["window"] == 64 and long["report"]["max_lag"] == 127
    assert all(np.isfinite(m["ratio"]) for m in long["report"]["metrics"].values())
    assert "| tiny | 2 × 128 | 64 |" in table and (tmp_path / "out" / "long" / "tiny" / "long_acf.png").is_file()
    registry = Registry(f"sqlite:///{tmp_path}/r.db")
    rows = registry.all(GenerationRun)
    assert len(rows) == 2 and {r.status for r in rows} == {"finished"}
    # scenarios with the default history correction; a window from nothing + 4 chained, corrected ones
    assert sorted(r.network_evals for r in rows) == [20 * 2, 20 + 4 * 20 * 2]
    done = (tmp_path / "out" / "tiny" / "scenarios.json").stat().st_mtime_ns
    assert run_cli(*args, "--batch-size", "64").code == 0  # the scenarios and the long paths are reused
    assert (tmp_path / "out" / "tiny" / "scenarios.json").stat().st_mtime_ns == done
    assert len(registry.all(GenerationRun)) == 2


def test_several_samplers_are_rows_of_one_table_compared_with_the_first(trained, tmp_path):
    from wavediff.jobs.forecast import forecast_table

    ckpt = trained[1] / "checkpoints" / "last.ckpt"
    payload = forecast_table({"tiny": str(ckpt)}, tmp_path / "out", horizons=(2,), stride=512, m=2,
                             baselines=("bootstrap",), sampler=["euler/2", "ddim/3"], corrections=(0, 1),
                             registry_overrides=[f"registry.url=sqlite:///{tmp_path}/r.db"], batch_size=64,
                             long_models={"tiny": str(ckpt)}, length=128, paths=2)
    (report,) = payload["reports"]
    names = ["wavediff euler/2", "wavediff euler/2+1", "wavediff ddim/3", "wavediff ddim/3+1"]
    assert list(report["scores"]) == [*names, "bootstrap"] and report["reference"] == names[0]
    calls = [report["generations"][n]["network_evals"] for n in names]
    assert calls == [2, 2 * 2, 3, 3 * 2]  # each correction adds one call per step
    assert set(report["scores"][names[0]]["2"]["cumulative_return"]["crps_vs"]) == {*names[1:], "bootstrap"}
    table = (tmp_path / "out" / "forecasts.md").read_text()
    assert "| tiny | 2 | cum. return | wavediff ddim/3 |" in table and "`ddim` 3 steps (3 network calls)" in table
    assert (tmp_path / "out" / "tiny" / "sampler_ddim_3" / "corrections_1" / "scenarios.npz").is_file()
    # long paths with the first sampler, once per corrections value: a window from nothing (no history
    # to correct towards) and 4 chained windows
    assert [(row["label"], row["network_evals"]) for row in payload["long_paths"]] == [
        ("tiny", 2 + 4 * 2), ("tiny+1", 2 + 4 * 2 * 2)]
    assert "| tiny+1 | 2 × 128 | 64 |" in table


@pytest.mark.parametrize("extra, message", [
    (("--horizons", "64"), "horizons=\\[64\\]: each must be 1 to 63"),
    (("--baselines", "simulator"), "simulator has no conditional forecast"),
    (("--baselines", "arima"), "unknown arima"),
    (("--scenarios", "1"), "at least 2 scenarios"),
    (("--splits", "holdout"), "no holdout split"),
    (("--history-corrections", "0", "0"), "distinct integers 0 to 8"),
    (("--sampler", "ancestral/x"), "NAME or NAME/STEPS"),
    (("--sampler", "ancestral/0"), "NAME or NAME/STEPS"),
    (("--sampler", "euler/5", "euler", "--steps", "5"), "distinct samplers"),
    (("--long-model", "x=nowhere.ckpt", "--length", "128"), "--long-model x: checkpoint not found"),
])
def test_bad_forecast_requests_are_one_line_errors(trained, tmp_path, extra, message):
    from conftest import run_cli

    ckpt = trained[1] / "checkpoints" / "last.ckpt"
    ran = run_cli("forecast", "--model", f"tiny={ckpt}", "--out", str(tmp_path), "--registry",
                  f"registry.url=sqlite:///{tmp_path}/r.db", *extra)
    assert ran.code != 0 and ran.err.startswith("error:") and len(ran.err.strip().splitlines()) == 1
    import re

    assert re.search(message, ran.err), ran.err
    assert not (tmp_path / "forecasts.md").exists()


# --- long paths ---------------------------------------------------------------------------------

def regime_paths(n: int, length: int, persistent: bool, seed: int) -> np.ndarray:
    """Returns whose volatility level (0.5x or 2x) lasts 200 bars (persistent) or changes every bar."""
    rng = np.random.default_rng(seed)
    blocks = 1 if not persistent else 200
    levels = rng.choice([0.5, 2.0], (n, -(-length // blocks)))
    scale = np.repeat(levels, blocks, axis=1)[:, :length]
    return 0.01 * scale * rng.normal(size=(n, length))


def test_max_drawdown_and_window_volatility_by_hand():
    from wavediff.metrics.long_paths import max_drawdowns, segments_of, window_volatilities

    assert max_drawdowns(np.array([[0.1, -0.3, 0.1, -0.1]]))[0] == pytest.approx(0.3)
    assert max_drawdowns(np.array([[0.1, 0.2]]))[0] == 0.0
    vols = window_volatilities(np.array([[1.0, -1.0, 2.0, -2.0, 5.0]]), 2)
    assert vols.tolist() == [[1.0, 2.0]]  # the incomplete last window is left out
    assert segments_of([np.arange(10.0)], 4, 3).tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]


def test_long_path_report_sits_at_the_floor_for_the_law_and_flags_missing_memory():
    from wavediff.metrics.long_paths import long_path_report

    pool = regime_paths(96, 1000, persistent=True, seed=0)
    same = long_path_report(regime_paths(24, 1000, persistent=True, seed=1), pool, window=64, max_lag=250)
    assert all(m["ratio"] < 3 for m in same["metrics"].values()), same["metrics"]
    forgetful = long_path_report(regime_paths(24, 1000, persistent=False, seed=1), pool, window=64, max_lag=250)
    assert forgetful["metrics"]["acf_abs_beyond_window_l2"]["ratio"] > 4
    assert forgetful["metrics"]["window_vol_persistence_abs_diff"]["ratio"] > 4
    assert len(forgetful["acf_abs"]["generated"]) == 250
    with pytest.raises(ValueError, match="max_lag"):
        long_path_report(pool[:4, :300], pool[:, :300], window=64, max_lag=400)
