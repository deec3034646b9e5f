"""The generation job (``wavediff generate``): sample series from a checkpoint, write the PNGs and
``.npz``, and record a ``generation_runs`` row."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from wavediff.config.compose import compose_config, resolved
from wavediff.config.instantiate import instantiate
from wavediff.data.csv import CSVSource
from wavediff.errors import CheckpointError, ConfigError, DataError
from wavediff.jobs.recorder import RunRecorder
from wavediff.metrics.seams import seam_report
from wavediff.models.loading import load_module, resolve_device
from wavediff.registry.store import Registry
from wavediff.registry.tables import GenerationRun, TrainRun
from wavediff.sampling.artifacts import SampleArtifacts, write_sample_artifacts
from wavediff.sampling.generate import LongPaths, Samples, check_history, check_request, generate, generate_long
from wavediff.sampling.samplers import SamplerConfig
from wavediff.transforms.render import long_paths_figure, save_figure
from wavediff.utils import atomic_path


log = logging.getLogger(__name__)


@dataclass
class GenerationResult:
    """What a generation job hands to its caller (and logs as one JSON line)."""

    generation_run_id: int | None
    samples: Samples
    artifacts: SampleArtifacts
    registry_url: str | None

    def handoff(self) -> dict[str, Any]:
        art = self.artifacts
        counts = None
        if self.samples.labels is not None:
            counts = dict(zip(self.samples.class_names,
                              self.samples.labels.bincount(minlength=len(self.samples.class_names)).tolist()))
        return {"job": "generate", "generation_run_id": self.generation_run_id, "n": len(self.samples.returns),
                "sampler": self.samples.sampler, "network_evals": self.samples.network_evals,
                "classes": counts, "scalogram_png": str(art.scalogram_png), "paths_png": str(art.paths_png),
                "npz": str(art.npz), "registry": self.registry_url,
                "history_length": self.samples.history_length,
                "fan_png": str(art.fan_png) if art.fan_png else None,
                **({"bars_csv": str(art.bars_csv), "candles_png": str(art.candles_png)} if art.bars_csv else {})}


@dataclass
class LongPathResult:
    """What a long-path generation hands to its caller."""

    generation_run_id: int | None
    paths: LongPaths
    npz: Path
    png: Path
    registry_url: str | None
    seam_check: dict[str, Any]  # metrics.seams.seam_report of the paths

    def handoff(self) -> dict[str, Any]:
        return {"job": "generate", "generation_run_id": self.generation_run_id, "n": len(self.paths.returns),
                "seam_check": self.seam_check,
                "length": int(self.paths.returns.shape[1]), "seams": self.paths.seams,
                "history_length": self.paths.history_length,
                "sampler": self.paths.sampler, "network_evals": self.paths.network_evals,
                "paths_png": str(self.png), "npz": str(self.npz), "registry": self.registry_url}


def long_paths_and_record(module: Any, recorder: RunRecorder, checkpoint: Path, train_run_id: int | None, n: int,
                          length: int, sampler: SamplerConfig, output_png: Path, *, horizon: int | None = None,
                          seed: int = 0, batch_size: int = 64, start_price: float | None = None,
                          config: dict[str, Any] | None = None, history: torch.Tensor | None = None) -> LongPathResult:
    """``n`` chained paths of ``length`` returns: ``<stem>_long.png`` and ``<stem>.npz`` (returns,
    prices, seams), recorded as a ``generation_runs`` row."""
    png = output_png.with_name(output_png.stem + "_long.png")
    npz = output_png.with_suffix(".npz")
    with recorder.generation_run(train_run_id=train_run_id, checkpoint_path=str(checkpoint), sampler=sampler.name,
                                 n_samples=n, config=config) as row_id:
        paths = generate_long(module, n, length, sampler, horizon=horizon, seed=seed, batch_size=batch_size,
                              progress=True, start_price=start_price, history=history)
        save_figure(long_paths_figure(paths.prices.numpy(), paths.seams, history_length=paths.history_length), png)
        with atomic_path(npz) as tmp:
            np.savez_compressed(tmp, returns=paths.returns.numpy(), prices=paths.prices.numpy(),
                                seams=np.array(paths.seams, dtype=np.int64))
        window = module.representation.image_shape[-1]
        check = seam_report(paths.returns.numpy(), paths.seams, width=min(16, (horizon or window // 4)), seed=seed)
        recorder.update(GenerationRun, row_id, network_evals=paths.network_evals, png_path=str(png),
                        paths_png_path=str(png), npz_path=str(npz),
                        summary={"n": n, "length": length, "seams": len(paths.seams), "sampler": sampler.name,
                                 "history_length": paths.history_length,
                                 "network_evals": paths.network_evals,
                                 "returns_std": float(paths.returns.double().std()), "seam_check": check})
    return LongPathResult(row_id, paths, npz, png, recorder.url, check)


def resolve_checkpoint(value: Any, registry: Registry) -> tuple[Path, int | None]:
    """A checkpoint path, or a train run id looked up in the registry -> ``(path, run id)``."""
    text = str(value).strip()
    if text.isdigit():
        run = registry.get(TrainRun, int(text))
        if run is None:
            raise CheckpointError(f"no train run with id {text} in {registry.url}")
        if not run.checkpoint_path:
            raise CheckpointError(f"train run {text} ({run.status}) has no checkpoint")
        return registry.resolve_path(run.checkpoint_path), run.id
    path = Path(text).expanduser().resolve()
    run = registry.find_by_path(TrainRun, "checkpoint_path", path)
    return path, (run.id if run else None)


def run_config(checkpoint: Path | None, train_run_id: int | None, registry: Registry) -> dict[str, Any]:
    """The composed config of the training run (registry first, then the checkpoint's run dir)."""
    if train_run_id is not None:
        row = registry.get(TrainRun, train_run_id)
        if row is not None and row.config:
            return row.config
    if checkpoint is None:
        raise CheckpointError("cannot tell which training run made these samples; pass run=<train run id>")
    path = checkpoint.parent.parent / "resolved_config.yaml"
    if not path.is_file():
        raise CheckpointError(f"no config for {checkpoint}: not in the registry and no {path}")
    return OmegaConf.to_container(OmegaConf.load(path), resolve=True)


HISTORY_SPLITS = ("train", "val", "test")


def load_history(value: str, config: dict[str, Any], window: int, horizon: Any) -> tuple[torch.Tensor, float | None]:
    """The last ``window - horizon`` log returns of ``value`` (a split of the run's data, or a CSV
    of prices: its last series) and the price before them (``None`` for a split: the paths then
    start at the model's training end price)."""
    if not isinstance(horizon, int) or isinstance(horizon, bool) or not 1 <= horizon <= window - 1:
        raise ConfigError(f"horizon={horizon!r}: with history= give the number of returns to generate, "
                          f"1 to {window - 1} (this model's windows hold {window})")
    known = window - horizon
    text = str(value)
    if text in HISTORY_SPLITS:
        dm = instantiate(config["data"], "data")
        dm.setup()
        if text not in dm.series:
            raise ConfigError(f"history={text}: the run's data has no {text} split ({', '.join(dm.series)})")
        returns, price, where = dm.series[text][-1].double(), None, f"the run's {text} split"
    else:
        path = Path(text).expanduser()
        if not path.is_file():
            raise ConfigError(f"history={text}: neither a split ({', '.join(HISTORY_SPLITS)}) nor a CSV file")
        bars = CSVSource(str(path)).load().bars
        close = bars[bars["series"] == bars["series"].iloc[-1]]["close"].to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(close)) or np.any(close <= 0):
            raise DataError(f"history={text}: prices must be finite and positive")
        returns, where = torch.from_numpy(np.diff(np.log(close))), str(path)
        price = float(close[-known - 1]) if len(close) > known else None
    if len(returns) < known:
        raise ConfigError(f"history: {where} has {len(returns)} returns; this model needs {known} "
                          f"(window {window} - horizon {horizon})")
    return returns[-known:].float(), price


