"""``wavediff evaluate run=<train run id, checkpoint or samples .npz> [n=64] ['samples=[a.npz,b.npz]']``:
generated vs held-out real data, each distance with its noise floor (report.md, report.json)."""

from __future__ import annotations

from collections.abc import Sequence

from omegaconf import DictConfig

from wavediff.cli import one_line_errors, report
from wavediff.cli.hydra_app import run_hydra


@one_line_errors
def task(cfg: DictConfig) -> None:
    from wavediff.jobs.evaluate import evaluate  # here, not above: --help and config errors take a second

    result = evaluate(cfg)
    report(result, f"{result.table}\n\nreport: {result.report_md}")


def main(argv: Sequence[str] | None = None) -> None:
    run_hydra("evaluate", "evaluate", task, argv)
