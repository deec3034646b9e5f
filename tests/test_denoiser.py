"""The denoiser core: networks, noises, parameterizations, guidance, labels, legacy checkpoints."""

from __future__ import annotations


import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from torch import nn

from conftest import CONFIGS
from wavediff.data.datamodule import WaveletDataModule
from wavediff.data.gbm import GBMSource
from wavediff.data.labels import VolatilityLabels
from wavediff.data.mjd import MJDSource
from wavediff.errors import ConfigError, DataError
from wavediff.models.diffusion import DiffusionModule
from wavediff.models.noise import StudentTNoise
from wavediff.models.parameterization import PREDICTIONS, Parameterization
from wavediff.models.preconditioning import VPPreconditioning
from wavediff.sampling.denoisers import guided
from wavediff.sampling.generate import generate
from wavediff.transforms import build_representation

NETS = {"unet2d": {**OmegaConf.to_container(OmegaConf.load(CONFIGS / "model/net/unet2d_tiny.yaml"))},
        "unet1d": {**OmegaConf.to_container(OmegaConf.load(CONFIGS / "model/net/unet1d.yaml")),
                   "channels": [8, 16], "layers_per_block": 1}}
NOISES = {name: OmegaConf.to_container(OmegaConf.load(CONFIGS / f"model/noise/{name}.yaml"))
          for name in ("white", "range", "student_t")}
NOISES["student_t_series"] = {**NOISES["student_t"], "space": "series"}
SCHEDULE = {"num_train_timesteps": 20, "clip_sample": False}
OPTIMIZER = {"_target_": "torch.optim.AdamW", "lr": 1e-3}


def fitted(kind: str = "complex_cwt", window: int = 32):
    rep = build_representation({"kind": kind, "window_size": window, "num_scales": 8})
    returns = torch.randn(64, window, generator=torch.Generator().manual_seed(0)) * 1e-3
    return rep.fit(returns, start_price=100.0), returns


# every noise with every prediction, the networks alternating: each pair of options meets in some case
PAIRWISE = [(list(NETS)[(i + j) % len(NETS)], noise, prediction)
            for i, noise in enumerate(NOISES) for j, prediction in enumerate(PREDICTIONS)]


@pytest.mark.parametrize("net, noise, prediction", PAIRWISE)
def test_every_net_noise_prediction_trains_and_samples(net, noise, prediction):
    rep, returns = fitted()
    module = DiffusionModule(net=NETS[net], noise_scheduler=SCHEDULE, optimizer=OPTIMIZER, representation=rep,
                             noise=NOISES[noise], prediction=prediction, ema_decay=0.5)
    images = rep.encode(returns)
    opt = torch.optim.AdamW(module.net.parameters(), lr=1e-3)
    losses = []
    for _ in range(3):
        loss = module.diffusion_loss(images[:16])
        opt.zero_grad()
        loss.backward()
        opt.step()
        module.ema_net.update_parameters(module.net)
        losses.append(loss.item())
    assert all(np.isfinite(losses))
    samples = generate(module, 2, {"name": "ancestral", "scheduler": "diffusers.DDIMScheduler", "steps": 3,
                                   "step_kwargs": {"eta": 1.0}}, seed=0)
    assert samples.returns.shape == (2, 32) and torch.isfinite(samples.returns).all()
    assert float(samples.reprojection_error.max()) < 1e-3


def test_student_t_noise_has_the_t_kurtosis_and_unit_variance():
    rep, _ = fitted("returns", window=64)
    nu = 12.0
    x = StudentTNoise(nu, space="pixel").sample(40_000, rep, torch.Generator().manual_seed(0)).double()
    assert x.shape == (40_000, 1, 64)
    centred = x - x.mean()
    excess = float(centred.pow(4).mean() / centred.pow(2).mean() ** 2 - 3)
    assert float(x.var()) == pytest.approx(1.0, abs=0.02)
    assert excess == pytest.approx(6 / (nu - 4), abs=0.12)  # 0.75; Gaussian noise would give 0
    with pytest.raises(ConfigError, match="must be > 2"):
        StudentTNoise(2.0)


