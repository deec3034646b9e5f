"""``wavediff train [group=option ...] [key=value ...] [-m ...]``: fit a model, sample, record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from omegaconf import DictConfig

from wavediff.cli import one_line_errors, report
from wavediff.cli.hydra_app import run_hydra

if TYPE_CHECKING:  # the job (torch, Lightning) is imported when it runs: --help and config errors take a second
    from wavediff.jobs.train import TrainResult


def summary(result: TrainResult) -> str:
    m = result.metrics
    return "\n".join([
        f"train run {result.train_run_id} finished: train/loss={m.get('train/loss_epoch', float('nan')):.4f} "
        f"val/loss={m.get('val/loss', float('nan')):.4f}",
        f"  run dir     {result.run_dir}",
        f"  checkpoint  {result.checkpoint}",
        f"  samples     {result.run_dir / 'samples'}  (scalogram.png, paths.png, samples.npz per epoch)",
        f"  tensorboard {result.tensorboard_dir}  (tensorboard --logdir outputs)",
        f"  registry    {result.registry_url or '-'}",
    ])


@one_line_errors(sigterm=False)
def task(cfg: DictConfig) -> float | None:
    from lightning.pytorch.utilities import rank_zero_only

    from wavediff.jobs.train import train

    result = train(cfg)
    if rank_zero_only.rank == 0:
        report(result, summary(result))
    return result.metrics.get(cfg.optimized_metric)  # the objective of sweepers


def main(argv: Sequence[str] | None = None) -> None:
    run_hydra("train", "train", task, argv)
