import numpy as np
import pytest

from wavediff.data.garch import GARCHParams, simulate_garch_log_returns
from wavediff.metrics.predictive import fit_forecaster, predictive_score


def garch_windows(seed: int, n: int = 400) -> np.ndarray:
    p = GARCHParams(alpha=0.1, beta=0.85, omega=1e-6)
    return simulate_garch_log_returns(p, n * 128, 1.0, np.random.default_rng(seed)).reshape(n, 128)


def test_forecaster_learns_known_ar_coefficients():
    rng = np.random.default_rng(0)
    a = np.empty((200, 300))
    a[:, 0] = 1.0
    for t in range(1, 300):  # |r|_t = 0.2 + 0.6 |r|_{t-1} + noise, all positive
        a[:, t] = 0.2 + 0.6 * a[:, t - 1] + 0.05 * rng.random(200)
    coef = fit_forecaster(a, lags=1)
    assert coef[1] == pytest.approx(0.6, abs=0.02)


def test_synthetic_like_real_scores_one_and_iid_scores_worse():
    real_train, real_test = garch_windows(1), garch_windows(2)
    same = predictive_score(garch_windows(3), real_train, real_test)
    assert same["ratio"] == pytest.approx(1.0, abs=0.02)
    iid = np.random.default_rng(4).standard_normal(real_train.shape) * real_train.std()
    assert predictive_score(iid, real_train, real_test)["ratio"] > same["ratio"] + 0.01
