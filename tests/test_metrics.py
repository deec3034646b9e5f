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
