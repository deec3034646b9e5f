"""Draw samples from a trained :class:`DiffusionModule` and turn them into series.

Used by the sampling callback, ``scripts/generate.py`` and evaluation alike.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from tqdm.auto import tqdm

from wavediff.errors import ConfigError
from wavediff.models.diffusion import DiffusionModule
from wavediff.sampling.samplers import SamplerConfig, build_scheduler


@dataclass
class Samples:
    """Generated data in model and market units (CPU tensors)."""

    images: torch.Tensor  # (N, 2, S, T) normalised images
    returns: torch.Tensor  # (N, T) log returns
    prices: torch.Tensor  # (N, T + 1) prices from the start price
    reprojection_error: torch.Tensor  # (N,) relative distance of the final images to the CWT range
    network_evals: int  # network calls per sample
    sampler: str


def _epsilon_through_projection(module: DiffusionModule, noisy: torch.Tensor, eps: torch.Tensor,
                                alpha_bar: torch.Tensor) -> torch.Tensor:
    """Noise prediction consistent with the projected clean-image prediction.

    x0 = (x_t - sqrt(1 - a) eps) / sqrt(a); project x0 onto the CWT range; solve back for eps.
    Every epsilon-prediction scheduler then steps toward an image of a real series.
    """
    sqrt_a, sqrt_1ma = alpha_bar.sqrt(), (1 - alpha_bar).sqrt()
    clean = module.representation.project((noisy - sqrt_1ma * eps) / sqrt_a)
    return (noisy - sqrt_a * clean) / sqrt_1ma


@torch.no_grad()
def generate(module: DiffusionModule, n: int, sampler: SamplerConfig | Mapping[str, Any],
             seed: int = 0, batch_size: int = 64, progress: bool = False,
             start_price: float | None = None) -> Samples:
    """Sample ``n`` series with the EMA network.

    Args:
        module: trained module (its EMA weights, noise schedule and representation are used).
        n: number of series. sampler: a :class:`SamplerConfig` or the ``sampler`` config mapping.
        seed: seeds the initial noise and any stochastic steps (same seed, same samples).
        batch_size: images per network call. progress: show a tqdm bar over denoising steps.
        start_price: first price of every path; default the end of the training split.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    sampler = sampler if isinstance(sampler, SamplerConfig) else SamplerConfig.from_mapping(sampler)
    net, device = module.ema_net.module, module.device
    was_training = net.training
    net.eval()
    generator = torch.Generator(device="cpu").manual_seed(seed)
    batches, network_evals = [], 0
    total_steps = 0
    bar = None
    for start in range(0, n, batch_size):
        scheduler = build_scheduler(sampler, module.noise_scheduler)
        count = min(batch_size, n - start)
        if bar is None and progress:
            total_steps = len(scheduler.timesteps) * ((n + batch_size - 1) // batch_size)
            bar = tqdm(total=total_steps, desc=f"sampling ({sampler.name})", unit="step")
        x = module.sample_noise(count, generator) * scheduler.init_noise_sigma
        alphas = scheduler.alphas_cumprod.to(device) if sampler.project else None
        step_kwargs = dict(sampler.step_kwargs)
        step_params = inspect.signature(scheduler.step).parameters
        range_noise = module.hparams.get("noise", "white") == "range"
        if range_noise and "variance_noise" not in step_params and "generator" in step_params:
            raise ConfigError(f"sampler {sampler.name}: its steps add white noise, but this model was trained "
                              "with model.noise=range; use ancestral (DDIM, eta=1; steps=1000 is DDPM), ddim, "
                              "dpm or unipc")
        if "generator" in step_params and not range_noise:  # stochastic steps
            step_kwargs["generator"] = generator
        for t in scheduler.timesteps:
            if range_noise and "variance_noise" in step_params:
                step_kwargs["variance_noise"] = module.sample_noise(count, generator)
            model_input = scheduler.scale_model_input(x, t)
            eps = net(model_input, t.to(device)).sample
            if alphas is not None:
                eps = _epsilon_through_projection(module, x, eps, alphas[int(t)])
            x = scheduler.step(eps, t, x, **step_kwargs).prev_sample
            if bar is not None:
                bar.update(1)
        network_evals = len(scheduler.timesteps)
        batches.append(x.float())
    if bar is not None:
        bar.close()
    net.train(was_training)
    images = torch.cat(batches)
    rep = module.representation
    returns = rep.decode(images)
    return Samples(images=images.cpu(), returns=returns.cpu(), prices=rep.prices(returns, start_price).cpu(),
                   reprojection_error=rep.reprojection_error(images).cpu(),
                   network_evals=network_evals, sampler=sampler.name)
