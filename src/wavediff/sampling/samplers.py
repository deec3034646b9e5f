"""The ``sampler`` config group and what runs it.

A sampler is either a σ-space ``method`` (a function of :mod:`wavediff.sampling.methods`, on a σ
schedule of :mod:`wavediff.sampling.sigmas`) or a diffusers ``scheduler`` stepping the training
schedule (DDIM, DPM-Solver, UniPC: the discrete VP models only). Both call the same σ-space
denoiser, so guidance and range projection are the same for all.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import hydra
import torch
from diffusers import SchedulerMixin
from torch import Tensor

from wavediff.errors import ConfigError
from wavediff.models.noise import Noise
from wavediff.models.preconditioning import Preconditioning, VPPreconditioning
from wavediff.sampling.methods import NoiseSource, SigmaDenoiser, Step, StepCallback
from wavediff.sampling.sigmas import SCHEDULES, schedule_sigmas


def _import(path: str, key: str) -> Any:
    try:
        return hydra.utils.get_object(path)
    except Exception as exc:  # hydra raises ImportError or ValueError variants
        raise ConfigError(f"sampler.{key}: cannot import '{path}'") from exc


@dataclass(frozen=True)
class SamplerConfig:
    """What the ``sampler`` config group holds.

    Attributes:
        name: short label recorded with samples (``ancestral``, ``heun``, ``edm``, ...).
        method: import path of a σ-space sampler function (:mod:`wavediff.sampling.methods`).
        options: that function's keyword arguments (e.g. ``churn``, ``s_noise``, ``eta``).
        schedule: σ schedule of a ``method``: ``karras`` or ``discrete`` (the model's own timesteps).
        rho: the Karras schedule's exponent. sigma_min, sigma_max: its range (default: the model's).
        scheduler: import path of a diffusers scheduler class (instead of ``method``).
        scheduler_kwargs: overrides of the training schedule's config for that scheduler.
        step_kwargs: extra arguments of ``scheduler.step`` (e.g. DDIM's ``eta``).
        steps: σ levels (``method``) or timesteps (``scheduler``); ``None`` (schedulers only) is
            the full training schedule. Heun and EDM make ``2 steps - 1`` network calls.
        project: project the predicted clean image onto the CWT's range at every step.
        window_scales: give the generated set of windows the training windows' distribution of
            scales (:mod:`wavediff.transforms.window_scales`; unconditional models).
        history_corrections: scenarios after a history only: extra denoiser calls per step that
            carry the history into the generated part (:func:`~wavediff.sampling.denoisers.inpainted`);
            0 is plain x0-replacement. Default 1: volatility then carries across long-path joins
            (docs/forecasts.md), at twice the calls per chained window.
    """

    name: str
    method: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    schedule: str = "karras"
    rho: float = 7.0
    sigma_min: float | None = None
    sigma_max: float | None = None
    scheduler: str | None = None
    scheduler_kwargs: Mapping[str, Any] = field(default_factory=dict)
    step_kwargs: Mapping[str, Any] = field(default_factory=dict)
    steps: int | None = None
    project: bool = True
    window_scales: bool = True
    history_corrections: int = 1

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any]) -> "SamplerConfig":
        unknown = set(cfg) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"sampler: unknown keys {sorted(unknown)}; keys: {', '.join(cls.__dataclass_fields__)}")
        sampler = cls(**{k: (dict(v) if isinstance(v, Mapping) else v) for k, v in cfg.items()})
        sampler.check()
        return sampler

    def check(self) -> None:
        """One-line :class:`ConfigError` for a malformed sampler (before any network call)."""
        if (self.method is None) == (self.scheduler is None):
            raise ConfigError(f"sampler {self.name}: set exactly one of sampler.method (a σ-space sampler, "
                              "e.g. wavediff.sampling.methods.heun) or sampler.scheduler (a diffusers scheduler)")
        if self.steps is not None and (not isinstance(self.steps, int) or isinstance(self.steps, bool)
                                       or self.steps < 1):
            raise ConfigError(f"sampler.steps must be >= 1 or null, got {self.steps!r}")
        if not isinstance(self.history_corrections, int) or isinstance(self.history_corrections, bool) \
                or not 0 <= self.history_corrections <= 8:
            raise ConfigError(f"sampler.history_corrections must be an integer 0 to 8, got {self.history_corrections!r}")
        if self.method is not None:
            if self.steps is None:
                raise ConfigError(f"sampler {self.name}: sampler.steps is required with sampler.method")
            if self.schedule not in SCHEDULES:
                raise ConfigError(f"sampler.schedule={self.schedule!r}: one of {', '.join(SCHEDULES)}")
            function = self.function()
            params = [p for p in inspect.signature(function).parameters.values() if p.kind is p.KEYWORD_ONLY
                      or (p.kind is p.POSITIONAL_OR_KEYWORD and p.default is not p.empty)]
            allowed = {p.name for p in params} - {"callback"}
            bad = set(self.options) - allowed
            if bad:
                raise ConfigError(f"sampler.options: {sorted(bad)} not accepted by {self.method}; it takes "
                                  f"{', '.join(sorted(allowed)) or 'no options'}")
            # a one-element dry run lets the method check its own option values before any row or file
            zero = torch.zeros(1)
            function(lambda x, sigma: x * 0, zero, torch.tensor([1.0, 0.0], dtype=torch.float64),
                     lambda: zero, None, **dict(self.options))
        elif self.options:
            raise ConfigError(f"sampler.options apply to sampler.method; scheduler {self.scheduler} takes "
                              "sampler.scheduler_kwargs and sampler.step_kwargs")

    def function(self) -> Callable[..., Tensor]:
        """The ``method`` function."""
        function = _import(self.method, "method")
        if not callable(function):
            raise ConfigError(f"sampler.method: '{self.method}' is not a function")
        return function

    def check_model(self, preconditioning: Preconditioning) -> None:
        """Refuse, in one line, a sampler this model cannot run (e.g. a discrete scheduler on EDM)."""
        if self.scheduler is not None and not isinstance(preconditioning, VPPreconditioning):
            raise ConfigError(f"sampler {self.name} steps a discrete DDPM schedule; this model is "
                              f"{preconditioning.kind} (continuous σ): use sampler=heun, edm, euler, "
                              "euler_ancestral or dpmpp_2m")
        if self.method is not None:
            schedule_sigmas(self.schedule, preconditioning, self.steps, self.rho, self.sigma_min, self.sigma_max)

    def run(self, denoise: SigmaDenoiser, noise: NoiseSource, preconditioning: Preconditioning,
            train_scheduler: SchedulerMixin, generator: torch.Generator, model_noise: Noise,
            callback: StepCallback | None = None) -> Tensor:
        """Final images ``(B, *image_shape)`` for one batch. ``noise()`` draws the model's noise
        for the batch; ``model_noise`` is what it draws from (a scheduler that adds its own Gaussian
        noise is refused unless that is the same noise). The caller has run :meth:`check_model`."""
        if self.scheduler is not None:
            return run_diffusers(self, denoise, noise, preconditioning, train_scheduler, generator, model_noise,
                                 callback)
        sigmas = schedule_sigmas(self.schedule, preconditioning, self.steps, self.rho, self.sigma_min,
                                 self.sigma_max)
        x = noise() * float(sigmas[0])
        return self.function()(denoise, x, sigmas, noise, callback, **dict(self.options))


def build_scheduler(sampler: SamplerConfig, train_scheduler: SchedulerMixin) -> SchedulerMixin:
    """Inference scheduler sharing the training betas, with its timesteps set."""
    scheduler_cls = _import(sampler.scheduler, "scheduler")
    scheduler = scheduler_cls.from_config(train_scheduler.config, **dict(sampler.scheduler_kwargs))
    steps = sampler.steps or train_scheduler.config.num_train_timesteps
    if steps > train_scheduler.config.num_train_timesteps:
        raise ConfigError(f"sampler.steps={steps} exceeds the model's "
                          f"{train_scheduler.config.num_train_timesteps} training timesteps")
    scheduler.set_timesteps(steps)
    return scheduler


def run_diffusers(sampler: SamplerConfig, denoise: SigmaDenoiser, noise: NoiseSource,
                  preconditioning: VPPreconditioning, train_scheduler: SchedulerMixin,
                  generator: torch.Generator, model_noise: Noise, callback: StepCallback | None = None) -> Tensor:
    """A diffusers scheduler's loop over the σ-space denoiser: at timestep ``t`` the scheduler's
    ``x_t`` is ``x / sqrt(1 + σ_t²)``, and ``D``'s clean image is turned into the network output
    the scheduler expects (noise, image or velocity)."""
    scheduler = build_scheduler(sampler, train_scheduler)
    step_params = inspect.signature(scheduler.step).parameters
    step_kwargs = dict(sampler.step_kwargs)
    # steps that take their noise from us get the model's noise (DDIM with eta=0 adds none)
    own_noise = "variance_noise" in step_params and step_kwargs.get("eta", 1.0) != 0
    if "variance_noise" not in step_params and "generator" in step_params:  # draws white noise itself
        if not model_noise.is_white:
            raise ConfigError(f"sampler {sampler.name}: its steps add white noise, but this model was trained "
                              f"with model/noise={model_noise.kind}; use ancestral (DDIM, eta=1; steps=1000 is DDPM), ddim, "
                              "dpm, unipc, or a σ-space sampler (edm, euler_ancestral)")
        step_kwargs["generator"] = generator
    parameterization = preconditioning.parameterization
    x = noise() * scheduler.init_noise_sigma
    total = len(scheduler.timesteps)
    for i, t in enumerate(scheduler.timesteps):
        if own_noise:
            step_kwargs["variance_noise"] = noise()
        model_input = scheduler.scale_model_input(x, t)
        sigma = float(preconditioning.sigmas[int(t)])
        alpha_bar = preconditioning.alphas_cumprod[int(t)].to(x.device)
        clean = denoise(model_input * (1 + sigma ** 2) ** 0.5, sigma)
        if callback is not None:
            callback(Step(i, total, sigma, model_input, clean))
        output = parameterization.output(clean, model_input, alpha_bar).to(model_input.dtype)
        x = scheduler.step(output, t, x, **step_kwargs).prev_sample
    return x
