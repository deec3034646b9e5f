"""Contract tests per extension point (as diffusers' common scheduler tests): every representation,
labeler and noise that WaveDiff ships is held to the same promises. A new one joins by being
registered (``REPRESENTATIONS``, ``LABELS``) or listed in ``configs/model/noise/``."""

from __future__ import annotations

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from conftest import CONFIGS
from wavediff.data.labels import LABELS, build_labels
from wavediff.errors import ConfigError
from wavediff.models.noise import check_noise_fits
from wavediff.transforms import REPRESENTATIONS, build_representation
from wavediff.transforms.wavelets import FAMILIES

T = 64
# one configuration per shipped representation (and per wavelet family of the complex CWT)
REPRESENTATION_CONFIGS = [
    *({"kind": "complex_cwt", "num_scales": 8, "wavelet": w} for w in FAMILIES),
    {"kind": "magnitude_scalogram", "num_scales": 16, "image_size": 16, "retrieval_iters": 4},
    {"kind": "magnitude_scalogram", "num_scales": 16, "image_size": 16, "retrieval_iters": 4, "wavelet": "mexh"},
    {"kind": "returns", "num_scales": 8},
    {"kind": "multi_asset", "assets": ["a", "b"], "base": {"kind": "complex_cwt", "num_scales": 8}},
    {"kind": "bars", "fields": ["close", "open", "volume"], "base": {"kind": "complex_cwt", "num_scales": 8}},
]


def returns(n: int = 32, seed: int = 0, config: dict | None = None) -> torch.Tensor:
    """Windows ``(n, T)``, or ``(n, A, T)`` for a multi-asset (or bar) ``config``."""
    generator = torch.Generator().manual_seed(seed)
    stacked = config and (config.get("assets") or config.get("fields"))
    assets = (len(stacked),) if stacked else ()
    return 1e-3 * torch.randn(n, *assets, T, generator=generator)


def test_every_registered_representation_is_covered():
    covered = {c["kind"] for c in REPRESENTATION_CONFIGS}
    assert covered == {k for k in REPRESENTATIONS if k != "seed_scalogram"}  # the old name of one of them


@pytest.mark.parametrize("config", REPRESENTATION_CONFIGS, ids=lambda c: f"{c['kind']}-{c.get('wavelet', '')}")
def test_representation_contract(config):
    rep = build_representation({**config, "window_size": T}).fit(returns(config=config), start_price=10.0)
    x = returns(4, seed=1, config=config)
    images = rep.encode(x)
    assert images.shape == (4, *rep.image_shape) and images.dtype == torch.float32
    back = rep.decode(images)
    assert back.shape == x.shape and torch.isfinite(back).all()
    if rep.has_range:  # linear transforms invert exactly and project onto their own range
        assert float((back - x).norm() / x.norm()) < 1e-3
        assert float(rep.reprojection_error(images).max()) < 1e-4
        noise = rep.range_noise(8, torch.Generator().manual_seed(0))
        assert noise.shape == (8, *rep.image_shape)
        assert float(rep.reprojection_error(noise).max()) < 1e-4
    assert rep.project(images).shape == images.shape
    assert rep.magnitude(images).shape[0] == 4 and len(rep.row_labels()) == rep.magnitude(images).shape[1]
    prices = rep.prices(x)  # bars: the close path
    assert prices.shape == ((len(x), T + 1) if config["kind"] == "bars" else (*x.shape[:-1], T + 1))
    assert prices.shape[-1] == T + 1 and torch.allclose(prices[..., 0].double(), torch.tensor(10.0).double())
    # config() + state_dict rebuild the same object (what a checkpoint stores)
    rebuilt = build_representation(rep.config())
    rebuilt.load_state_dict(rep.state_dict())
    assert torch.allclose(rebuilt.encode(x), images, atol=1e-6)


@pytest.mark.parametrize("config", REPRESENTATION_CONFIGS[:1] + REPRESENTATION_CONFIGS[-2:],
                         ids=lambda c: c["kind"])
def test_representation_refuses_bad_arguments_in_one_line(config):
    with pytest.raises(ConfigError, match="data.transform"):
        build_representation({**config, "window_size": T, "num_scales": 1})


@pytest.mark.parametrize("kind", sorted(LABELS))
def test_labeler_contract(kind):
    labeler = build_labels(kind)
    x = returns(60)
    jumps = (torch.rand(60, T, generator=torch.Generator().manual_seed(0)) < 0.01).float()
    labeler.fit(x, jumps)
    labels = labeler.assign(x, jumps)
    assert labels.shape == (60,) and labels.dtype == torch.long
    assert 0 <= int(labels.min()) and int(labels.max()) < labeler.num_classes
    assert len(labeler.class_names) == labeler.num_classes
    assert float(labeler.frequencies.sum()) == pytest.approx(1.0)
    rebuilt = build_labels(labeler.config())
    rebuilt.load_state_dict(labeler.state_dict())  # fitted state lives in buffers
    assert torch.equal(rebuilt.assign(x, jumps), labels)
    with pytest.raises(ConfigError):
        build_labels({"kind": kind, "num_classes": 1})


NOISES = sorted(p.stem for p in (CONFIGS / "model" / "noise").glob("*.yaml"))


@pytest.mark.parametrize("name", NOISES)
def test_noise_contract(name):
    noise = instantiate(OmegaConf.load(CONFIGS / "model" / "noise" / f"{name}.yaml"))
    for config in (REPRESENTATION_CONFIGS[0], REPRESENTATION_CONFIGS[3]):  # linear and not
        rep = build_representation({**config, "window_size": T}).fit(returns(), start_price=1.0)
        if noise.needs_range and not rep.has_range:
            with pytest.raises(ConfigError, match="model/noise"):
                check_noise_fits(noise, rep)
            continue
        a = noise.sample(256, rep, torch.Generator().manual_seed(0))
        b = noise.sample(256, rep, torch.Generator().manual_seed(0))
        assert a.shape == (256, *rep.image_shape) and a.device == rep.device
        assert torch.equal(a, b)  # the generator decides everything
        assert float(a.pow(2).mean()) == pytest.approx(1.0, rel=0.1)  # unit mean pixel variance
