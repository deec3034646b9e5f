"""Simulate OHLCV bars to a CSV and record a data_runs row (the seed's data_downloader.py).

Examples:
    wavediff simulate --days 30 --mu 0.05 --sigma 0.2 --lam 0.1 --jump_mean -0.02 \\
        --jump_std 0.1 --year 2022 --month 1 --seed 0 --out data/index_time_series.csv
    wavediff simulate --model heston --rho -0.5 --out data/heston.csv
    wavediff simulate --model garch --help      # that model's parameters
"""

import argparse
from dataclasses import MISSING, fields
from pathlib import Path

from wavediff.cli import one_line_errors, report
from wavediff.jobs.recorder import RunRecorder
from wavediff.jobs.simulate import export_prices
from wavediff.data.simulators import SIMULATORS, STYLIZED_FACTS
from wavediff.registry.store import Registry, default_url

PROG = "wavediff simulate"


def models_epilog() -> str:
    lines = ["models and their parameters (default):"]
    for name, cls in SIMULATORS.items():
        params = ", ".join(f"{f.name}={f.default}" for f in fields(cls.params_type))
        lines.append(f"  {name:7s} {params}\n          stylized facts: {STYLIZED_FACTS[name]}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--model", choices=sorted(SIMULATORS), default="mjd")
    model = pre.parse_known_args(argv)[0].model
    p = argparse.ArgumentParser(prog=PROG, description=__doc__, epilog=models_epilog(),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=sorted(SIMULATORS), default="mjd",
                   help="price model (default: mjd); --model NAME --help lists its parameters")
    group = p.add_argument_group(f"{model} parameters (continuous-time models: annual units)")
    for f in fields(SIMULATORS[model].params_type):
        default = f.default if f.default is not MISSING else None
        group.add_argument(f"--{f.name}", type=float, default=default,
                           help=f"{f.metadata.get('help', '')} (default: {default})")
    common = p.add_argument_group("bars and output")
    common.add_argument("--days", type=float, default=30, help="days simulated, 1440 minutes each (default: 30)")
    common.add_argument("--bar_minutes", type=int, default=1, help="minutes per bar; 1440 = daily (default: 1)")
    common.add_argument("--start_price", type=float, default=100.0, help="first open price (default: 100)")
    common.add_argument("--year", type=int, default=2022, help="year of the first bar (default: 2022)")
    common.add_argument("--month", type=int, default=1, help="month of the first bar (default: 1)")
    common.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    common.add_argument("--out", type=Path, default=Path("data/index_time_series.csv"),
                        help="CSV to write (default: data/index_time_series.csv)")
    common.add_argument("--registry-url", default=default_url(),
                        help="SQLAlchemy URL of the run registry (default: %(default)s)")
    args = p.parse_args(argv)
    if not 1 <= args.month <= 12:
        p.error(f"--month must be 1..12, got {args.month}")
    return args


@one_line_errors
def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    cls = SIMULATORS[args.model]
    model_params = {f.name: getattr(args, f.name) for f in fields(cls.params_type)}
    source = cls(days=args.days, bar_minutes=args.bar_minutes, start_price=args.start_price,
                 year=args.year, month=args.month, seed=args.seed, **model_params)
    result = export_prices(source, args.out, RunRecorder(Registry(args.registry_url)))
    report(result, f"data run {result.data_run_id}: {len(result.data.bars)} bars of {args.model} "
                   f"({model_params}) -> {result.csv}")