def test_parameterizations_invert_each_other():
    g = torch.Generator().manual_seed(1)
    clean, noise = torch.randn(4, 2, 3, 5, generator=g), torch.randn(4, 2, 3, 5, generator=g)
    alpha_bar = torch.rand(4, 1, 1, 1, generator=g) * 0.9 + 0.05
    noisy = alpha_bar.sqrt() * clean + (1 - alpha_bar).sqrt() * noise
    for prediction in PREDICTIONS:
        p = Parameterization(prediction)
        target = p.target(clean, noise, alpha_bar)
        assert torch.allclose(p.clean(target, noisy, alpha_bar), clean, atol=1e-5)
        assert torch.allclose(p.output(clean, noisy, alpha_bar), target, atol=1e-5)


class Oracle(nn.Module):
    """The exact denoiser of a one-point data distribution ``x*``, in a given parameterization."""

    def __init__(self, point: torch.Tensor, alphas: torch.Tensor, prediction: str) -> None:
        super().__init__()
        self.point, self.alphas, self.p = point, alphas, Parameterization(prediction)

    def forward(self, x, t, cond=None):
        # float timesteps (σ-space samplers) are interpolated in log σ, as the VP adapter does
        sigma = VPPreconditioning(self.p, self.alphas).sigma_of(t)
        alpha_bar = (1 / (1 + sigma ** 2)).float().view(-1, *([1] * (x.ndim - 1)))
        return self.p.output(self.point.expand_as(x), x, alpha_bar)


@pytest.mark.parametrize("sampler", ["ddim", "dpm", "heun", "euler", "dpmpp_2m"])
def test_every_prediction_samples_the_same_known_answer(sampler):
    rep, returns = fitted()
    point = rep.encode(returns[:1])
    results = {}
    for prediction in PREDICTIONS:
        module = DiffusionModule(net=NETS["unet2d"], noise_scheduler={**SCHEDULE, "num_train_timesteps": 100},
                                 optimizer=OPTIMIZER, representation=rep, noise="white", prediction=prediction)
        module.ema_net.module = Oracle(point, module.alphas_cumprod, prediction)
        cfg = OmegaConf.to_container(OmegaConf.load(CONFIGS / f"sampler/{sampler}.yaml"))
        results[prediction] = generate(module, 2, {**cfg, "steps": 10, "project": False, "window_scales": False},
                                       seed=3).images
    for prediction, images in results.items():
        assert torch.allclose(images, point.expand_as(images), atol=1e-3), prediction


def test_guidance_scale_zero_is_unconditional_and_one_conditional():
    calls = []

    def net(x, t, cond):
        calls.append(len(x))
        return x * 0 + cond.float().view(-1, 1, 1)

    x, t, cond = torch.zeros(3, 2, 4), torch.zeros(3, dtype=torch.long), torch.tensor([0, 1, 2])
    assert torch.equal(guided(net, 0.0, 3)(x, t, cond), torch.full((3, 2, 4), 3.0))
    assert torch.equal(guided(net, 1.0, 3)(x, t, cond), cond.float().view(-1, 1, 1).expand(3, 2, 4))
    # w = 2: u + 2 (c - u) = 2c - u, with one batched call of twice the size
    calls.clear()
    out = guided(net, 2.0, 3)(x, t, cond)
    assert torch.equal(out, (2 * cond.float() - 3).view(-1, 1, 1).expand(3, 2, 4)) and calls == [6]


def test_jump_labels_match_the_simulators_jump_counts(tmp_path):
    # No diffusion and fixed jump sizes: every return is drift + 0.05 x (its jump count).
    source = MJDSource(days=2, sigma=1e-9, lam=8_000.0, jump_mean=0.05, jump_std=0.0, seed=4)
    dm = WaveletDataModule(source, window_size=64, stride=32, transform={"num_scales": 8}, condition="jumps",
                           cache_dir=str(tmp_path))
    dm.setup()
    for split, windows in dm.windows.items():
        counts = torch.round((windows.double() - windows.double().median()) / 0.05)
        assert torch.equal(counts.to(dm.jumps[split].dtype), dm.jumps[split])
        assert torch.equal(dm.labels[split], counts.sum(-1).clamp(max=2).long())
    assert set(dm.labels["train"].tolist()) == {0, 1, 2}
    assert float(dm.labeler.frequencies.sum()) == pytest.approx(1.0)
    cached = WaveletDataModule(source, window_size=64, stride=32, transform={"num_scales": 8},
                               condition="jumps", cache_dir=str(tmp_path))
    cached.setup()
    assert cached.cache_hit and torch.equal(cached.labels["val"], dm.labels["val"])
    images, labels = next(iter(dm.train_dataloader()))
    assert labels.dtype == torch.long and len(labels) == len(images)


