"""The data's own simulator as a generator: fresh paths with the true parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from wavediff.baselines.base import Baseline
from wavediff.errors import DataError


class SimulatorBaseline(Baseline):
    """Windows simulated afresh by the data's source (simulated data only). Each window is the
    last ``T`` returns of a path of ``2 T``, so stateful models (Heston, GARCH) start from their
    own stationary regime rather than from the simulator's initial state. It sees no data: the
    perfect generator, which should score at the noise floor."""

    name = "simulator"
    oracle = True

    def __init__(self, source: Any) -> None:
        if not callable(getattr(source, "simulate_path", None)) or not hasattr(source, "dt"):
            name = getattr(source, "name", type(source).__name__)
            raise DataError(f"simulator: data source {name} is not a simulator (baselines=[simulator] needs "
                            "simulated data, e.g. data=mjd)")
        self.source = source

    def fit(self, series: list[np.ndarray]) -> "SimulatorBaseline":
        return self

    def sample(self, n: int, window: int, rng: np.random.Generator) -> np.ndarray:
        """``(n, window)`` log returns, or ``(n, A, window)`` from a multi-asset simulator."""
        paths = [self.source.simulate_path(2 * window, self.source.dt, rng)[0][window:] for _ in range(n)]
        return np.stack([p.T for p in paths])  # a basket's paths are (T, A)

    def check_data(self, multi_asset: bool) -> None:
        """It draws what its source simulates: one asset, or the whole basket of a multi-asset simulator."""
        if bool(getattr(self.source, "asset_names", None)) != multi_asset:
            raise DataError("simulator: the data picks one asset of a multi-asset simulator (data.assets); the "
                            "simulator draws the whole basket, so it cannot be compared here (floor_pool=train)")

    def describe(self) -> dict[str, Any]:
        return {"source": getattr(self.source, "name", type(self.source).__name__)}
