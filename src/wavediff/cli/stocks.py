"""The field's "Stocks" benchmark in its own protocol, our scores beside the published ones.

Trains WaveDiff on every 24-day window of the Google OHLCV file (experiment=stocks: all five bar
fields, v-prediction), samples as many windows as there are real ones (each from the close and
volume of a random real bar), min-max scales all six columns over the file, and scores real
against generated with the field's post-hoc GRUs: discriminative |accuracy - 0.5| and predictive
MAE, mean ± std over --runs trainings, beside "real vs real" (what a perfect generator scores)
and the published figures.
Writes <out>/stocks.md, stocks.json and candles.png (with --publish, also into that folder).

  wavediff stocks                                   # 20 epochs: about 25 min on 2 CPU cores (8 min training, 9 min sampling)
  wavediff stocks --train trainer.max_epochs=3     # quicker, worse
  wavediff stocks --checkpoint outputs/.../last.ckpt --publish docs/stocks
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
from pathlib import Path

from wavediff.cli import one_line_errors
from wavediff.errors import ConfigError

PROG = "wavediff stocks"
DEFAULT_FILE = "../shared/benchmarks/stocks/stock_data.csv"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--file", type=Path, default=None,
                   help=f"the Stocks CSV (default {DEFAULT_FILE}, from the repository root)")
    p.add_argument("--train", action="append", default=[], metavar="OVERRIDE",
                   help="a training config override (repeat; default budget trainer.max_epochs=20), e.g. model=unet_tiny")
    p.add_argument("--checkpoint", type=Path, default=None, help="score this trained bar model instead of training")
    p.add_argument("--runs", type=int, default=5, help="GRU trainings per score (default 5, as Diffusion-TS)")
    # stochastic and 50 steps: Euler ancestral at 20 steps gave bars with half the real return and gap
    # spread (discriminative 0.056), DDIM ancestral at 50 steps 0.018 on the same checkpoint (docs/results.md)
    p.add_argument("--sampler", default="ancestral", help="sampler config (default ancestral)")
    p.add_argument("--steps", type=int, default=50, help="sampler steps (default 50)")
    p.add_argument("--seed", type=int, default=0, help="training and sampling seed (default 0)")
    p.add_argument("--batch-size", type=int, default=512, help="images per network call (default 512)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    p.add_argument("--disc-steps", type=int, default=2000, help="classifier training steps (protocol: 2000)")
    p.add_argument("--pred-steps", type=int, default=5000, help="predictor training steps (protocol: 5000)")
    p.add_argument("--out", type=Path, default=Path("outputs/stocks"), help="where the report goes (default outputs/stocks)")
    p.add_argument("--publish", type=Path, default=None, help="also copy the report and picture here (e.g. docs/stocks)")
    return p.parse_args(argv)


@one_line_errors
def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    for flag, value in (("--runs", args.runs), ("--steps", args.steps), ("--disc-steps", args.disc_steps),
                        ("--pred-steps", args.pred_steps), ("--batch-size", args.batch_size)):
        if value < 1:
            raise ConfigError(f"{flag} {value}: must be >= 1")
    if not all("=" in o for o in args.train):
        raise ConfigError(f"--train {args.train}: each a key=value training override")
    path = args.file or Path(DEFAULT_FILE)
    if not path.is_file():
        raise ConfigError(f"{path}: the Stocks file is not there (give --file)")
    if args.checkpoint is not None and not args.checkpoint.is_file():
        raise ConfigError(f"checkpoint not found: {args.checkpoint}")
    from wavediff.jobs.stocks import run_stocks

    command = ["wavediff", "stocks", *(sys.argv[2:] if argv is None else argv)]
    run_stocks(path, args.out, runs=args.runs, train_overrides=args.train, checkpoint=args.checkpoint,
               sampler=args.sampler, steps=args.steps, seed=args.seed, device=args.device,
               batch_size=args.batch_size, disc_steps=args.disc_steps, pred_steps=args.pred_steps,
               command=command, report_dir=args.publish)
    if args.publish:
        args.publish.mkdir(parents=True, exist_ok=True)
        for name in ("stocks.md", "stocks.json", "candles.png"):
            shutil.copyfile(args.out / name, args.publish / name)
    print((args.out / "stocks.md").read_text())
    print(f"wrote {args.out / 'stocks.md'}" + (f" and {args.publish}" if args.publish else "")
          + f"  ({shlex.join(command)})")
