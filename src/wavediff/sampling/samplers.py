"""Sampler factory: a diffusers scheduler for inference, built from the training noise schedule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import hydra
from diffusers import SchedulerMixin

from wavediff.errors import ConfigError


@dataclass(frozen=True)
class SamplerConfig:
    """What the ``sampler`` config group holds.

    Attributes:
        name: short label recorded with samples (``ddpm``, ``ddim``, ``dpm``).
        scheduler: import path of a diffusers scheduler class.
        steps: network evaluations per sample; ``None`` means the full training schedule.
        scheduler_kwargs: overrides of the training schedule's config for this scheduler.
        step_kwargs: extra arguments of ``scheduler.step`` (e.g. DDIM's ``eta``).
        project: project the predicted clean image onto the CWT's range at every step.
        window_scales: give the generated set of windows the training windows' distribution of
            scales (:mod:`wavediff.transforms.window_scales`; unconditional models).
    """

    name: str
    scheduler: str
    steps: int | None = None
    scheduler_kwargs: Mapping[str, Any] = field(default_factory=dict)
    step_kwargs: Mapping[str, Any] = field(default_factory=dict)
    project: bool = True
    window_scales: bool = True

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any]) -> "SamplerConfig":
        unknown = set(cfg) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"sampler: unknown keys {sorted(unknown)}")
        sampler = cls(**{k: (dict(v) if isinstance(v, Mapping) else v) for k, v in cfg.items()})
        if sampler.steps is not None and sampler.steps < 1:
            raise ConfigError(f"sampler.steps must be >= 1 or null, got {sampler.steps}")
        return sampler


def build_scheduler(sampler: SamplerConfig, train_scheduler: SchedulerMixin) -> SchedulerMixin:
    """Inference scheduler sharing the training betas, with its timesteps set."""
    try:
        scheduler_cls = hydra.utils.get_class(sampler.scheduler)
    except Exception as exc:  # hydra raises ImportError or ValueError variants
        raise ConfigError(f"sampler.scheduler: cannot import '{sampler.scheduler}'") from exc
    scheduler = scheduler_cls.from_config(train_scheduler.config, **dict(sampler.scheduler_kwargs))
    steps = sampler.steps or train_scheduler.config.num_train_timesteps
    if steps > train_scheduler.config.num_train_timesteps:
        raise ConfigError(f"sampler.steps={steps} exceeds the model's "
                          f"{train_scheduler.config.num_train_timesteps} training timesteps")
    scheduler.set_timesteps(steps)
    return scheduler
