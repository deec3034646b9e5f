"""``train(cfg)``: build everything from the composed Hydra config, fit, and record the run."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.utilities import rank_zero_only
from omegaconf import DictConfig, OmegaConf

from wavediff.callbacks.interrupt import InterruptCallback
from wavediff.callbacks.registry import RegistryCallback
from wavediff.config.checks import check_train_config
from wavediff.config.compose import resolved
from wavediff.config.instantiate import instantiate
from wavediff.errors import CheckpointError, ConfigError
from wavediff.jobs.recorder import RunRecorder
from wavediff.registry.store import Registry
from wavediff.registry.tables import TrainRun
from wavediff.utils import atomic_write_text

log = logging.getLogger(__name__)


class _NoAdvert(logging.Filter):
    """Drops Lightning's start-up tip to install a cloud logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "litlogger" not in record.getMessage()


logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(_NoAdvert())


@dataclass
class TrainResult:
    """What a training job hands to its caller (and logs as one JSON line)."""

    train_run_id: int | None
    run_dir: Path
    checkpoint: str | None
    tensorboard_dir: str | None
    registry_url: str | None
    metrics: dict[str, float] = field(default_factory=dict)

    def handoff(self) -> dict[str, Any]:
        return {"job": "train", "train_run_id": self.train_run_id, "run_dir": str(self.run_dir),
                "checkpoint": self.checkpoint, "tensorboard_dir": self.tensorboard_dir,
                "registry": self.registry_url, "metrics": self.metrics}


def train(cfg: DictConfig) -> TrainResult:
    """Fit a diffusion model as configured; returns the run's ids, paths and final metrics.

    Every run gets: ``<run>/checkpoints/``, ``<run>/samples/epoch_XXX/``, ``<run>/tensorboard/``,
    ``<run>/resolved_config.yaml``, one ``data_runs`` row, one ``train_runs`` row that always ends
    ``finished``, ``failed`` or ``interrupted``, and one ``generation_runs`` row per sampling.
    """
    resume_id = None
    if cfg.get("resume") is not None:
        cfg, resume_id = resume_config(cfg)
    config = resolved(cfg)
    check_train_config(cfg)
    run_dir = Path(cfg.paths.output_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    writer = rank_zero_only.rank == 0
    if writer:
        atomic_write_text(run_dir / "resolved_config.yaml", OmegaConf.to_yaml(config))

    datamodule = instantiate(cfg.data, "data", condition=cfg.model.get("condition"))
    datamodule.setup("fit")
    described = datamodule.describe()
    log.info("data: %s rows, windows %s, image %s", described["n_rows"], described["n_windows"],
             described["image_shape"])
    model = instantiate(cfg.model, "model", representation=datamodule.representation,
                        condition=datamodule.labeler)
    callbacks = [instantiate(node, f"callbacks.{name}") for name, node in (cfg.get("callbacks") or {}).items()
                 if node is not None and "_target_" in node]
    loggers = [instantiate(node, f"logger.{name}") for name, node in (cfg.get("logger") or {}).items()
               if node is not None and "_target_" in node]

    recorder = RunRecorder.from_config(cfg, enabled=writer)
    if resume_id is not None:
        data_run_id = recorder.registry.get(TrainRun, resume_id).data_run_id if writer else None
    else:
        data_run_id = recorder.data_run(described, config["data"])
    tensorboard_dir = next((str(lg.log_dir) for lg in loggers if hasattr(lg, "log_dir")), None)
    with recorder.train_run(cfg, config, data_run_id=data_run_id, run_dir=run_dir,
                            tensorboard_dir=tensorboard_dir, resume_id=resume_id) as run_id:
        if run_id is not None:
            callbacks.append(RegistryCallback(recorder.registry, run_id))
        callbacks.append(InterruptCallback())
        trainer: L.Trainer = instantiate(cfg.trainer, "trainer", callbacks=callbacks, logger=loggers or False,
                                          default_root_dir=str(run_dir))
        try:
            trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
        except SystemExit as exc:
            # Lightning turns Ctrl-C into sys.exit(1) after its graceful shutdown; report it as the
            # interrupt it was (row `interrupted`, exit 130). SIGTERM has its own exception type.
            if type(exc) is SystemExit and trainer.interrupted:
                raise KeyboardInterrupt from None
            raise
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}
        checkpoint = trainer.checkpoint_callback.last_model_path if trainer.checkpoint_callback else None
        recorder.update(TrainRun, run_id, checkpoint_path=checkpoint or None)
    return TrainResult(run_id, run_dir, checkpoint or None, tensorboard_dir, recorder.url, metrics)


def resume_config(cfg: DictConfig) -> tuple[DictConfig, int]:
    """The stored config of train run ``cfg.resume`` with this command's ``key=value`` overrides
    (e.g. ``trainer.max_epochs=10``), set to continue from the run's last checkpoint in its own
    run directory. Returns ``(config, run id)``."""
    from hydra.core.hydra_config import HydraConfig

    registry = Registry.from_config(cfg)
    try:
        run_id = int(cfg.resume)
    except (TypeError, ValueError):
        raise ConfigError(f"resume={cfg.resume!r}: expected a train run id") from None
    row = registry.get(TrainRun, run_id)
    if row is None:
        raise CheckpointError(f"resume={run_id}: no train run with that id in {registry.url}")
    checkpoint = registry.resolve_path(row.checkpoint_path)
    if checkpoint is None or not checkpoint.is_file():
        raise CheckpointError(f"resume={run_id}: the run has no checkpoint to resume from "
                              f"({checkpoint or 'none recorded'})")
    try:
        hydra_cfg = HydraConfig.get()
        overrides, groups = list(hydra_cfg.overrides.task), set(hydra_cfg.runtime.choices)
    except ValueError:
        overrides, groups = [], set()
    kept = []
    for item in overrides:
        key = item.split("=", 1)[0].lstrip("+~")
        if key in ("resume", "ckpt_path"):
            continue
        if key in groups or key.split("/")[0] in groups:
            raise ConfigError(f"{item}: resume keeps the run's config groups; only key=value overrides "
                              "such as trainer.max_epochs=10 are allowed")
        kept.append(item.lstrip("+"))
    merged = OmegaConf.merge(OmegaConf.create(row.config), OmegaConf.from_dotlist(kept))
    merged.resume = None
    merged.ckpt_path = str(checkpoint)
    return merged, run_id
