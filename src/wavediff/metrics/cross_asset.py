"""Cross-asset facts of joint windows ``(N, A, T)`` of log returns, and distances between two sets.

What a portfolio manager asks of joint scenarios: do the assets move together as much as real
ones (correlation of returns and of their sizes), do they crash together (lower-tail dependence,
correlation on the market's worst days), does volatility spill over (lagged cross-correlation of
``|r|``), and what does that do to an equal-weight portfolio (VaR, ES, kurtosis, drawdowns).
Every statistic pools the windows' returns; each set is compared on its own quantiles, so a
scale error shows in the univariate metrics, not twice here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wavediff.metrics.stylized import ks_statistic, moments


def _check(windows: np.ndarray) -> np.ndarray:
    x = np.asarray(windows, dtype=np.float64)
    if x.ndim != 3 or x.shape[1] < 2:
        raise ValueError(f"expected joint windows (N, A >= 2, T), got shape {x.shape}")
    return x


def pooled(windows: np.ndarray) -> np.ndarray:
    """``(N, A, T)`` -> ``(N * T, A)``: every time step of every window as one joint observation."""
    x = _check(windows)
    return x.transpose(0, 2, 1).reshape(-1, x.shape[1])


def correlation_matrix(windows: np.ndarray, absolute: bool = False) -> np.ndarray:
    """``(A, A)`` correlation of the pooled returns (of ``|r|`` with ``absolute``)."""
    x = pooled(windows)
    return np.corrcoef(np.abs(x) if absolute else x, rowvar=False)


def lower_tail_dependence(windows: np.ndarray, level: float = 0.05) -> np.ndarray:
    """``(A, A)``: entry ``(i, j)`` is ``P(r_j <= q_j | r_i <= q_i)`` with ``q`` each asset's own
    ``level`` quantile (the diagonal is 1). ``level`` for independent assets, 1 for comonotone ones."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    x = pooled(windows)
    below = (x <= np.quantile(x, level, axis=0)).astype(np.float64)  # (M, A)
    counts = below.sum(axis=0)
    return (below.T @ below) / np.maximum(counts[:, None], 1.0)


def portfolio_returns(windows: np.ndarray) -> np.ndarray:
    """``(N, T)`` log returns of the equal-weight portfolio rebalanced every bar:
    ``log(mean_i exp(r_i))``."""
    x = _check(windows)
    top = x.max(axis=1, keepdims=True)
    return (top + np.log(np.exp(x - top).mean(axis=1, keepdims=True)))[:, 0]


def crash_correlation(windows: np.ndarray, share: float = 0.1) -> tuple[float, float]:
    """Mean pairwise correlation of returns on the equal-weight portfolio's worst ``share`` of bars,
    and on the other bars (``(crash, calm)``): in real markets the first is higher ("contagion").
    Selecting bars by the portfolio biases both (independent Gaussian assets give about -0.71 and
    -0.17, tests/test_multi_asset.py), so read them against the real set's values, not zero."""
    if not 0 < share < 1:
        raise ValueError(f"share must be in (0, 1), got {share}")
    x = pooled(windows)
    market = portfolio_returns(windows).reshape(-1)
    crash = market <= np.quantile(market, share)

    def mean_corr(rows: np.ndarray) -> float:
        c = np.corrcoef(rows, rowvar=False)
        return float(c[~np.eye(len(c), dtype=bool)].mean())

    return mean_corr(x[crash]), mean_corr(x[~crash])


def spillover(windows: np.ndarray, max_lag: int = 10) -> np.ndarray:
    """``(A, A, max_lag + 1)``: correlation of ``|r_i(t)|`` with ``|r_j(t + k)|`` within windows,
    ``k = 0 .. max_lag`` (volatility spill-over from ``i`` to ``j``)."""
    x = np.abs(_check(windows))
    n, a, t = x.shape
    if not 0 <= max_lag < t - 1:
        raise ValueError(f"max_lag must be in [0, {t - 2}], got {max_lag}")
    z = (x - x.mean(axis=(0, 2), keepdims=True)) / np.maximum(x.std(axis=(0, 2), keepdims=True), 1e-300)
    out = np.empty((a, a, max_lag + 1))
    for k in range(max_lag + 1):
        lead, lag = z[:, :, : t - k], z[:, :, k:]
        out[:, :, k] = np.einsum("nit,njt->ij", lead, lag) / (n * (t - k))
    return out


