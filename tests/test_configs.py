"""Every option of every config group composes and builds."""

from __future__ import annotations

import hydra
import pytest
import torch
from omegaconf import OmegaConf

from conftest import CONFIGS, compose_config
from wavediff.models.diffusion import DiffusionModule
from wavediff.sampling.samplers import SamplerConfig, build_scheduler
from wavediff.transforms.representation import WaveletRepresentation


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))


@pytest.mark.parametrize("model", options("model"))
def test_model_options_build_and_run(tmp_path, model):
    cfg = compose_config("train", [f"model={model}", f"paths.output_root={tmp_path}"], tmp_path / "run")
    rep = WaveletRepresentation(window_size=64, num_scales=16)
    module = hydra.utils.instantiate(cfg.model, representation=rep)
    assert isinstance(module, DiffusionModule)
    images = torch.randn(2, 2, 16, 64)
    loss = module.diffusion_loss(images)
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert module.net.config.sample_size == (16, 64) and module.net.config.in_channels == 2
    assert not module.noise_scheduler.config.clip_sample


@pytest.mark.parametrize("sampler", options("sampler"))
def test_sampler_options_build(tmp_path, sampler):
    cfg = compose_config("train", [f"sampler={sampler}", f"paths.output_root={tmp_path}"], tmp_path / "run")
    config = SamplerConfig.from_mapping(OmegaConf.to_container(cfg.sampler, resolve=True))
    from diffusers import DDPMScheduler

    scheduler = build_scheduler(config, DDPMScheduler(num_train_timesteps=1000, clip_sample=False))
    assert len(scheduler.timesteps) == (config.steps or 1000)


@pytest.mark.parametrize("data", options("data"))
def test_data_options_build_and_load(tmp_path, data):
    extra = ["data.source.days=3", "data.window_size=64"]
    if data == "csv":
        from test_csv import daily_frame

        daily_frame(1000).to_csv(tmp_path / "p.csv", index=False)
        extra = [f"data.path={tmp_path / 'p.csv'}"]
    cfg = compose_config("train", [f"data={data}", f"paths.output_root={tmp_path}", *extra], tmp_path / "run")
    dm = hydra.utils.instantiate(cfg.data)
    assert dm.image_shape == (2, cfg.data.transform.num_scales, cfg.data.window_size)
    dm.setup()
    assert dm.describe()["source"] == (data if data != "mjd_seed" else "mjd")
    assert torch.isfinite(dm.images["train"]).all() and len(dm.windows["val"]) > 0


@pytest.mark.parametrize("trainer", [t for t in options("trainer")
                                     if t not in ("gpu", "ddp") or torch.cuda.is_available()])  # GPU-only options
def test_trainer_options_instantiate(tmp_path, trainer):
    cfg = compose_config("train", [f"trainer={trainer}", f"paths.output_root={tmp_path}"], tmp_path / "run")
    assert hydra.utils.instantiate(cfg.trainer, logger=False, enable_checkpointing=False).max_epochs >= 1


def test_seed_defaults_are_documented_gpu_defaults(tmp_path):
    cfg = compose_config("train", ["trainer=gpu", f"paths.output_root={tmp_path}"], tmp_path / "run")
    assert cfg.data.batch_size == 16 and cfg.model.optimizer.lr == 1e-4
    assert cfg.model.noise_scheduler.num_train_timesteps == 1000 and cfg.trainer.max_epochs == 10
    assert (cfg.data.window_size, cfg.data.stride) == (256, 64)
