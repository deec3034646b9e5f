"""Lightning callback that keeps a ``train_runs`` row current and records sampled artifacts."""

from __future__ import annotations

import time
from typing import Any

import lightning as L
from lightning.pytorch.utilities import rank_zero_only

from wavediff.callbacks.sampling import SampledEpoch
from wavediff.registry.store import Registry
from wavediff.registry.tables import GenerationRun, TrainRun, utcnow


class RegistryCallback(L.Callback):
    """Writes progress (epochs, losses, checkpoint) of run ``run_id`` and one ``generation_runs``
    row per sampling. The row's final state is set by :meth:`Registry.track`, not here."""

    def __init__(self, registry: Registry, run_id: int, heartbeat_seconds: float = 30.0) -> None:
        self.registry, self.run_id = registry, run_id
        self.heartbeat_seconds = heartbeat_seconds
        self._last_beat = time.monotonic()

    @rank_zero_only
    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        now = time.monotonic()
        if now - self._last_beat >= self.heartbeat_seconds:  # a cheap sign of life between epochs
            self._last_beat = now
            self.registry.update(TrainRun, self.run_id, heartbeat_at=utcnow(), global_step=trainer.global_step)

    @rank_zero_only
    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.flush(trainer, epochs_completed=trainer.current_epoch + 1)

    @rank_zero_only
    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.flush(trainer, epochs_completed=trainer.current_epoch)  # already advanced past the last

    def flush(self, trainer: L.Trainer, epochs_completed: int) -> None:
        """Record progress."""
        metrics = trainer.callback_metrics
        fields: dict[str, Any] = {"epochs_completed": epochs_completed, "global_step": trainer.global_step,
                                  "heartbeat_at": utcnow()}
        for column, key in (("final_train_loss", "train/loss_epoch"), ("final_val_loss", "val/loss")):
            if key in metrics:
                fields[column] = float(metrics[key])
        ckpt = trainer.checkpoint_callback
        if ckpt is not None and getattr(ckpt, "last_model_path", ""):
            fields["checkpoint_path"] = ckpt.last_model_path
        self.registry.update(TrainRun, self.run_id, **fields)

    @rank_zero_only
    def on_samples(self, trainer: L.Trainer, pl_module: L.LightningModule, sampled: SampledEpoch) -> None:
        """One ``generation_runs`` row per sampling, with its metrics (the sampling callback calls this)."""
        art = sampled.artifacts
        generation_id = self.registry.create(
            GenerationRun, status="finished", finished_at=utcnow(), train_run_id=self.run_id,
            checkpoint_path=None, epoch=sampled.epoch, sampler=art.summary["sampler"],
            network_evals=art.summary["network_evals"], n_samples=art.summary["n"],
            png_path=str(art.scalogram_png), paths_png_path=str(art.paths_png),
            npz_path=str(art.npz), summary=art.summary)
        if sampled.metrics:
            self.registry.record_metrics(sampled.metrics, "callback", train_run_id=self.run_id,
                                         generation_run_id=generation_id, epoch=sampled.epoch)
