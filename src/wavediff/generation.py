"""``generate_from_config(cfg)``: the job of ``scripts/generate.py``, recorded in the registry."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from wavediff.errors import CheckpointError, ConfigError
from wavediff.models.loading import load_module, resolve_device
from wavediff.registry.store import Registry, git_commit
from wavediff.registry.tables import GenerationRun, TrainRun
from wavediff.sampling.artifacts import SampleArtifacts, write_sample_artifacts
from wavediff.sampling.generate import Samples, check_request, generate
from wavediff.sampling.samplers import SamplerConfig

log = logging.getLogger(__name__)


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


def sample_and_record(module: Any, registry: Registry, checkpoint: Path, train_run_id: int | None,
                      n: int, sampler: SamplerConfig, output_png: Path, *, seed: int = 0,
                      batch_size: int = 64, start_price: float | None = None,
                      condition: int | None = None, guidance_scale: float = 1.0,
                      config: dict[str, Any] | None = None) -> tuple[int, Samples, SampleArtifacts]:
    """Sample ``n`` series from a loaded module, write the PNGs and ``.npz`` next to ``output_png``
    and record them as a ``generation_runs`` row (always left finished, failed or interrupted).
    Returns ``(row id, samples, artifacts)``."""
    check_request(module, condition, guidance_scale)  # before a row or a file exists
    with registry.track(GenerationRun, train_run_id=train_run_id, checkpoint_path=str(checkpoint),
                        sampler=sampler.name, n_samples=n, config=config,
                        git_commit=git_commit(Path(__file__).parent)) as row_id:
        samples = generate(module, n, sampler, seed=seed, batch_size=batch_size, progress=True,
                           start_price=start_price, condition=condition, guidance_scale=guidance_scale)
        artifacts = write_sample_artifacts(samples, module.representation, output_png,
                                           title=f"{checkpoint.parent.parent.name}")
        registry.update(GenerationRun, row_id, network_evals=samples.network_evals,
                        png_path=str(artifacts.scalogram_png), paths_png_path=str(artifacts.paths_png),
                        npz_path=str(artifacts.npz), summary=artifacts.summary)
    return row_id, samples, artifacts


def generate_from_config(cfg: DictConfig) -> SampleArtifacts:
    """Load the checkpoint, sample ``cfg.n`` series with ``cfg.sampler``, write the PNGs and
    ``.npz`` at ``cfg.output_path``, and record a ``generation_runs`` row."""
    if not isinstance(cfg.n, int) or cfg.n < 1:
        raise ConfigError(f"n={cfg.n!r}: must be an integer >= 1")
    sampler = SamplerConfig.from_mapping(OmegaConf.to_container(cfg.sampler, resolve=True))
    output = Path(cfg.output_path).expanduser().resolve()
    if output.suffix.lower() != ".png":
        raise ConfigError(f"output_path={cfg.output_path}: must end in .png")
    registry = Registry(cfg.registry.url, cfg.registry.get("artifacts_root"))
    checkpoint, train_run_id = resolve_checkpoint(cfg.checkpoint, registry)
    module = load_module(checkpoint, resolve_device(cfg.device))
    row_id, samples, artifacts = sample_and_record(
        module, registry, checkpoint, train_run_id, cfg.n, sampler, output, seed=cfg.seed,
        batch_size=cfg.batch_size, start_price=cfg.start_price, condition=cfg.get("condition"),
        guidance_scale=cfg.get("guidance_scale", 1.0), config=OmegaConf.to_container(cfg, resolve=True))
    classes = ""
    if samples.labels is not None:
        counts = samples.labels.bincount(minlength=len(samples.class_names)).tolist()
        classes = "  classes " + ", ".join(f"{name}: {c}" for name, c in zip(samples.class_names, counts)) + "\n"
    print(f"generation run {row_id}: {cfg.n} series with {sampler.name} "
          f"({samples.network_evals} network calls each)\n{classes}"
          f"  scalogram  {artifacts.scalogram_png}\n  paths      {artifacts.paths_png}\n"
          f"  arrays     {artifacts.npz}  (returns, prices, images)\n"
          f"  registry   {registry.url}", flush=True)
    return artifacts
