"""Predictive score (train on synthetic, test on real): forecast next-bar |r| from the last lags.

The forecaster is ordinary least squares on the previous ``lags`` absolute returns (plus a
constant), fitted inside windows. It is trained once on generated windows and once on real
training windows, and both are scored by mean absolute error on held-out real windows; the ratio
``mae_synthetic / mae_real`` is 1 when the synthetic data teach the volatility dynamics as well as
real data do.
"""

from __future__ import annotations

import numpy as np


def _design(windows: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray]:
    a = np.abs(np.atleast_2d(np.asarray(windows, dtype=np.float64)))
    n, t = a.shape
    cols = [a[:, lags - k - 1 : t - k - 1] for k in range(lags)]  # |r|_{t-1}, ..., |r|_{t-lags}
    x = np.stack(cols, axis=-1).reshape(-1, lags)
    y = a[:, lags:].reshape(-1)
    return np.column_stack([np.ones(len(x)), x]), y


def fit_forecaster(windows: np.ndarray, lags: int = 10) -> np.ndarray:
    """OLS coefficients ``(lags + 1,)`` for next-bar |r| from windows ``(N, T)``."""
    x, y = _design(windows, lags)
    return np.linalg.lstsq(x, y, rcond=None)[0]


def forecast_mae(coefficients: np.ndarray, windows: np.ndarray) -> float:
    x, y = _design(windows, len(coefficients) - 1)
    return float(np.abs(x @ coefficients - y).mean())


def predictive_score(generated: np.ndarray, real_train: np.ndarray, real_test: np.ndarray,
                     lags: int = 10, real_mae: float | None = None) -> dict[str, float]:
    """MAE on ``real_test`` of the forecaster trained on generated vs on real training windows.

    ``real_mae``: the real forecaster's MAE when already known (it depends on the real sets only,
    and fitting it is the part that grows with the data: callers scoring several sets pass it).
    """
    synthetic = forecast_mae(fit_forecaster(generated, lags), real_test)
    real = forecast_mae(fit_forecaster(real_train, lags), real_test) if real_mae is None else real_mae
    return {"mae_synthetic": synthetic, "mae_real": real, "ratio": synthetic / real}
