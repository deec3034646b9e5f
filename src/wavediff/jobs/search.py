"""Hyper-parameter search with Optuna behind a Hydra sweeper (``hparams_search=optuna``).

The Hydra plugin in ``src/hydra_plugins/wavediff_optuna_sweeper/`` only wires Hydra to
:class:`OptunaSearch`. We do not use ``hydra-optuna-sweeper``: its releases (1.3.0 included) pin
``optuna<3``, whose database storage does not work with SQLAlchemy 2, so a study could only live
in memory and die with the process. Modern Optuna keeps the study in a journal file (default,
``<output_root>/optuna/<study>.journal``) or any SQLAlchemy URL, and ``load_if_exists`` makes a
search resumable: run the same command again and it continues where it stopped.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import optuna
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, RangeSweep
from omegaconf import OmegaConf

from wavediff.errors import ConfigError
from wavediff.utils import atomic_write_text

log = logging.getLogger(__name__)


def distribution(key: str, spec: Any) -> optuna.distributions.BaseDistribution | None:
    """Optuna distribution of a Hydra sweep expression, or ``None`` for a fixed value.

    ``choice(a, b)`` -> categorical, ``range(1, 5)`` -> integers 1..4, ``interval(a, b)`` ->
    uniform float, ``tag(log, interval(a, b))`` -> log-uniform.
    """
    try:
        override = OverridesParser.create().parse_overrides([f"{key}={spec}"])[0]
    except Exception as exc:  # Hydra's grammar errors are several lines
        raise ConfigError(f"search space {key}={spec}: {str(exc).splitlines()[0]}") from None
    value = override.value()
    if isinstance(value, ChoiceSweep):
        return optuna.distributions.CategoricalDistribution(list(value.list))
    if isinstance(value, RangeSweep):
        return optuna.distributions.IntDistribution(int(value.start), int(value.stop) - 1, step=int(value.step or 1))
    if isinstance(value, IntervalSweep):
        return optuna.distributions.FloatDistribution(float(value.start), float(value.end), log="log" in value.tags)
    return None


def storage_for(storage: str | None, output_root: str | Path, study_name: str) -> optuna.storages.BaseStorage:
    """A SQLAlchemy URL as an RDB storage, anything else as a journal file (default under outputs)."""
    if storage and "://" in storage:
        return optuna.storages.RDBStorage(storage)
    path = Path(storage) if storage else Path(output_root) / "optuna" / f"{study_name}.journal"
    path.parent.mkdir(parents=True, exist_ok=True)
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    return JournalStorage(JournalFileBackend(str(path)))


class OptunaSearch:
    """Ask Optuna for trials, run them in batches through ``launch``, tell it the results.

    Args:
        params: ``{config key: sweep expression or fixed value}``.
        launch: runs a batch of override lists and returns one objective (or ``None`` for a
            failed job) per list, e.g. through a Hydra launcher.
        n_trials: total finished trials wanted in the study (earlier runs count, so a resumed
            search only runs the rest); n_jobs: trials per batch (the launcher's parallelism).
    """

    def __init__(self, study: optuna.Study, params: Mapping[str, Any], n_trials: int, n_jobs: int = 1) -> None:
        if n_trials < 1 or n_jobs < 1:
            raise ConfigError(f"n_trials={n_trials}, n_jobs={n_jobs}: both must be >= 1")
        self.study, self.n_trials, self.n_jobs = study, n_trials, n_jobs
        self.space = {k: d for k, v in params.items() if (d := distribution(k, v)) is not None}
        self.fixed = [f"{k}={v}" for k, v in params.items() if k not in self.space]

    def finished(self) -> int:
        states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL, optuna.trial.TrialState.PRUNED)
        return len(self.study.get_trials(deepcopy=False, states=states))

    def fail_abandoned(self) -> int:
        """Trials left ``RUNNING`` by an interrupted search are marked failed (they never reported);
        like any failed trial they count towards ``n_trials``."""
        abandoned = self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        for trial in abandoned:
            self.study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        return len(abandoned)

    def run(self, base_overrides: Sequence[str], launch: Callable[[list[list[str]]], list[float | None]]) -> None:
        if self.fail_abandoned():
            log.info("marked trials of an interrupted search as failed")
        while (remaining := self.n_trials - self.finished()) > 0:
            trials = [self.study.ask(self.space) for _ in range(min(self.n_jobs, remaining))]
            batch = [list(base_overrides) + self.fixed + [f"{k}={v}" for k, v in t.params.items()] for t in trials]
            for trial, value in zip(trials, launch(batch)):
                if value is None or not math.isfinite(value):
                    self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
                else:
                    self.study.tell(trial, value)

    def results(self) -> dict[str, Any]:
        """Best trial and counts (``best_*`` are ``None`` when no trial completed)."""
        complete = self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        best = None
        if complete:
            pick = min if self.study.direction == optuna.study.StudyDirection.MINIMIZE else max
            best = pick(complete, key=lambda t: t.value)
        return {"study_name": self.study.study_name, "direction": self.study.direction.name.lower(),
                "n_trials": len(self.study.trials), "n_complete": len(complete),
                "best_value": best.value if best else None, "best_params": dict(best.params) if best else None,
                "best_trial": best.number if best else None}


def write_results(results: Mapping[str, Any], path: Path) -> None:
    """``optimization_results.yaml``, written whole."""
    atomic_write_text(path, OmegaConf.to_yaml(OmegaConf.create(dict(results))))
