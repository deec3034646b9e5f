"""``evaluate_from_config(cfg)``: generated vs held-out real returns, with noise floors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from wavediff.errors import CheckpointError, ConfigError
from wavediff.generation import resolve_checkpoint
from wavediff.instantiation import instantiate
from wavediff.data.mjd import MJDParams, MJDSource
from wavediff.metrics.mjd_oracle import mjd_oracle_report
from wavediff.metrics.report import compare_to_real, markdown_table, oracle_table
from wavediff.models.loading import load_module, resolve_device
from wavediff.registry.store import Registry
from wavediff.registry.tables import TrainRun
from wavediff.sampling.generate import generate


def run_config(checkpoint: Path, train_run_id: int | None, registry: Registry) -> dict[str, Any]:
    """The composed config of the run that wrote ``checkpoint`` (registry first, then its run dir)."""
    if train_run_id is not None:
        row = registry.get(TrainRun, train_run_id)
        if row is not None and row.config:
            return row.config
    path = checkpoint.parent.parent / "resolved_config.yaml"
    if not path.is_file():
        raise CheckpointError(f"no config for {checkpoint}: not in the registry and no {path}")
    return OmegaConf.to_container(OmegaConf.load(path), resolve=True)


def real_windows(config: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, Any]:
    """``(held-out windows, training windows, price source)`` of the run's data config."""
    dm = instantiate(config["data"], "data")
    dm.setup()
    held_out = [dm.windows[k].numpy() for k in ("val", "test") if k in dm.windows]
    if not held_out:
        raise ConfigError("the run's data config has no val or test split to compare with")
    return np.concatenate(held_out), dm.windows["train"].numpy(), dm.source


def mjd_truth(source: Any) -> tuple[MJDParams, float] | None:
    """True MJD parameters and bar length (years) when the run's data are simulated MJD."""
    return (source.params, source.dt) if isinstance(source, MJDSource) else None


def evaluate_from_config(cfg: DictConfig) -> dict[str, Any]:
    registry = Registry(cfg.registry.url, cfg.registry.get("artifacts_root"))
    checkpoint, train_run_id = resolve_checkpoint(cfg.run, registry)
    if not checkpoint.is_file():
        raise CheckpointError(f"checkpoint not found: {checkpoint}")
    config = run_config(checkpoint, train_run_id, registry)
    reference, pool, source = real_windows(config)
    sets: dict[str, np.ndarray] = {}
    if cfg.samples:
        for item in cfg.samples:
            path = Path(item).expanduser()
            if not path.is_file():
                raise CheckpointError(f"samples not found: {path}")
            with np.load(path) as npz:
                sets[path.stem] = npz["returns"]
    else:
        module = load_module(checkpoint, resolve_device(cfg.device))
        samples = generate(module, cfg.n, OmegaConf.to_container(cfg.sampler, resolve=True), seed=cfg.seed,
                           batch_size=cfg.batch_size, progress=True)
        sets[samples.sampler] = samples.returns.numpy()
    results = {name: compare_to_real(r, reference, pool, draws=cfg.floor_draws, seed=cfg.seed,
                                     max_lag=cfg.max_lag) for name, r in sets.items()}
    truth = mjd_truth(source) if cfg.get("mjd_oracle", True) else None
    if truth is not None:
        for name, r in sets.items():
            results[name]["mjd_oracle"] = mjd_oracle_report(r, reference, *truth)
    out = Path(cfg.paths.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps({"checkpoint": str(checkpoint), "train_run_id": train_run_id,
                                                 "results": results}, indent=2))
    table = markdown_table(results)
    if truth is not None:
        table += "\n\n" + oracle_table(results)
    (out / "report.md").write_text(f"# Evaluation of {checkpoint}\n\n{table}\n")
    print(table + f"\n\nreport: {out / 'report.md'}", flush=True)
    return results
