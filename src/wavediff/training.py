"""``train(cfg)``: build everything from the composed Hydra config, fit, and record the run."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.utilities import rank_zero_only
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

from wavediff.config_checks import check_train_config
from wavediff.errors import ConfigError
from wavediff.instantiation import instantiate
from wavediff.callbacks.registry import RegistryCallback
from wavediff.registry.store import Registry, git_commit
from wavediff.registry.tables import DataRun, TrainRun, utcnow

log = logging.getLogger(__name__)


class _NoAdvert(logging.Filter):
    """Drops Lightning's start-up tip to install a cloud logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "litlogger" not in record.getMessage()


logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(_NoAdvert())


def resolved(cfg: DictConfig) -> dict[str, Any]:
    """The config as plain JSON-able containers, interpolations resolved."""
    try:
        return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)  # type: ignore[return-value]
    except MissingMandatoryValue as exc:
        raise ConfigError(f"{exc.full_key}: missing value; set it, e.g. {exc.full_key}=...") from None
    except OmegaConfBaseException as exc:
        raise ConfigError(f"{exc.full_key}: {' '.join(str(exc).split()[:30])}") from None


def train(cfg: DictConfig) -> dict[str, float]:
    """Fit a diffusion model as configured and return the final metrics.

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
        (run_dir / "resolved_config.yaml").write_text(OmegaConf.to_yaml(config))

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

    registry = Registry(cfg.registry.url, cfg.registry.get("artifacts_root")) if writer else None
    commit = git_commit(Path(__file__).parent) if writer else None
    data_run_id = None
    if registry is not None and resume_id is not None:
        data_run_id = registry.get(TrainRun, resume_id).data_run_id
    elif registry is not None:
        data_run_id = registry.create(DataRun, status="finished", finished_at=utcnow(),
                                      source=described["source"], params=described["params"],
                                      n_rows=described["n_rows"], config=config["data"],
                                      git_commit=commit)
    tensorboard_dir = next((lg.log_dir for lg in loggers if hasattr(lg, "log_dir")), None)
    row = dict(
        data_run_id=data_run_id, config=config, git_commit=commit,
        model_name=_choice("model"), batch_size=cfg.data.batch_size,
        learning_rate=float(cfg.model.optimizer.lr), max_epochs=cfg.trainer.max_epochs if cfg.trainer.max_epochs != -1 else None,
        num_train_timesteps=cfg.model.noise_scheduler.num_train_timesteps,
        window_size=cfg.data.window_size, stride=cfg.data.stride,
        num_scales=cfg.data.transform.num_scales, seed=cfg.seed, run_dir=str(run_dir),
        tensorboard_dir=str(tensorboard_dir) if tensorboard_dir else None,
    )
    with _tracked(registry, row, resume_id) as run_id:
        if registry is not None:
            callbacks.append(RegistryCallback(registry, run_id))
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
        if registry is not None:
            registry.update(TrainRun, run_id, checkpoint_path=checkpoint or None)
    if writer:
        _print_summary(run_dir, run_id, checkpoint, tensorboard_dir, registry, metrics)
    return metrics


def _choice(group: str) -> str | None:
    """Which option of a config group was chosen (e.g. ``unet_small``), when run through Hydra."""
    from hydra.core.hydra_config import HydraConfig

    try:
        return HydraConfig.get().runtime.choices.get(group)
    except ValueError:  # composed without Hydra's runtime config
        return None


class _NoRegistry:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def _tracked(registry: Registry | None, row: dict[str, Any], resume_id: int | None) -> Any:
    if registry is None:
        return _NoRegistry()
    if resume_id is not None:
        return registry.track(TrainRun, resume_id=resume_id)
    return registry.track(TrainRun, **row)


def resume_config(cfg: DictConfig) -> tuple[DictConfig, int]:
    """The stored config of train run ``cfg.resume`` with this command's ``key=value`` overrides
    (e.g. ``trainer.max_epochs=10``), set to continue from the run's last checkpoint in its own
    run directory. Returns ``(config, run id)``."""
    from hydra.core.hydra_config import HydraConfig

    from wavediff.errors import CheckpointError

    registry = Registry(cfg.registry.url, cfg.registry.get("artifacts_root"))
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


def _print_summary(run_dir: Path, run_id: int | None, checkpoint: str | None, tensorboard_dir: Any,
                   registry: Registry | None, metrics: dict[str, float]) -> None:
    lines = [
        f"train run {run_id} finished: train/loss={metrics.get('train/loss_epoch', float('nan')):.4f} "
        f"val/loss={metrics.get('val/loss', float('nan')):.4f}",
        f"  run dir     {run_dir}",
        f"  checkpoint  {checkpoint}",
        f"  samples     {run_dir / 'samples'}  (scalogram.png, paths.png, samples.npz per epoch)",
        f"  tensorboard {tensorboard_dir}  (tensorboard --logdir outputs)",
        f"  registry    {registry.url if registry else '-'}",
    ]
    print("\n".join(lines), flush=True)
