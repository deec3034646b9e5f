"""σ-space samplers as plain functions (after Karras et al. 2022 and k-diffusion).

Every sampler has the signature ``method(denoise, x, sigmas, noise, callback=None, **options)``:

* ``denoise(x, sigma) -> x0``: the model's clean-image prediction at noise level ``sigma`` (a
  float), with guidance and range projection already wrapped in;
* ``x``: the starting images ``sigmas[0] * noise()``; ``sigmas``: ``(steps + 1,)`` descending,
  ending in 0 (:mod:`wavediff.sampling.sigmas`);
* ``noise()``: one fresh draw of the model's own diffusion noise (white, range or Student-t), so
  every stochastic sampler adds the noise the model was trained on;
* ``callback(Step)``: after every network call (progress bars, previews).

It returns the final images (at σ = 0). Each checks its own options and raises
:class:`~wavediff.errors.ConfigError` in one line. Adding a sampler = one function here and one
``configs/sampler/<name>.yaml`` naming it as ``method``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor

from wavediff.errors import ConfigError

SigmaDenoiser = Callable[[Tensor, float], Tensor]
NoiseSource = Callable[[], Tensor]


@dataclass(frozen=True)
class Step:
    """What a sampler reports after each network call."""

    index: int  # 0-based network call within this batch
    total: int  # network calls this batch will make
    sigma: float  # noise level the network was asked about
    x: Tensor  # (B, *image_shape) current noisy images
    denoised: Tensor  # (B, *image_shape) the network's clean-image prediction


StepCallback = Callable[[Step], None]


def _non_negative(name: str, value: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
        raise ConfigError(f"sampler.options.{name}={value!r}: must be >= 0")
    return float(value)


def _report(callback: StepCallback | None, index: int, total: int, sigma: float, x: Tensor,
            denoised: Tensor) -> None:
    if callback is not None:
        callback(Step(index, total, sigma, x, denoised))


def euler(denoise: SigmaDenoiser, x: Tensor, sigmas: Tensor, noise: NoiseSource,
          callback: StepCallback | None = None) -> Tensor:
    """First-order probability-flow ODE steps; ``steps`` network calls, deterministic."""
    levels = [float(s) for s in sigmas]
    for i, (sigma, sigma_next) in enumerate(zip(levels[:-1], levels[1:])):
        denoised = denoise(x, sigma)
        _report(callback, i, len(levels) - 1, sigma, x, denoised)
        x = denoised if sigma_next == 0 else x + (x - denoised) / sigma * (sigma_next - sigma)
    return x


def edm(denoise: SigmaDenoiser, x: Tensor, sigmas: Tensor, noise: NoiseSource,
        callback: StepCallback | None = None, churn: float = 0.0, s_tmin: float = 0.0,
        s_tmax: float = float("inf"), s_noise: float = 1.0) -> Tensor:
    """EDM's stochastic sampler (Karras et al. 2022, algorithm 2): at each level in
    ``[s_tmin, s_tmax]`` first raise σ by ``gamma = min(churn / steps, sqrt(2) - 1)`` with fresh
    noise (times ``s_noise``), then take a Heun step down. ``churn = 0`` is algorithm 1 (Heun):
    deterministic. ``2 steps - 1`` network calls (the last step is Euler, to σ = 0)."""
    churn, s_tmin, s_noise = _non_negative("churn", churn), _non_negative("s_tmin", s_tmin), \
        _non_negative("s_noise", s_noise)
    if not isinstance(s_tmax, (int, float)) or not s_tmax >= s_tmin:
        raise ConfigError(f"sampler.options.s_tmax={s_tmax!r}: must be >= s_tmin={s_tmin}")
    levels = [float(s) for s in sigmas]
    steps = len(levels) - 1
    total, calls = 2 * steps - 1, 0
    for i, (sigma, sigma_next) in enumerate(zip(levels[:-1], levels[1:])):
        gamma = min(churn / steps, math.sqrt(2) - 1) if s_tmin <= sigma <= s_tmax else 0.0
        sigma_hat = sigma * (1 + gamma)
        if gamma > 0:
            x = x + math.sqrt(sigma_hat ** 2 - sigma ** 2) * s_noise * noise()
        denoised = denoise(x, sigma_hat)
        _report(callback, calls, total, sigma_hat, x, denoised)
        calls += 1
        slope = (x - denoised) / sigma_hat
        x_next = x + (sigma_next - sigma_hat) * slope
        if sigma_next != 0:
            denoised_next = denoise(x_next, sigma_next)
            _report(callback, calls, total, sigma_next, x_next, denoised_next)
            calls += 1
            x_next = x + (sigma_next - sigma_hat) * 0.5 * (slope + (x_next - denoised_next) / sigma_next)
        x = x_next
    return x


def heun(denoise: SigmaDenoiser, x: Tensor, sigmas: Tensor, noise: NoiseSource,
         callback: StepCallback | None = None) -> Tensor:
    """EDM's deterministic 2nd-order sampler (algorithm 1): :func:`edm` with no churn."""
    return edm(denoise, x, sigmas, noise, callback)


def euler_ancestral(denoise: SigmaDenoiser, x: Tensor, sigmas: Tensor, noise: NoiseSource,
                    callback: StepCallback | None = None, eta: float = 1.0, s_noise: float = 1.0) -> Tensor:
    """Euler down to ``sigma_down``, then fresh noise up to the next level: ``eta = 1`` is the
    ancestral (DDPM-like) split, ``eta = 0`` is :func:`euler`. ``steps`` network calls."""
    eta, s_noise = _non_negative("eta", eta), _non_negative("s_noise", s_noise)
    levels = [float(s) for s in sigmas]
    for i, (sigma, sigma_next) in enumerate(zip(levels[:-1], levels[1:])):
        denoised = denoise(x, sigma)
        _report(callback, i, len(levels) - 1, sigma, x, denoised)
        if sigma_next == 0:
            x = denoised
            continue
        sigma_up = min(sigma_next, eta * math.sqrt(sigma_next ** 2 * (sigma ** 2 - sigma_next ** 2) / sigma ** 2))
        sigma_down = math.sqrt(sigma_next ** 2 - sigma_up ** 2)
        x = x + (x - denoised) / sigma * (sigma_down - sigma)
        if sigma_up > 0:
            x = x + noise() * s_noise * sigma_up
    return x


def dpmpp_2m(denoise: SigmaDenoiser, x: Tensor, sigmas: Tensor, noise: NoiseSource,
             callback: StepCallback | None = None) -> Tensor:
    """DPM-Solver++(2M) (Lu et al. 2022): a 2nd-order multistep solver in ``t = -log σ`` reusing the
    previous step's prediction; ``steps`` network calls, deterministic."""
    levels = [float(s) for s in sigmas]
    previous, t_previous = None, None
    for i, (sigma, sigma_next) in enumerate(zip(levels[:-1], levels[1:])):
        denoised = denoise(x, sigma)
        _report(callback, i, len(levels) - 1, sigma, x, denoised)
        t = -math.log(sigma)
        if sigma_next == 0:
            x = denoised
        else:
            h = -math.log(sigma_next) - t
            estimate = denoised
            if previous is not None:
                r = (t - t_previous) / h
                estimate = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * previous
            x = (sigma_next / sigma) * x - math.expm1(-h) * estimate
        previous, t_previous = denoised, t
    return x