def warn_if_other_units(module: Any, history: torch.Tensor) -> None:
    """One warning line when the history's volatility is far from the training data's (other
    units, another asset, or a price series where returns were expected)."""
    train_std = float(module.representation.return_scaler.std)
    ratio = float(history.std()) / train_std if train_std > 0 else float("nan")
    if not 0.2 <= ratio <= 5:
        log.warning("history: its returns' std is %.3g times the training data's; is it the same asset "
                    "and bar size?", ratio)


def sampler_from_config(cfg: DictConfig) -> SamplerConfig:
    return SamplerConfig.from_mapping(OmegaConf.to_container(cfg.sampler, resolve=True))


def named_sampler(name: str, overrides: Sequence[str] = ()) -> SamplerConfig:
    """``configs/sampler/<name>.yaml`` with ``sampler.<key>=<value>`` ``overrides`` (e.g. ``steps=20``)."""
    return sampler_from_config(compose_config("generate", [f"sampler={name}", "checkpoint=none",
                                                           *[f"sampler.{o}" for o in overrides]]))


def sample_and_record(module: Any, recorder: RunRecorder, checkpoint: Path, train_run_id: int | None,
                      n: int, sampler: SamplerConfig, output_png: Path, *, seed: int = 0,
                      batch_size: int = 64, start_price: float | None = None,
                      condition: int | None = None, guidance_scale: float = 1.0,
                      config: dict[str, Any] | None = None, history: torch.Tensor | None = None) -> GenerationResult:
    """Sample ``n`` series from a loaded module, write the PNGs and ``.npz`` next to ``output_png``
    and record them as a ``generation_runs`` row (always left finished, failed or interrupted)."""
    check_request(module, condition, guidance_scale)  # before a row or a file exists
    with recorder.generation_run(train_run_id=train_run_id, checkpoint_path=str(checkpoint), sampler=sampler.name,
                                 n_samples=n, config=config) as row_id:
        samples = generate(module, n, sampler, seed=seed, batch_size=batch_size, progress=True,
                           start_price=start_price, condition=condition, guidance_scale=guidance_scale,
                           history=history)
        artifacts = write_sample_artifacts(samples, module.representation, output_png,
                                           title=f"{checkpoint.parent.parent.name}")
        recorder.update(GenerationRun, row_id, network_evals=samples.network_evals,
                        png_path=str(artifacts.scalogram_png),
                        # scenarios: the fan chart is their price-path picture (history, bands, paths)
                        paths_png_path=str(artifacts.fan_png or artifacts.paths_png),
                        npz_path=str(artifacts.npz), summary=artifacts.summary)
    return GenerationResult(row_id, samples, artifacts, recorder.url)


