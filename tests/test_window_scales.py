"""The window-scale map: generated windows get the training windows' spread of scales, nothing else
about them changes, and what predates it still loads and samples as before."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wavediff.errors import DataError
from wavediff.transforms.representation import WaveletRepresentation
from wavediff.transforms.window_scales import WindowScaleMap


def windows(n: int, t: int, scale_spread: float, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    scales = torch.exp(scale_spread * torch.randn(n, 1, generator=g, dtype=torch.float64))
    return 0.3 + scales * torch.randn(n, t, generator=g, dtype=torch.float64)


def test_mapped_scales_are_the_training_quantiles_and_nothing_else_moves():
    train = windows(4000, 64, 0.05, seed=0)
    generated = windows(500, 64, 0.4, seed=1)  # 8x the training spread of log scales
    scale_map = WindowScaleMap().fit(train)
    mapped = scale_map(generated)
    grid = torch.linspace(0, 1, scale_map.quantiles.numel(), dtype=torch.float64)
    assert torch.allclose(scale_map.quantiles, torch.quantile(train.std(dim=1), grid))
    before, after = generated.std(dim=1), mapped.std(dim=1)
    levels = (torch.arange(500, dtype=torch.float64) + 0.5) / 500  # rank i of 500 -> level (i + 1/2) / 500
    expected = np.interp(levels.numpy(), grid.numpy(), scale_map.quantiles.numpy())
    assert np.allclose(torch.sort(after).values.numpy(), expected, rtol=1e-9)
    assert abs(after.std() / train.std(dim=1).std() - 1) < 0.1 < 1 < before.std() / after.std()  # the training spread
    assert torch.equal(torch.argsort(before), torch.argsort(after))  # the order of scales is kept
    assert torch.allclose(mapped.mean(dim=1), generated.mean(dim=1))  # each window's mean is kept
    shape = lambda x: (x - x.mean(dim=1, keepdim=True)) / x.std(dim=1, keepdim=True)  # noqa: E731
    assert torch.allclose(shape(mapped), shape(generated), atol=1e-10)


def test_unfitted_single_or_flat_windows_are_left_alone():
    x = windows(8, 32, 0.3, seed=2)
    assert WindowScaleMap()(x) is x and not WindowScaleMap().fitted
    fitted = WindowScaleMap().fit(windows(100, 32, 0.05, seed=3))
    assert fitted(x[:1]) is x[:1] or torch.equal(fitted(x[:1]), x[:1])
    flat = torch.cat([torch.full((1, 32), 0.5, dtype=torch.float64), x[1:]])
    assert torch.equal(fitted(flat)[0], flat[0])
    with pytest.raises(DataError, match="need training windows"):
        WindowScaleMap().fit(torch.zeros(1, 32))
    with pytest.raises(DataError, match="NaN or infinity"):
        WindowScaleMap().fit(torch.full((4, 8), float("nan")))


def test_windows_that_already_have_the_training_scales_barely_move():
    torch.manual_seed(0)
    returns = 1e-3 * torch.randn(3000, 64) * torch.exp(0.2 * torch.randn(3000, 1))
    rep = WaveletRepresentation(64, 8, tails="quantile").fit(returns[:2000], start_price=100.0)
    held = returns[2000:]
    matched = rep.match_window_scales(held)
    assert matched.shape == held.shape and matched.dtype == held.dtype
    relative = ((matched - held).abs() / held.abs().clamp_min(1e-6)).median()
    assert relative < 0.03, relative


def test_checkpoints_from_before_the_map_load_and_sample_as_drawn():
    rep = WaveletRepresentation(32, 8, tails="quantile").fit(1e-3 * torch.randn(64, 32), start_price=1.0)
    old_state = {k: v for k, v in rep.state_dict().items() if not k.startswith("window_scales")}
    restored = WaveletRepresentation(32, 8, tails="quantile")
    restored.load_state_dict(old_state)
    x = 1e-3 * torch.randn(16, 32)
    assert not restored.window_scales.fitted and restored.match_window_scales(x) is x


def test_generate_maps_the_set_and_keeps_the_windows_as_drawn():
    from wavediff.models.diffusion import DiffusionModule
    from wavediff.sampling.generate import generate

    torch.manual_seed(0)
    train = 1e-3 * torch.randn(64, 32)
    rep = WaveletRepresentation(32, 8, tails="quantile").fit(train, start_price=1.0)
    module = DiffusionModule(net={"block_out_channels": [8, 8], "layers_per_block": 1, "norm_num_groups": 4,
                                  "down_block_types": ["DownBlock2D", "DownBlock2D"],
                                  "up_block_types": ["UpBlock2D", "UpBlock2D"]},
                             noise_scheduler={"num_train_timesteps": 20, "clip_sample": False},
                             optimizer={"_target_": "torch.optim.AdamW"}, representation=rep)
    sampler = {"name": "ddim", "scheduler": "diffusers.DDIMScheduler", "steps": 3}
    mapped = generate(module, 12, sampler, seed=1, batch_size=5)
    plain = generate(module, 12, {**sampler, "window_scales": False}, seed=1, batch_size=5)
    assert plain.returns_as_sampled is None
    assert torch.equal(mapped.returns_as_sampled, plain.returns)  # the same draw, before the map
    assert torch.allclose(rep.decode(mapped.images), mapped.returns, atol=1e-6, rtol=1e-3)  # images match returns
    latent = rep._compress(rep.return_scaler.transform(mapped.returns))
    levels = (torch.arange(12, dtype=torch.float64) + 0.5) / 12
    grid = torch.linspace(0, 1, rep.window_scales.quantiles.numel(), dtype=torch.float64)
    expected = np.interp(levels.numpy(), grid.numpy(), rep.window_scales.quantiles.numpy())
    assert np.allclose(np.sort(latent.double().std(dim=1).numpy()), expected, rtol=0.02)


def test_a_representation_without_the_map_takes_only_false():
    from wavediff.transforms import build_representation
    from wavediff.errors import ConfigError

    rep = WaveletRepresentation(32, 8, tails="quantile", window_scales=False).fit(torch.randn(64, 32), 1.0)
    x = torch.randn(8, 32)
    assert not rep.window_scales.fitted and rep.match_window_scales(x) is x and not rep.config()["window_scales"]
    assert build_representation({"kind": "returns", "window_size": 32, "window_scales": False}).kind == "returns"
    with pytest.raises(ConfigError, match="magnitude_scalogram has no window-scale map"):
        build_representation({"kind": "magnitude_scalogram", "window_size": 32, "window_scales": True})
