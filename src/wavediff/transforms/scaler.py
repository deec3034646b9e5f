"""Standardising scaler whose statistics live in module buffers (so they travel in checkpoints)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from wavediff.errors import DataError


class StandardScaler(nn.Module):
    """``(x - mean) / std`` with statistics of shape ``stat_shape`` broadcast against the data.

    ``fit`` reduces over every dimension whose ``stat_shape`` entry is 1, so ``stat_shape=(1,)``
    is one global scaler and ``(2, S, 1)`` is one per channel and scale row of a ``(B, 2, S, T)``
    image batch.
    """

    def __init__(self, stat_shape: Sequence[int] = (1,), eps: float = 1e-12) -> None:
        super().__init__()
        self.eps = eps
        self.register_buffer("mean", torch.zeros(*stat_shape, dtype=torch.float64))
        self.register_buffer("std", torch.ones(*stat_shape, dtype=torch.float64))
        self.register_buffer("fitted", torch.tensor(False))

    @torch.no_grad()
    def fit(self, data: Tensor) -> "StandardScaler":
        """Fit on ``data`` of shape ``(N, *stat_shape)`` (any leading batch dimension)."""
        if not torch.isfinite(data).all():
            raise DataError("cannot fit scaler: training data contains NaN or inf")
        shape = tuple(self.mean.shape)
        dims = [0] + [i + 1 for i, n in enumerate(shape) if n == 1]
        x = data.double()
        self.mean.copy_(x.mean(dim=dims, keepdim=True).reshape(shape))
        self.std.copy_(x.std(dim=dims, keepdim=True).reshape(shape).clamp(min=self.eps))
        self.fitted.fill_(True)
        return self

    def transform(self, x: Tensor) -> Tensor:
        return ((x - self.mean.to(x.dtype)) / self.std.to(x.dtype)).to(x.dtype)

    def inverse_transform(self, z: Tensor) -> Tensor:
        return (z * self.std.to(z.dtype) + self.mean.to(z.dtype)).to(z.dtype)
