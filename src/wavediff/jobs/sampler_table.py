"""Sampler comparison (``scripts/sampler_table.py``): several samplers on the same trained models,
each set scored against the model's held-out windows with the evaluation's noise floors.

A row is ``model x sampler (+ overrides)``. Each row's samples are generated once (recorded in the
registry like any generation, timed) into ``<out>/<row>/samples.npz`` and reused afterwards, so
an interrupted table resumes. The table goes to ``<out>/samplers.md`` / ``.json`` and, with
``publish``, to ``docs/samplers.md`` / ``.json`` stamped with the commit and the command.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from wavediff.config.compose import compose_config
from wavediff.errors import CheckpointError, ConfigError, check_file_stem
from wavediff.jobs.evaluate import floor_pool, real_data
from wavediff.jobs.generate import named_sampler, run_config, sample_and_record
from wavediff.jobs.recorder import RunRecorder
from wavediff.metrics.report import close_channel, compare_to_real, paired_verdicts, verdict_counts
from wavediff.models.loading import load_module, resolve_device
from wavediff.registry.store import git_commit
from wavediff.utils import atomic_write_text, reuse_or_compute

log = logging.getLogger(__name__)

# (metric key, column) shown as value / floor; the moments are shown as values
COLUMNS = (("ks", "KS"), ("w1_over_std", "W1/σ"), ("abs_std_log_ratio", "log-std"),
           ("abs_kurtosis_diff", "kurt"), ("es_1pct_abs_diff_over_std", "ES 1%"),
           ("acf_abs_l2", "ACF(|r|)"), ("discriminative", "discr."))


@dataclass(frozen=True)
class Row:
    """One table row: a model label, a sampler config name and its overrides."""

    label: str
    model: str
    sampler: str
    overrides: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any]) -> "Row":
        unknown = set(cfg) - {"label", "model", "sampler", "overrides"}
        if unknown or not {"model", "sampler"} <= set(cfg):
            raise ConfigError(f"rows: each row needs model and sampler (and may set label, overrides); got {dict(cfg)}")
        overrides = tuple(str(o) for o in cfg.get("overrides") or ())
        label = cfg.get("label") or re.sub(r"[^A-Za-z0-9_.-]+", "_", "_".join([cfg["model"], cfg["sampler"],
                                                                              *overrides]))
        return cls(str(label), str(cfg["model"]), str(cfg["sampler"]), overrides)


def run_row(row: Row, checkpoint: Path, out: Path, n: int, seed: int, batch_size: int, device: str,
            recorder: RunRecorder) -> dict[str, Any]:
    """Generate (or reuse) the row's samples; returns ``{"npz", "seconds", "network_evals", ...}``."""
    folder = out / row.label

    def compute() -> dict[str, Any]:
        sampler = named_sampler(row.sampler, row.overrides)
        module = load_module(checkpoint, resolve_device(device))
        start = time.perf_counter()
        result = sample_and_record(module, recorder, checkpoint, None, n, sampler, folder / "scalogram.png",
                                   seed=seed, batch_size=batch_size)
        seconds = time.perf_counter() - start
        return {"label": row.label, "model": row.model, "sampler": row.sampler, "overrides": list(row.overrides),
                "batch_size": batch_size, "network_evals": result.samples.network_evals, "seconds": seconds,
                "seconds_per_64": seconds * 64 / n, "npz": str(result.artifacts.npz),
                "options": {**sampler.step_kwargs, **sampler.options}, "steps": sampler.steps}  # eta: a step kwarg

    return reuse_or_compute(folder / "row.json", {"checkpoint": str(checkpoint), "n": n, "seed": seed}, compute)


def score_rows(metas: list[dict[str, Any]], draws: int, seed: int, verdict_draws: int = 20) -> list[dict[str, Any]]:
    """Each row's distances / floors against its model's held-out windows (floors once per model),
    and its paired verdicts against the first row where both models were trained on the same data
    (``better`` = this row is closer to the held-out windows, beyond resampling noise)."""
    floors: dict[str, dict[str, float]] = {}
    models: dict[str, tuple[dict[str, Any], Any]] = {}  # checkpoint -> (config, real data), built once
    pools: dict[str, np.ndarray] = {}
    first: tuple[dict[str, Any], np.ndarray] | None = None
    for meta in metas:
        if meta["checkpoint"] not in models:
            config = run_config(Path(meta["checkpoint"]), None, None)
            models[meta["checkpoint"]] = (config, real_data(config))
        config, real = models[meta["checkpoint"]]
        with np.load(meta["npz"]) as npz:
            returns = np.asarray(npz["returns"], dtype=np.float64)
        key = f"{meta['checkpoint']}|{len(returns)}"
        fields = real.datamodule.report_fields  # bars: verdicts on the close, every channel scored
        if first is None:
            first = (config["data"], returns)
        elif verdict_draws and config["data"] == first[0]:
            meta["verdicts"] = {k: v["verdict"] for k, v in
                                paired_verdicts(close_channel(returns, fields), close_channel(first[1], fields),
                                                close_channel(real.held_out, fields), draws=verdict_draws,
                                                seed=seed).items()}
        if key not in pools:
            pools[key] = floor_pool(real, "auto", len(returns), seed)
        result = compare_to_real(returns, real.held_out, pools[key], draws=draws, seed=seed, floors=floors.get(key),
                                 fields=fields)
        floors[key] = {k: v["floor"] for k, v in result["metrics"].items()}
        ratios = {k: v["ratio"] for k, v in result["metrics"].items()}
        meta["ratios"] = ratios
        meta["median_ratio"] = float(np.median(list(ratios.values())))
        meta["max_ratio"] = float(max(ratios.values()))
        meta["moments"] = result["moments"]
        meta["floors"] = floors[key]
    return metas


