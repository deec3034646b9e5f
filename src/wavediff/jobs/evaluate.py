"""The evaluation job (``wavediff evaluate``): generated vs held-out real returns, each distance with
its noise floor, plus plots, ``report.json``/``report.md`` and ``metrics`` rows."""

from __future__ import annotations

import json
import logging
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from wavediff.data.mjd import MJDParams, MJDSource
from wavediff.baselines import build_baselines, check_baseline_names, training_series
from wavediff.config.compose import resolved
from wavediff.config.instantiate import instantiate
from wavediff.errors import CheckpointError, ConfigError, DataError, WaveDiffError
from wavediff.jobs.generate import resolve_checkpoint, run_config, sample_and_record, sampler_from_config
from wavediff.jobs.recorder import RunRecorder
from wavediff.metrics.mjd_oracle import mjd_oracle_report
from wavediff.metrics.plots import write_evaluation_plots
from wavediff.metrics.report import (close_channel, compare_to_real, cross_asset_table, flat_metrics, markdown_table,
                                     oracle_table,
                                     paired_verdicts, per_asset_table, per_field_table, verdict_table)
from wavediff.models.loading import load_module, resolve_device
from wavediff.registry.store import Registry, git_commit
from wavediff.registry.tables import GenerationRun, TrainRun
from wavediff.transforms.base import prices_from_returns
from wavediff.utils import atomic_path, atomic_write_text

log = logging.getLogger(__name__)


@dataclass
class SampleSet:
    """Generated log returns ``(N, T)`` under a display name, and their generation row if recorded."""

    name: str
    returns: np.ndarray
    generation_run_id: int | None = None


@dataclass
class RealData:
    """The run's data: held-out windows ``(M, T)`` to compare with, training windows ``(N, T)``
    for the noise floors, and the set-up data module (its source, its contiguous training series)."""

    held_out: np.ndarray
    pool: np.ndarray
    datamodule: Any


def real_data(config: dict[str, Any]) -> RealData:
    """The held-out and training windows of the run's data config."""
    dm = instantiate(config["data"], "data")
    dm.setup()
    held_out = [dm.windows[k].numpy() for k in ("val", "test") if k in dm.windows]
    if not held_out:
        raise ConfigError("the run's data config has no val or test split to compare with")
    return RealData(np.concatenate(held_out), dm.windows["train"].numpy(), dm)


FLOOR_POOLS = ("train", "simulator", "auto")


def floor_pool(real: RealData, kind: str, n: int, seed: int) -> np.ndarray:
    """Real windows ``(M, T)`` the noise floors are drawn from.

    ``train``: the training windows of the one observed path. ``simulator`` (simulated data only):
    fresh paths of the data's own simulator, at least ``2 n`` windows; the honest floor when
    volatility persists longer than the split, since windows of one path then share a regime that
    a generator of the law would not. ``auto``: ``simulator`` when the data are simulated, else ``train``.
    """
    if kind not in FLOOR_POOLS:
        raise ConfigError(f"floor_pool={kind!r}: one of {', '.join(FLOOR_POOLS)}")
    simulated = callable(getattr(real.datamodule.source, "simulate_path", None))
    bars = getattr(real.datamodule, "bar_fields", False)
    if kind == "train" or (kind == "auto" and (not simulated or bars)):
        return real.pool
    if bars:
        raise ConfigError(f"floor_pool={kind}: the simulator draws closes, not bars (data.fields); use floor_pool=train")
    simulator = build_baselines(["simulator"], real.datamodule.source)[0]
    try:
        simulator.check_data(real.datamodule.multi_asset)
    except DataError as exc:
        raise ConfigError(f"floor_pool={kind}: {exc}") from None
    size = max(2 * n, len(real.pool))
    return simulator.sample(size, real.held_out.shape[-1], np.random.default_rng([seed, 7919]))


