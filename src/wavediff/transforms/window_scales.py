"""The window-scale map: generated windows get the training windows' distribution of scales.

Measured on the ``make train`` model (MJD, n = 256): the standard deviation over time of each
generated window's latent series (what the CWT sees, after the scaler and the tail map) spreads
3.6 times wider across windows than in the training data (0.16 against 0.045), which a pointwise
tail map cannot see and which shows up as spurious volatility clustering (ACF of |r| 6.9x floor),
too many returns at the tail map's ends and a std ratio of 1.21. This map ranks a set of
generated windows by their scale and gives the window of rank ``i`` (of ``n``) the training
windows' scale quantile ``(i + 1/2) / n``, keeping each window's mean and shape. The quantiles are
fitted on the training split only, so regimes that exist in the data (stochastic volatility)
keep their spread; ranks are taken within one call, so it acts on a set of windows, not on one.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from wavediff.errors import DataError
from wavediff.transforms.tails import _interp


class WindowScaleMap(nn.Module):
    """Quantiles of the per-window scale of training series ``(N, T)``, in a buffer (NaN: unfitted,
    then :meth:`forward` is the identity, as for checkpoints written before the map existed)."""

    def __init__(self, levels: int = 201) -> None:
        super().__init__()
        if levels < 2:
            raise ValueError(f"levels must be >= 2, got {levels}")
        self.register_buffer("quantiles", torch.full((levels,), float("nan"), dtype=torch.float64))

    @property
    def fitted(self) -> bool:
        return bool(torch.isfinite(self.quantiles).all())

    @torch.no_grad()
    def fit(self, series: Tensor) -> "WindowScaleMap":
        """Scale quantiles of training windows ``(N, T)`` (N >= 2, T >= 2)."""
        if series.ndim != 2 or series.shape[0] < 2 or series.shape[1] < 2:
            raise DataError(f"window scales: need training windows (N >= 2, T >= 2), got {tuple(series.shape)}")
        scales = series.double().std(dim=1)
        if not torch.isfinite(scales).all():
            raise DataError("window scales: training windows contain NaN or infinity")
        levels = torch.linspace(0, 1, self.quantiles.numel(), dtype=torch.float64, device=scales.device)
        self.quantiles.copy_(torch.quantile(scales, levels).to(self.quantiles.device))
        return self

    @torch.no_grad()
    def forward(self, series: Tensor) -> Tensor:
        """Generated windows ``(n, T)`` with their scales mapped by rank onto the training ones;
        same shape and dtype. Windows with no spread, a single window, or an unfitted map: unchanged."""
        if not self.fitted or series.ndim != 2 or series.shape[0] < 2:
            return series
        x = series.double()
        mean = x.mean(dim=1, keepdim=True)
        scales = x.std(dim=1)
        ranks = torch.argsort(torch.argsort(scales))
        levels = (ranks.double() + 0.5) / len(scales)
        grid = torch.linspace(0, 1, self.quantiles.numel(), dtype=torch.float64, device=x.device)
        target = _interp(levels, grid, self.quantiles.to(x.device))
        factor = torch.where(scales > 0, target / scales.clamp_min(1e-300), torch.ones_like(scales))
        return (mean + (x - mean) * factor[:, None]).to(series.dtype)

