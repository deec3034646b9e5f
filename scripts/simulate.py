#!/usr/bin/env python
"""Simulate Merton jump-diffusion minute OHLCV bars to a CSV (the seed's data_downloader.py).

Example:
    python scripts/simulate.py --days 30 --mu 0.05 --sigma 0.2 --lam 0.1 --jump_mean -0.02 \\
        --jump_std 0.1 --year 2022 --month 1 --seed 0 --out data/index_time_series.csv
"""

import argparse
from pathlib import Path

from wavediff.cli import one_line_errors
from wavediff.data.export import simulate_to_csv
from wavediff.data.sources import MJDSource
from wavediff.registry.store import Registry


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--days", type=float, default=30, help="days of minute bars, 1440 bars per day (default: 30)")
    p.add_argument("--mu", type=float, default=0.05, help="annual drift of log price (default: 0.05)")
    p.add_argument("--sigma", type=float, default=0.2, help="annual volatility (default: 0.2)")
    p.add_argument("--lam", type=float, default=0.1, help="jump intensity, jumps per year (default: 0.1)")
    p.add_argument("--jump_mean", type=float, default=-0.02, help="mean log jump size (default: -0.02)")
    p.add_argument("--jump_std", type=float, default=0.1, help="std of log jump size (default: 0.1)")
    p.add_argument("--year", type=int, default=2022, help="year of the first bar (default: 2022)")
    p.add_argument("--month", type=int, default=1, help="month of the first bar (default: 1)")
    p.add_argument("--bar_minutes", type=int, default=1, help="minutes per bar (default: 1)")
    p.add_argument("--start_price", type=float, default=100.0, help="first open price (default: 100)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--out", type=Path, default=Path("data/index_time_series.csv"),
                   help="CSV to write (default: data/index_time_series.csv)")
    p.add_argument("--registry-url", default="sqlite:///outputs/wavediff.db",
                   help="SQLAlchemy URL of the run registry (default: sqlite:///outputs/wavediff.db)")
    return p.parse_args()


@one_line_errors
def main() -> None:
    args = parse_args()
    if args.days <= 0 or args.bar_minutes <= 0 or args.start_price <= 0:
        raise SystemExit("error: --days, --bar_minutes and --start_price must be positive")
    if not 1 <= args.month <= 12:
        raise SystemExit(f"error: --month must be 1..12, got {args.month}")
    source = MJDSource(days=args.days, mu=args.mu, sigma=args.sigma, lam=args.lam,
                       jump_mean=args.jump_mean, jump_std=args.jump_std, bar_minutes=args.bar_minutes,
                       start_price=args.start_price, year=args.year, month=args.month, seed=args.seed)
    run_id, path, data = simulate_to_csv(source, args.out, Registry(args.registry_url))
    print(f"data run {run_id}: {len(data.bars)} bars of MJD ({source.params}) -> {path}")


if __name__ == "__main__":
    main()
