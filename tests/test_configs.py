"""Every option of every config group composes and builds."""

from __future__ import annotations

import hydra
import pytest
import torch
from omegaconf import OmegaConf

from conftest import CONFIGS, STOCKS_FILE, compose_config
from wavediff.models.diffusion import DiffusionModule
from wavediff.models.parameterization import Parameterization
from wavediff.models.preconditioning import EDMPreconditioning, VPPreconditioning
from wavediff.sampling.samplers import SamplerConfig, build_scheduler
from wavediff.sampling.sigmas import schedule_sigmas
from wavediff.transforms import build_representation
from wavediff.transforms.representation import WaveletRepresentation


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))


def test_every_config_group_option_is_tested():
    groups = {p.parent.relative_to(CONFIGS).as_posix() for p in CONFIGS.rglob("*.yaml") if p.parent != CONFIGS}
    assert {"model", "model/net", "model/noise", "transform", "sampler", "data", "trainer"} <= groups


@pytest.mark.parametrize("model", options("model"))
def test_model_options_build_and_run(tmp_path, model):
    cfg = compose_config("train", [f"model={model}", f"paths.output_root={tmp_path}"], tmp_path / "run")
    rep = WaveletRepresentation(window_size=64, num_scales=16)
    module = hydra.utils.instantiate(cfg.model, representation=rep)
    assert isinstance(module, DiffusionModule)
    images = torch.randn(2, 2, 16, 64)
    loss = module.diffusion_loss(images)
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert module.net.unet.config.sample_size == (16, 64) and module.net.unet.config.in_channels == 2
    assert not module.noise_scheduler.config.clip_sample


@pytest.mark.parametrize("group, option", [(g, o) for g in ("model/net", "model/noise", "transform")
                                           for o in options(g)])
def test_model_net_noise_and_transform_options_train_a_step(tmp_path, group, option):
    extra = {"model/net=unet1d": ["model.net.channels=[8,16]"],
             "transform=magnitude_scalogram": ["model/noise=white"],
             "transform=returns": ["model/net=unet1d", "model.net.channels=[8,16]"]}.get(f"{group}={option}", [])
    cfg = compose_config("train", [f"{group}={option}", "model=unet_tiny", f"paths.output_root={tmp_path}",
                                   "data.window_size=64", "data.transform.num_scales=16", *extra], tmp_path / "run")
    rep = build_representation({**OmegaConf.to_container(cfg.data.transform), "window_size": 64})
    rep.fit(torch.randn(32, 64) * 1e-3, start_price=1.0)
    module = hydra.utils.instantiate(cfg.model, representation=rep)
    loss = module.diffusion_loss(rep.encode(torch.randn(4, 64) * 1e-3))
    assert loss.ndim == 0 and torch.isfinite(loss)


@pytest.mark.parametrize("sampler", options("sampler"))
def test_sampler_options_build(tmp_path, sampler):
    cfg = compose_config("train", [f"sampler={sampler}", f"paths.output_root={tmp_path}"], tmp_path / "run")
    config = SamplerConfig.from_mapping(OmegaConf.to_container(cfg.sampler, resolve=True))
    from diffusers import DDPMScheduler

    train_scheduler = DDPMScheduler(num_train_timesteps=1000, clip_sample=False)
    if config.scheduler is not None:
        assert len(build_scheduler(config, train_scheduler).timesteps) == (config.steps or 1000)
        return
    vp = VPPreconditioning(Parameterization("epsilon"), train_scheduler.alphas_cumprod)
    for preconditioning in (vp, EDMPreconditioning()):
        sigmas = schedule_sigmas(config.schedule, preconditioning, config.steps, config.rho)
        assert len(sigmas) == config.steps + 1 and float(sigmas[-1]) == 0.0 and (sigmas.diff() < 0).all()
        assert float(sigmas[0]) == pytest.approx(preconditioning.sigma_max)


@pytest.mark.parametrize("data", options("data"))
def test_data_options_build_and_load(tmp_path, data):
    extra = ["data.source.days=3", "data.window_size=64"]
    if data == "csv":
        from test_csv import daily_frame

        daily_frame(1000).to_csv(tmp_path / "p.csv", index=False)
        extra = [f"data.path={tmp_path / 'p.csv'}"]
    if data in ("sp500", "nasdaq", "sp500_nasdaq"):  # the arch package's daily series: nothing to size
        pytest.importorskip("arch")
        extra = []
    if data == "stocks":  # the field's file, beside the repository (../shared/benchmarks/stocks)
        if not STOCKS_FILE.is_file():
            pytest.skip("the Stocks file is not beside this checkout")
        extra = [f"data.path={STOCKS_FILE}"]
    cfg = compose_config("train", [f"data={data}", f"paths.output_root={tmp_path}", *extra], tmp_path / "run")
    dm = hydra.utils.instantiate(cfg.data)
    # several assets (or bar fields): their images stacked
    channels = 2 * len(dm.assets) if dm.multi_asset else 2 * len(dm.fields)
    assert dm.image_shape == (channels, cfg.data.transform.num_scales, cfg.data.window_size)
    dm.setup()
    expected = {"mjd_rare_jumps": "mjd", "sp500": "arch.sp500", "nasdaq": "arch.nasdaq",
                "sp500_nasdaq": "arch.sp500+nasdaq", "stocks": "csv"}.get(data, data)
    assert dm.describe()["source"] == expected
    assert torch.isfinite(dm.images["train"]).all() and len(dm.windows["val"]) > 0


