"""Scenario evaluation (``wavediff forecast``): forecasts from rolling origins in the held-out
split, scored for calibration and CRPS beside the classical forecasters, and long chained paths
against real long segments.

At every origin the forecasters get the same last ``k = window - H`` returns (``H`` the longest
horizon) and draw ``M`` scenarios of the next ``H`` returns:

- ``wavediff``: the model's scenarios after the known history (:func:`generate` with ``history``);
- ``garch_t`` / ``gjr_t``: the training fit simulated from the variance its filter reaches over the
  same history (parameters fitted once on the training split, held fixed);
- ``bootstrap``: unconditional stationary-bootstrap draws of the training returns (historical
  simulation; it ignores the history).

Each model's WaveDiff scenarios are generated once into ``<out>/<label>/scenarios.npz`` (with a
``generation_runs`` row) and reused when the settings match, so an interrupted table resumes.
Long paths (``length > 0``): ``paths`` chained paths of ``length`` returns
(:func:`~wavediff.jobs.generate.long_paths_and_record`, reused the same way) scored with
:func:`~wavediff.metrics.long_paths.long_path_report` against segments of the same length:
fresh simulator paths for simulated data, else segments of the whole observed series.
The tables go to ``<out>/forecasts.md`` / ``.json`` and, with ``publish``, to ``docs/``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wavediff.baselines import build_baselines, check_baseline_names
from wavediff.baselines.base import training_series
from wavediff.config.compose import compose_config
from wavediff.config.instantiate import instantiate
from wavediff.errors import CheckpointError, ConfigError, DataError, check_file_stem
from wavediff.jobs.generate import long_paths_and_record, named_sampler, run_config
from wavediff.jobs.recorder import RunRecorder
from wavediff.metrics.forecast import LEVELS, paired_crps, score_forecasts
from wavediff.metrics.long_paths import long_path_report, segments_of
from wavediff.metrics.plots import long_acf_figure
from wavediff.models.loading import load_module, resolve_device
from wavediff.registry.store import git_commit
from wavediff.registry.tables import GenerationRun
from wavediff.sampling.generate import generate
from wavediff.sampling.samplers import SamplerConfig
from wavediff.transforms.render import fan_figure, save_figure
from wavediff.utils import atomic_path, atomic_write_text, reuse_or_compute

log = logging.getLogger(__name__)


@dataclass
class Origins:
    """Forecast origins in held-out series: what was known before each and what followed."""

    history: np.ndarray  # (O, k) log returns before the origin
    outcomes: np.ndarray  # (O, H) log returns after it
    positions: np.ndarray  # (O,) the origin's bar index in its series
    groups: np.ndarray  # (O,) which held-out series


def rolling_origins(series: Sequence[np.ndarray], known: int, horizon: int, stride: int) -> Origins:
    """Every ``stride``-th origin of each series with ``known`` returns before it and ``horizon`` after."""
    if known < 1 or horizon < 1 or stride < 1:
        raise ConfigError(f"origins: known={known}, horizon={horizon} and stride={stride} must all be >= 1")
    history, outcomes, positions, groups = [], [], [], []
    for g, returns in enumerate(series):
        returns = np.asarray(returns, dtype=np.float64)
        for t in range(known, len(returns) - horizon + 1, stride):
            history.append(returns[t - known:t])
            outcomes.append(returns[t:t + horizon])
            positions.append(t)
            groups.append(g)
    if not history:
        raise DataError(f"origins: no held-out series has {known + horizon} returns "
                        f"({known} known + {horizon} ahead)")
    return Origins(np.stack(history), np.stack(outcomes), np.asarray(positions), np.asarray(groups))


def held_out_series(config: dict[str, Any], splits: Sequence[str]) -> tuple[list[np.ndarray], list[np.ndarray], Any]:
    """The contiguous held-out series of ``splits`` and the training series of the run's data."""
    dm = instantiate(config["data"], "data")
    if dm.multi_asset:
        raise ConfigError(f"forecast scores one asset's scenarios; this run's windows hold the assets "
                          f"{', '.join(dm.assets)}")
    if dm.bar_fields:
        raise ConfigError(f"forecast scores a close-only model's scenarios; this run models whole bars "
                          f"({', '.join(dm.fields)})")
    dm.setup()
    missing = [s for s in splits if s not in dm.series]
    if missing:
        raise ConfigError(f"splits={list(splits)}: the run's data has no {', '.join(missing)} split "
                          f"({', '.join(dm.series)})")
    held = [s.double().numpy() for split in splits for s in dm.series[split]]
    return held, training_series(dm), dm


