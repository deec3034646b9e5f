"""The field's "Stocks" benchmark (``wavediff stocks``), in its own protocol.

``../shared/benchmarks/stocks/README.md`` describes it: the Google daily OHLCV file, all six
columns min-max scaled over the whole file, every 24-row window (stride 1) for training, as many
generated windows as real ones, and the post-hoc GRU scores (:mod:`wavediff.metrics.gru_scores`),
mean and std over repeated runs, printed beside the published ones.

WaveDiff models the bars of each window relative to the bar before it (``data.fields``,
:mod:`wavediff.transforms.bars`); the protocol's min-max scaling makes a window's *level* mostly
a matter of which year it comes from (prices run from 50 to 1,270 over 15 years), a fact of the
file's marginal, not of the dynamics. So each generated window starts from the close and volume
of a bar drawn at random from the training windows (the bar before one of them): the level has
exactly the file's distribution, and everything inside the window (24 bars of open, high, low,
close and volume) is generated. ``Adj_Close`` equals ``Close`` in this file, and is copied.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from wavediff.errors import DataError
from wavediff.metrics.gru_scores import gru_discriminative_score, gru_predictive_score, minmax_scale
from wavediff.registry.store import git_commit
from wavediff.transforms.bars import check_valid_bars, valid_bars
from wavediff.utils import atomic_path, atomic_write_text

log = logging.getLogger(__name__)

COLUMNS = ("Open", "High", "Low", "Close", "Adj_Close", "Volume")  # the protocol's order: volume last
WINDOW = 24
HELDOUT_REPORT = Path("docs/stocks/heldout/report.md")  # from the repository root: the returns-side evaluation
EPOCHS = 20  # the default budget: about 8 minutes of training on 2 CPU cores (the issue allows 30)


def read_stocks(path: Path) -> np.ndarray:
    """The file's six columns ``(L, 6)`` float64, oldest first; one-line errors."""
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: not a readable CSV ({' '.join(str(exc).split())})") from None
    missing = [c for c in COLUMNS if c not in frame]
    if missing:
        raise DataError(f"{path}: not the Stocks file: no column {', '.join(missing)} (columns: {', '.join(frame)})")
    values = frame[list(COLUMNS)].to_numpy(np.float64)
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise DataError(f"{path}: values must be finite and positive")
    return values


