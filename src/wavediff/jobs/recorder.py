"""Run bookkeeping shared by every job: the one place that turns a composed config and a job's
outputs into registry rows.

A job asks the recorder for a row (``data_run``, ``train_run``, ``generation_run``) and gets its
id; every row is left ``finished``, ``failed`` or ``interrupted`` whatever happens (through
:meth:`Registry.track`). Off rank zero under DDP the recorder is disabled: nothing is written and
ids are ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from wavediff.registry.store import Registry, git_commit
from wavediff.registry.tables import DataRun, GenerationRun, SweepRun, TrainRun, utcnow

# train_runs columns that mirror one config key each (the full config is stored beside them);
# a key a config does not have leaves its column empty.
TRAIN_COLUMNS = {
    "batch_size": "data.batch_size",
    "learning_rate": "model.optimizer.lr",
    "max_epochs": "trainer.max_epochs",
    "num_train_timesteps": "model.noise_scheduler.num_train_timesteps",
    "window_size": "data.window_size",
    "stride": "data.stride",
    "num_scales": "data.transform.num_scales",
    "seed": "seed",
}


def config_choice(group: str) -> str | None:
    """Which option of a config group was chosen (e.g. ``unet_small``), when run through Hydra."""
    from hydra.core.hydra_config import HydraConfig

    try:
        return HydraConfig.get().runtime.choices.get(group)
    except ValueError:  # composed without Hydra's runtime config
        return None


def train_columns(cfg: DictConfig) -> dict[str, Any]:
    """The summary columns of a ``train_runs`` row, read from the composed config."""
    columns = {column: OmegaConf.select(cfg, key, default=None) for column, key in TRAIN_COLUMNS.items()}
    if columns["max_epochs"] == -1:  # a step budget ends the run
        columns["max_epochs"] = None
    if columns["learning_rate"] is not None:
        columns["learning_rate"] = float(columns["learning_rate"])
    return {**columns, "model_name": config_choice("model")}


class RunRecorder:
    """Writes a job's registry rows; ``registry=None`` records nothing (ranks other than zero)."""

    def __init__(self, registry: Registry | None) -> None:
        self.registry = registry
        self.commit = git_commit(Path(__file__).parent) if registry is not None else None

    @classmethod
    def from_config(cls, cfg: DictConfig, enabled: bool = True) -> "RunRecorder":
        return cls(Registry.from_config(cfg) if enabled else None)

    @property
    def url(self) -> str | None:
        return self.registry.url if self.registry is not None else None

    def data_run(self, described: Mapping[str, Any], config: Any) -> int | None:
        """A finished ``data_runs`` row for data a job built in memory (``describe()`` of a data module)."""
        if self.registry is None:
            return None
        return self.registry.create(DataRun, status="finished", finished_at=utcnow(), source=described["source"],
                                    params=described["params"], n_rows=described["n_rows"], config=config,
                                    git_commit=self.commit)

    def track(self, table: type, **fields: Any) -> Any:
        """Context manager yielding the id of a new tracked row of ``table`` (``None`` when disabled),
        always left ``finished``, ``failed`` or ``interrupted``."""
        if self.registry is None:
            return nullcontext(None)
        return self.registry.track(table, git_commit=self.commit, **fields)

    def data_export(self, source_name: str) -> Any:
        """A ``data_runs`` row around writing a source's bars to a file (fill it with :meth:`update`)."""
        return self.track(DataRun, source=source_name)

    def train_run(self, cfg: DictConfig, config: dict[str, Any], *, data_run_id: int | None, run_dir: Path,
                  tensorboard_dir: str | None, resume_id: int | None = None) -> Any:
        """Context manager yielding the ``train_runs`` id (an existing one with ``resume_id``)."""
        if self.registry is not None and resume_id is not None:
            return self.registry.track(TrainRun, resume_id=resume_id)
        return self.track(TrainRun, data_run_id=data_run_id, config=config, run_dir=str(run_dir),
                          tensorboard_dir=tensorboard_dir, **train_columns(cfg))

    def generation_run(self, **fields: Any) -> Any:
        """Context manager yielding a ``generation_runs`` id (``fields``: its columns known up front)."""
        return self.track(GenerationRun, **fields)

    def sweep_run(self, **fields: Any) -> Any:
        """Context manager yielding a ``sweep_runs`` id (an Optuna search over many train runs)."""
        return self.track(SweepRun, **fields)

    def update(self, table: type, row_id: int | None, **fields: Any) -> None:
        if self.registry is not None and row_id is not None:
            self.registry.update(table, row_id, **fields)

    def metrics(self, metrics: Mapping[str, Mapping[str, float]], source: str, **links: Any) -> None:
        if self.registry is not None:
            self.registry.record_metrics(metrics, source, **links)
