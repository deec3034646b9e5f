import numpy as np
import pytest
import torch

from wavediff.data.mjd import MINUTES_PER_YEAR, MJDParams, simulate_mjd_log_returns
from wavediff.transforms.cwt import AnalyticCWT, filter_bank


def nrmse(estimate: torch.Tensor, target: torch.Tensor) -> float:
    """Root-mean-square error divided by the target's standard deviation."""
    return float((estimate - target).pow(2).mean().sqrt() / target.std())


WAVELETS = ["morlet", "paul", "paul2", "paul8", "dog", "dog1", "dog6"]


@pytest.mark.parametrize("wavelet", WAVELETS)
@pytest.mark.parametrize("window,scales", [(256, 32), (64, 16), (128, 8)])
def test_round_trip_random_windows_float32(window, scales, wavelet):
    cwt = AnalyticCWT(window, scales, wavelet=wavelet)
    torch.manual_seed(0)
    x = torch.randn(64, window) * 3.0 + 5.0  # nonzero mean must survive too
    images = cwt(x)
    assert images.shape == (64, 2, scales, window) and images.dtype == torch.float32
    assert nrmse(cwt.inverse(images), x) <= 1e-4


def test_round_trip_mjd_windows():
    params = MJDParams(lam=2000.0, jump_mean=-0.001, jump_std=0.003)
    returns = simulate_mjd_log_returns(params, 256 * 40, 1 / MINUTES_PER_YEAR, np.random.default_rng(1))
    x = torch.from_numpy(returns.reshape(40, 256)).float()
    cwt = AnalyticCWT(256, 32)
    assert nrmse(cwt.inverse(cwt(x)), x) <= 1e-4


@pytest.mark.parametrize("wavelet", WAVELETS)
def test_every_family_peaks_where_its_scale_says(wavelet):
    from wavediff.transforms.wavelets import AnalyticWavelet

    family = AnalyticWavelet.parse(wavelet)
    x = torch.linspace(0.01, 40, 40_000, dtype=torch.float64)
    response = family.spectrum(x)
    assert float(response.max()) == pytest.approx(1.0, abs=1e-6)
    assert float(x[response.argmax()]) == pytest.approx(family.centre, abs=1e-2)
    assert float(family.spectrum(torch.zeros(1, dtype=torch.float64))) == 0.0 or family.name == "morlet"


def test_families_differ_and_keep_the_default_bank():
    morlet = filter_bank(128, 16)
    assert torch.equal(morlet, filter_bank(128, 16, None))
    for other in ("paul", "dog"):
        assert not torch.allclose(AnalyticCWT(128, 16, wavelet=other).filters, AnalyticCWT(128, 16).filters)
    # Paul is sharper in time than Morlet: a jump's energy stays within fewer bars of it.
    x = torch.zeros(1, 128)
    x[0, 64] = 1.0
    def bars_above_tenth(wavelet: str) -> int:
        cwt = AnalyticCWT(128, 16, wavelet=wavelet)
        row = cwt.magnitude(cwt(x))[0, 8]
        return int((row > 0.1 * row.max()).sum())

    spread = {w: bars_above_tenth(w) for w in ("morlet", "paul")}
    assert spread["paul"] < spread["morlet"]


@pytest.mark.parametrize("bad, message", [("haar", "wavelet must be one of"), ("paul0", "integer >= 1"),
                                          ("morlet3", "order applies to paul and dog")])
def test_bad_wavelets_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        AnalyticCWT(64, 8, wavelet=bad)


def test_sign_changes_image():
    cwt = AnalyticCWT(128, 16)
    x = torch.randn(4, 128)
    # A magnitude scalogram would be identical for x and -x; the complex image flips sign.
    assert torch.allclose(cwt(-x), -cwt(x), atol=1e-6)
    assert (cwt(x) - cwt(-x)).abs().max() > 1.0
    assert torch.allclose(cwt.magnitude(cwt(x)), cwt.magnitude(cwt(-x)), atol=1e-5)


def test_projection_is_idempotent_and_fixes_real_images():
    cwt = AnalyticCWT(128, 16)
    noise = torch.randn(8, 2, 16, 128)
    projected = cwt.project(noise)
    assert (projected - noise).norm() / noise.norm() > 0.5  # random arrays are far from the range
    assert (cwt.project(projected) - projected).norm() / projected.norm() < 1e-5
    real = cwt(torch.randn(8, 128))
    assert (cwt.project(real) - real).norm() / real.norm() < 1e-5


def test_batched_equals_one_window_at_a_time():
    cwt = AnalyticCWT(64, 8)
    x = torch.randn(5, 64)
    one_by_one = torch.cat([cwt(x[i : i + 1]) for i in range(5)])
    assert torch.allclose(cwt(x), one_by_one, atol=1e-6)


def test_filter_bank_covers_dc_to_nyquist():
    bank = filter_bank(256, 32)
    energy = (bank**2).sum(0)
    assert bank.shape == (32, 129)
    assert float(energy.min()) > 0.3 and float(energy.max()) <= 1.0 + 1e-9
    assert float(bank[-1, 0]) == pytest.approx(1.0)  # the low-pass row keeps the mean
    assert float(bank[:-1, 0].abs().max()) == 0.0  # wavelets have no DC


def test_bad_shapes_are_reported():
    cwt = AnalyticCWT(64, 8)
    with pytest.raises(ValueError, match="length 64"):
        cwt(torch.randn(2, 32))
    with pytest.raises(ValueError, match="num_scales"):
        AnalyticCWT(64, 1)


def test_tail_compression_round_trips_and_lightens_image_tails():
    from wavediff.transforms.representation import WaveletRepresentation

    rng = np.random.default_rng(0)
    returns = torch.from_numpy(rng.standard_t(df=2.5, size=(64, 128))).float() * 1e-3  # heavy tails
    plain = WaveletRepresentation(128, 16).fit(returns, start_price=1.0)
    compressed = WaveletRepresentation(128, 16, tail_scale=1.0).fit(returns, start_price=1.0)
    for rep in (plain, compressed):
        back = rep.decode(rep.encode(returns))
        assert float((back - returns).norm() / returns.norm()) < 1e-4
    assert compressed.encode(returns).abs().max() < 0.6 * plain.encode(returns).abs().max()
    # Decoding clips at 1.25x the largest compressed training value instead of exploding.
    huge = compressed.decode(100 * compressed.encode(returns[:2]))
    assert torch.isfinite(huge).all()
    scaler = compressed.return_scaler
    bound = float(np.sinh(float(compressed.tail_limit)) * scaler.std + scaler.mean.abs())
    assert float(huge.abs().max()) <= bound * (1 + 1e-5)
    with pytest.raises(ValueError, match="tail_scale"):
        WaveletRepresentation(128, 16, tail_scale=0.0)


def test_checkpoints_from_before_tail_compression_still_load():
    from wavediff.transforms.representation import WaveletRepresentation

    returns = torch.randn(8, 64) * 1e-3
    old = WaveletRepresentation(64, 8).fit(returns, start_price=1.0).state_dict()
    del old["tail_limit"]
    rep = WaveletRepresentation(64, 8)
    rep.load_state_dict(old)
    assert torch.isinf(rep.tail_limit) and torch.allclose(rep.decode(rep.encode(returns)), returns, atol=1e-6)
