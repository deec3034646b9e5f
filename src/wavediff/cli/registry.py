"""Query the run registry.

    wavediff registry list [--kind train|data|generation|sweep] [--status finished] [--where config.data.window_size=256] [--since 2026-11-01] [--json]
    wavediff registry show 3 [--kind train]
    wavediff registry best --metric final_val_loss [--min|--max]
    wavediff registry compare 3 4
    wavediff registry export --csv runs.csv [--kind train]
    wavediff registry verify
    wavediff registry gc [--stale-minutes 30]   # mark dead 'running' runs 'interrupted'
"""

import argparse
import json
import math
import sys
from datetime import timedelta

import pandas as pd

from wavediff.cli import one_line_errors
from wavediff.registry import queries
from wavediff.registry.store import Registry, default_url

PROG = "wavediff registry"

LIST_COLUMNS = {
    "train": ["id", "status", "model_name", "epochs_completed", "final_train_loss", "final_val_loss", "created_at"],
    "data": ["id", "status", "source", "n_rows", "output_path", "created_at"],
    "generation": ["id", "status", "train_run_id", "epoch", "sampler", "n_samples", "png_path", "created_at"],
    "sweep": ["id", "status", "study_name", "objective", "n_trials", "n_complete", "best_value", "created_at"],
}


def json_line(record: dict) -> str:
    """One strict-JSON object: NaN and infinities (missing metrics) become null."""
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()}
    return json.dumps(clean, default=str, allow_nan=False)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default=default_url(), help="registry URL (default: %(default)s)")
    p.add_argument("--root", default=None,
                   help="outputs root that artifact paths are relative to (default: the SQLite file's folder)")
    sub = p.add_subparsers(dest="command", required=True)
    kinds = sorted(queries.TABLES)
    ls = sub.add_parser("list", help="list runs")
    ls.add_argument("--kind", choices=kinds, default="train")
    ls.add_argument("--status", help="only runs with this status")
    ls.add_argument("--where", action="append", default=[], help="column=value, e.g. config.model.optimizer.lr=0.0005")
    ls.add_argument("--since", help="only runs created on or after this date")
    ls.add_argument("--json", action="store_true",
                    help="one JSON object per line with every column (strict JSON: missing values are null)")
    show = sub.add_parser("show", help="one run: config, results, artifacts, linked runs")
    show.add_argument("id", type=int)
    show.add_argument("--kind", choices=kinds, default="train")
    best = sub.add_parser("best", help="the finished run with the best value of a column")
    best.add_argument("--metric", required=True, help="column, e.g. final_val_loss")
    best.add_argument("--kind", choices=kinds, default="train")
    group = best.add_mutually_exclusive_group()
    group.add_argument("--min", dest="maximize", action="store_false", help="lowest wins (default)")
    group.add_argument("--max", dest="maximize", action="store_true", help="highest wins")
    best.set_defaults(maximize=False)
    cmp = sub.add_parser("compare", help="config diff and results of two train runs")
    cmp.add_argument("a", type=int)
    cmp.add_argument("b", type=int)
    export = sub.add_parser("export", help="write runs with flattened config as CSV")
    export.add_argument("--csv", required=True, help="file to write ('-' for stdout)")
    export.add_argument("--kind", choices=kinds, default="train")
    sub.add_parser("verify", help="rows with missing files, files under --root with no row")
    gc = sub.add_parser("gc", help="mark 'running' runs whose process is gone as 'interrupted'")
    gc.add_argument("--stale-minutes", type=float, default=None,
                    help="also runs of any host without a heartbeat for this long (runs beat every 30 s)")
    return p.parse_args(argv)


@one_line_errors
def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    registry = Registry(args.url, args.root)
    if args.command == "list":
        frame = queries.runs_frame(registry, args.kind)
        if not frame.empty:
            if args.status:
                frame = frame[frame["status"] == args.status]
            if args.since:
                frame = frame[pd.to_datetime(frame["created_at"], utc=True) >= pd.Timestamp(args.since, tz="UTC")]
            frame = queries.filter_runs(frame, args.where)
        if args.json:
            for record in frame.to_dict(orient="records"):
                print(json_line(record))
        elif frame.empty:
            print(f"no {args.kind} runs")
        else:
            print(frame[LIST_COLUMNS[args.kind]].to_string(index=False))
    elif args.command == "show":
        print(json.dumps(queries.show_run(registry, args.kind, args.id), indent=2, default=str))
    elif args.command == "best":
        run = queries.best_run(registry, args.metric, args.maximize, args.kind)
        print(f"{args.kind} run {run['id']}: {args.metric}={run[args.metric]} "
              f"(checkpoint {registry.resolve_path(run.get('checkpoint_path'))})")
    elif args.command == "compare":
        result = queries.compare_runs(registry, args.a, args.b)
        print(f"{'':40s} {'run ' + str(args.a):>24s} {'run ' + str(args.b):>24s}")
        for key, (x, y) in {**result["results"], **result["config_diff"]}.items():
            print(f"{key:40s} {str(x):>24s} {str(y):>24s}")
    elif args.command == "export":
        frame = queries.runs_frame(registry, args.kind)
        frame.to_csv(sys.stdout if args.csv == "-" else args.csv, index=False)
        if args.csv != "-":
            print(f"wrote {len(frame)} {args.kind} runs to {args.csv}")
    elif args.command == "verify":
        report = queries.verify_artifacts(registry, registry.artifacts_root)
        for line in report["missing"]:
            print(f"missing     {line}")
        for path in report["unreferenced"]:
            print(f"unreferenced {path}")
        print(f"{len(report['missing'])} missing, {len(report['unreferenced'])} unreferenced")
        if report["missing"]:
            raise SystemExit(1)
    elif args.command == "gc":
        stale = timedelta(minutes=args.stale_minutes) if args.stale_minutes is not None else None
        dead = queries.mark_dead_runs_interrupted(registry, stale)
        for kind, run_id in dead:
            print(f"{kind} run {run_id}: running -> interrupted (process gone)")
        print(f"{len(dead)} dead runs marked")
