"""The seed's representation, kept as a baseline: real Morlet magnitude scalogram, per-window
min-max scaling, bilinear resize to a square image; inverted by phase (sign) retrieval.

Forward, for windows ``(B, T)``: ``W_s = x * psi_s`` with the real ``morl`` wavelet
``psi(t) = exp(-t^2 / 2) cos(5 t)`` (or ``mexh``) at linear scales ``1..S`` (as
``pywt.cwt(x, arange(1, S + 1), "morl")``, computed as one batched FFT filter bank), ``|W|`` -> per-window min-max to [-1, 1]
-> resize ``(S, T) -> (H, H)``. One image channel.

What it loses, and how :meth:`MagnitudeScalogram.decode` gets a series back anyway:
- the resize: undone by resizing back (detail finer than the image grid is gone);
- the per-window min-max: each window's own range is gone, so the median range of the training
  windows is used for every window (the volatility level of a window cannot be recovered);
- the sign of every coefficient: recovered by Griffin-Lim style alternating projections (keep the
  given magnitude, take the signs of the transform of the current least-squares series), which
  also cannot tell ``x`` from ``-x``;
- the mean and the lowest frequencies (the real Morlet has no DC response): the inverse uses a
  regularised dual frame, so they come back as zero.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from wavediff.errors import require_int
from wavediff.transforms.base import Representation

def _morl(w: Tensor) -> Tensor:
    """pywt's ``morl``, ``exp(-t^2 / 2) cos(5 t)``: two Gaussians at +-5 rad per unit scale."""
    return math.sqrt(math.pi / 2) * (torch.exp(-0.5 * (w - 5.0) ** 2) + torch.exp(-0.5 * (w + 5.0) ** 2))


def _mexh(w: Tensor) -> Tensor:
    """pywt's ``mexh`` (Mexican hat, the second derivative of a Gaussian): peak at sqrt(2)."""
    return math.sqrt(2 * math.pi) * w**2 * torch.exp(-0.5 * w**2)


# pywt names of the real wavelets whose Fourier response is known in closed form, and the
# centre (rad per unit scale) that turns a scale into a period
REAL_WAVELETS = {"morl": (_morl, 5.0), "mexh": (_mexh, math.sqrt(2))}