def test_volatility_labels_are_training_terciles_and_jump_labels_need_jumps():
    returns = torch.randn(300, 64, generator=torch.Generator().manual_seed(0)) * torch.linspace(0.5, 2, 300)[:, None]
    labels = VolatilityLabels().fit(returns)
    assert labels.frequencies.tolist() == pytest.approx([1 / 3] * 3, abs=0.01)
    assert labels.assign(returns[:5], None).tolist() == [0] * 5 and labels.assign(returns[-5:], None).tolist() == [2] * 5
    with pytest.raises(DataError, match="records no jumps"):
        WaveletDataModule(GBMSource(days=1), window_size=64, condition="jumps")


def test_checkpoints_from_before_injected_networks_load(tmp_path):
    """A checkpoint in the pre-core format (UNet2DModel as ``net``, noise as a string) loads and
    gives the same samples as the same weights in today's format."""
    from wavediff.models.loading import load_module

    rep, _ = fitted()
    net = {k: v for k, v in NETS["unet2d"].items() if k != "_target_"}
    module = DiffusionModule(net=NETS["unet2d"], noise_scheduler=SCHEDULE, optimizer=OPTIMIZER,
                             representation=rep, noise=NOISES["range"])
    new_path, old_path = tmp_path / "new.ckpt", tmp_path / "old.ckpt"
    state = module.state_dict()
    hparams = {**dict(module.hparams), "net": net, "noise": "range"}
    for key in ("prediction", "condition", "cond_drop_prob"):
        hparams.pop(key)
    old_state = {k.replace("net.unet.", "net."): v for k, v in state.items()}
    torch.save({"state_dict": state, "hyper_parameters": dict(module.hparams),
                "pytorch-lightning_version": "2.5.0"}, new_path)
    torch.save({"state_dict": old_state, "hyper_parameters": hparams,
                "pytorch-lightning_version": "2.5.0"}, old_path)
    sampler = {"name": "ddim", "scheduler": "diffusers.DDIMScheduler", "steps": 3, "step_kwargs": {"eta": 1.0}}
    new, old = generate(load_module(new_path), 2, sampler, seed=1), generate(load_module(old_path), 2, sampler, seed=1)
    assert torch.equal(new.images, old.images)


# Lower layers never import higher ones (DESIGN.md "Architecture").
def test_student_t_series_noise_is_heavy_tailed_per_return_and_in_the_range():
    nu = 12.0
    returns_rep, _ = fitted("returns", window=64)
    x = StudentTNoise(nu, space="series").sample(20_000, returns_rep, torch.Generator().manual_seed(1)).double()
    centred = x - x.mean()
    assert float(centred.pow(4).mean() / centred.pow(2).mean() ** 2 - 3) == pytest.approx(6 / (nu - 4), abs=0.1)
    cwt_rep, _ = fitted()
    images = StudentTNoise(5.0, space="series").sample(512, cwt_rep, torch.Generator().manual_seed(2))
    assert float(cwt_rep.reprojection_error(images).max()) < 1e-4  # images of (heavy-tailed) series
    assert float(images.pow(2).mean()) == pytest.approx(1.0, rel=0.1)


def test_fused_optimizer_on_cuda_only_unless_the_config_says():
    from wavediff.models.diffusion import optimizer_config

    adamw = {"_target_": "torch.optim.AdamW", "lr": 1e-3}
    assert optimizer_config(adamw, torch.device("cuda"))["fused"] is True
    assert "fused" not in optimizer_config(adamw, torch.device("cpu"))
    assert optimizer_config({**adamw, "fused": False}, torch.device("cuda"))["fused"] is False
    assert "fused" not in optimizer_config({"_target_": "torch.optim.RMSprop"}, torch.device("cuda"))
    assert "fused" not in adamw  # the module's hyper-parameters are not changed
