"""Benchmark WaveDiff against the seed's method, side by side in one run.

Prints a table and writes JSON (default outputs/bench/bench.json): transform windows/s (ours vs
the seed's per-window pywt + resize), dataset build cold vs cached, training s/step and GFLOP/s
(tiny and small UNet, our (2, S, T) images vs seed-like 1x128x128), sampling speed per sampler
against DDPM's full schedule, and a float32 matmul as the machine's reference.
"""

import argparse
import json
from pathlib import Path

from wavediff.cli import one_line_errors
from wavediff.config.compose import config_dir
from wavediff.jobs.bench import QUICK, BenchSize, format_report, run_all
from wavediff.utils import atomic_write_text

PROG = "wavediff bench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="tiny sizes, runs in well under a minute (for tests)")
    p.add_argument("--repeats", type=int, default=None, help="timings per figure (median); default 3, quick 2")
    p.add_argument("--out", type=Path, default=Path("outputs/bench/bench.json"), help="JSON file to write")
    return p.parse_args(argv)


@one_line_errors
def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    size = QUICK if args.quick else BenchSize()
    if args.repeats:
        size = BenchSize(**{**size.__dict__, "repeats": args.repeats})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results = run_all(size, cache_dir=args.out.parent / "cache", config_dir=config_dir(),
                      sampler_steps=3 if args.quick else None, log=print)
    report = format_report(results)
    print(report)
    atomic_write_text(args.out, json.dumps(results, indent=2))
    atomic_write_text(args.out.with_suffix(".txt"), report + "\n")
    print(f"\nwrote {args.out}")
