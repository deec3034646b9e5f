"""Tail maps (``data.transform.tails``): fits against known answers, exact inverses, checkpoints."""

import numpy as np
import pytest
import torch
from scipy.special import lambertw
from scipy.stats import kurtosis, skew

from wavediff.transforms import build_representation
from wavediff.transforms.representation import WaveletRepresentation
from wavediff.transforms.tails import LambertWTails, QuantileTails, lambert_w0


def test_lambert_w0_matches_scipy():
    x = torch.tensor([0.0, 1e-10, 0.3, 1.0, 7.5, 1e3, 1e8], dtype=torch.float64)
    np.testing.assert_allclose(lambert_w0(x).numpy(), lambertw(x.numpy()).real, rtol=1e-13, atol=1e-15)


def test_lambert_w_fit_recovers_the_law_it_is_given():
    u = torch.randn(30_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    delta = torch.where(u < 0, 0.3, 0.1)  # heavier left tail: negative skew
    z = 0.2 + 1.5 * u * torch.exp(0.5 * delta * u * u)
    tails = LambertWTails().fit(z)
    assert abs(float(tails.loc) - 0.2) < 0.02 and abs(float(tails.scale) - 1.5) < 0.02
    np.testing.assert_allclose(tails.delta.numpy(), [0.3, 0.1], atol=0.015)
    latent = tails.gaussianize(z)
    assert float((latent - u).abs().max()) < 0.1  # the latent Gaussian comes back
    assert float((tails.heavy(latent) - z).abs().max()) < 1e-9  # exact inverse


def test_quantile_tails_map_a_gaussian_back_to_the_training_marginal():
    rng = np.random.default_rng(0)
    jumps = rng.binomial(1, 0.004, 200_000) * rng.normal(-8, 6, 200_000)  # rare large jumps
    z = torch.from_numpy(rng.standard_normal(200_000) + jumps)
    tails = QuantileTails().fit(z)
    latent = tails.gaussianize(z)
    assert abs(float(kurtosis(latent.numpy()))) < 0.05 and abs(float(skew(latent.numpy()))) < 0.05
    assert float((tails.heavy(latent) - z).abs().max()) < 1e-9  # exact on the training range
    assert float(latent.abs().max()) < 4.6  # Phi^-1(1 - 1 / (2n)) for n = 200,000 is 4.56
    fresh = tails.heavy(torch.randn(400_000, generator=torch.Generator().manual_seed(1), dtype=torch.float64))
    assert abs(kurtosis(fresh.numpy()) - kurtosis(z.numpy())) < 0.15 * kurtosis(z.numpy())
    assert abs(skew(fresh.numpy()) - skew(z.numpy())) < 0.15 * abs(skew(z.numpy()))
    assert float(fresh.min()) >= float(z.min()) and float(fresh.max()) <= float(z.max())  # clipped range


@pytest.mark.parametrize("tails", ["lambert_w", "quantile"])
def test_tail_maps_round_trip_through_the_representation_and_a_checkpoint(tails):
    rng = np.random.default_rng(0)
    returns = torch.from_numpy(rng.standard_t(df=2.5, size=(64, 128))).float() * 1e-3
    rep = WaveletRepresentation(128, 16, tails=tails).fit(returns, start_price=1.0)
    back = rep.decode(rep.encode(returns))
    assert float((back - returns).norm() / returns.norm()) < 1e-4
    assert rep.config()["tails"] == tails
    rebuilt = build_representation(rep.config())
    rebuilt.load_state_dict(rep.state_dict())
    torch.testing.assert_close(rebuilt.decode(rep.encode(returns)), back)
    # an overshooting sample cannot decode beyond 1.25x the most extreme training return
    huge = rep.decode(100 * rep.encode(returns[:2]))
    assert torch.isfinite(huge).all() and float(huge.abs().max()) <= 1.3 * float(returns.abs().max()) + 1e-6


def test_unknown_tails_and_old_tail_scale_configs():
    with pytest.raises(ValueError, match="tails must be one of"):
        WaveletRepresentation(64, 8, tails="box_cox")
    assert WaveletRepresentation(64, 8, tail_scale=2.0).config()["tails"] == "asinh"  # before `tails` existed
    assert WaveletRepresentation(64, 8, tails="asinh").tail_scale == 1.0
