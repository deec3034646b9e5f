"""The generation job (``wavediff generate``): sample series from a checkpoint, write the PNGs and
``.npz``, and record a ``generation_runs`` row."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from wavediff.config.compose import resolved
from wavediff.errors import CheckpointError, ConfigError
from wavediff.jobs.recorder import RunRecorder
from wavediff.models.loading import load_module, resolve_device
from wavediff.registry.store import Registry
from wavediff.registry.tables import GenerationRun, TrainRun
from wavediff.sampling.artifacts import SampleArtifacts, write_sample_artifacts
from wavediff.sampling.generate import Samples, check_request, generate
from wavediff.sampling.samplers import SamplerConfig


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
                "npz": str(art.npz), "registry": self.registry_url}


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


def sampler_from_config(cfg: DictConfig) -> SamplerConfig:
    return SamplerConfig.from_mapping(OmegaConf.to_container(cfg.sampler, resolve=True))


def sample_and_record(module: Any, recorder: RunRecorder, checkpoint: Path, train_run_id: int | None,
                      n: int, sampler: SamplerConfig, output_png: Path, *, seed: int = 0,
                      batch_size: int = 64, start_price: float | None = None,
                      condition: int | None = None, guidance_scale: float = 1.0,
                      config: dict[str, Any] | None = None) -> GenerationResult:
    """Sample ``n`` series from a loaded module, write the PNGs and ``.npz`` next to ``output_png``
    and record them as a ``generation_runs`` row (always left finished, failed or interrupted)."""
    check_request(module, condition, guidance_scale)  # before a row or a file exists
    with recorder.generation_run(train_run_id=train_run_id, checkpoint_path=str(checkpoint), sampler=sampler.name,
                                 n_samples=n, config=config) as row_id:
        samples = generate(module, n, sampler, seed=seed, batch_size=batch_size, progress=True,
                           start_price=start_price, condition=condition, guidance_scale=guidance_scale)
        artifacts = write_sample_artifacts(samples, module.representation, output_png,
                                           title=f"{checkpoint.parent.parent.name}")
        recorder.update(GenerationRun, row_id, network_evals=samples.network_evals,
                        png_path=str(artifacts.scalogram_png), paths_png_path=str(artifacts.paths_png),
                        npz_path=str(artifacts.npz), summary=artifacts.summary)
    return GenerationResult(row_id, samples, artifacts, recorder.url)


def sample_checkpoint(cfg: DictConfig) -> GenerationResult:
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
    return sample_and_record(module, recorder, checkpoint, train_run_id, cfg.n, sampler, output, seed=cfg.seed,
                             batch_size=cfg.batch_size, start_price=cfg.start_price, condition=cfg.get("condition"),
                             guidance_scale=cfg.get("guidance_scale", 1.0), config=resolved(cfg))