def baseline_sets(names: list[str], real: RealData, n: int, seed: int, recorder: RunRecorder,
                  out: Path) -> list[SampleSet]:
    """Each classical baseline fitted on the training split, ``n`` windows drawn, written as
    ``<name>.npz`` (returns, prices) and recorded as a ``generation_runs`` row (sampler ``baseline:<name>``).
    A baseline that fails to fit is one ``error:`` line naming it and the reason (its row says
    ``failed``); the others are still drawn. When every one fails, the reasons are raised together."""
    sets, failures = [], []
    source = real.datamodule.source
    series = training_series(real.datamodule)
    representation = real.datamodule.representation
    fields = real.datamodule.report_fields
    window = close_channel(real.held_out, fields).shape[1:]  # of bars: the baselines draw the close
    for i, baseline in enumerate(build_baselines(names, source)):
        npz = out / f"{baseline.name}.npz"
        try:
            with recorder.generation_run(sampler=f"baseline:{baseline.name}", n_samples=n,
                                         config={"baseline": baseline.name}) as row_id:
                baseline.fit(series)
                returns = baseline.sample(n, real.held_out.shape[-1], np.random.default_rng(seed + i))
                if returns.shape[1:] != window:
                    raise DataError(f"{baseline.name} draws windows of shape {returns.shape[1:]}; the data's are "
                                    f"{window}")
                if fields:  # closes, from the bar model's start close
                    prices = prices_from_returns(torch.from_numpy(returns), float(representation.start_prices[0]))
                else:
                    prices = representation.prices(torch.from_numpy(returns))
                prices = prices.numpy()
                params = baseline.describe()
                with atomic_path(npz) as tmp:
                    np.savez_compressed(tmp, returns=returns, prices=prices, params=json.dumps(params))
                recorder.update(GenerationRun, row_id, npz_path=str(npz),
                                summary={"baseline": baseline.name, "params": params})
        except WaveDiffError as exc:
            log.error("baseline %s left out: %s", baseline.name, exc)
            failures.append(str(exc))
            continue
        sets.append(SampleSet(baseline.name, returns, row_id))
    if names and not sets:
        raise DataError("; ".join(failures))
    return sets


def mjd_truth(source: Any) -> tuple[MJDParams, float] | None:
    """True MJD parameters and bar length (years) when the run's data are simulated MJD."""
    return (source.params, source.dt) if isinstance(source, MJDSource) else None


def load_sample_set(path: str | Path, registry: Registry) -> tuple[SampleSet, GenerationRun | None]:
    """Returns of a samples ``.npz`` (from generate.py or the sampling callback) and its registry row."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise CheckpointError(f"samples not found: {path}")
    try:
        with np.load(path) as npz:
            returns = np.asarray(npz["returns"], dtype=np.float64)
    except (OSError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{path}: not a samples .npz with a 'returns' array ({exc})") from None
    row = registry.find_by_path(GenerationRun, "npz_path", path)
    name = f"generation_{row.id}" if row else re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{path.parent.name}_{path.stem}")
    return SampleSet(name, returns, row.id if row else None), row


@dataclass
class EvaluationInputs:
    """What an evaluation compares: sample sets, and the run that made them."""

    sets: list[SampleSet]
    checkpoint: Path | None
    train_run_id: int | None


def inputs_from_samples(path: str, registry: Registry) -> EvaluationInputs:
    """``run=<samples.npz>``: the file's returns, and its run from the registry (if recorded)."""
    sample_set, row = load_sample_set(path, registry)
    train_run_id = row.train_run_id if row else None
    checkpoint = registry.resolve_path(row.checkpoint_path) if row and row.checkpoint_path else None
    if checkpoint is None and train_run_id is not None:
        checkpoint = registry.resolve_path(registry.get(TrainRun, train_run_id).checkpoint_path)
    return EvaluationInputs([sample_set], checkpoint, train_run_id)


def inputs_from_checkpoint(run: str, registry: Registry) -> EvaluationInputs:
    """``run=<train run id or .ckpt>``: no samples yet (they are drawn once the data is known)."""
    checkpoint, train_run_id = resolve_checkpoint(run, registry)
    if not checkpoint.is_file():
        raise CheckpointError(f"checkpoint not found: {checkpoint}")
    return EvaluationInputs([], checkpoint, train_run_id)


def check_sample_sets(sets: list[SampleSet], window_shape: tuple[int, ...]) -> None:
    """Every set's windows have the run's shape: ``(T,)``, or ``(A, T)`` for several assets."""
    for s in sets:
        if s.returns.shape[1:] != tuple(window_shape):
            raise ConfigError(f"{s.name}: returns of shape {s.returns.shape}, the run's windows are "
                              f"{tuple(window_shape)}" + (" (assets, returns)" if len(window_shape) == 2 else " long"))
        if not np.all(np.isfinite(s.returns)):
            raise ConfigError(f"{s.name}: generated returns contain NaN or infinity")