def max_drawdowns(returns: np.ndarray) -> np.ndarray:
    """``(N,)`` largest peak-to-trough fall of each window's log price path (a positive number)."""
    log_path = np.concatenate([np.zeros((len(returns), 1)), np.cumsum(returns, axis=1)], axis=1)
    return (np.maximum.accumulate(log_path, axis=1) - log_path).max(axis=1)


def portfolio_stats(windows: np.ndarray) -> dict[str, float]:
    """VaR and ES at 1% and 5% (as positive losses of one bar's log return) and excess kurtosis of
    the equal-weight portfolio."""
    p = portfolio_returns(windows).reshape(-1)
    out = {}
    for pct in (1, 5):
        q = float(np.quantile(p, pct / 100))
        out[f"var_{pct}pct"] = -q
        out[f"es_{pct}pct"] = -float(p[p <= q].mean())
    out["excess_kurtosis"] = moments(p)["excess_kurtosis"]
    return out


def cross_asset_stats(windows: np.ndarray) -> dict[str, Any]:
    """The facts above for one set (for reports): correlation matrices, tail dependence, crash and
    calm correlation, portfolio risk."""
    crash, calm = crash_correlation(windows)
    return {"correlation": correlation_matrix(windows).tolist(),
            "abs_correlation": correlation_matrix(windows, absolute=True).tolist(),
            "tail_dependence_5pct": lower_tail_dependence(windows, 0.05).tolist(),
            "tail_dependence_1pct": lower_tail_dependence(windows, 0.01).tolist(),
            "crash_correlation": crash, "calm_correlation": calm,
            "portfolio": portfolio_stats(windows)}


def _off_diagonal(m: np.ndarray) -> np.ndarray:
    return m[~np.eye(len(m), dtype=bool)]


def cross_asset_distances(generated: np.ndarray, real: np.ndarray, max_lag: int = 10) -> dict[str, float]:
    """Distances between two sets of joint windows ``(N, A, T)`` (0 for identical sets).

    ``corr_frobenius`` / ``abs_corr_frobenius``: Frobenius norm of the difference of the return
    (``|r|``) correlation matrices; ``tail_dependence_{5,1}pct_abs_diff``: mean absolute
    difference of the off-diagonal lower-tail dependences; ``crash_corr_abs_diff`` and
    ``corr_asymmetry_abs_diff``: of the crash correlation and of crash minus calm correlation;
    ``spillover_l2``: L2 distance of the off-diagonal ``|r|`` cross-correlations at lags 0 ..
    ``max_lag``; ``portfolio_*``: the equal-weight portfolio's VaR/ES differences over the real
    portfolio's std, its excess-kurtosis difference and the KS distance of window max drawdowns.
    """
    g, r = _check(generated), _check(real)
    if g.shape[1:] != r.shape[1:]:
        raise ValueError(f"generated {g.shape[1:]} and real {r.shape[1:]} windows differ in assets or length")
    lag = min(max_lag, g.shape[2] - 2)
    out = {"corr_frobenius": float(np.linalg.norm(correlation_matrix(g) - correlation_matrix(r))),
           "abs_corr_frobenius": float(np.linalg.norm(correlation_matrix(g, True) - correlation_matrix(r, True)))}
    for level in (0.05, 0.01):
        diff = _off_diagonal(lower_tail_dependence(g, level) - lower_tail_dependence(r, level))
        out[f"tail_dependence_{round(level * 100)}pct_abs_diff"] = float(np.abs(diff).mean())
    (gc, gq), (rc, rq) = crash_correlation(g), crash_correlation(r)
    out["crash_corr_abs_diff"] = abs(gc - rc)
    out["corr_asymmetry_abs_diff"] = abs((gc - gq) - (rc - rq))
    a = g.shape[1]
    pairs = ~np.eye(a, dtype=bool)
    out["spillover_l2"] = float(np.linalg.norm(spillover(g, lag)[pairs] - spillover(r, lag)[pairs]))
    pg, pr = portfolio_stats(g), portfolio_stats(r)
    std = float(portfolio_returns(r).std()) or 1.0
    for key in ("var_1pct", "var_5pct", "es_1pct", "es_5pct"):
        out[f"portfolio_{key}_abs_diff_over_std"] = abs(pg[key] - pr[key]) / std
    out["portfolio_kurtosis_abs_diff"] = abs(pg["excess_kurtosis"] - pr["excess_kurtosis"])
    out["portfolio_max_drawdown_ks"] = ks_statistic(max_drawdowns(portfolio_returns(g)),
                                                    max_drawdowns(portfolio_returns(r)))
    return out
