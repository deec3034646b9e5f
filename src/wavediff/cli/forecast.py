"""Score scenario forecasts from rolling held-out origins beside GARCH-t and the bootstrap, and long paths.

At every --stride-th held-out bar, WaveDiff (the checkpoint's scenarios after the known history),
GARCH(1,1)-t (fitted on the training split, filtered over the same history) and the stationary
bootstrap each draw --scenarios paths of the next max(--horizons) returns. Coverage of the 50/90/99%
intervals, VaR 1%/5% exceedances (Kupiec), the PIT and the CRPS of the h-bar cumulative return and
realised volatility go to <out>/forecasts.md and .json (and with --publish, docs/). Each model's
scenarios are generated once and reused, so the command resumes.

With --long-model and --length, --paths chained paths of --length returns are scored against real
segments of that length (fresh simulator paths, or the observed series): ACF(|r|) beyond one window,
max drawdown, each window's realised volatility and its persistence, each over its noise floor, plus
the seam check.

  wavediff forecast --model sp500=outputs/.../last.ckpt --model nasdaq=outputs/.../last.ckpt --publish docs
  wavediff forecast --long-model bates=outputs/.../last.ckpt --length 2048 --paths 16
"""

from __future__ import annotations

import argparse
import shlex
import sys

from wavediff.cli import add_table_options, labelled_checkpoints, one_line_errors
from wavediff.errors import ConfigError

PROG = "wavediff forecast"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", action="append", default=[], metavar="LABEL=CHECKPOINT",
                   help="a trained model; its own data config gives the held-out series (repeat for several)")
    p.add_argument("--long-model", action="append", default=[], metavar="LABEL=CHECKPOINT",
                   help="a trained model whose long chained paths are scored against real segments (repeat)")
    p.add_argument("--length", type=int, default=0, help="returns per long path (with --long-model)")
    p.add_argument("--paths", type=int, default=16, help="long paths per model (default 16)")
    p.add_argument("--long-horizon", type=int, default=None,
                   help="returns each chained window adds (default a quarter window)")
    p.add_argument("--max-lag", type=int, default=250, help="longest ACF(|r|) lag of the long-path check (default 250)")
    p.add_argument("--horizons", type=int, nargs="+", default=[1, 5, 20], help="bars ahead to score (default 1 5 20)")
    p.add_argument("--stride", type=int, default=4, help="bars between forecast origins (default 4)")
    p.add_argument("--scenarios", type=int, default=16, help="scenarios per origin and forecaster (default 16)")
    p.add_argument("--baselines", nargs="*", default=["garch_t", "bootstrap"],
                   help="classical forecasters beside WaveDiff (default garch_t bootstrap; also gjr_t)")
    p.add_argument("--splits", nargs="+", default=["val", "test"], help="held-out splits (default val test)")
    p.add_argument("--sampler", nargs="+", default=["ancestral/20"], metavar="NAME[/STEPS]",
                   help="WaveDiff sampler config(s), a row each, compared with the first "
                        "(default ancestral/20: DDIM ancestral, 20 calls; e.g. ancestral/20 euler_ancestral ancestral/50)")
    p.add_argument("--steps", type=int, default=None, help="override the steps of samplers given without /STEPS")
    p.add_argument("--history-corrections", type=int, nargs="+", default=[1],
                   help="WaveDiff (scenarios and long paths) once per value of "
                        "sampler.history_corrections, compared with the first (default 1; e.g. 1 0)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.add_argument("--batch-size", type=int, default=128, help="images per network call (default 128)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    add_table_options(p, "outputs/forecasts", "forecasts")
    return p.parse_args(argv)


@one_line_errors
def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from wavediff.jobs.forecast import forecast_table

    models = labelled_checkpoints("--model", args.model)
    long_models = labelled_checkpoints("--long-model", args.long_model)
    if args.stride < 1:
        raise ConfigError(f"--stride {args.stride}: must be >= 1")
    command = " ".join(["wavediff forecast", *map(shlex.quote, sys.argv[2:] if argv is None else argv)])
    payload = forecast_table(models, args.out, horizons=args.horizons, stride=args.stride, m=args.scenarios,
                             baselines=args.baselines, splits=args.splits, sampler=args.sampler, seed=args.seed,
                             batch_size=args.batch_size, device=args.device, registry_overrides=args.registry,
                             long_models=long_models, length=args.length, paths=args.paths,
                             long_horizon=args.long_horizon, max_lag=args.max_lag,
                             corrections=args.history_corrections, table=args.table, steps=args.steps,
                             publish=args.publish, command=command)
    print((args.out / f"{args.table}.md").read_text())
    print(f"wrote {args.out / (args.table + '.md')} ({len(payload['reports'])} forecast models, "
          f"{len(payload['long_paths'])} long-path models)")