@dataclass
class EvaluationResult:
    """What an evaluation job hands to its caller (and logs as one JSON line)."""

    results: dict[str, Any]
    report_md: Path
    report_json: Path
    table: str
    train_run_id: int | None

    def handoff(self) -> dict[str, Any]:
        return {"job": "evaluate", "train_run_id": self.train_run_id, "sets": list(self.results),
                "report_md": str(self.report_md), "report_json": str(self.report_json)}


def check_verdict_draws(cfg: DictConfig) -> None:
    """One line for verdict settings that cannot work (before anything is sampled)."""
    for key, least in (("verdict_draws", 1), ("verdict_classifier_draws", 2)):
        value = cfg.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or not (value == 0 or value >= least):
            raise ConfigError(f"{key}={value!r}: 0 (no verdicts) or an integer >= {least}")


def evaluate(cfg: DictConfig) -> EvaluationResult:
    """Evaluate ``cfg.run`` (train run id, checkpoint, or samples ``.npz``); see configs/evaluate.yaml."""
    recorder = RunRecorder.from_config(cfg)
    registry = recorder.registry
    out = Path(cfg.paths.output_dir).resolve()
    baselines = list(cfg.get("baselines") or [])
    check_baseline_names(baselines)  # before any work
    check_verdict_draws(cfg)
    data_only = cfg.get("run") is None
    if data_only:  # data=<option>: the classical generators (and given samples) against that data
        if not OmegaConf.select(cfg, "data._target_"):
            raise ConfigError("run=<train run id, checkpoint or samples .npz>, or data=<option> with baselines=[...]")
        if not baselines and not cfg.samples:
            raise ConfigError("data= without a run evaluates baselines=[...] or samples=[...]; give one of them")
        inputs = EvaluationInputs([], None, None)
        config = {"data": OmegaConf.to_container(cfg.data, resolve=True)}
    else:
        run = str(cfg.run).strip()
        inputs = inputs_from_samples(run, registry) if run.endswith(".npz") else inputs_from_checkpoint(run, registry)
        config = run_config(inputs.checkpoint, inputs.train_run_id, registry)
    sets = inputs.sets + [load_sample_set(item, registry)[0] for item in cfg.samples or []]
    real = real_data(config)
    reference, source = real.held_out, real.datamodule.source
    fields = real.datamodule.report_fields  # bars: the baselines draw closes, compared on the close
    for baseline in build_baselines(baselines, source):  # cheap to build; refused before anything is sampled
        try:
            baseline.check_data(real.datamodule.multi_asset)
        except DataError as exc:
            raise ConfigError(str(exc)) from None
    n = len(sets[0].returns) if sets else cfg.n  # baselines draw as many windows as the first set
    if (baselines or not sets) and (not isinstance(n, int) or n < 2):  # n windows to be drawn here
        raise ConfigError(f"n={n!r}: must be an integer >= 2")
    pool = floor_pool(real, cfg.get("floor_pool", "train"), n, cfg.seed)  # refused before any sampling
    if not sets and not data_only:  # sample now, recorded like any generation
        sampler = sampler_from_config(cfg)
        module = load_module(inputs.checkpoint, resolve_device(cfg.device))
        generated = sample_and_record(module, recorder, inputs.checkpoint, inputs.train_run_id, cfg.n, sampler,
                                      out / "scalogram.png", seed=cfg.seed, batch_size=cfg.batch_size,
                                      condition=cfg.get("condition"), guidance_scale=cfg.get("guidance_scale", 1.0),
                                      config=resolved(cfg))
        sets.append(SampleSet(sampler.name, generated.samples.returns.numpy().astype(np.float64),
                              generated.generation_run_id))
    check_sample_sets(sets, reference.shape[1:])
    if baselines:
        try:
            sets += baseline_sets(baselines, real, n, cfg.seed, recorder, out)
        except DataError:
            if not sets:  # nothing else to report
                raise

    assets = real.datamodule.assets if real.datamodule.multi_asset else None
    results = {s.name: compare_to_real(s.returns, reference, pool, draws=cfg.floor_draws, seed=cfg.seed,
                                       max_lag=cfg.max_lag, assets=assets, fields=fields) for s in sets}
    truth = mjd_truth(source) if cfg.get("mjd_oracle", True) and not fields else None
    if truth is not None:
        for s in sets:
            results[s.name]["mjd_oracle"] = mjd_oracle_report(s.returns, reference, *truth)
    verdicts = {}
    draws = cfg.get("verdict_draws", 20)
    if len(sets) > 1 and draws:
        first = sets[0]
        verdicts = {s.name: paired_verdicts(close_channel(first.returns, fields), close_channel(s.returns, fields),
                                            close_channel(reference, fields), draws=draws, seed=cfg.seed,
                                            max_lag=cfg.max_lag,
                                            classifier_draws=cfg.get("verdict_classifier_draws", 10))
                    for s in sets[1:]}  # bars: on the close
        results[first.name]["verdicts"] = verdicts
    start_price = float(getattr(source, "start_price", None) or 100.0)
    plots = write_evaluation_plots({s.name: s.returns for s in sets}, reference, pool, out,
                                   start_price=start_price, max_lag=cfg.max_lag, seed=cfg.seed, assets=assets,
                                   fields=fields)
    for s in sets:
        recorder.metrics(flat_metrics(results[s.name]), "evaluate", train_run_id=inputs.train_run_id,
                         generation_run_id=s.generation_run_id)
    table = _write_report(out, inputs.checkpoint, inputs.train_run_id, results, plots, truth is not None,
                          sets[0].name if verdicts else None, verdicts)
    if cfg.get("publish"):
        publish_report(out, Path(str(cfg.publish)).expanduser(), plots)
    return EvaluationResult(results, out / "report.md", out / "report.json", table, inputs.train_run_id)