@pytest.mark.parametrize("config", ["train", "evaluate"])
def test_a_data_configs_own_transform_settings_win_over_the_transform_group(tmp_path, config):
    """data=stocks asks for 16 scales up to 8 bars; the transform group's defaults (32 scales up
    to T / 8 = 3 bars) once overrode them silently. A command-line override still wins over both."""
    checked = 0
    for data in options("data"):
        own = OmegaConf.load(CONFIGS / "data" / f"{data}.yaml").get("transform") or {}
        if not own:
            continue  # nothing of its own to keep (composing is the slow part)
        cfg = compose_config(config, [f"data={data}", f"paths.output_root={tmp_path}"], tmp_path / "run")
        for key, value in own.items():
            assert cfg.data.transform[key] == value, (data, key)
            checked += 1
    assert checked >= 4  # stocks' three keys and the real data's window_scales
    cfg = compose_config(config, ["data=stocks", "data.transform.num_scales=8", f"paths.output_root={tmp_path}"],
                         tmp_path / "run")
    assert cfg.data.transform.num_scales == 8 and cfg.data.transform.max_scale == 8.0
    assert compose_config(config, ["data=mjd", f"paths.output_root={tmp_path}"],
                          tmp_path / "run").data.transform.num_scales == 32


@pytest.mark.parametrize("trainer", [t for t in options("trainer")
                                     if t not in ("gpu", "ddp") or torch.cuda.is_available()])  # GPU-only options
def test_trainer_options_instantiate(tmp_path, trainer):
    cfg = compose_config("train", [f"trainer={trainer}", f"paths.output_root={tmp_path}"], tmp_path / "run")
    built = hydra.utils.instantiate(cfg.trainer, logger=False, enable_checkpointing=False)
    assert built.max_epochs >= 1 or built.max_steps >= 1


def _budget(cfg) -> tuple:
    return (cfg.trainer.max_epochs, cfg.trainer.max_steps, cfg.trainer.precision, cfg.data.source.days,
            cfg.data.batch_size, cfg.callbacks.sampling.every_n_epochs, cfg.callbacks.sampling.num_samples)


CPU_BUDGET = (3, -1, "32-true", 30, 16, 1, 16)
GPU_BUDGET = (-1, 6000, "bf16-mixed", 365, 64, 10, 64)


def test_default_trainer_uses_a_gpu_when_present_else_the_cpu_budget(tmp_path, monkeypatch):
    for cuda, budget in ((False, CPU_BUDGET), (True, GPU_BUDGET)):
        monkeypatch.setattr(torch.cuda, "is_available", lambda cuda=cuda: cuda)
        cfg = compose_config("train", [f"paths.output_root={tmp_path}"], tmp_path / "run")
        assert cfg.trainer.accelerator == "auto" and _budget(cfg) == budget


def test_the_trainer_choice_sets_the_budget_and_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # trainer=cpu wins over a visible GPU
    configs = {t: compose_config("train", [f"trainer={t}", f"paths.output_root={tmp_path}"], tmp_path / "run")
               for t in ("cpu", "gpu", "auto")}
    cpu, gpu = configs["cpu"], configs["gpu"]
    assert _budget(cpu) == CPU_BUDGET and _budget(gpu) == _budget(configs["auto"]) == GPU_BUDGET
    for other in (gpu, configs["auto"]):
        assert OmegaConf.to_container(cpu.model) == OmegaConf.to_container(other.model)
        data = OmegaConf.to_container(other.data, resolve=True)
        data["source"]["days"], data["batch_size"] = cpu.data.source.days, cpu.data.batch_size
        assert OmegaConf.to_container(cpu.data, resolve=True) == data
    assert cpu.model.optimizer.lr == 5e-4 and cpu.model.lr_warmup_steps == 20
    assert gpu.model.noise_scheduler.num_train_timesteps == 1000
    assert (gpu.data.window_size, gpu.data.stride) == (256, 64)


@pytest.mark.parametrize("experiment", options("experiment"))
def test_every_experiment_composes_checks_and_builds(tmp_path, experiment):
    """The README's and docs' result rows come from these files: each must compose, pass the
    training checks, and build its data module and a model whose loss runs on its image shape."""
    from wavediff.config.checks import check_train_config
    from wavediff.config.instantiate import instantiate

    csv = tmp_path / "p.csv"
    from test_csv import daily_frame

    daily_frame(400).to_csv(csv, index=False)
    cfg = compose_config("train", [f"experiment={experiment}", f"paths.output_root={tmp_path}",
                                   f"data.path={csv}" if "csv" in _data_choice(experiment) else "seed=0"],
                         tmp_path / "run")
    check_train_config(cfg)
    dm = instantiate(cfg.data, "data", condition=cfg.model.get("condition"))
    module = instantiate(cfg.model, "model", representation=dm.representation, condition=dm.labeler)
    images = torch.randn(2, *dm.image_shape)
    labels = None if dm.labeler is None else torch.zeros(2, dtype=torch.long)
    loss = module.diffusion_loss(images, labels)
    assert loss.ndim == 0 and torch.isfinite(loss)


def _data_choice(experiment: str) -> str:
    text = (CONFIGS / "experiment" / f"{experiment}.yaml").read_text()
    return "csv" if "/data: csv" in text or "/data: stocks" in text else ""  # stocks: any OHLCV file


def test_removed_aliases_are_one_line_errors(tmp_path):
    from conftest import run_cli

    for old in ("transform=seed_scalogram", "data=mjd_seed", "experiment=seed_baseline"):
        ran = run_cli("train", old, f"paths.output_root={tmp_path}")
        assert ran.code == 2 and ran.err.startswith(f"error: {old}: no such option"), ran.err
