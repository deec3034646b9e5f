"""Complex (analytic) continuous wavelet transform with an exact least-squares inverse.

The transform is a bank of filters applied in the Fourier domain with ``torch.fft``, for a whole
batch of windows at once. Row ``i`` of the image is the complex coefficient sequence of filter
``i``; rows ``0 .. S-2`` are analytic wavelets (Morlet by default; Paul and DoG in
:mod:`wavediff.transforms.wavelets`) from the finest scale to the coarsest, and
the last row is a low-pass (scaling-function) channel that keeps the mean and the frequencies
below the coarsest wavelet. Real and imaginary parts are the two image channels, so a series and
its negative give different images (a magnitude scalogram would not).

Inverse: at every frequency ``k`` the forward map is ``W_i[k] = X[k] H_i[k]``; the least-squares
solution is ``X[k] = sum_i conj(H_i[k]) W_i[k] / sum_i |H_i[k]|^2`` (the canonical dual frame).
The filters cover every frequency from DC to Nyquist, so the round trip is exact up to float
rounding, and ``forward(inverse(img))`` is the orthogonal projection onto the transform's range.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from wavediff.transforms.wavelets import AnalyticWavelet


def log_scales(num_wavelets: int, min_scale: float, max_scale: float) -> Tensor:
    """Log-spaced wavelet scales in samples, finest first. Returns ``(num_wavelets,)``."""
    return torch.logspace(math.log10(min_scale), math.log10(max_scale), num_wavelets, dtype=torch.float64)


def filter_bank(
    window_size: int, num_scales: int, wavelet: AnalyticWavelet | None = None, min_scale: float = 2.0,
    max_scale: float | None = None,
) -> Tensor:
    """Fourier-domain filters of an analytic wavelet bank (Morlet, omega0 = 6, by default) plus a
    low-pass row.

    Returns real ``(num_scales, window_size // 2 + 1)`` float64 responses at the non-negative
    frequencies ``omega_k = 2 pi k / window_size`` (rad/sample); negative frequencies are zero
    (analytic wavelets). The wavelet rows are normalised so that their summed energy peaks at 1,
    and the low-pass row fills the energy up to 1 below the band, so the frame is close to tight.
    """
    if num_scales < 2:
        raise ValueError(f"num_scales must be >= 2 (wavelets + one low-pass row), got {num_scales}")
    max_scale = max_scale if max_scale is not None else window_size / 8
    if not 0 < min_scale < max_scale:
        raise ValueError(f"need 0 < min_scale < max_scale, got {min_scale} and {max_scale}")
    omega = 2 * math.pi * torch.arange(window_size // 2 + 1, dtype=torch.float64) / window_size
    scales = log_scales(num_scales - 1, min_scale, max_scale)
    psi = (wavelet or AnalyticWavelet()).spectrum(scales[:, None] * omega[None, :])
    psi[:, 0] = 0.0  # analytic wavelets carry no DC; the low-pass row keeps the mean
    energy = (psi**2).sum(0)
    psi = psi / energy.max().sqrt()
    energy = energy / energy.max()
    # Low-pass: fill up to 1 with the running maximum of the wavelet energy, which is continuous
    # and reaches 1 inside the band, so the low-pass row is smooth and vanishes above it.
    running_max = torch.cummax(energy, dim=0).values
    phi = (1.0 - running_max).clamp(min=0.0).sqrt()
    return torch.cat([psi, phi[None, :]], dim=0)


class AnalyticCWT(nn.Module):
    """Batched analytic-wavelet CWT ``(B, T) -> (B, 2, S, T)`` and its exact inverse.

    Args:
        window_size: ``T``, samples per window.
        num_scales: ``S``, image rows: ``S - 1`` wavelet scales (finest first) and one low-pass row.
        omega0: Morlet centre frequency (rad per unit scale); 6 is the usual choice.
        min_scale: finest wavelet scale in samples (2 puts its peak near Nyquist).
        max_scale: coarsest wavelet scale in samples; default ``window_size / 8``.
        wavelet: ``morlet`` (default), ``paul`` or ``dog``, optionally with the order (``paul4``).
        order: order of a Paul or DoG wavelet (default 4 and 2).
    """

    channels = 2

    def __init__(
        self, window_size: int, num_scales: int, omega0: float = 6.0, min_scale: float = 2.0,
        max_scale: float | None = None, wavelet: str = "morlet", order: int | None = None,
    ) -> None:
        super().__init__()
        self.window_size = int(window_size)
        self.num_scales = int(num_scales)
        self.wavelet = AnalyticWavelet.parse(wavelet, float(omega0), order)
        self.omega0 = float(omega0)
        self.min_scale = float(min_scale)
        self.max_scale = float(max_scale) if max_scale is not None else window_size / 8
        filters = filter_bank(window_size, num_scales, self.wavelet, min_scale, self.max_scale)
        energy = (filters**2).sum(0)
        if float(energy.min()) < 1e-6:
            raise ValueError("filter bank leaves frequencies uncovered; widen the scale range")
        # Rebuilt from the arguments, so not stored in checkpoints.
        self.register_buffer("filters", filters.float(), persistent=False)  # (S, T//2+1)
        self.register_buffer("dual", (filters / energy).float(), persistent=False)  # (S, T//2+1)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(2, S, T)``: real/imaginary channels, scale rows, time columns."""
        return (self.channels, self.num_scales, self.window_size)

    def extra_repr(self) -> str:
        return (f"window_size={self.window_size}, num_scales={self.num_scales}, wavelet={self.wavelet}, "
                f"scales=[{self.min_scale:g}, {self.max_scale:g}]")

    def forward(self, series: Tensor) -> Tensor:
        """Transform real windows ``(B, T)`` into images ``(B, 2, S, T)`` (real, imag)."""
        if series.shape[-1] != self.window_size:
            raise ValueError(f"expected windows of length {self.window_size}, got {series.shape[-1]}")
        spectrum = torch.fft.rfft(series.float(), dim=-1)  # (B, F)
        banded = spectrum[:, None, :] * self.filters  # (B, S, F), positive frequencies only
        full = torch.zeros(*banded.shape[:-1], self.window_size, dtype=banded.dtype, device=banded.device)
        full[..., : banded.shape[-1]] = banded
        coeffs = torch.fft.ifft(full, dim=-1)  # (B, S, T) complex
        return torch.stack([coeffs.real, coeffs.imag], dim=1)

    def inverse(self, images: Tensor) -> Tensor:
        """Least-squares inverse: images ``(B, 2, S, T)`` -> windows ``(B, T)``."""
        if images.shape[-3:] != self.image_shape[-2:] and images.shape[-3:] != self.image_shape:
            raise ValueError(f"expected images of shape (B, {self.image_shape}), got {tuple(images.shape)}")
        coeffs = torch.complex(images[:, 0].float(), images[:, 1].float())  # (B, S, T)
        spectra = torch.fft.fft(coeffs, dim=-1)[..., : self.window_size // 2 + 1]  # (B, S, F)
        spectrum = (self.dual * spectra).sum(dim=1)  # (B, F)
        return torch.fft.irfft(spectrum, n=self.window_size, dim=-1)

    def project(self, images: Tensor) -> Tensor:
        """Nearest image in the transform's range: ``forward(inverse(images))``, ``(B, 2, S, T)``."""
        return self.forward(self.inverse(images))

    def magnitude(self, images: Tensor) -> Tensor:
        """Modulus of the complex coefficients: ``(B, 2, S, T) -> (B, S, T)``."""
        return torch.sqrt(images[:, 0] ** 2 + images[:, 1] ** 2)


def period_labels(cwt: AnalyticCWT) -> list[str]:
    """Wavelet period in bars (``2 pi s / centre``) per image row, and ``low-pass`` for the last row."""
    scales = log_scales(cwt.num_scales - 1, cwt.min_scale, cwt.max_scale).numpy()
    periods = 2 * math.pi * scales / cwt.wavelet.centre
    return [f"{p:.0f}" if p >= 10 else f"{p:.1f}" for p in periods] + ["low-pass"]
