"""What every image representation of return windows provides (model, sampler and plots rely on it)."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor, nn


def prices_from_returns(returns: Tensor, start_price: float) -> Tensor:
    """Price paths ``(..., T + 1)`` (float64) from log returns ``(..., T)`` (e.g. ``(B, T)`` or
    ``(B, A, T)``), all starting at ``start_price``."""
    log_paths = torch.cumsum(torch.as_tensor(returns).double(), dim=-1)
    log_paths = torch.cat([torch.zeros_like(log_paths[..., :1]), log_paths], dim=-1)
    return start_price * torch.exp(log_paths)


def gaussian(shape: tuple[int, ...], generator: torch.Generator | None, device: torch.device | str) -> Tensor:
    """Standard normal ``shape`` on ``device``, drawn on the generator's device (a CPU generator gives
    the same numbers whatever the device the result goes to)."""
    source = generator.device if generator is not None else device
    return torch.randn(shape, generator=generator, device=source).to(device)


class Representation(nn.Module):
    """Turns log-return windows ``(B, T)`` into model images ``(B, C, H, W)`` and back.

    Subclasses implement :meth:`config`, :attr:`image_shape`, :meth:`fit`, :meth:`encode`,
    :meth:`decode`, :meth:`project`, :meth:`magnitude` and :meth:`row_labels`; fitted statistics
    live in buffers so they travel in checkpoints. ``kind`` names the subclass in configs
    (``data.transform.kind``) and in :meth:`config`.
    """

    kind: ClassVar[str]
    has_range: ClassVar[bool] = False  # linear, with range_noise (complex_cwt, returns)

    def __init__(self) -> None:
        super().__init__()
        # Price at the end of the training split: generated paths start from it.
        self.register_buffer("start_price", torch.tensor(1.0, dtype=torch.float64))

    @property
    def device(self) -> torch.device:
        """Where the fitted statistics live; inputs from elsewhere are moved here by callers."""
        return self.start_price.device

    def config(self) -> dict[str, Any]:
        """Constructor arguments plus ``kind``: enough to rebuild the object before loading its state."""
        raise NotImplementedError

    @property
    def image_shape(self) -> tuple[int, ...]:
        """``(C, H, W)`` of one model image (``(C, T)`` for 1-D signals)."""
        raise NotImplementedError

    def fit(self, train_returns: Tensor, start_price: float) -> "Representation":
        raise NotImplementedError

    def encode(self, returns: Tensor) -> Tensor:
        raise NotImplementedError

    def decode(self, images: Tensor) -> Tensor:
        raise NotImplementedError

    @classmethod
    def refuse_window_scales(cls, window_scales: bool) -> None:
        """For representations without the map: ``window_scales`` (set by data configs that turn the
        map off) may only be false."""
        if window_scales:
            raise ValueError(f"{cls.kind} has no window-scale map; window_scales must be false")

    def match_window_scales(self, returns: Tensor) -> Tensor:
        """Generated windows ``(n, T)`` with the training windows' distribution of scales (see
        :mod:`wavediff.transforms.window_scales`); representations without the map return ``returns``."""
        return returns

    def project(self, images: Tensor) -> Tensor:
        """Nearest image (or the representation's best substitute) of a real series, same shape."""
        raise NotImplementedError

    def magnitude(self, images: Tensor) -> Tensor:
        """Scalogram magnitude ``(B, rows, W)`` for plotting."""
        raise NotImplementedError

    def row_labels(self) -> list[str]:
        """One label per :meth:`magnitude` row: wavelet period in bars."""
        raise NotImplementedError

    def range_noise(self, count: int, generator: torch.Generator | None = None,
                    series: Tensor | None = None) -> Tensor:
        """Noise that lies in the representation's range, ``(count, *image_shape)`` with unit mean
        variance, on the representation's device (only representations with a linear range have
        it): the images of white Gaussian series drawn from ``generator`` (on its own device, so a
        CPU generator gives the same noise on any device), or of the given unit-variance i.i.d.
        ``series`` ``(count, T)``."""
        raise NotImplementedError(f"{self.kind} has no range noise; use model/noise=white")

    def reprojection_error(self, images: Tensor) -> Tensor:
        """Per-image relative distance to :meth:`project`'s result, ``(B,)``; 0 for real images."""
        images = images.float()
        diff = (self.project(images) - images).flatten(1).norm(dim=1)
        return diff / images.flatten(1).norm(dim=1).clamp(min=1e-12)

    def prices(self, returns: Tensor, start_price: float | None = None) -> Tensor:
        """Price paths ``(B, T + 1)`` from log returns ``(B, T)``, starting at ``start_price``."""
        return prices_from_returns(returns, float(self.start_price) if start_price is None else start_price)
