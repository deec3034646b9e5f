"""The seed-compatible baseline representation (transform=magnitude_scalogram)."""

from __future__ import annotations

import pytest
import torch

from conftest import run_script
from wavediff.errors import ConfigError
from wavediff.transforms import build_representation
from wavediff.transforms.representation import WaveletRepresentation
from wavediff.transforms.magnitude_scalogram import MagnitudeScalogram


@pytest.fixture
def fitted() -> tuple[MagnitudeScalogram, torch.Tensor]:
    torch.manual_seed(0)
    train = 1e-3 * torch.randn(64, 128)
    rep = MagnitudeScalogram(window_size=128, num_scales=32, image_size=32).fit(train, start_price=50.0)
    return rep, 1e-3 * torch.randn(16, 128)


def test_encode_is_a_min_max_scaled_square_magnitude_without_sign_or_level(fitted):
    rep, x = fitted
    img = rep.encode(x)
    assert img.shape == (16, 1, 32, 32) == (16, *rep.image_shape)
    assert img.min() >= -1 - 1e-6 and img.max() <= 1 + 1e-6
    # What the seed's representation cannot see: the sign of the series and its volatility level.
    assert torch.allclose(rep.encode(-x), img, atol=1e-5)
    assert torch.allclose(rep.encode(7.0 * x), img, atol=1e-5)


def test_decode_retrieves_series_with_the_training_level(fitted):
    rep, x = fitted
    y = rep.decode(rep.encode(x))
    assert y.shape == x.shape and torch.isfinite(y).all()
    ratio = float(y.std() / x.std())
    assert 0.3 < ratio < 1.5  # level from the median training range, not the window's own
    # Sign retrieval makes the magnitudes consistent: re-encoding lands near the input image.
    random_signs = rep.synthesize(rep.unscaled_magnitude(rep.encode(x)) * torch.sign(torch.randn(16, 32, 128)))
    assert rep.reprojection_error(rep.encode(x)).mean() < \
        (rep.encode(random_signs) - rep.encode(x)).flatten(1).norm(dim=1).mean() / rep.encode(x).flatten(1).norm(dim=1).mean()


def test_build_representation_dispatches_on_kind_and_round_trips_config(fitted):
    rep, _ = fitted
    again = build_representation(rep.config())
    again.load_state_dict(rep.state_dict())
    assert isinstance(again, MagnitudeScalogram) and torch.equal(again.magnitude_range, rep.magnitude_range)
    old = build_representation({"window_size": 64, "num_scales": 8})  # checkpoints from before `kind`
    assert isinstance(old, WaveletRepresentation) and old.config()["kind"] == "complex_cwt"
    with pytest.raises(ConfigError, match="data.transform.kind='nope'"):
        build_representation({"kind": "nope", "window_size": 64})
    with pytest.raises(ConfigError, match="magnitude_scalogram"):
        build_representation({"kind": "magnitude_scalogram", "window_size": 64, "omega0": 6.0})


# slow: the seed-like baseline's end-to-end run; its transform is tested in-process above
@pytest.mark.slow
def test_magnitude_baseline_trains_samples_and_generates(tmp_path):
    proc = run_script("train.py", "experiment=smoke", "transform=magnitude_scalogram", f"paths.output_root={tmp_path}",
                      cwd=tmp_path)
    assert proc.returncode != 0 and "model/noise=range draws images of series, which needs a linear transform" in proc.stderr
    base = ["experiment=smoke", "transform=magnitude_scalogram", "model/noise=white", "data.transform.num_scales=16",
            "data.transform.image_size=16", f"paths.output_root={tmp_path}"]
    proc = run_script("train.py", *base, cwd=tmp_path, check=True)
    assert "train run 1 finished" in proc.stdout
    run_script("generate.py", "checkpoint=1", "n=2", "sampler=ddim", "sampler.steps=2",
               f"paths.output_root={tmp_path}", f"output_path={tmp_path / 'g.png'}", cwd=tmp_path, check=True)
    import numpy as np

    with np.load(tmp_path / "g.npz") as npz:
        assert npz["returns"].shape == (2, 64) and npz["images"].shape == (2, 1, 16, 16)
        assert np.isfinite(npz["returns"]).all()
    proc = run_script("train.py", *base, "data.transform.image_size=9", cwd=tmp_path)
    assert proc.returncode != 0 and "image height 9 (data.transform.num_scales or image_size): must be a multiple of 4" in proc.stderr


@pytest.mark.parametrize("wavelet", ["morl", "mexh"])
def test_real_wavelet_bank_matches_pywt_away_from_the_edges(wavelet):
    import numpy as np
    import pywt

    rng = np.random.default_rng(0)
    x = rng.standard_normal(256)
    scales = np.arange(1, 17)
    theirs, _ = pywt.cwt(x, scales, wavelet, method="fft")
    rep = MagnitudeScalogram(window_size=256, num_scales=16, image_size=16, wavelet=wavelet)
    ours = rep.coefficients(torch.from_numpy(x)[None])[0].double().numpy()
    inner = slice(64, 192)  # pywt pads differently; the middle of the window agrees
    # pywt samples the wavelet on a grid, which aliases at the finest scales: compare from scale 8
    corr = [np.corrcoef(ours[i, inner], theirs[i, inner])[0, 1] for i in range(7, 16)]
    assert min(corr) > 0.95


def test_unknown_real_wavelet_is_one_line():
    with pytest.raises(ConfigError, match="morl, mexh"):
        build_representation({"kind": "magnitude_scalogram", "window_size": 64, "wavelet": "haar"})