def protocol_windows(values: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Every ``window`` consecutive rows, stride 1: ``(L - window + 1, window, 6)``."""
    return np.lib.stride_tricks.sliding_window_view(values, window, axis=0).transpose(0, 2, 1).copy()


def generated_windows(bars: dict[str, np.ndarray]) -> np.ndarray:
    """Generated bars (field -> ``(N, T)``) as the protocol's rows ``(N, T, 6)`` (Adj_Close = Close)."""
    return np.stack([bars["open"], bars["high"], bars["low"], bars["close"], bars["close"], bars["volume"]], axis=-1)


def start_states(values: np.ndarray, n: int, rng: np.random.Generator, window: int = WINDOW) -> tuple[np.ndarray, ...]:
    """The close and volume ``(n,)`` of the bar before ``n`` random training windows of ``window`` bars."""
    before = rng.integers(0, len(values) - window, n)  # row i starts the window of rows i+1 .. i+window
    return values[before, COLUMNS.index("Close")], values[before, COLUMNS.index("Volume")]


def published_scores(readme: Path) -> list[tuple[str, str, str]]:
    """The published rows (model, discriminative, predictive) of the benchmark README's table."""
    if not readme.is_file():
        return []
    rows = []
    for line in readme.read_text().splitlines():
        if not line.startswith("|"):  # table rows only (prose may hold a "|")
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("model", "") and not set(cells[1]) <= set("-"):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


@dataclass
class ScoreRuns:
    """The two scores of ``runs`` GRU trainings (seeds 0 ..), and their mean and std."""

    discriminative: list[float]
    predictive: list[float]

    def summary(self) -> dict[str, float]:
        d, p = np.asarray(self.discriminative), np.asarray(self.predictive)
        return {"discriminative_mean": float(d.mean()), "discriminative_std": float(d.std()),
                "predictive_mean": float(p.mean()), "predictive_std": float(p.std())}


def score_runs(real: np.ndarray, generated: np.ndarray, runs: int, disc_steps: int = 2000,
               pred_steps: int = 5000, progress: bool = True,
               disc_sets: tuple[np.ndarray, np.ndarray] | None = None) -> ScoreRuns:
    """Both GRU scores of scaled windows ``(N, T, 6)``, once per seed ``0 .. runs - 1``: the
    classifier separates ``disc_sets`` (default ``(real, generated)``), the predictor trains on
    ``generated`` and is tested on ``real``."""
    from tqdm.auto import tqdm

    first, second = disc_sets if disc_sets is not None else (real, generated)
    d, p = [], []
    for seed in tqdm(range(runs), desc="GRU scores", disable=not progress):
        d.append(gru_discriminative_score(first, second, seed=seed, steps=disc_steps))
        p.append(gru_predictive_score(real, generated, seed=seed, steps=pred_steps))
    return ScoreRuns(d, p)


def table(rows: dict[str, dict[str, float]], published: list[tuple[str, str, str]]) -> str:
    """Markdown: our rows (mean ± std) under the published ones."""
    lines = ["| model | discriminative | predictive |", "|---|---|---|"]
    lines += [f"| {m} (published) | {d} | {p} |" for m, d, p in published]
    for name, s in rows.items():
        lines.append(f"| {name} | {s['discriminative_mean']:.3f} ± {s['discriminative_std']:.3f} | "
                     f"{s['predictive_mean']:.3f} ± {s['predictive_std']:.3f} |")
    return "\n".join(lines)


def write_report(out: Path, result: dict[str, Any], published: list[tuple[str, str, str]], command: list[str],
                 commit: str, report_dir: Path | None = None) -> Path:
    """``stocks.md`` (the table, how it was made, the pictures) and ``stocks.json``, each written whole.
    ``report_dir``: the folder the report will be read from (a ``--publish`` copy; default ``out``),
    so that its link to the held-out evaluation resolves there."""
    heldout = Path(os.path.relpath(HELDOUT_REPORT.resolve(), (report_dir or out).resolve())).as_posix()
    rows = {"WaveDiff (this run)": result["wavediff"], "real vs real (the floor)": result["real_vs_real"]}
    r = result["run"]
    text = (f"# The Stocks benchmark\n\n{table(rows, published)}\n\n"
            f"Published figures as their papers report them (`../shared/benchmarks/stocks/README.md`); ours are "
            f"mean ± std over {r['runs']} GRU trainings (seeds 0-{r['runs'] - 1}) on {r['n_real']} real and "
            f"{r['n_generated']} generated 24-bar windows, min-max scaled per column over the whole file. "
            "*real vs real*: the discriminative score of two random halves of the real windows and the predictive "
            "score of the GRU trained on real windows: what a perfect generator would score with this protocol.\n\n"
            + (f"WaveDiff: trained {r['train_seconds']:.0f} s on {r['hardware']} ({r['train_overrides']}), "
               if r["train_seconds"] else f"WaveDiff: the checkpoint {r['checkpoint']} (trained before), sampled on "
               f"{r['hardware']}: ") +
            f"{r['n_generated']} windows sampled in {r['sample_seconds']:.0f} s with {r['sampler']}; each starts "
            "from the close and volume of a random real bar (the level is the file's, the bars inside the window "
            f"are generated). Invalid bars: {r['invalid_bars']}.\n\n"
            "The protocol scales prices, not returns, and trains on every (overlapping) window, so it says little "
            f"about returns: read it beside the held-out evaluation ([{heldout}]({heldout})), "
            "never instead of it.\n\n![candles](candles.png)\n\n"
            f"Commit {commit}. Command: `{shlex.join(command)}`\n")
    atomic_write_text(out / "stocks.md", text)
    atomic_write_text(out / "stocks.json", json.dumps(result, indent=2))
    return out / "stocks.md"


def run_stocks(path: Path, out: Path, *, runs: int = 5, train_overrides: list[str] | None = None,
               checkpoint: Path | None = None, sampler: str = "ancestral", steps: int | None = None,
               seed: int = 0, device: str = "auto", batch_size: int = 512, disc_steps: int = 2000,
               pred_steps: int = 5000, command: list[str] | None = None,
               report_dir: Path | None = None) -> dict[str, Any]:
    """Train on every window of ``path`` (or use ``checkpoint``), sample as many windows as there
    are real ones, score both sets ``runs`` times, write ``stocks.md``/``.json`` and ``candles.png``."""
    from wavediff.config.compose import compose_config
    from wavediff.jobs.generate import sampler_from_config
    from wavediff.jobs.train import train
    from wavediff.models.loading import load_module, resolve_device
    from wavediff.sampling.generate import generate
    from wavediff.transforms.render import candles_figure, save_figure

    commit = git_commit() or "unknown"  # of the code that runs (the report is written at the end)
    path = Path(path).expanduser().resolve()
    values = read_stocks(path)
    real = protocol_windows(values)
    low, high = values.min(axis=0), values.max(axis=0)
    out.mkdir(parents=True, exist_ok=True)
    overrides = ["experiment=stocks", f"data.path={path}", "data.splits={train:1.0,val:0.0,test:0.0}",
                 "trainer.limit_val_batches=0", "~callbacks.evaluation", "~callbacks.sampling",
                 "callbacks.model_checkpoint.monitor=null", f"trainer.max_epochs={EPOCHS}", f"seed={seed}",
                 f"paths.output_dir={out.resolve() / 'train'}", f"sampler={sampler}",
                 *([f"sampler.steps={steps}"] if steps else []), *(train_overrides or [])]
    cfg = compose_config("train", overrides)
    train_seconds = 0.0
    if checkpoint is None:
        start = time.perf_counter()
        result = train(cfg)
        train_seconds = time.perf_counter() - start
        checkpoint = Path(result.checkpoint)
    module = load_module(Path(checkpoint), resolve_device(device))
    fields = list(getattr(module.representation, "fields", []))
    if fields != ["close", "open", "high", "low", "volume"]:
        raise DataError(f"{checkpoint}: a model of all five bar fields is needed (it has {fields or ['close']})")
    start = time.perf_counter()
    samples = generate(module, len(real), sampler_from_config(cfg), seed=seed, batch_size=batch_size, progress=True)
    sample_seconds = time.perf_counter() - start
    rng = np.random.default_rng([seed, 24])
    prev_close, prev_volume = start_states(values, len(real), rng)
    bars = module.representation.bars(samples.returns, prev_close, prev_volume)
    invalid = 0
    try:
        check_valid_bars(bars)
    except ValueError as exc:  # never expected (the decoding clamps); counted, not hidden
        invalid = int((~valid_bars(bars)).sum())
        log.error("stocks: %d invalid generated bars: %s", invalid, exc)
    fake = generated_windows(bars)
    with atomic_path(out / "generated.npz") as tmp:  # the windows scored, in the file's units (to reuse or inspect)
        np.savez_compressed(tmp, windows=fake, columns=np.array(COLUMNS), prev_close=prev_close,
                            prev_volume=prev_volume)
    shown = real[:: max(1, len(real) // 4)]  # spread over the file: neighbouring windows overlap in 23 bars
    save_figure(candles_figure({"generated": bars, "real": {
        "open": shown[:, :, 0], "high": shown[:, :, 1], "low": shown[:, :, 2], "close": shown[:, :, 3],
        "volume": shown[:, :, 5]}}, title="Stocks: generated and real 24-day bars", windows=4), out / "candles.png")
    real_scaled, fake_scaled = minmax_scale(real, low, high), minmax_scale(fake, low, high)
    ours = score_runs(real_scaled, fake_scaled, runs, disc_steps, pred_steps)
    order = np.random.default_rng(seed).permutation(len(real_scaled))
    halves = (real_scaled[order[: len(order) // 2]], real_scaled[order[len(order) // 2:]])
    floor = score_runs(real_scaled, real_scaled, runs, disc_steps, pred_steps, disc_sets=halves)  # a perfect generator
    result = {
        "wavediff": ours.summary() | {"runs": {"discriminative": ours.discriminative, "predictive": ours.predictive}},
        "real_vs_real": floor.summary() | {"runs": {"discriminative": floor.discriminative,
                                                    "predictive": floor.predictive}},
        "run": {"file": str(path), "checkpoint": str(checkpoint), "runs": runs, "n_real": len(real),
                "n_generated": len(fake), "train_seconds": train_seconds, "sample_seconds": sample_seconds,
                "sampler": f"{samples.sampler} ({samples.network_evals} network calls)",
                "train_overrides": " ".join(train_overrides or []) or "the defaults",
                "hardware": f"{torch.get_num_threads()} CPU threads, {platform.processor() or platform.machine()}"
                if str(module.device) == "cpu" else str(module.device),
                "invalid_bars": invalid, "disc_steps": disc_steps, "pred_steps": pred_steps},
    }
    published = published_scores(path.parent / "README.md")
    write_report(out, result, published, command or ["wavediff", "stocks"], commit, report_dir)
    return result

