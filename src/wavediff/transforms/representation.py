"""The complex-CWT representation: the one object that turns return windows into model images and back.

``returns (B, T)`` --global return scaler--> ``(B, T)`` --CWT--> ``(B, 2, S, T)``
--per-(channel, scale) image scaler--> model space. ``decode`` runs the chain backwards with the
exact inverse CWT. Training data, sampling callbacks, ``generate`` and evaluation all use it.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from wavediff.data.scaler import StandardScaler
from wavediff.transforms.base import Representation
from wavediff.transforms.cwt import MorletCWT, morlet_scales


class WaveletRepresentation(Representation):
    """Complex-CWT image representation of log-return windows, with its fitted scalers.

    Args:
        window_size: ``T``, returns per window.
        num_scales: ``S``, image rows (``S - 1`` Morlet scales + one low-pass row).
        omega0, min_scale, max_scale: see :class:`~wavediff.transforms.cwt.MorletCWT`.
    """

    kind = "complex_cwt"

    def __init__(self, window_size: int, num_scales: int, omega0: float = 6.0,
                 min_scale: float = 2.0, max_scale: float | None = None) -> None:
        super().__init__()
        self.cwt = MorletCWT(window_size, num_scales, omega0, min_scale, max_scale)
        self.return_scaler = StandardScaler((1,))
        self.image_scaler = StandardScaler((MorletCWT.channels, num_scales, 1))

    def config(self) -> dict[str, Any]:
        c = self.cwt
        return {"kind": self.kind, "window_size": c.window_size, "num_scales": c.num_scales,
                "omega0": c.omega0, "min_scale": c.min_scale, "max_scale": c.max_scale}

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(2, S, T)``."""
        return self.cwt.image_shape

    @torch.no_grad()
    def fit(self, train_returns: Tensor, start_price: float) -> "WaveletRepresentation":
        """Fit both scalers on training windows ``(N, T)`` of log returns only."""
        self.return_scaler.fit(train_returns.reshape(-1, 1))
        self.image_scaler.fit(self.cwt(self.return_scaler.transform(train_returns.float())))
        self.start_price.fill_(float(start_price))
        return self

    def encode(self, returns: Tensor) -> Tensor:
        """Log-return windows ``(B, T)`` -> normalised images ``(B, 2, S, T)`` (float32)."""
        images = self.cwt(self.return_scaler.transform(returns.float()))
        return self.image_scaler.transform(images)

    def decode(self, images: Tensor) -> Tensor:
        """Normalised images ``(B, 2, S, T)`` -> log-return windows ``(B, T)`` (float32)."""
        series = self.cwt.inverse(self.image_scaler.inverse_transform(images.float()))
        return self.return_scaler.inverse_transform(series)

    def project(self, images: Tensor) -> Tensor:
        """Project normalised images onto the set of images of real series, same shape."""
        raw = self.image_scaler.inverse_transform(images.float())
        return self.image_scaler.transform(self.cwt.project(raw))

    def reprojection_error(self, images: Tensor) -> Tensor:
        """Per-image relative distance to the transform's range (in raw CWT units), ``(B,)``."""
        raw = self.image_scaler.inverse_transform(images.float())
        diff = (self.cwt.project(raw) - raw).flatten(1).norm(dim=1)
        return diff / raw.flatten(1).norm(dim=1).clamp(min=1e-12)

    def magnitude(self, images: Tensor) -> Tensor:
        """Un-normalised scalogram magnitude ``(B, S, T)`` for plotting."""
        return self.cwt.magnitude(self.image_scaler.inverse_transform(images.float()))

    def row_labels(self) -> list[str]:
        """Wavelet period in bars (``2 pi s / omega0``) per row, and ``low-pass`` for the last row."""
        c = self.cwt
        periods = 2 * math.pi * morlet_scales(c.num_scales - 1, c.min_scale, c.max_scale).numpy() / c.omega0
        return [f"{p:.0f}" if p >= 10 else f"{p:.1f}" for p in periods] + ["low-pass"]