def _verdict_counts(verdicts: dict[str, str] | None) -> str:
    return " / ".join(str(c) for c in verdict_counts(verdicts).values()) if verdicts else "-"


def verdict_markdown(metas: list[dict[str, Any]]) -> str:
    """One row per metric, one column per row that has verdicts against the first row."""
    judged = [m for m in metas if m.get("verdicts")]
    if not judged:
        return ""
    keys = list(judged[0]["verdicts"])
    lines = ["| metric | " + " | ".join(m["label"] for m in judged) + " |", "|---|" + "---|" * len(judged)]
    lines += [f"| {k} | " + " | ".join(m["verdicts"].get(k, "-") for m in judged) + " |" for k in keys]
    return "\n".join(lines)


def markdown(metas: list[dict[str, Any]]) -> str:
    """The sampler table: calls, churn, ratios to the floor, the moments, seconds per 64 series."""
    head = ["model", "sampler", "steps", "calls", "options", *[c for _, c in COLUMNS], "median", "max",
            "std ratio", "skew", "kurtosis", "vs first: better / same / worse", "s / 64"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    real = metas[0]["moments"]["real"] if metas else None
    for m in metas:
        gen = m["moments"]["generated"]
        options = ", ".join(f"{k}={v:g}" for k, v in m.get("options", {}).items()
                            if k in ("churn", "eta")) or "-"
        cells = [m["model"], m["sampler"], str(m.get("steps")), str(m["network_evals"]), options,
                 *[f"{m['ratios'].get(k, float('nan')):.2f}" for k, _ in COLUMNS],
                 f"{m['median_ratio']:.2f}", f"{m['max_ratio']:.1f}",
                 f"{gen['std'] / m['moments']['real']['std']:.2f}", f"{gen['skewness']:.2f}",
                 f"{gen['excess_kurtosis']:.0f}", _verdict_counts(m.get("verdicts")), f"{m['seconds_per_64']:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    if real is not None:
        lines.append(f"| real (held out) | | | | | | | | | | | | | | 1.00 | {real['skewness']:.2f} | "
                     f"{real['excess_kurtosis']:.0f} | | |")
    return "\n".join(lines)


def sampler_table(rows: Sequence[Mapping[str, Any]], models: Mapping[str, str], out: Path, n: int = 256,
                  seed: int = 0, batch_size: int = 64, device: str = "auto", draws: int = 5,
                  registry_overrides: Sequence[str] = (), publish: Path | None = None, table_name: str = "samplers",
                  command: str = "") -> dict[str, Any]:
    """Generate every row (reusing finished ones), score them and write the table."""
    check_file_stem("--table", table_name)
    parsed = [Row.from_mapping(r) for r in rows]
    missing = sorted({r.model for r in parsed} - set(models))
    if missing:
        raise ConfigError(f"rows name models {missing} without a checkpoint; give --model {missing[0]}=<path>")
    for label, path in models.items():
        if not Path(path).is_file():
            raise CheckpointError(f"--model {label}: checkpoint not found: {path}")
    for row in parsed:
        named_sampler(row.sampler, row.overrides)  # every sampler config checked before anything is generated
    recorder = RunRecorder.from_config(compose_config("generate", ["checkpoint=none", *registry_overrides]))
    out.mkdir(parents=True, exist_ok=True)
    metas = [run_row(r, Path(models[r.model]).resolve(), out, n, seed, batch_size, device, recorder)
             for r in parsed]
    metas = score_rows(metas, draws, seed)
    commit = git_commit()
    table = markdown(metas)
    parts = [f"# Samplers on the same models\n\nValue / noise floor of each distance against the model's held-out "
             f"windows (n = {n} generated, seed {seed}, floors from the simulator, median of {draws} draws); "
             f"moments as values; seconds per 64 series on this machine, batch {batch_size}.", table]
    if any(m.get("verdicts") for m in metas):
        parts += [f"Paired verdicts of each row against the first ({metas[0]['label']}; models trained on the same "
                  "data), windows resampled 20 times: better = closer to the held-out windows beyond the 90% "
                  "interval of the difference, same = within it. The discriminative score is judged on 10 "
                  "paired classifier fits per row (a t-test corrected for the fits reusing the same windows).",
                  verdict_markdown(metas)]
    parts += ["Models: " + ", ".join(f"`{k}` = {v}" for k, v in models.items()),
              f"Commit {commit}. Command: `{command}`"]
    document = "\n\n".join(parts) + "\n"
    payload = {"commit": commit, "command": command, "n": n, "seed": seed, "rows": metas}
    for folder in [out] + ([publish] if publish else []):
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / f"{table_name}.md", document)
        atomic_write_text(folder / f"{table_name}.json", json.dumps(payload, indent=2))
    return payload


def load_rows(path: Path) -> list[dict[str, Any]]:
    """``rows:`` of a YAML file."""
    if not path.is_file():
        raise ConfigError(f"--rows {path}: no such file")
    cfg = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    if not isinstance(cfg, dict) or not isinstance(cfg.get("rows"), list):
        raise ConfigError(f"--rows {path}: needs a 'rows:' list")
    return cfg["rows"]
