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
from wavediff.sampling.denoisers import guided, projected
from wavediff.sampling.samplers import SamplerConfig, build_scheduler


@dataclass
class Samples:
    """Generated data in model and market units (CPU tensors)."""

    images: torch.Tensor  # (N, *image_shape) normalised images, e.g. (N, 2, S, T)
    returns: torch.Tensor  # (N, T) log returns
    prices: torch.Tensor  # (N, T + 1) prices from the start price
    reprojection_error: torch.Tensor  # (N,) relative distance of the final images to the CWT range
    network_evals: int  # network calls per sample
    sampler: str
    labels: torch.Tensor | None = None  # (N,) class ids of a conditional model
    class_names: list[str] | None = None
    returns_as_sampled: torch.Tensor | None = None  # (N, T) before the window-scale map, when it was applied


def check_request(module: DiffusionModule, condition: int | None, guidance_scale: float) -> None:
    """Refuse, in one line, a class the model does not have or a negative guidance scale."""
    if not isinstance(guidance_scale, (int, float)) or not guidance_scale >= 0:
        raise ConfigError(f"guidance_scale={guidance_scale}: must be >= 0 (1 = conditional, 0 = unconditional)")
    if module.labeler is None:
        if condition is not None:
            raise ConfigError(f"condition={condition}: this model was trained without model.condition")
    elif condition is not None:
        module.labeler.check_class(condition)


def draw_labels(module: DiffusionModule, n: int, condition: int | None,
                generator: torch.Generator) -> torch.Tensor | None:
    """Class ids ``(n,)``: all ``condition``, or drawn at the training frequencies (so the
    unconditional statistics are kept); ``None`` for an unconditional model."""
    if module.labeler is None:
        return None
    if condition is None:
        return module.labeler.draw(n, generator)
    return torch.full((n,), condition, dtype=torch.long)


@torch.no_grad()
def generate(module: DiffusionModule, n: int, sampler: SamplerConfig | Mapping[str, Any],
             seed: int = 0, batch_size: int = 64, progress: bool = False,
             start_price: float | None = None, condition: int | None = None,
             guidance_scale: float = 1.0) -> Samples:
    """Sample ``n`` series with the EMA network.

    Args:
        module: trained module (its EMA weights, noise, schedule and representation are used).
        n: number of series. sampler: a :class:`SamplerConfig` or the ``sampler`` config mapping.
        seed: seeds the initial noise, the labels and any stochastic steps (same seed, same samples).
        batch_size: images per network call. progress: show a tqdm bar over denoising steps.
        start_price: first price of every path; default the end of the training split.
        condition: class id to generate (conditional models); ``None`` draws labels at their
            training frequencies.
        guidance_scale: classifier-free guidance weight ``w >= 0`` (1 = plain conditional).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    check_request(module, condition, guidance_scale)
    sampler = sampler if isinstance(sampler, SamplerConfig) else SamplerConfig.from_mapping(sampler)
    net, device = module.ema_net.module, module.device
    was_training = net.training
    net.eval()
    generator = torch.Generator(device="cpu").manual_seed(seed)
    labels = draw_labels(module, n, condition, generator)
    denoise = guided(net, guidance_scale, module.num_classes)
    if sampler.project:
        denoise = projected(denoise, module.parameterization, module.representation, module.alphas_cumprod)
    batches, network_evals = [], 0
    bar = None
    for start in range(0, n, batch_size):
        scheduler = build_scheduler(sampler, module.noise_scheduler)
        count = min(batch_size, n - start)
        cond = labels[start:start + count].to(device) if labels is not None else None
        if bar is None and progress:
            total = len(scheduler.timesteps) * ((n + batch_size - 1) // batch_size)
            bar = tqdm(total=total, desc=f"sampling ({sampler.name})", unit="step")
        step_params = inspect.signature(scheduler.step).parameters
        step_kwargs = dict(sampler.step_kwargs)
        # steps that take their noise from us get the model's noise (DDIM with eta=0 adds none)
        own_noise = "variance_noise" in step_params and step_kwargs.get("eta", 1.0) != 0
        if "variance_noise" not in step_params and "generator" in step_params:  # draws white noise itself
            if not module.noise.is_white:
                raise ConfigError(f"sampler {sampler.name}: its steps add white noise, but this model was trained "
                                  f"with model/noise={module.noise.kind}; use ancestral (DDIM, eta=1; steps=1000 "
                                  "is DDPM), ddim, dpm or unipc")
            step_kwargs["generator"] = generator
        x = module.sample_noise(count, generator) * scheduler.init_noise_sigma
        for t in scheduler.timesteps:
            if own_noise:
                step_kwargs["variance_noise"] = module.sample_noise(count, generator)
            steps = t.to(device).expand(count)
            output = denoise(scheduler.scale_model_input(x, t), steps, cond)
            x = scheduler.step(output, t, x, **step_kwargs).prev_sample
            if bar is not None:
                bar.update(1)
        network_evals = len(scheduler.timesteps)
        batches.append(x.float())
    if bar is not None:
        bar.close()
    net.train(was_training)
    images = torch.cat(batches)
    rep = module.representation
    reprojection_error = rep.reprojection_error(images).cpu()
    returns = as_sampled = rep.decode(images)
    # over all n windows at once (ranks); a class-conditional set has its class's scales, not the data's
    if sampler.window_scales and labels is None:
        returns = rep.match_window_scales(as_sampled)
        if returns is not as_sampled:
            images = rep.encode(returns)  # the images of the series handed out
    return Samples(images=images.cpu(), returns=returns.cpu(), prices=rep.prices(returns, start_price).cpu(),
                   reprojection_error=reprojection_error,
                   network_evals=network_evals, sampler=sampler.name, labels=labels,
                   class_names=module.labeler.class_names if module.labeler is not None else None,
                   returns_as_sampled=as_sampled.cpu() if returns is not as_sampled else None)