def real_wavelet_bank(window_size: int, num_scales: int, wavelet: str = "morl") -> Tensor:
    """Fourier responses ``(S, T // 2 + 1)`` of a real wavelet at scales ``1..S`` (float64).

    Scale ``s`` gives ``sqrt(s) psi_hat(s w)``, the L2-normalised wavelet of the CWT
    (``1 / sqrt(s)`` in time), as ``pywt.cwt(x, arange(1, S + 1), wavelet)`` computes it.
    """
    if wavelet not in REAL_WAVELETS:
        raise ValueError(f"wavelet of the magnitude scalogram must be one of {', '.join(REAL_WAVELETS)}, "
                         f"got {wavelet!r}")
    omega = 2 * math.pi * torch.arange(window_size // 2 + 1, dtype=torch.float64) / window_size
    scales = torch.arange(1, num_scales + 1, dtype=torch.float64)[:, None]
    return scales.sqrt() * REAL_WAVELETS[wavelet][0](scales * omega[None, :])


class MagnitudeScalogram(Representation):
    """Seed-compatible magnitude scalogram ``(B, T) -> (B, 1, H, H)`` with an approximate inverse.

    Args:
        window_size: ``T``, returns per window.
        num_scales: ``S``, wavelet scales ``1..S`` (linear, as the seed).
        image_size: ``H``, side of the square model image after the resize.
        retrieval_iters: Griffin-Lim iterations of :meth:`decode`.
        regularization: relative Tikhonov term of the dual frame (frequencies the bank barely
            covers, e.g. DC, are damped instead of blown up).
        project_in_sampling: if true, :meth:`project` maps an image to the image of its decoded
            series (costly: one phase retrieval per sampling step); the seed had no projection,
            so by default it returns the images as they are.
        wavelet: the pywt name of the real wavelet, ``morl`` (the seed's) or ``mexh``.
    """

    kind = "magnitude_scalogram"
    channels = 1

    def __init__(self, window_size: int, num_scales: int = 64, image_size: int = 64, retrieval_iters: int = 64,
                 regularization: float = 1e-3, project_in_sampling: bool = False, wavelet: str = "morl",
                 window_scales: bool = False) -> None:
        super().__init__()
        self.refuse_window_scales(window_scales)
        require_int(num_scales, "data.transform.num_scales", 2)
        require_int(image_size, "data.transform.image_size", 2)
        self.window_size, self.num_scales, self.image_size = int(window_size), int(num_scales), int(image_size)
        self.retrieval_iters, self.regularization = int(retrieval_iters), float(regularization)
        self.project_in_sampling = bool(project_in_sampling)
        self.wavelet = str(wavelet)
        bank = real_wavelet_bank(self.window_size, self.num_scales, self.wavelet)
        energy = (bank**2).sum(0)
        self.register_buffer("filters", bank.float(), persistent=False)  # (S, F)
        self.register_buffer("dual", (bank / (energy + regularization * energy.max())).float(), persistent=False)
        # Median per-window min and max of |W| over the training windows (the undo of min-max).
        self.register_buffer("magnitude_range", torch.tensor([0.0, 1.0], dtype=torch.float64))

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "window_size": self.window_size, "num_scales": self.num_scales,
                "image_size": self.image_size, "retrieval_iters": self.retrieval_iters,
                "regularization": self.regularization, "project_in_sampling": self.project_in_sampling,
                "wavelet": self.wavelet}

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.image_size, self.image_size)

    # -- the real-wavelet frame --------------------------------------------------------------------
    def coefficients(self, series: Tensor) -> Tensor:
        """Real CWT coefficients ``(B, S, T)`` of windows ``(B, T)``."""
        spectrum = torch.fft.rfft(series.float(), dim=-1)
        return torch.fft.irfft(spectrum[:, None, :] * self.filters, n=self.window_size, dim=-1)

    def synthesize(self, coeffs: Tensor) -> Tensor:
        """Regularised least-squares series ``(B, T)`` from coefficients ``(B, S, T)``."""
        spectra = torch.fft.rfft(coeffs.float(), dim=-1)
        return torch.fft.irfft((self.dual * spectra).sum(dim=1), n=self.window_size, dim=-1)

    # -- representation ----------------------------------------------------------------------------
    @torch.no_grad()
    def fit(self, train_returns: Tensor, start_price: float) -> "MagnitudeScalogram":
        mag = self.coefficients(train_returns.float()).abs().flatten(1)
        lows, highs = mag.min(dim=1).values, mag.max(dim=1).values
        self.magnitude_range.copy_(torch.stack([lows.median(), highs.median()]).double())
        self.start_price.fill_(float(start_price))
        return self

    def encode(self, returns: Tensor) -> Tensor:
        """Windows ``(B, T)`` -> min-max scaled, resized magnitudes ``(B, 1, H, H)`` in [-1, 1]."""
        mag = self.coefficients(returns.float()).abs()
        low = mag.amin(dim=(1, 2), keepdim=True)
        high = mag.amax(dim=(1, 2), keepdim=True)
        scaled = 2 * (mag - low) / (high - low).clamp(min=1e-12) - 1
        return F.interpolate(scaled[:, None], size=(self.image_size, self.image_size), mode="bilinear",
                             align_corners=False)

    def unscaled_magnitude(self, images: Tensor) -> Tensor:
        """Best guess of ``|W|`` ``(B, S, T)``: resized back, min-max undone with the training medians."""
        back = F.interpolate(images.float().clamp(-1, 1), size=(self.num_scales, self.window_size),
                             mode="bilinear", align_corners=False)[:, 0]
        low, high = (float(v) for v in self.magnitude_range)
        return low + (back + 1) / 2 * (high - low)

    def decode(self, images: Tensor) -> Tensor:
        """Images ``(B, 1, H, H)`` -> windows ``(B, T)`` by sign retrieval (Griffin-Lim)."""
        mag = self.unscaled_magnitude(images)
        generator = torch.Generator(device="cpu").manual_seed(0)  # same start for every call
        signs = torch.randint(0, 2, mag.shape, generator=generator).to(mag.device).float() * 2 - 1
        series = self.synthesize(mag * signs)
        for _ in range(self.retrieval_iters):
            series = self.synthesize(mag * torch.sign(self.coefficients(series)))
        return series

    def project(self, images: Tensor) -> Tensor:
        return self.encode(self.decode(images)) if self.project_in_sampling else images

    def reprojection_error(self, images: Tensor) -> Tensor:
        """Relative distance of each image to the image of its decoded series, ``(B,)``."""
        images = images.float()
        diff = (self.encode(self.decode(images)) - images).flatten(1).norm(dim=1)
        return diff / images.flatten(1).norm(dim=1).clamp(min=1e-12)

    def magnitude(self, images: Tensor) -> Tensor:
        return (images[:, 0].float() + 1) / 2

    def row_labels(self) -> list[str]:
        """Period in bars of each image row (rows resample scales ``1..S`` linearly)."""
        scales = torch.linspace(1, self.num_scales, self.image_size)
        centre = REAL_WAVELETS[self.wavelet][1]
        return [f"{2 * math.pi * s / centre:.1f}" for s in scales.tolist()]
