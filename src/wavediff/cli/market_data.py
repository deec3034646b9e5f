"""Write a real daily market series (shipped with the arch package, nothing downloaded) as OHLCV CSV
and record a data_runs row; train on it with data=csv data.path=<the CSV>, e.g. experiment=real_sp500.

Examples:
    pip install arch
    wavediff market-data sp500                      # -> outputs/data/sp500.csv
    wavediff market-data nasdaq --out data/nasdaq.csv
    wavediff market-data sp500 nasdaq               # one CSV with a ticker column -> outputs/data/sp500+nasdaq.csv
"""

import argparse
from pathlib import Path

from wavediff.cli import one_line_errors, report
from wavediff.data.market import SERIES, MarketSource
from wavediff.registry.store import Registry, default_url
from wavediff.jobs.recorder import RunRecorder
from wavediff.jobs.simulate import export_prices

PROG = "wavediff market-data"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("series", nargs="+", choices=sorted(SERIES),
                   help="; ".join(f"{k}: {v}" for k, v in SERIES.items())
                   + " (several: one CSV with a ticker column, for data.assets)")
    p.add_argument("--out", type=Path, default=None, help="CSV to write (default: outputs/data/<series>.csv)")
    p.add_argument("--registry-url", default=default_url(),
                   help="SQLAlchemy URL of the run registry (default: %(default)s)")
    return p.parse_args(argv)


@one_line_errors
def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    series = args.series[0] if len(args.series) == 1 else args.series
    out = args.out or Path("outputs/data") / f"{'+'.join(args.series)}.csv"
    result = export_prices(MarketSource(series), out, RunRecorder(Registry(args.registry_url)))
    report(result, f"data run {result.data_run_id}: {len(result.data.bars)} daily bars of "
                   f"{result.data.params['description']} -> {result.csv}")
