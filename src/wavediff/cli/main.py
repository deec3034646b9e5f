"""The ``wavediff`` command: ``wavediff <command> [arguments]``; ``wavediff <command> --help``."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

# command -> (module under wavediff.cli, one line of help)
COMMANDS = {
    "train": ("train", "train a model (Hydra overrides, -m for sweeps)"),
    "generate": ("generate", "sample series from a checkpoint or train run id"),
    "evaluate": ("evaluate", "compare generated with held-out data, each metric with its noise floor"),
    "simulate": ("simulate", "simulate OHLCV bars (MJD, GBM, Heston, Bates, GARCH-t) to a CSV"),
    "market-data": ("market_data", "write arch's daily S&P 500 / NASDAQ as an OHLCV CSV"),
    "registry": ("registry", "query the run registry (list, show, best, compare, export, verify, gc)"),
    "studio": ("studio", "the web UI on http://127.0.0.1:8000"),
    "benchmark": ("benchmark", "quality benchmark: data sets x generators (WaveDiff, GARCH, bootstrap), one table"),
    "samplers": ("samplers", "sampler comparison on trained models: network calls x churn -> quality, seconds"),
    "forecast": ("forecast", "scenario forecasts from held-out origins: coverage, VaR, CRPS vs GARCH-t and bootstrap"),
    "stocks": ("stocks", "the field's Stocks benchmark (GRU discriminative/predictive scores) beside the published"),
    "bench": ("bench", "speed benchmark, ratios measured side by side"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: wavediff <command> [arguments]   (wavediff <command> --help for its options)", "",
             "commands:"]
    lines += [f"  {name:{width}s}  {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return
    if argv[0] in ("-V", "--version"):
        from wavediff import __version__

        print(f"wavediff {__version__}")
        return
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"error: unknown command {command!r}; one of {', '.join(COMMANDS)}", file=sys.stderr)
        raise SystemExit(2)
    module = importlib.import_module(f"wavediff.cli.{COMMANDS[command][0]}")
    module.main(rest)
