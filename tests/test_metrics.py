"""Metrics against known answers."""

import numpy as np
import pytest

from wavediff.data.garch import GARCHParams, simulate_garch_log_returns
from wavediff.metrics.stylized import acf, acf_curves, distances, ks_statistic, moments, wasserstein1


def test_gaussian_moments_and_flat_acf():
    x = np.random.default_rng(0).standard_normal((400, 256))
    m = moments(x)
    assert abs(m["excess_kurtosis"]) < 0.05 and abs(m["skewness"]) < 0.03 and m["std"] == pytest.approx(1, rel=0.01)
    curves = acf_curves(x, 20)
    for curve in curves.values():
        assert np.abs(curve).max() < 4 / np.sqrt(x.size)


def test_garch_acf_of_abs_returns_is_positive_and_decays():
    r = simulate_garch_log_returns(GARCHParams(alpha=0.1, beta=0.85), 200_000, 1.0, np.random.default_rng(1))
    a = acf(np.abs(r).reshape(-1, 1000), 50)
    assert a[0] > 0.1 and a[-1] > 0 and a[0] > a[9] > a[49]
    assert abs(acf(r.reshape(-1, 1000), 5)).max() < 0.02


def test_ks_and_w1_known_values():
    a = np.arange(10.0)
    assert ks_statistic(a, a) == 0 and wasserstein1(a, a) == 0
    assert wasserstein1(a, a + 0.5) == pytest.approx(0.5)
    assert ks_statistic(a, a + 100) == 1.0
    # N(0,1) vs N(1,1): W1 = 1, KS = 2 Phi(0.5) - 1 = 0.3829
    rng = np.random.default_rng(2)
    g, h = rng.standard_normal(200_000), rng.standard_normal(200_000) + 1
    assert wasserstein1(g, h) == pytest.approx(1.0, abs=0.01)
    assert ks_statistic(g, h) == pytest.approx(0.3829, abs=0.005)


def test_distances_of_a_set_to_itself_are_zero():
    x = np.random.default_rng(3).standard_t(3, (50, 64))
    assert all(v == pytest.approx(0.0, abs=1e-12) for v in distances(x, x).values())


def test_hill_index_of_student_t3_is_about_3():
    from wavediff.metrics.stylized import hill_tail_index

    x = np.random.default_rng(4).standard_t(3, 400_000)
    assert hill_tail_index(x, "left", 0.01) == pytest.approx(3.0, abs=0.35)
    assert hill_tail_index(x, "right", 0.01) == pytest.approx(3.0, abs=0.35)
    assert hill_tail_index(np.random.default_rng(5).standard_normal(400_000), "left", 0.01) > 4.5  # thin tail


def test_leverage_sign():
    from wavediff.data.heston import HestonParams, simulate_heston
    from wavediff.metrics.stylized import leverage

    r, _ = simulate_heston(HestonParams(rho=-0.9, xi=10.0), 256 * 2000, 1 / 525600, np.random.default_rng(6))
    lev = leverage(r.reshape(-1, 256), 20)
    assert lev[:5].mean() < -0.01
    iid = leverage(np.random.default_rng(7).standard_normal((2000, 256)), 20)
    assert np.abs(iid).max() < 0.01


def test_psd_slope_and_hurst_known_values():
    from wavediff.metrics.stylized import hurst_dfa, psd_slope

    white = np.random.default_rng(8).standard_normal((500, 256))
    assert psd_slope(white) == pytest.approx(0.0, abs=0.1)
    assert psd_slope(np.cumsum(white, axis=1)) == pytest.approx(-2.0, abs=0.3)
    assert hurst_dfa(white) == pytest.approx(0.5, abs=0.05)
    # DFA of an integrated white noise (a random walk used as the "returns") has exponent 1.5.
    assert hurst_dfa(np.cumsum(white, axis=1)) == pytest.approx(1.5, abs=0.1)


def test_paired_verdicts_know_better_same_and_worse():
    from wavediff.metrics.discriminative import discriminative_draws
    from wavediff.metrics.report import paired_verdicts, verdict_table

    rng = np.random.default_rng(0)
    real = rng.standard_t(4, (600, 64)) * 1e-3
    reference, pool = real[:200], real[200:]
    real_like = pool[:200]
    also_real = pool[200:400]
    too_wide = rng.standard_normal((200, 64)) * 3e-3  # wrong scale and no fat tails
    vs_wide = paired_verdicts(real_like, too_wide, reference, draws=20, max_lag=5, classifier_draws=0)
    assert vs_wide["ks"]["verdict"] == "better" and vs_wide["w1_over_std"]["verdict"] == "better"
    assert vs_wide["predictive_mae"]["verdict"] == "better"  # |r| forecasts at the wrong level
    # the classifier's paired fits (their own test: tests/test_discriminative.py) join the verdicts
    few = [x[:40] for x in (real_like, too_wide, reference)]
    judged = paired_verdicts(*few, draws=2, max_lag=5, classifier_draws=2)["discriminative"]
    assert judged["diff"] == pytest.approx(np.mean(discriminative_draws(few[0], few[2], 2)
                                                   - discriminative_draws(few[1], few[2], 2)))
    worse = paired_verdicts(too_wide, real_like, reference, draws=20, max_lag=5, classifier_draws=0)
    assert worse["ks"]["verdict"] == "worse" and "discriminative" not in worse
    same = paired_verdicts(real_like, also_real, reference, draws=20, max_lag=5, classifier_draws=0)
    assert same["ks"]["verdict"] == "same" and same["w1_over_std"]["verdict"] == "same"
    assert same["predictive_mae"]["verdict"] == "same"
    assert same["ks"]["low"] < 0 < same["ks"]["high"]
    table = verdict_table("model", {"garch_t": vs_wide})
    assert table.splitlines()[0] == "| metric | model vs garch_t |" and "| ks | better |" in table
    better = sum(v["verdict"] == "better" for v in vs_wide.values())
    assert f"model vs garch_t: {better} better," in table and "tells them apart" not in table
    undecided = verdict_table("model", {"twin": {k: {"verdict": "same"} for k in ("ks", "w1_over_std")}})
    assert undecided.endswith("model vs twin: 0 better, 2 same, 0 worse (no metric tells them apart at this many "
                              "windows: draw more to decide).")
