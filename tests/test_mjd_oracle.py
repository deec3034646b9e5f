"""MJD oracle against known answers."""

import numpy as np
import pytest

from wavediff.data.mjd import MINUTES_PER_YEAR, MJDParams, simulate_mjd_log_returns
from wavediff.metrics.mjd_oracle import fit_mjd, mjd_log_density, mjd_mean_log_likelihood

DT = 1 / MINUTES_PER_YEAR
TRUE = MJDParams(mu=0.05, sigma=0.2, lam=2000.0, jump_mean=-0.001, jump_std=0.003)


def test_density_integrates_to_one_with_the_closed_form_moments():
    sd = np.sqrt(TRUE.log_return_var(DT))
    grid = np.linspace(-150 * sd, 150 * sd, 1_000_001)  # jumps reach ~17 of their std
    density = np.exp(mjd_log_density(grid, TRUE, DT))
    step = grid[1] - grid[0]
    assert density.sum() * step == pytest.approx(1.0, abs=1e-6)
    mean = (grid * density).sum() * step
    var = ((grid - mean) ** 2 * density).sum() * step
    assert mean == pytest.approx(TRUE.log_return_mean(DT), abs=1e-3 * sd)
    assert var == pytest.approx(TRUE.log_return_var(DT), rel=1e-4)


def test_density_matches_a_direct_sum_over_jump_counts():
    from math import exp, factorial, log, pi, sqrt

    r = 0.0021
    rate = TRUE.lam * DT
    drift = (TRUE.mu - 0.5 * TRUE.sigma**2 - TRUE.lam * TRUE.jump_compensator) * DT
    direct = sum(exp(-rate) * rate**n / factorial(n)
                 * exp(-((r - drift - n * TRUE.jump_mean) ** 2) / (2 * (TRUE.sigma**2 * DT + n * TRUE.jump_std**2)))
                 / sqrt(2 * pi * (TRUE.sigma**2 * DT + n * TRUE.jump_std**2)) for n in range(40))
    assert float(mjd_log_density(np.array([r]), TRUE, DT)[0]) == pytest.approx(log(direct), rel=1e-10)


def test_true_parameters_score_best():
    r = simulate_mjd_log_returns(TRUE, 100_000, DT, np.random.default_rng(0))
    best = mjd_mean_log_likelihood(r, TRUE, DT)
    for wrong in (MJDParams(sigma=0.3, lam=2000.0, jump_mean=-0.001, jump_std=0.003),
                  MJDParams(sigma=0.2, lam=200.0, jump_mean=-0.001, jump_std=0.003)):
        assert best > mjd_mean_log_likelihood(r, wrong, DT)


def test_mle_recovers_the_parameters():
    r = simulate_mjd_log_returns(TRUE, 40_000, DT, np.random.default_rng(0))  # lam within 12%, jump_std 6%
    fit = fit_mjd(r, DT)
    assert fit.sigma == pytest.approx(TRUE.sigma, rel=0.10)
    assert fit.lam == pytest.approx(TRUE.lam, rel=0.30)
    assert fit.jump_std == pytest.approx(TRUE.jump_std, rel=0.20)


def test_oracle_report_caps_the_real_windows_it_refits():
    from wavediff.metrics.mjd_oracle import mjd_oracle_report

    rng = np.random.default_rng(3)
    real = simulate_mjd_log_returns(TRUE, 40 * 64, DT, rng).reshape(40, 64)
    generated = simulate_mjd_log_returns(TRUE, 8 * 64, DT, rng).reshape(8, 64)
    capped = mjd_oracle_report(generated, real, TRUE, DT, max_real_windows=16)
    assert capped["n_real_windows"] == 16
    assert capped == mjd_oracle_report(generated, real, TRUE, DT, max_real_windows=16)  # fixed subset
    whole = mjd_oracle_report(generated, real, TRUE, DT)
    assert whole["n_real_windows"] == 40 and whole["mle_generated"] == capped["mle_generated"]
    assert whole["loglik_real"] == pytest.approx(mjd_mean_log_likelihood(real, TRUE, DT))
