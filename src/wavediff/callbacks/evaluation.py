"""Evaluation callback: headline sample-quality metrics at every sampling epoch."""

from __future__ import annotations

from collections.abc import Sequence

import lightning as L
import torch
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only

from wavediff.callbacks.sampling import SampledEpoch
from wavediff.metrics.report import compare_to_real, flat_metrics

HEADLINE = ("ks", "w1_over_std", "abs_kurtosis_diff", "acf_abs_l2", "discriminative",
            "es_1pct_abs_diff_over_std", "jumps_per_window_abs_diff", "memorisation_nn_distance")


class EvaluationCallback(L.Callback):
    """Compares each batch the sampling callback drew with held-out real windows.

    Uses the same :func:`~wavediff.metrics.report.compare_to_real` as ``scripts/evaluate.py``
    (noise floors from random sets of training windows of the same size). Logs
    ``eval/<metric>`` and ``eval/<metric>_over_floor`` for the ``headline`` metrics plus the
    generated ``std`` ratio and excess kurtosis to TensorBoard, and leaves every metric on the
    :class:`SampledEpoch` for the registry callback, which stores them in the ``metrics`` table
    keyed to that generation. The sampling callback calls :meth:`on_samples`. Rank zero only.

    Args:
        reference_split: real windows compared with (``val`` by default).
        floor_draws: random real sets per noise floor (median taken).
        headline: metrics sent to TensorBoard.
    """

    def __init__(self, reference_split: str = "val", floor_draws: int = 3, max_lag: int = 50,
                 headline: Sequence[str] = HEADLINE, seed: int = 0) -> None:
        self.reference_split, self.floor_draws, self.max_lag = reference_split, floor_draws, max_lag
        self.headline, self.seed = tuple(headline), seed

    @rank_zero_only
    def on_samples(self, trainer: L.Trainer, pl_module: L.LightningModule, sampled: SampledEpoch) -> None:
        """Score what the sampling callback just drew (it calls this hook)."""
        datamodule = trainer.datamodule
        if datamodule is None or self.reference_split not in datamodule.windows:
            return
        reference = datamodule.windows[self.reference_split].numpy()
        pool = datamodule.windows["train"].numpy()
        if sampled.metrics is None and len(sampled.returns) <= len(pool):
            self._evaluate(trainer, sampled, reference, pool)

    def _evaluate(self, trainer: L.Trainer, sampled: SampledEpoch, reference, pool) -> None:
        result = compare_to_real(sampled.returns, reference, pool, draws=self.floor_draws, seed=self.seed,
                                 max_lag=self.max_lag, assets=getattr(trainer.datamodule, "assets", None),
                                 fields=getattr(trainer.datamodule, "fields", None))
        sampled.metrics = flat_metrics(result)
        scalars = {}
        for name in self.headline:
            if name in sampled.metrics:
                scalars[f"eval/{name}"] = sampled.metrics[name]["value"]
                scalars[f"eval/{name}_over_floor"] = sampled.metrics[name]["ratio"]
        scalars["eval/std_ratio"] = sampled.metrics["std"]["ratio"]
        scalars["eval/excess_kurtosis"] = sampled.metrics["excess_kurtosis"]["value"]
        scalars["eval/skewness"] = sampled.metrics["skewness"]["value"]
        for key, value in scalars.items():  # so optimized_metric=eval/... can drive a search
            if value is not None:
                trainer.callback_metrics[key] = torch.tensor(float(value))
        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                for key, value in scalars.items():
                    if value is not None:
                        logger.experiment.add_scalar(key, value, trainer.global_step)