def wavediff_scenarios(module: Any, origins: Origins, m: int, sampler: SamplerConfig, seed: int,
                       batch_size: int) -> tuple[np.ndarray, int]:
    """``(O, m, H)`` scenarios after each origin's history, and the network calls per scenario."""
    known = origins.history.shape[1]
    history = torch.from_numpy(np.repeat(origins.history, m, axis=0)).float()
    samples = generate(module, len(history), sampler, seed=seed, batch_size=batch_size, progress=True,
                       history=history)
    returns = samples.returns.double().numpy()
    horizon = origins.outcomes.shape[1]
    return returns[:, known:known + horizon].reshape(len(origins.history), m, horizon), samples.network_evals


def model_scenarios(label: str, checkpoint: Path, origins: Origins, folder: Path, m: int, sampler: SamplerConfig,
                    seed: int, batch_size: int, device: str, recorder: RunRecorder) -> dict[str, Any]:
    """Generate (or reuse) one model's scenarios: ``{"npz", "seconds", "network_evals", ...}``."""
    settings = {"checkpoint": str(checkpoint), "m": m, "seed": seed, "sampler": sampler.name,
                "steps": sampler.steps, "options": dict(sampler.options),
                "history_corrections": sampler.history_corrections, "origins": len(origins.history),
                "known": int(origins.history.shape[1]), "horizon": int(origins.outcomes.shape[1])}

    def compute() -> dict[str, Any]:
        module = load_module(checkpoint, resolve_device(device))
        npz = folder / "scenarios.npz"
        with recorder.generation_run(checkpoint_path=str(checkpoint), sampler=sampler.name,
                                     n_samples=len(origins.history) * m, config={"forecast": settings}) as row_id:
            start = time.perf_counter()
            scenarios, calls = wavediff_scenarios(module, origins, m, sampler, seed, batch_size)
            seconds = time.perf_counter() - start
            with atomic_path(npz) as tmp:
                np.savez_compressed(tmp, scenarios=scenarios.astype(np.float32), history=origins.history,
                                    outcomes=origins.outcomes, positions=origins.positions, groups=origins.groups)
            recorder.update(GenerationRun, row_id, network_evals=calls, npz_path=str(npz))
        return {"label": label, "npz": str(npz), "seconds": seconds, "network_evals": calls,
                "seconds_per_1000": seconds * 1000 / (len(origins.history) * m), "generation_run_id": row_id}

    return reuse_or_compute(folder / "scenarios.json", settings, compute)


