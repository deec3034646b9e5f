"""Compare samplers on the same trained models, each against the held-out windows and noise floors.

Rows come from a YAML file (default configs/sampler_table.yaml: `rows:` of `model`, `sampler` and
optional `overrides` of the sampler config); models are `--model LABEL=CHECKPOINT`. Each row's
samples are generated once (recorded in the registry, timed) and reused on the next run, so the
command resumes. Writes <out>/samplers.md and .json, and with --publish docs/samplers.md.

  wavediff samplers --model vp=outputs/.../last.ckpt --model edm=outputs/.../last.ckpt --publish docs
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from wavediff.cli import add_table_options, labelled_checkpoints, one_line_errors
from wavediff.config.compose import config_dir
from wavediff.errors import ConfigError

PROG = "wavediff samplers"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", action="append", default=[], metavar="LABEL=CHECKPOINT",
                   help="a model the rows name (repeat for several)")
    p.add_argument("--rows", type=Path, default=None,
                   help="YAML with a rows: list (default: the packaged configs/sampler_table.yaml)")
    p.add_argument("--n", type=int, default=256, help="series per row (default 256)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.add_argument("--batch-size", type=int, default=64, help="images per network call (default 64)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    p.add_argument("--draws", type=int, default=5, help="real sets per noise floor (default 5)")
    add_table_options(p, "outputs/samplers", "samplers")
    return p.parse_args(argv)


@one_line_errors
def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from wavediff.jobs.sampler_table import load_rows, sampler_table

    models = labelled_checkpoints("--model", args.model)
    if args.n < 8:
        raise ConfigError(f"--n {args.n}: needs at least 8 series (the discriminative score)")
    rows = load_rows(args.rows or config_dir() / "sampler_table.yaml")
    command = " ".join(["wavediff samplers", *map(shlex.quote, sys.argv[2:] if argv is None else argv)])
    payload = sampler_table(rows, models, args.out, n=args.n, seed=args.seed, batch_size=args.batch_size,
                            device=args.device, draws=args.draws, registry_overrides=args.registry,
                            publish=args.publish, table_name=args.table, command=command)
    print((args.out / f"{args.table}.md").read_text())
    print(f"wrote {args.out / (args.table + '.md')} ({len(payload['rows'])} rows)")
