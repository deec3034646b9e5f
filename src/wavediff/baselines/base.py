"""What every baseline generator is: fitted on training series, draws windows of log returns."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from wavediff.errors import DataError


class Baseline:
    """A generator of log-return windows ``(n, T)`` fitted on contiguous training series.

    Subclasses set ``name`` and implement :meth:`fit` and :meth:`sample`; :meth:`describe` returns
    the fitted parameters (for reports and registry rows).
    """

    name: ClassVar[str]
    oracle: ClassVar[bool] = False  # knows the data's true law (a sanity check, not a competitor)

    def fit(self, series: list[np.ndarray]) -> "Baseline":
        raise NotImplementedError

    def sample(self, n: int, window: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def scenarios(self, history: np.ndarray, horizon: int, m: int, rng: np.random.Generator) -> np.ndarray:
        """``(O, m, horizon)`` log returns continuing each row of ``history`` ``(O, k)`` (the last
        ``k`` returns before each forecast origin). Default: the baseline cannot condition, so it
        draws ``m`` fresh windows per origin (an unconditional forecast)."""
        count = len(history)
        return self.sample(count * m, horizon, rng).reshape(count, m, horizon)

    def describe(self) -> dict[str, Any]:
        return {}

    def check_data(self, multi_asset: bool) -> None:
        """Refuse, in one line and before any work, data it cannot model: this one models one
        asset per window (the joint baselines override it)."""
        if multi_asset:
            raise one_asset_only(self.name)


JOINT_NAMES = ("ccc_garch_t", "joint_bootstrap")  # the baselines of several assets (baselines/joint.py)


def one_asset_only(name: str) -> DataError:
    return DataError(f"{name} models one asset; for several assets in one window use {', '.join(JOINT_NAMES)}")


def training_series(datamodule: Any) -> list[np.ndarray]:
    """The contiguous training log returns of each series of a set-up data module (float64):
    ``(L,)`` each, or one ``(A, L)`` panel of aligned assets; of bars (``data.fields``) the close's
    returns ``(L,)``: the classical baselines generate closes."""
    series = getattr(datamodule, "series", {}).get("train")
    if not series:
        raise DataError("the data module keeps no contiguous training series (call setup() first)")
    if getattr(datamodule, "bar_fields", False):
        return [np.asarray(s[0], dtype=np.float64) for s in series]
    return [np.asarray(s, dtype=np.float64) for s in series]


def check_series(name: str, series: list[np.ndarray], minimum: int) -> np.ndarray:
    """All training returns of one asset as one array, refused in one line when too short, constant
    or not finite (or when they hold several assets: the joint baselines are for those)."""
    if not series:
        raise DataError(f"{name}: no training returns")
    if any(np.ndim(s) != 1 for s in series):
        raise one_asset_only(name)
    joined = np.concatenate(series)
    if len(joined) < minimum:
        raise DataError(f"{name}: {len(joined)} training returns; it needs at least {minimum}")
    if not np.all(np.isfinite(joined)):
        raise DataError(f"{name}: training returns contain NaN or infinity")
    if float(joined.std()) == 0.0:
        raise DataError(f"{name}: the training returns are constant")
    return joined