def forecast_model(label: str, checkpoint: Path, out: Path, *, horizons: Sequence[int], stride: int, m: int,
                   baselines: Sequence[str], splits: Sequence[str], samplers: Sequence[SamplerConfig], seed: int,
                   batch_size: int, device: str, recorder: RunRecorder,
                   corrections: Sequence[int] = (1,)) -> dict[str, Any]:
    """One model's forecast report: every generator scored at every horizon. WaveDiff appears once
    per sampler and ``corrections`` value (``wavediff``, ``wavediff+1``, ...: ``sampler.history_corrections``;
    with several samplers ``wavediff ancestral/50``, ...); the first is the one the others are compared with."""
    config = run_config(checkpoint, None, None)
    window = int(config["data"]["window_size"])
    horizon = max(horizons)
    if not 1 <= horizon <= window - 1:
        raise ConfigError(f"horizons={list(horizons)}: each must be 1 to {window - 1} (model {label}'s windows "
                          f"hold {window} returns, and the history needs at least one)")
    held, train, dm = held_out_series(config, splits)
    origins = rolling_origins(held, window - horizon, horizon, stride)
    sets, generations = {}, {}
    for i, sampler in enumerate(samplers):
        home = out / label if i == 0 else out / label / f"sampler_{sampler.name}_{sampler.steps}"
        for c in corrections:
            name = wavediff_row(sampler, c, len(samplers) > 1)
            folder = home if c == 0 else home / f"corrections_{c}"
            meta = model_scenarios(label, checkpoint, origins, folder, m,
                                   dataclasses.replace(sampler, history_corrections=c), seed, batch_size, device,
                                   recorder)
            with np.load(meta["npz"]) as npz:
                sets[name] = np.asarray(npz["scenarios"], dtype=np.float64)
            generations[name] = meta
    first = next(iter(sets))
    rng = np.random.default_rng(seed)
    described = {}
    for baseline in build_baselines(baselines, dm.source):
        baseline.fit(train)
        sets[baseline.name] = baseline.scenarios(origins.history, horizon, m, rng)
        described[baseline.name] = baseline.describe()
    scores = {name: score_forecasts(s, origins.outcomes, horizons, origins.positions, origins.groups, seed=seed)
              for name, s in sets.items()}
    for name in sets:
        if name == first:
            continue
        for h in map(str, horizons):
            for target, entry in scores[first][h].items():
                entry.setdefault("crps_vs", {})[name] = paired_crps(
                    entry["crps_per_origin"], scores[name][h][target]["crps_per_origin"],
                    lags=-(-int(h) // stride) - 1, groups=origins.groups)
    for per_horizon in scores.values():  # per-origin arrays served the paired tests; the report keeps summaries
        for per_target in per_horizon.values():
            for entry in per_target.values():
                entry.pop("crps_per_origin")
    fan = out / label / "fan.png"
    last = len(origins.history) - 1
    prices = np.exp(np.cumsum(np.concatenate([np.repeat(origins.history[last:], m, axis=0),
                                              sets[first][last]], axis=1), axis=1))
    save_figure(fan_figure(np.concatenate([np.ones((m, 1)), prices], axis=1), origins.history.shape[1],
                           f"{label}: {m} scenarios at the last held-out origin (price 1 before the history)"), fan)
    return {"label": label, "checkpoint": str(checkpoint), "data": config["data"].get("source", {}),
            "window": window, "known": int(origins.history.shape[1]), "horizons": list(horizons),
            "origins": len(origins.history), "stride": stride, "splits": list(splits), "m": m,
            "generation": generations[first], "generations": generations, "baselines": described,
            "reference": first, "scores": scores, "fan_png": str(fan)}


def sampler_label(sampler: SamplerConfig) -> str:
    """``name/steps``, the form ``--sampler`` takes and a table row shows."""
    return f"{sampler.name}/{sampler.steps}"


def wavediff_row(sampler: SamplerConfig, corrections: int, several: bool) -> str:
    """A WaveDiff row's name: ``wavediff`` (``wavediff ancestral/50`` among several samplers), ``+c``
    with ``c`` history corrections."""
    return ("wavediff" + (f" {sampler_label(sampler)}" if several else "")
            + (f"+{corrections}" if corrections else ""))


def sampler_configs(specs: Sequence[str], steps: int | None = None) -> list[SamplerConfig]:
    """Sampler configs from ``NAME`` or ``NAME/STEPS`` specs (``steps``: for those without their own)."""
    configs = []
    for spec in specs:
        name, _, own = str(spec).partition("/")
        if own and (not own.isdigit() or int(own) < 1):
            raise ConfigError(f"--sampler {spec}: NAME or NAME/STEPS (STEPS a positive integer)")
        n = int(own) if own else steps
        configs.append(named_sampler(name, [f"steps={n}"] if n else []))
    labels = [sampler_label(c) for c in configs]
    if not configs or len(set(labels)) != len(labels):
        raise ConfigError(f"--sampler {list(specs)}: one or more distinct samplers")
    return configs


def long_path_pool(dm: Any, length: int, count: int, seed: int) -> np.ndarray:
    """Real segments ``(M, length)``: fresh simulator paths (simulated data), else every
    ``length // 10``-th segment of the observed series, its splits joined in time order."""
    source = dm.source
    if callable(getattr(source, "simulate_path", None)):
        from wavediff.baselines.simulator import SimulatorBaseline

        return SimulatorBaseline(source).sample(count, length, np.random.default_rng(seed + 1))
    series = [np.concatenate([s.double().numpy() for split in ("train", "val", "test")
                              for s in dm.series.get(split, [])])]
    try:
        return segments_of(series, length, max(1, length // 10))
    except ValueError:
        raise DataError(f"length={length}: the observed series has {len(series[0])} returns; long paths are scored "
                        "against real segments of the same length") from None


def long_path_model(label: str, checkpoint: Path, out: Path, *, length: int, paths: int, horizon: int | None,
                    max_lag: int, sampler: SamplerConfig, seed: int, batch_size: int, device: str,
                    recorder: RunRecorder) -> dict[str, Any]:
    """One model's long paths (generated once, reused) scored against real segments; ``label`` ends
    in ``+c`` when the sampler makes ``c`` history corrections."""
    config = run_config(checkpoint, None, None)
    window = int(config["data"]["window_size"])
    if length < 2 * window:
        raise ConfigError(f"length={length}: long paths are scored beyond one window, so give at least "
                          f"{2 * window} returns (model {label}'s windows hold {window})")
    folder = out / label
    settings = {"checkpoint": str(checkpoint), "length": length, "paths": paths, "horizon": horizon, "seed": seed,
                "sampler": sampler.name, "steps": sampler.steps, "options": dict(sampler.options),
                "history_corrections": sampler.history_corrections}

    def compute() -> dict[str, Any]:
        module = load_module(checkpoint, resolve_device(device))
        start = time.perf_counter()
        result = long_paths_and_record(module, recorder, checkpoint, None, paths, length, sampler,
                                       folder / "long.png", horizon=horizon, seed=seed, batch_size=batch_size)
        return {"npz": str(result.npz), "png": str(result.png), "seam_check": result.seam_check,
                "seconds": time.perf_counter() - start, "network_evals": result.paths.network_evals,
                "generation_run_id": result.generation_run_id}

    meta = reuse_or_compute(folder / "long.json", settings, compute)
    with np.load(meta["npz"]) as npz:
        generated = np.asarray(npz["returns"], dtype=np.float64)
    dm = instantiate(config["data"], "data")
    dm.setup()
    pool = long_path_pool(dm, length, 4 * paths, seed)
    report = long_path_report(generated, pool, window, max_lag=min(max_lag, length - 1), seed=seed)
    figure = folder / "long_acf.png"
    save_figure(long_acf_figure(report, label), figure)
    return {"label": label, "window": window, **meta, "report": report, "acf_png": str(figure)}


def long_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """One row per model: each long-path distance as value / floor, and the seam check."""
    keys = (("acf_abs_beyond_window_l2", "ACF(|r|) beyond a window"), ("acf_abs_within_window_l2", "ACF(|r|) within"),
            ("max_drawdown_ks", "max drawdown KS"), ("window_vol_ks", "window vol KS"),
            ("window_vol_persistence_abs_diff", "vol persistence"))
    head = ["data", "paths × length", "window", *[k[1] for k in keys], "seam step ratio (p)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        m, seam = row["report"]["metrics"], row["seam_check"]
        seam_cell = "-" if seam.get("ratio") is None else f"{seam['ratio']:.2f} ({seam['p_value']:.2f})"
        lines.append("| " + " | ".join([row["label"], f"{row['paths']} × {row['length']}", str(row["window"]),
                                        *[f"{m[k]['ratio']:.2f} ({m[k]['value']:.3g} / {m[k]['floor']:.3g})"
                                          for k, _ in keys], seam_cell]) + " |")
    return "\n".join(lines)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def markdown(reports: Sequence[Mapping[str, Any]]) -> str:
    """One row per model, horizon, target and generator: coverage, VaR exceedances, PIT, CRPS."""
    head = ["data", "h", "target", "generator", *[f"cover {int(100 * lv)}%" for lv in LEVELS], "VaR 1% (p)",
            "VaR 5% (p)", "PIT KS p", "CRPS ×1e4", "vs wavediff (t)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for report in reports:
        for h in map(str, report["horizons"]):
            for target in ("cumulative_return", "realised_vol"):
                for name, scores in report["scores"].items():
                    e = scores[h][target]
                    var = e.get("var", {})
                    var_cells = [f"{_pct(var[a]['rate_all'])} ({var[a]['p_value']:.2f})" if a in var else "-"
                                 for a in ("0.01", "0.05")]
                    versus = report["scores"][report["reference"]][h][target].get("crps_vs", {}).get(name)
                    vs = "-" if versus is None else f"{-1e4 * versus['mean']:+.2f} ({-versus['t']:+.1f})"
                    lines.append("| " + " | ".join([
                        report["label"], h, "cum. return" if target == "cumulative_return" else "realised vol",
                        name, *[_pct(e["coverage"][str(lv)]) for lv in LEVELS], *var_cells,
                        f"{e['pit']['ks_p_value']:.2f}", f"{1e4 * e['crps']:.1f}", vs]) + " |")
    return "\n".join(lines)


def forecast_table(models: Mapping[str, str], out: Path, *, horizons: Sequence[int] = (1, 5, 20), stride: int = 4,
                   m: int = 16, baselines: Sequence[str] = ("garch_t", "bootstrap"),
                   splits: Sequence[str] = ("val", "test"), sampler: Sequence[str] = ("ancestral/20",),
                   seed: int = 0,
                   batch_size: int = 128, device: str = "auto", registry_overrides: Sequence[str] = (),
                   long_models: Mapping[str, str] | None = None, length: int = 0, paths: int = 16,
                   long_horizon: int | None = None, max_lag: int = 250, corrections: Sequence[int] = (1,),
                   table: str = "forecasts", steps: int | None = None, publish: Path | None = None,
                   command: str = "") -> dict[str, Any]:
    """Score every model's scenarios beside the baselines (``models``) and every long model's
    chained paths against real segments (``long_models``, paths of ``length``); write the tables."""
    long_models = dict(long_models or {})
    check_file_stem("--table", table)
    if not corrections or len(set(corrections)) != len(corrections) or any(
            not isinstance(c, int) or not 0 <= c <= 8 for c in corrections):
        raise ConfigError(f"--history-corrections {list(corrections)}: distinct integers 0 to 8")
    if not models and not long_models:
        raise ConfigError("give at least one --model LABEL=CHECKPOINT (forecasts) or --long-model (long paths)")
    if models:
        if m < 2:
            raise ConfigError(f"scenarios={m}: the CRPS needs at least 2 scenarios per origin")
        if not horizons or any(not isinstance(h, int) or h < 1 for h in horizons):
            raise ConfigError(f"horizons={list(horizons)}: positive integers")
        check_baseline_names(baselines)
        if "simulator" in baselines:
            raise ConfigError("baselines: simulator has no conditional forecast (it would need the latent state)")
    if long_models and (length < 1 or paths < 2):
        raise ConfigError(f"--long-model needs --length (returns per path, got {length}) and --paths >= 2 "
                          f"(got {paths})")
    for flag, checkpoints in (("--model", models), ("--long-model", long_models)):
        for label, path in checkpoints.items():
            if not Path(path).is_file():
                raise CheckpointError(f"{flag} {label}: checkpoint not found: {path}")
    samplers = sampler_configs(sampler, steps)
    recorder = RunRecorder.from_config(compose_config("generate", ["checkpoint=none", *registry_overrides]))
    out.mkdir(parents=True, exist_ok=True)
    reports = [forecast_model(label, Path(path).resolve(), out, horizons=sorted(set(horizons)), stride=stride, m=m,
                              baselines=baselines, splits=splits, samplers=samplers, seed=seed,
                              batch_size=batch_size, device=device, recorder=recorder, corrections=corrections)
               for label, path in models.items()]
    long_rows = [long_path_model(label + (f"+{c}" if c else ""), Path(path).resolve(), out / "long", length=length,
                                 paths=paths, horizon=long_horizon, max_lag=max_lag,
                                 sampler=dataclasses.replace(samplers[0], history_corrections=c), seed=seed,
                                 batch_size=batch_size, device=device, recorder=recorder)
                 for label, path in long_models.items() for c in corrections]
    commit = git_commit()
    parts = ["# Scenario forecasts and long paths"]
    if reports:
        calls = [reports[0]["generations"][wavediff_row(c, corrections[0], len(samplers) > 1)]["network_evals"]
                 for c in samplers]
        seconds = ", ".join(f"{r['label']} {name} {meta['seconds_per_1000']:.0f} s" for r in reports
                            for name, meta in r["generations"].items())
        parts += [
            "## Forecasts from held-out origins\n\n"
            f"At every {stride}th bar of the {' and '.join(splits)} splits each forecaster gets the same last k "
            f"returns (k = window - {max(horizons)}) and draws {m} scenarios of the next {max(horizons)}; the "
            f"h-bar cumulative return and realised volatility are scored (`metrics/forecast.py`). Coverage of the "
            "central intervals and the VaR exceedance rate (% of origins; Kupiec p-value on origins h bars "
            "apart) come from the randomised rank PIT, exact for any ensemble size. CRPS is the fair ensemble "
            "CRPS in log-return units ×1e4 (lower is better); *vs wavediff* is the row's mean CRPS minus "
            "WaveDiff's (positive: WaveDiff is better) and its Diebold-Mariano t-statistic (Newey-West over "
            "the origins whose h-bar outcomes overlap; |t| > 2: a difference beyond noise). GARCH "
            "parameters are fitted once on the training split and filtered over the same k returns; the "
            "bootstrap ignores the history.",
            markdown(reports),
            "WaveDiff " + ", ".join(f"`{c.name}` {c.steps} steps ({calls[i]} network calls)"
                                    for i, c in enumerate(samplers))
            + (" (each row's own; *vs wavediff* compares with the first)" if len(samplers) > 1 else "")
            + "; `wavediff+c` makes c history corrections per step, each one more network call "
            f"(`sampler.history_corrections`, default 1; plain `wavediff`: none, x0-replacement only); seed {seed}. "
            f"Wall seconds per 1,000 scenarios while this table was made (batch {batch_size}): {seconds}. "
            "Origins: " + ", ".join(f"{r['label']} {r['origins']}" for r in reports) + ".",
            "Models: " + ", ".join(f"`{k}` = {v}" for k, v in models.items())]
    if long_rows:
        parts += [
            "## Long paths\n\n"
            f"{paths} chained paths of {length} returns per model (each window after the first continues the last "
            "window − horizon returns of the path), scored against as many real segments of the same length "
            "(fresh simulator paths for simulated data, segments of the whole observed series otherwise; "
            "`metrics/long_paths.py`): ratio (value / floor), the floor being the same distance between two other "
            "real sets. ACF(|r|) is compared at lags beyond one window (memory no window holds) and within "
            f"it, up to lag {max_lag}; the seam check compares volatility steps at the joins with steps elsewhere "
            "(p: the share of random non-seam places with a step at least as large). An observed series gives "
            "few distinct segments (here every tenth of a path length apart, overlapping), so its floors are "
            "too small and its ratios upper bounds; the simulated sets' floors are fresh paths. A label ending "
            "in +c: c history corrections per step in every chained window.",
            long_markdown(long_rows),
            "Models: " + ", ".join(f"`{k}` = {v}" for k, v in long_models.items())]
    parts.append(f"Commit {commit}. Command: `{command}`")
    document = "\n\n".join(parts) + "\n"
    payload = {"commit": commit, "command": command, "reports": reports, "long_paths": long_rows}
    for folder in [out] + ([publish] if publish else []):
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / f"{table}.md", document)
        atomic_write_text(folder / f"{table}.json", json.dumps(payload, indent=2))
    return payload
