"""Analytic wavelets for the complex CWT, defined by their Fourier spectra at positive frequencies.

Every family is normalised so that its spectrum peaks at 1 at ``x = scale * omega = centre``; a
wavelet at scale ``s`` (in samples) then peaks at ``centre / s`` rad/sample and has a Fourier
period of ``2 pi s / centre`` bars. Morlet keeps its own ``centre = omega0``; Paul and DoG are
stretched so that their peak sits at ``x = 6`` (Morlet's usual ``omega0``), so one
``min_scale``/``max_scale`` means the same band for every family.

- ``morlet`` (``omega0``): ``exp(-(x - omega0)^2 / 2)``; good frequency resolution.
- ``paul`` (order ``m``, default 4): ``(u / m)^m exp(m - u)``; good time resolution, heavy
  high-frequency tail (sharp features such as jumps stay local).
- ``dog`` (order ``m``, default 2; the analytic derivative of Gaussian, i.e. the Morse wavelet
  with gamma = 2 and beta = m): ``(u^2 / m)^(m/2) exp((m - u^2) / 2)``; m = 2 is the analytic
  Mexican hat.

The inverse is the same least-squares dual frame for all of them (:mod:`wavediff.transforms.cwt`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import torch
from torch import Tensor

REFERENCE_CENTRE = 6.0  # where Paul and DoG are made to peak, in rad per unit scale


@dataclass(frozen=True)
class AnalyticWavelet:
    """An analytic wavelet family member: ``name`` (``morlet``, ``paul``, ``dog``) and its
    parameter (``omega0`` for Morlet, ``order`` for Paul and DoG)."""

    name: str = "morlet"
    omega0: float = 6.0
    order: int | None = None

    def __post_init__(self) -> None:
        if self.name not in FAMILIES:
            raise ValueError(f"wavelet must be one of {', '.join(FAMILIES)} (optionally with an order, "
                             f"e.g. paul4, dog2), got {self.name!r}")
        if self.name == "morlet":
            if not self.omega0 > 0:
                raise ValueError(f"omega0 must be positive, got {self.omega0}")
            if self.order is not None:
                raise ValueError("order applies to paul and dog wavelets; morlet takes omega0")
        else:
            order = FAMILIES[self.name] if self.order is None else self.order
            if isinstance(order, bool) or not isinstance(order, int) or order < 1:
                raise ValueError(f"order of the {self.name} wavelet must be an integer >= 1, got {order!r}")
            object.__setattr__(self, "order", order)

    @classmethod
    def parse(cls, name: str, omega0: float = 6.0, order: int | None = None) -> "AnalyticWavelet":
        """``"paul4"`` -> Paul of order 4; ``"morlet"``, ``"dog"`` (default order) as they are."""
        match = re.fullmatch(r"([a-z]+?)(\d+)?", str(name).strip().lower())
        if match is None:
            return cls(str(name), omega0, order)
        family, digits = match.groups()
        if digits is not None:
            if order is not None and int(digits) != order:
                raise ValueError(f"wavelet {name!r} and order={order} disagree")
            order = int(digits)
        return cls(family, omega0, order)

    @property
    def centre(self) -> float:
        """Peak of the spectrum, in rad per unit scale."""
        return self.omega0 if self.name == "morlet" else REFERENCE_CENTRE

    def spectrum(self, x: Tensor) -> Tensor:
        """Fourier response at ``x = scale * omega >= 0`` (any shape), peak 1 at :attr:`centre`."""
        if self.name == "morlet":
            return torch.exp(-0.5 * (x - self.omega0) ** 2)
        m = float(self.order)
        if self.name == "paul":
            u = x * (m / REFERENCE_CENTRE)
            return torch.exp(m * torch.log(u / m) + m - u)
        u = x * (math.sqrt(m) / REFERENCE_CENTRE)  # dog
        return torch.exp(0.5 * m * torch.log(u**2 / m) + 0.5 * (m - u**2))

    def __str__(self) -> str:
        return f"morlet(omega0={self.omega0:g})" if self.name == "morlet" else f"{self.name}{self.order}"


# family -> default order (None: Morlet, which takes omega0)
FAMILIES: dict[str, int | None] = {"morlet": None, "paul": 4, "dog": 2}
