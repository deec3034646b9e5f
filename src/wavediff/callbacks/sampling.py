"""Sampling callback: EMA samples -> PNGs + ``.npz`` on disk and images in TensorBoard."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import lightning as L
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only

from wavediff.sampling.artifacts import SampleArtifacts, write_sample_artifacts
from wavediff.sampling.generate import generate
from wavediff.sampling.samplers import SamplerConfig
from wavediff.sampling.trace import DenoisingTrace
from wavediff.transforms.render import denoising_figure, save_figure


@dataclass
class SampledEpoch:
    """One sampling during training: what was written, the returns ``(N, T)`` and, once an
    evaluation callback has seen them, their metrics ``{name: {value, floor, ratio}}``."""

    epoch: int
    artifacts: SampleArtifacts
    returns: np.ndarray = field(repr=False)
    metrics: dict[str, dict[str, float]] | None = None


class SamplingCallback(L.Callback):
    """Every ``every_n_epochs`` epochs and at the end of fit, sample with the EMA weights.

    Writes ``<run>/samples/epoch_XXX/{scalogram.png, paths.png, denoising.png, samples.npz}`` and
    logs the pictures and a few return statistics to TensorBoard (``denoising.png``: the first
    series' clean prediction at six noise levels, from the sampler's step callback). Runs on rank zero only. Each
    :class:`SampledEpoch` is then handed to every callback that has an ``on_samples(trainer,
    pl_module, sampled)`` method, in callback order (evaluation scores it, then the registry
    callback records it with its metrics).

    Args:
        sampler: the ``sampler`` config (see :class:`~wavediff.sampling.samplers.SamplerConfig`).
        num_samples: series per sampling; every_n_epochs: 0 disables epoch sampling.
        seed: noise seed (the same at every epoch, so pictures are comparable).
        guidance_scale: classifier-free guidance weight for conditional models (labels drawn
            at their training frequencies).
    """

    def __init__(self, sampler: Mapping[str, Any], num_samples: int = 8, every_n_epochs: int = 1,
                 seed: int = 0, batch_size: int = 64, dirname: str = "samples",
                 guidance_scale: float = 1.0) -> None:
        self.sampler = SamplerConfig.from_mapping(sampler)
        self.num_samples, self.every_n_epochs = num_samples, every_n_epochs
        self.seed, self.batch_size, self.dirname = seed, batch_size, dirname
        self.guidance_scale = guidance_scale
        self._last_sampled_epoch: int | None = None

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        epoch = trainer.current_epoch
        if self.every_n_epochs > 0 and (epoch + 1) % self.every_n_epochs == 0:
            self._sample(trainer, pl_module, epoch)

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        last_epoch = max(trainer.current_epoch - 1, 0)  # current_epoch is advanced past the last one
        if self._last_sampled_epoch != last_epoch and trainer.global_step > 0:
            self._sample(trainer, pl_module, last_epoch)

    @rank_zero_only
    def _sample(self, trainer: L.Trainer, pl_module: L.LightningModule, epoch: int) -> None:
        self._last_sampled_epoch = epoch
        trace = DenoisingTrace()
        samples = generate(pl_module, self.num_samples, self.sampler, seed=self.seed,
                           batch_size=self.batch_size, guidance_scale=self.guidance_scale, callback=trace)
        datamodule = trainer.datamodule
        real = datamodule.windows.get("val") if datamodule is not None else None
        out = Path(trainer.default_root_dir) / self.dirname / f"epoch_{epoch:03d}"
        artifacts = write_sample_artifacts(samples, pl_module.representation, out / "scalogram.png",
                                           real_returns=real, title=f"epoch {epoch}")
        rep = pl_module.representation
        trace_prices = rep.prices(rep.decode(trace.images.to(rep.device))).cpu().numpy()
        denoising_rgb = save_figure(denoising_figure(trace_prices, trace.sigmas,
                                                     title=f"epoch {epoch}: series 0 as the sampler sees it "
                                                           f"({samples.sampler})"), out / "denoising.png")
        sampled = SampledEpoch(epoch, artifacts, samples.returns.numpy())
        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                writer = logger.experiment
                writer.add_image("samples/scalogram", artifacts.scalogram_rgb, trainer.global_step,
                                 dataformats="HWC")
                writer.add_image("samples/paths", artifacts.paths_rgb, trainer.global_step,
                                 dataformats="HWC")
                writer.add_image("samples/denoising", denoising_rgb, trainer.global_step, dataformats="HWC")
                for key in ("returns_std", "returns_excess_kurtosis", "reprojection_error_mean"):
                    writer.add_scalar(f"samples/{key}", artifacts.summary[key], trainer.global_step)
        for callback in trainer.callbacks:
            hand_off = getattr(callback, "on_samples", None)
            if hand_off is not None:
                hand_off(trainer, pl_module, sampled)
