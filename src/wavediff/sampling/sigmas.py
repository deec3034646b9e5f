"""Noise-level schedules for the σ-space samplers: ``steps + 1`` descending σ's ending in 0.

``karras`` is EDM's ``(sigma_max^(1/rho) + i/(n-1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho``;
``discrete`` walks the model's own training σ's (VP models only), evenly in timestep from the
last one down to the first (diffusers' "trailing" spacing).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from wavediff.errors import ConfigError
from wavediff.models.preconditioning import Preconditioning, VPPreconditioning


def karras_sigmas(steps: int, sigma_min: float, sigma_max: float, rho: float = 7.0) -> Tensor:
    """``(steps + 1,)`` float64: ``steps`` levels from ``sigma_max`` to ``sigma_min``, then 0."""
    ramp = torch.linspace(0, 1, steps, dtype=torch.float64) if steps > 1 else torch.zeros(1, dtype=torch.float64)
    lo, hi = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    return torch.cat([(hi + ramp * (lo - hi)) ** rho, torch.zeros(1, dtype=torch.float64)])


def discrete_sigmas(preconditioning: VPPreconditioning, steps: int) -> Tensor:
    """``(steps + 1,)`` float64: the model's σ at ``steps`` timesteps from ``T - 1`` to 0, then 0
    (fractional timesteps are interpolated in ``log σ``)."""
    last = len(preconditioning.sigmas) - 1
    times = torch.linspace(last, 0, steps, dtype=torch.float64) if steps > 1 else torch.full((1,), float(last),
                                                                                           dtype=torch.float64)
    return torch.cat([preconditioning.sigma_of(times), torch.zeros(1, dtype=torch.float64)])


def _karras(preconditioning: Preconditioning, steps: int, rho: float, sigma_min: float, sigma_max: float) -> Tensor:
    return karras_sigmas(steps, sigma_min, sigma_max, rho)


def _discrete(preconditioning: Preconditioning, steps: int, rho: float, sigma_min: float, sigma_max: float) -> Tensor:
    if not isinstance(preconditioning, VPPreconditioning):
        raise ConfigError(f"sampler.schedule=discrete walks a discrete model's timesteps; this model is "
                          f"{preconditioning.kind} (continuous σ): use sampler.schedule=karras")
    return discrete_sigmas(preconditioning, steps)


SCHEDULES: dict[str, Callable[..., Tensor]] = {"karras": _karras, "discrete": _discrete}


def schedule_sigmas(schedule: str, preconditioning: Preconditioning, steps: int, rho: float = 7.0,
                    sigma_min: float | None = None, sigma_max: float | None = None) -> Tensor:
    """The σ's a sampler steps through. ``sigma_min``/``sigma_max`` default to the model's trained
    range and must lie inside it (a network is not asked about noise it never saw)."""
    if schedule not in SCHEDULES:
        raise ConfigError(f"sampler.schedule={schedule!r}: one of {', '.join(SCHEDULES)}")
    if not isinstance(rho, (int, float)) or isinstance(rho, bool) or not rho > 0:
        raise ConfigError(f"sampler.rho={rho!r}: must be > 0")
    lo = preconditioning.sigma_min if sigma_min is None else sigma_min
    hi = preconditioning.sigma_max if sigma_max is None else sigma_max
    # a relative tolerance: the trained range is itself computed in floating point
    trained = (preconditioning.sigma_min * (1 - 1e-6), preconditioning.sigma_max * (1 + 1e-6))
    for name, value in (("sigma_min", lo), ("sigma_max", hi)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not trained[0] <= value <= trained[1]:
            raise ConfigError(f"sampler.{name}={value!r}: outside the model's trained σ range "
                              f"[{preconditioning.sigma_min:.4g}, {preconditioning.sigma_max:.4g}]")
    if not lo < hi:
        raise ConfigError(f"sampler.sigma_min={lo:.4g} must be below sampler.sigma_max={hi:.4g}")
    return SCHEDULES[schedule](preconditioning, steps, float(rho), float(lo), float(hi))
