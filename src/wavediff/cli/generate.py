"""``wavediff generate checkpoint=<path or train run id> [n=16] [sampler=ddpm] [output_path=out.png]``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from omegaconf import DictConfig

from wavediff.cli import one_line_errors, report
from wavediff.cli.hydra_app import run_hydra

if TYPE_CHECKING:  # the job (torch) is imported when it runs: --help and config errors take a second
    from wavediff.jobs.generate import GenerationResult, LongPathResult


def summary(result: GenerationResult) -> str:
    h = result.handoff()
    classes = f"  classes    {', '.join(f'{k}: {v}' for k, v in h['classes'].items())}\n" if h["classes"] else ""
    return (f"generation run {h['generation_run_id']}: {h['n']} series with {h['sampler']} "
            f"({h['network_evals']} network calls each)\n{classes}"
            f"  scalogram  {h['scalogram_png']}\n  paths      {h['paths_png']}\n"
            + (f"  fan chart  {h['fan_png']}  (after {h['history_length']} known returns)\n" if h["fan_png"] else "")
            + (f"  bars       {h['bars_csv']}  (OHLCV, one ticker per window: data=csv reads it)\n"
               f"  candles    {h['candles_png']}\n" if h.get("bars_csv") else "") +
            f"  arrays     {h['npz']}  (returns, prices, images)\n  registry   {h['registry']}")


def _seam_line(check: dict) -> str:
    if check.get("ratio") is None:
        return "  seams      too few returns around the joins to test\n"
    return (f"  seams      volatility step at the joins {check['ratio']:.2f}x the same path's elsewhere "
            f"(p = {check['p_value']:.2f}; 1 = invisible), |r| after a join {check['abs_return_ratio']:.2f}x\n")


def long_summary(result: LongPathResult) -> str:
    h = result.handoff()
    return (f"generation run {h['generation_run_id']}: {h['n']} paths of {h['length']} returns with {h['sampler']} "
            f"({len(h['seams'])} chained windows, {h['network_evals']} network calls per path)\n"
            + _seam_line(h["seam_check"]) +
            f"  paths      {h['paths_png']}\n  arrays     {h['npz']}  (returns, prices, seams)\n"
            f"  registry   {h['registry']}")


@one_line_errors
def task(cfg: DictConfig) -> None:
    from wavediff.jobs.generate import GenerationResult, sample_checkpoint

    result = sample_checkpoint(cfg)
    report(result, summary(result) if isinstance(result, GenerationResult) else long_summary(result))


def main(argv: Sequence[str] | None = None) -> None:
    run_hydra("generate", "generate", task, argv)
