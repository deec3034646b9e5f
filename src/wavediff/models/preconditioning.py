"""The network seen from σ-space: ``D(x, sigma, cond) -> x0``, the clean image it predicts.

Every sampler (:mod:`wavediff.sampling.methods`) works on ``x = x0 + sigma * n`` (the
variance-exploding form of Karras et al. 2022, "EDM") and calls only ``D``. Two preconditionings
turn a trained network into ``D``:

* :class:`VPPreconditioning`: the discrete DDPM models trained so far (``model.prediction`` =
  ``epsilon``, ``sample`` or ``v_prediction``). ``x_t = sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) n``
  is ``x / sqrt(1 + sigma^2)`` with ``sigma^2 = (1 - alpha_bar) / alpha_bar``; a ``sigma`` between
  two training timesteps is given the timestep interpolated in ``log sigma`` (as k-diffusion's
  discrete wrappers do), so float timesteps reach the network's sinusoidal time embedding.
* :class:`EDMPreconditioning` (``model.prediction=edm``): ``D = c_skip x + c_out F(c_in x, c_noise)``
  trained at log-normal σ with EDM's loss weight, which makes the target of ``F`` unit-variance
  at every σ.

Each also says how training makes a ``(network input, network time, target)`` triple, so the loss
and the samplers cannot disagree about what the network means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor

from wavediff.errors import ConfigError
from wavediff.models.parameterization import Parameterization

Network = Callable[[Tensor, Tensor, "Tensor | None"], Tensor]  # net(x, time (B,), cond) -> output


def _per_image(values: Tensor, ndim: int) -> Tensor:
    """``(B,)`` -> ``(B, 1, ...)`` broadcasting over ``ndim``-D images."""
    return values.view(-1, *([1] * (ndim - 1)))


class Preconditioning:
    """What a sampler needs to know about a trained network (see module docstring)."""

    kind: str
    sigma_min: float  # smallest σ the network was trained at
    sigma_max: float  # largest

    def denoise(self, net: Network, x: Tensor, sigma: Tensor, cond: Tensor | None) -> Tensor:
        """Clean images ``(B, *image_shape)`` predicted from ``x = x0 + sigma n``; ``sigma`` ``(B,)``."""
        raise NotImplementedError

    def training_example(self, clean: Tensor, noise: Tensor,
                         generator: torch.Generator | None) -> tuple[Tensor, Tensor, Tensor]:
        """``(network input, network time (B,), target)`` for clean images and unit-variance noise:
        the loss is the MSE between ``net(input, time, cond)`` and ``target``."""
        raise NotImplementedError

    def discrete_sigmas(self) -> Tensor | None:
        """The σ of every training timestep, ascending, or ``None`` for a continuous-σ model."""
        return None


class VPPreconditioning(Preconditioning):
    """A discrete DDPM network: timesteps ``0..T-1`` with ``alphas_cumprod`` ``(T,)``."""

    kind = "vp"

    def __init__(self, parameterization: Parameterization, alphas_cumprod: Tensor) -> None:
        self.parameterization = parameterization
        self.alphas_cumprod = alphas_cumprod
        # float64 σ table: timestep lookups are exact at the training σ's
        ab = alphas_cumprod.double().cpu()
        self.sigmas = ((1 - ab) / ab).sqrt()
        self.log_sigmas = self.sigmas.log()
        self.sigma_min, self.sigma_max = float(self.sigmas[0]), float(self.sigmas[-1])

    def discrete_sigmas(self) -> Tensor:
        return self.sigmas

    def sigma_of(self, timesteps: Tensor) -> Tensor:
        """σ of (integer or float) timesteps ``(B,)``, float64, interpolated in ``log σ``."""
        t = timesteps.double().cpu().clamp(0, len(self.sigmas) - 1)
        low = t.floor().long().clamp(max=len(self.sigmas) - 2)
        w = t - low
        return ((1 - w) * self.log_sigmas[low] + w * self.log_sigmas[low + 1]).exp()

    def timestep_of(self, sigma: Tensor) -> Tensor:
        """Float timesteps ``(B,)`` of ``sigma`` (clamped to the trained range), exact integers at the
        training σ's."""
        log_sigma = sigma.double().cpu().log().clamp(float(self.log_sigmas[0]), float(self.log_sigmas[-1]))
        high = torch.searchsorted(self.log_sigmas, log_sigma).clamp(1, len(self.sigmas) - 1)
        low = high - 1
        lo, hi = self.log_sigmas[low], self.log_sigmas[high]
        w = (log_sigma - lo) / (hi - lo)
        return torch.where(w == 1.0, high.double(), low.double() + w)

    def denoise(self, net: Network, x: Tensor, sigma: Tensor, cond: Tensor | None) -> Tensor:
        sig = sigma.double().cpu()
        alpha_bar = _per_image((1 / (1 + sig ** 2)).float().to(x.device), x.ndim)
        noisy = x * alpha_bar.sqrt()  # x_t = x / sqrt(1 + σ²)
        time = self.timestep_of(sig).float().to(x.device)
        output = net(noisy, time, cond)
        return self.parameterization.clean(output, noisy, alpha_bar)

    def training_example(self, clean: Tensor, noise: Tensor,
                         generator: torch.Generator | None) -> tuple[Tensor, Tensor, Tensor]:
        count, device = clean.shape[0], clean.device
        gen_device = generator.device if generator is not None else device
        steps = torch.randint(0, len(self.alphas_cumprod), (count,), generator=generator,
                              device=gen_device).to(device)
        if self.alphas_cumprod.device != device:  # once: no host copy per training step on a GPU
            self.alphas_cumprod = self.alphas_cumprod.to(device)
        alpha_bar = _per_image(self.alphas_cumprod[steps], clean.ndim)
        noisy = alpha_bar.sqrt() * clean + (1 - alpha_bar).sqrt() * noise
        return noisy, steps, self.parameterization.target(clean, noise, alpha_bar)


