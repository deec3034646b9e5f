"""``wavediff benchmark [--quick] [key=value ...]``: every data set x generator of a suite (WaveDiff
and the classical baselines), each cell a Hydra job, then one table: benchmark.md, benchmark.json.

Keys (configs/benchmark.yaml): suite=default|quick, suite.datasets=[...], suite.generators=[...],
suite.seeds=[...], suite.n=256, floor_pool=auto|train|simulator, table_only=true (rewrite the table
from the finished cells), publish=docs readme=README.md (what make benchmark does), and any Hydra
launcher: hydra/launcher=joblib (cells in parallel) or slurm. A finished cell is never redone.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence

from omegaconf import DictConfig

from wavediff.cli import fail, one_line_errors, report
from wavediff.cli.hydra_app import run_hydra
from wavediff.config.compose import check_overrides
from wavediff.errors import WaveDiffError
from wavediff.jobs.benchmark import check_suite, run_cell, suite_config, write_table

PROG = "wavediff benchmark"


@one_line_errors
def task(cfg: DictConfig) -> float | None:
    cell = run_cell(cfg)
    return cell["median_ratio"]


def split(argv: list[str]) -> tuple[list[str], list[str]]:
    """Config overrides (what composes the suite) and the rest (Hydra flags, launcher choices)."""
    config = [a for a in argv if not a.startswith("-") and not a.split("=", 1)[0].lstrip("+~").startswith("hydra")]
    return config, [a for a in argv if a not in config]


def parse_args(argv: Sequence[str]) -> tuple[DictConfig, list[str], list[str]]:
    """The composed, checked suite config, its overrides and the Hydra arguments of a command line
    (``--quick`` is ``suite=quick``; ``-m`` is implied). Raises :class:`WaveDiffError` in one line."""
    argv = ["suite=quick" if a == "--quick" else a for a in argv if a not in ("-m", "--multirun")]
    overrides, hydra_args = split(argv)
    check_overrides("benchmark", overrides)
    cfg = suite_config(overrides)
    check_suite(cfg)
    return cfg, overrides, hydra_args


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip())
        return
    try:
        cfg, overrides, hydra_args = parse_args(argv)
    except WaveDiffError as exc:
        fail(str(exc), code=exc.exit_code)
    if not cfg.table_only:
        sweep = [f"dataset={','.join(map(str, cfg.suite.datasets))}",
                 f"generator={','.join(map(str, cfg.suite.generators))}",
                 f"seed={','.join(str(s) for s in cfg.suite.seeds)}"]
        run_hydra("benchmark", "benchmark", task, ["-m", *sweep, *overrides, *hydra_args])
    publish(cfg, shlex.join(["wavediff", "benchmark", *argv]))


@one_line_errors
def publish(cfg: DictConfig, command: str) -> None:
    table = write_table(cfg, command)
    missing = f"\n\nnot run yet: {', '.join(table.missing)}" if table.missing else ""
    report(table, f"{table.markdown}{missing}\n\ntable: {table.benchmark_md}")