def command_line() -> str:
    """``wavediff evaluate`` with this run's command-line overrides (for the published stamp)."""
    from hydra.core.hydra_config import HydraConfig

    try:
        overrides = list(HydraConfig.get().overrides.task)
    except ValueError:  # composed without the Hydra app (tests, the Python API)
        overrides = []
    return shlex.join(["wavediff", "evaluate", *overrides])


def publish_report(out: Path, folder: Path, plots: dict[str, Path]) -> None:
    """Copy ``report.md`` (stamped with the commit and the command), ``report.json`` and the
    pictures into ``folder`` (e.g. ``docs/multi-asset``), each file written whole."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = f"\n\nCommit {git_commit() or 'unknown'}. Command: `{command_line()}`\n"
    atomic_write_text(folder / "report.md", (out / "report.md").read_text() + stamp)
    atomic_write_text(folder / "report.json", (out / "report.json").read_text())
    for path in plots.values():
        with atomic_path(folder / path.name) as tmp:
            shutil.copyfile(path, tmp)
    log.info("evaluate: report published to %s", folder)


def _write_report(out: Path, checkpoint: Path | None, train_run_id: int | None, results: dict[str, Any],
                  plots: dict[str, Path], oracle: bool, first: str | None = None,
                  verdicts: dict[str, Any] | None = None) -> str:
    """``report.json`` (everything) and ``report.md`` (tables and pictures), each written whole;
    returns the markdown table."""
    table = markdown_table(results)
    if "cross_asset" in next(iter(results.values())):
        table += "\n\n" + cross_asset_table(results) + "\n\n" + per_asset_table(results)
    if "fields" in next(iter(results.values())):
        table += "\n\n" + per_field_table(results)
    if oracle:
        table += "\n\n" + oracle_table(results)
    if verdicts:
        table += (f"\n\nPaired comparison of {first} with each other set (windows resampled; 'same' = the 90% "
                  "interval of the distance difference contains 0; the discriminative score on paired classifier "
                  "fits, a corrected t-test):\n\n" + verdict_table(first, verdicts))
    pictures = "\n".join(f"![{name}]({path.name})" for name, path in plots.items())
    title = f"train run {train_run_id}" if train_run_id is not None else str(checkpoint)
    documents = {
        "report.json": json.dumps({"checkpoint": str(checkpoint) if checkpoint else None,
                                   "train_run_id": train_run_id, "results": results,
                                   "plots": {k: p.name for k, p in plots.items()}}, indent=2),
        "report.md": f"# Evaluation of {title}\n\nValue, noise floor (same distance between real sets of "
                     f"the same size) and value / floor.\n\n{table}\n\n{pictures}\n",
    }
    for name, text in documents.items():
        atomic_write_text(out / name, text)
    return table