class EDMPreconditioning(Preconditioning):
    """Karras et al. 2022 preconditioning around any ``net(x, time, cond)``.

    Args:
        sigma_data: standard deviation of the clean images (ours are standardised per scale: 1).
        p_mean, p_std: training σ is ``exp(N(p_mean, p_std^2))``.
        sigma_min, sigma_max: the σ range samplers may use (training σ is clipped to it).
        time_scale: ``c_noise = time_scale * ln(sigma) / 4``. EDM feeds ``ln(σ) / 4`` (about -1.5 to
            1.1); the diffusers UNet's sinusoidal time embedding is laid out for the 0-1000
            timesteps of a DDPM, so the default 250 spreads σ over a similar range.
    """

    kind = "edm"

    def __init__(self, sigma_data: float = 1.0, p_mean: float = -1.2, p_std: float = 1.2,
                 sigma_min: float = 0.002, sigma_max: float = 80.0, time_scale: float = 250.0) -> None:
        for name, value in (("sigma_data", sigma_data), ("p_std", p_std), ("sigma_min", sigma_min),
                            ("sigma_max", sigma_max), ("time_scale", time_scale)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                raise ConfigError(f"model.edm.{name}={value!r}: must be a positive number")
        if not isinstance(p_mean, (int, float)) or isinstance(p_mean, bool):
            raise ConfigError(f"model.edm.p_mean={p_mean!r}: must be a number")
        if not sigma_min < sigma_max:
            raise ConfigError(f"model.edm: sigma_min={sigma_min} must be below sigma_max={sigma_max}")
        self.sigma_data, self.p_mean, self.p_std = float(sigma_data), float(p_mean), float(p_std)
        self.sigma_min, self.sigma_max, self.time_scale = float(sigma_min), float(sigma_max), float(time_scale)

    def coefficients(self, sigma: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """``c_skip, c_out, c_in, c_noise`` of ``sigma`` (any shape)."""
        sd2 = self.sigma_data ** 2
        total = sigma ** 2 + sd2
        return (sd2 / total, sigma * self.sigma_data / total.sqrt(), 1 / total.sqrt(),
                self.time_scale * sigma.log() / 4)

    def denoise(self, net: Network, x: Tensor, sigma: Tensor, cond: Tensor | None) -> Tensor:
        sig = sigma.to(device=x.device, dtype=torch.float32)
        c_skip, c_out, c_in, c_noise = self.coefficients(sig)
        output = net(x * _per_image(c_in, x.ndim), c_noise, cond)
        return _per_image(c_skip, x.ndim) * x + _per_image(c_out, x.ndim) * output

    def training_example(self, clean: Tensor, noise: Tensor,
                         generator: torch.Generator | None) -> tuple[Tensor, Tensor, Tensor]:
        count, device = clean.shape[0], clean.device
        gen_device = generator.device if generator is not None else device
        normal = torch.randn(count, generator=generator, device=gen_device).to(device)
        sigma = (self.p_mean + self.p_std * normal).exp().clamp(self.sigma_min, self.sigma_max)
        c_skip, c_out, c_in, c_noise = self.coefficients(sigma)
        x = clean + _per_image(sigma, clean.ndim) * noise
        # EDM's weight lambda = 1 / c_out^2 makes the loss a plain MSE on F's target
        target = (clean - _per_image(c_skip, clean.ndim) * x) / _per_image(c_out, clean.ndim)
        return x * _per_image(c_in, clean.ndim), c_noise, target

    def config(self) -> dict[str, Any]:
        return {"sigma_data": self.sigma_data, "p_mean": self.p_mean, "p_std": self.p_std,
                "sigma_min": self.sigma_min, "sigma_max": self.sigma_max, "time_scale": self.time_scale}


def build_preconditioning(prediction: str, alphas_cumprod: Tensor,
                          edm: Mapping[str, Any] | None = None) -> Preconditioning:
    """``model.prediction=edm`` gives :class:`EDMPreconditioning` (arguments ``model.edm``); any
    discrete prediction (checked by :class:`Parameterization`) a :class:`VPPreconditioning`."""
    if prediction == "edm":
        try:
            return EDMPreconditioning(**dict(edm or {}))
        except TypeError as exc:
            raise ConfigError(f"model.edm: {exc}; keys: sigma_data, p_mean, p_std, sigma_min, sigma_max, "
                              "time_scale") from exc
    if edm:
        raise ConfigError(f"model.edm is set but model.prediction={prediction!r}: use model.prediction=edm")
    return VPPreconditioning(Parameterization(prediction), alphas_cumprod)

