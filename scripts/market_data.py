#!/usr/bin/env python
"""Write a real daily market series (shipped with the arch package, nothing downloaded) as OHLCV CSV
and record a data_runs row; train on it with data=csv data.path=<the CSV>, e.g. experiment=real_sp500.

Examples:
    pip install arch
    python scripts/market_data.py sp500                 # -> outputs/data/sp500.csv
    python scripts/market_data.py nasdaq --out data/nasdaq.csv
"""

import argparse
from pathlib import Path

from wavediff.cli import one_line_errors
from wavediff.data.market import SERIES, MarketSource
from wavediff.registry.store import Registry
from wavediff.simulation import simulate_to_csv


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("series", choices=sorted(SERIES), help="; ".join(f"{k}: {v}" for k, v in SERIES.items()))
    p.add_argument("--out", type=Path, default=None, help="CSV to write (default: outputs/data/<series>.csv)")
    p.add_argument("--registry-url", default="sqlite:///outputs/wavediff.db",
                   help="SQLAlchemy URL of the run registry (default: sqlite:///outputs/wavediff.db)")
    return p.parse_args()


@one_line_errors
def main() -> None:
    args = parse_args()
    out = args.out or Path("outputs/data") / f"{args.series}.csv"
    run_id, path, data = simulate_to_csv(MarketSource(args.series), out, Registry(args.registry_url))
    print(f"data run {run_id}: {len(data.bars)} daily bars of {data.params['description']} -> {path}")


if __name__ == "__main__":
    main()
