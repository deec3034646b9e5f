"""Standardised returns as a 1-D signal ``(1, T)``: the "network directly on the series" baseline.

``transform=returns`` with ``model/net=unet1d``. Every signal is the image of a series, so the
projection is the identity and range noise is white noise.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from wavediff.transforms.scaler import StandardScaler
from wavediff.transforms.base import Representation, gaussian
from wavediff.transforms.cwt import AnalyticCWT, period_labels


class ReturnsRepresentation(Representation):
    """Log-return windows ``(B, T)`` <-> standardised signals ``(B, 1, T)`` (one global scaler,
    fitted on the training split). A Morlet CWT is kept for pictures only.

    Args:
        window_size: ``T``. num_scales: rows of the scalogram pictures of samples (not model input).
    """

    kind = "returns"
    has_range = True

    def __init__(self, window_size: int, num_scales: int = 32, window_scales: bool = False) -> None:
        super().__init__()
        self.refuse_window_scales(window_scales)
        self.window_size, self.num_scales = int(window_size), int(num_scales)
        self.return_scaler = StandardScaler((1,))
        self.plot_cwt = AnalyticCWT(self.window_size, self.num_scales)

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "window_size": self.window_size, "num_scales": self.num_scales}

    @property
    def image_shape(self) -> tuple[int, int]:
        """``(1, T)``."""
        return (1, self.window_size)

    @torch.no_grad()
    def fit(self, train_returns: Tensor, start_price: float) -> "ReturnsRepresentation":
        self.return_scaler.fit(train_returns.reshape(-1, 1))
        self.start_price.fill_(float(start_price))
        return self

    def encode(self, returns: Tensor) -> Tensor:
        """``(B, T)`` log returns -> ``(B, 1, T)`` standardised returns."""
        return self.return_scaler.transform(returns.float())[:, None, :]

    def decode(self, images: Tensor) -> Tensor:
        """``(B, 1, T)`` -> ``(B, T)`` log returns."""
        return self.return_scaler.inverse_transform(images.float()[:, 0, :])

    def project(self, images: Tensor) -> Tensor:
        return images

    def range_noise(self, count: int, generator: torch.Generator | None = None,
                    series: Tensor | None = None) -> Tensor:
        if series is not None:
            return series.to(self.device)[:, None, :]
        return gaussian((count, *self.image_shape), generator, self.device)

    def magnitude(self, images: Tensor) -> Tensor:
        """``|CWT|`` ``(B, S, T)`` of the standardised series, for plotting."""
        return self.plot_cwt.magnitude(self.plot_cwt(images.float()[:, 0, :]))

    def row_labels(self) -> list[str]:
        return period_labels(self.plot_cwt)