def sample_checkpoint(cfg: DictConfig) -> GenerationResult | LongPathResult:
    """Load ``cfg.checkpoint``, sample ``cfg.n`` series with ``cfg.sampler``, write the PNGs and
    ``.npz`` at ``cfg.output_path``, and record a ``generation_runs`` row."""
    if not isinstance(cfg.n, int) or cfg.n < 1:
        raise ConfigError(f"n={cfg.n!r}: must be an integer >= 1")
    sampler = sampler_from_config(cfg)
    output = Path(cfg.output_path).expanduser().resolve()
    if output.suffix.lower() != ".png":
        raise ConfigError(f"output_path={cfg.output_path}: must end in .png")
    recorder = RunRecorder.from_config(cfg)
    checkpoint, train_run_id = resolve_checkpoint(cfg.checkpoint, recorder.registry)
    module = load_module(checkpoint, resolve_device(cfg.device))
    history, start_price = None, cfg.start_price
    window = module.representation.image_shape[-1]
    if cfg.get("length") is not None:
        horizon = cfg.get("horizon")
        if cfg.get("history") is not None:  # a long path after the history: its first window continues it
            horizon = window // 4 if horizon is None else horizon
            history, history_price = load_history(cfg.history, run_config(checkpoint, train_run_id, recorder.registry),
                                                  window, horizon)
            check_history(module, history, cfg.n)
            warn_if_other_units(module, history)
            start_price = history_price if start_price is None else start_price
        return long_paths_and_record(module, recorder, checkpoint, train_run_id, cfg.n, cfg.length, sampler, output,
                                     horizon=horizon, seed=cfg.seed, batch_size=cfg.batch_size,
                                     start_price=start_price, config=resolved(cfg), history=history)
    if cfg.get("history") is not None:
        history, history_price = load_history(cfg.history, run_config(checkpoint, train_run_id, recorder.registry),
                                              window, cfg.get("horizon"))
        check_history(module, history, cfg.n)  # before a row exists
        warn_if_other_units(module, history)
        start_price = history_price if start_price is None else start_price
    elif cfg.get("horizon") is not None:
        raise ConfigError("horizon= needs history= (a split of the run's data or a CSV of prices) or length=")
    return sample_and_record(module, recorder, checkpoint, train_run_id, cfg.n, sampler, output, seed=cfg.seed,
                             batch_size=cfg.batch_size, start_price=start_price, condition=cfg.get("condition"),
                             guidance_scale=cfg.get("guidance_scale", 1.0), config=resolved(cfg), history=history)
