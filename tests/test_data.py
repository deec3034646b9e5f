import numpy as np
import pandas as pd
import pytest
import torch

from wavediff.data.datamodule import WaveletDataModule
from wavediff.data.mjd import MINUTES_PER_YEAR, MJDParams, simulate_mjd_log_returns
from wavediff.data.mjd import MJDSource
from wavediff.data.sources import PriceData
from wavediff.data.windows import sliding_windows, time_split
from wavediff.errors import DataError


def test_mjd_log_return_moments_match_closed_form():
    params = MJDParams(mu=0.05, sigma=0.2, lam=2000.0, jump_mean=-0.001, jump_std=0.003)
    dt = 1 / MINUTES_PER_YEAR
    n = 2_000_000
    r = simulate_mjd_log_returns(params, n, dt, np.random.default_rng(0))
    var = params.log_return_var(dt)
    # Standard error of the mean is sqrt(var / n); of the variance about var * sqrt((kurt + 2) / n).
    assert abs(r.mean() - params.log_return_mean(dt)) < 5 * np.sqrt(var / n)
    assert r.var() == pytest.approx(var, rel=0.03)
    assert ((r - r.mean()) ** 4).mean() / r.var() ** 2 - 3 > 1.0  # jumps give fat tails


def test_mjd_reproducible_by_seed():
    a = MJDSource(days=1, seed=3).load().bars
    b = MJDSource(days=1, seed=3).load().bars
    c = MJDSource(days=1, seed=4).load().bars
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["close"], c["close"])


def test_ohlcv_bars_are_consistent():
    bars = MJDSource(days=2, lam=5000.0, jump_mean=-0.001, jump_std=0.003).load().bars
    assert len(bars) == 2 * 1440
    assert list(bars.columns) == ["timestamp", "open", "high", "low", "close", "volume", "jumps"]
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["volume"] > 0).all()
    assert np.allclose(bars["open"].iloc[1:].to_numpy(), bars["close"].iloc[:-1].to_numpy())
    assert bars["timestamp"].iloc[0] == pd.Timestamp("2022-01-01")
    assert (bars["timestamp"].diff().dropna() == pd.Timedelta(minutes=1)).all()


def test_time_split_keeps_a_window_gap_and_order():
    parts = time_split(1000, {"train": 0.8, "val": 0.1, "test": 0.1}, gap=50, min_len=50)
    assert parts["train"].start == 0
    assert parts["val"].start - parts["train"].stop == 50
    assert parts["test"].start - parts["val"].stop == 50
    assert parts["test"].stop <= 1000


def test_too_short_series_names_what_is_needed():
    with pytest.raises(DataError, match=r"need at least \d+"):
        time_split(300, {"train": 0.8, "val": 0.1, "test": 0.1}, gap=256, min_len=256)


def test_sliding_windows():
    w = sliding_windows(np.arange(10.0), 4, 3)
    assert w.tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]


class ArraySource:
    """Prices whose returns are their own index, so windows reveal where they came from."""

    def __init__(self, n: int) -> None:
        self.n = n

    def load(self) -> PriceData:
        returns = np.arange(self.n, dtype=np.float64) * 1e-6
        close = 100 * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))
        return PriceData(bars=pd.DataFrame({"close": close}), source="array")


def test_no_window_crosses_a_split_and_scaler_sees_train_only():
    dm = WaveletDataModule(ArraySource(3000), window_size=64, stride=16,
                           splits={"train": 0.6, "val": 0.2, "test": 0.2}, transform={"num_scales": 8})
    dm.setup()
    index = {k: torch.round(v.double() * 1e6).long() for k, v in dm.windows.items()}
    for name, idx in index.items():
        assert (idx[:, 1:] - idx[:, :-1] == 1).all(), name  # contiguous inside a window
    assert index["train"].max() + 64 <= index["val"].min()
    assert index["val"].max() + 64 <= index["test"].min()
    train = dm.windows["train"].double()
    scaler = dm.representation.return_scaler
    assert float(scaler.mean) == pytest.approx(float(train.mean()), rel=1e-6)
    everything = torch.cat(list(dm.windows.values())).double()
    assert abs(float(scaler.mean) - float(everything.mean())) > 1e-4
    assert dm.images["train"].shape[1:] == (2, 8, 64)
    # Normalised training images have zero mean and unit std per (channel, scale) row.
    per_row_std = dm.images["train"].transpose(0, 1).transpose(1, 2).flatten(2).std(-1)
    assert torch.allclose(per_row_std, torch.ones_like(per_row_std), atol=1e-3)
    # Paths start at the last price of the training part: after the last train window, before val.
    log_growth = np.log(float(dm.representation.start_price) / 100) * 1e6  # = k (k - 1) / 2
    k = int(round((1 + np.sqrt(1 + 8 * log_growth)) / 2))
    assert index["train"].max() + 1 <= k <= index["val"].min() - 64


def test_window_longer_than_series_is_a_clear_error():
    dm = WaveletDataModule(MJDSource(days=0.1), window_size=256, transform={"num_scales": 8})
    with pytest.raises(DataError, match="too short for window_size=256"):
        dm.setup()


def test_disk_cache_hit_and_invalidation(tmp_path):
    def build(**source_kwargs):
        dm = WaveletDataModule(MJDSource(days=1, **source_kwargs), window_size=64, stride=32,
                               transform={"num_scales": 8}, cache_dir=str(tmp_path))
        dm.setup()
        return dm

    cold = build(sigma=0.2)
    assert cold.cache_hit is False and len(list(tmp_path.glob("data-*.pt"))) == 1
    warm = build(sigma=0.2)
    assert warm.cache_hit is True
    for split in cold.images:
        assert torch.equal(cold.images[split], warm.images[split])
        assert torch.equal(cold.windows[split], warm.windows[split])
    assert torch.equal(cold.representation.image_scaler.std, warm.representation.image_scaler.std)
    assert float(warm.representation.start_price) == float(cold.representation.start_price)
    assert warm.describe() == cold.describe()
    changed = build(sigma=0.3)  # a data parameter changed: a new entry, not the old one
    assert changed.cache_hit is False and len(list(tmp_path.glob("data-*.pt"))) == 2


def test_damaged_cache_is_rebuilt(tmp_path):
    dm = WaveletDataModule(MJDSource(days=1), window_size=64, stride=32, transform={"num_scales": 8},
                           cache_dir=str(tmp_path))
    path = dm.cache_path()
    path.write_bytes(b"not a torch file")
    dm.setup()
    assert dm.cache_hit is False and len(dm.windows["train"]) > 0
    assert torch.load(path, weights_only=True)["windows"]["train"].shape == dm.windows["train"].shape
