"""Hydra glue for :class:`wavediff.jobs.search.OptunaSearch`: config node, launcher, registry row.

No ``from __future__ import annotations`` here: Hydra imports plugin modules in a way that
string annotations of the config dataclass cannot be resolved.
"""

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from hydra.core.config_store import ConfigStore
from hydra.core.plugins import Plugins
from hydra.core.utils import JobStatus
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


@dataclass
class WaveDiffOptunaSweeperConf:
    _target_: str = "hydra_plugins.wavediff_optuna_sweeper.optuna_sweeper.WaveDiffOptunaSweeper"
    study_name: str = "wavediff"
    storage: Any = None  # null: <paths.output_root>/optuna/<study_name>.journal; or a SQLAlchemy URL
    direction: str = "minimize"
    n_trials: int = 20
    n_jobs: int = 1
    sampler: Any = None  # e.g. {_target_: optuna.samplers.TPESampler, seed: 0}
    params: Dict[str, Any] = field(default_factory=dict)


ConfigStore.instance().store(group="hydra/sweeper", name="wavediff_optuna", node=WaveDiffOptunaSweeperConf,
                             provider="wavediff")


class WaveDiffOptunaSweeper(Sweeper):
    """Optuna search over ``params``; each trial is one job of the configured Hydra launcher."""

    def __init__(self, study_name: str, storage: Any, direction: str, n_trials: int, n_jobs: int,
                 sampler: Any, params: Dict[str, Any]) -> None:
        self.study_name, self.storage, self.direction = study_name, storage, direction
        self.n_trials, self.n_jobs, self.sampler_cfg = n_trials, n_jobs, sampler
        self.params = dict(params or {})
        self.config: Optional[DictConfig] = None
        self.launcher: Any = None
        self.job_idx = 0

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config)

    def _launch(self, batch: List[List[str]]) -> List[Optional[float]]:
        returns = self.launcher.launch(batch, initial_job_idx=self.job_idx)
        self.job_idx += len(returns)
        values: List[Optional[float]] = []
        for ret in returns:
            ok = ret.status == JobStatus.COMPLETED and isinstance(ret.return_value, (int, float))
            values.append(float(ret.return_value) if ok else None)
        return values

    def sweep(self, arguments: List[str]) -> None:
        import optuna
        from hydra.utils import instantiate

        from wavediff.jobs.recorder import RunRecorder
        from wavediff.jobs.search import OptunaSearch, storage_for, write_results
        from wavediff.registry.tables import SweepRun

        cfg = self.config
        sweep_dir = Path(cfg.hydra.sweep.dir)
        storage = storage_for(self.storage, cfg.paths.output_root, self.study_name)
        sampler = self.sampler_cfg  # Hydra has usually instantiated it already (it has a _target_)
        if sampler is not None and not isinstance(sampler, optuna.samplers.BaseSampler):
            sampler = instantiate(sampler)
        study = optuna.create_study(study_name=self.study_name, storage=storage, sampler=sampler,
                                    direction=self.direction, load_if_exists=True)
        search = OptunaSearch(study, {**self.params, **_cli_params(arguments)}, self.n_trials, self.n_jobs)
        fixed = [a for a in arguments if a.split("=", 1)[0] not in search.space]
        recorder = RunRecorder.from_config(cfg)
        results_path = sweep_dir / "optimization_results.yaml"
        with recorder.sweep_run(study_name=self.study_name, storage=str(self.storage or "journal"),
                                objective=cfg.get("optimized_metric"), direction=self.direction,
                                n_trials=self.n_trials,
                                config=OmegaConf.to_container(cfg.hydra.sweeper, resolve=True)) as row_id:
            search.run(fixed, self._launch)
            results = search.results()
            write_results(results, results_path)
            recorder.update(SweepRun, row_id, n_complete=results["n_complete"], best_value=results["best_value"],
                            best_params=results["best_params"], results_path=str(results_path))
        log.info("sweep run %s: best %s = %s with %s (%s/%s trials complete); results %s", row_id,
                 cfg.get("optimized_metric"), results["best_value"], results["best_params"],
                 results["n_complete"], results["n_trials"], results_path)


def _cli_params(arguments: List[str]) -> Dict[str, str]:
    """Command-line sweep expressions (``key=choice(...)`` etc.) join the search space."""
    out = {}
    for arg in arguments:
        key, sep, value = arg.partition("=")
        if sep and value.split("(", 1)[0] in ("choice", "range", "interval", "tag"):
            out[key] = value
    return out
