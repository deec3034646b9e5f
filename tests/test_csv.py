"""Real-data path: CSV files written by the tests, each bad input, several tickers, small daily data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import compose_config, run_script
from wavediff.data.csv import CSVSource
from wavediff.data.datamodule import WaveletDataModule
from wavediff.errors import DataError


def daily_frame(n: int = 800, start_price: float = 100.0, seed: int = 0, start: str = "2015-01-01") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = start_price * np.exp(np.cumsum(rng.normal(0.0003, 0.012, n)))
    return pd.DataFrame({
        "Date": pd.bdate_range(start, periods=n).strftime("%Y-%m-%d"),
        "Open": close * 0.999, "High": close * 1.01, "Low": close * 0.99, "Close": close,
        "Adj Close": close * 0.5, "Volume": rng.integers(1_000, 10_000, n),
    })


def write(tmp_path, frame: pd.DataFrame, name: str = "prices.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_reads_adjusted_close_by_default_and_close_on_request(tmp_path):
    frame = daily_frame(50)
    path = write(tmp_path, frame)
    data = CSVSource(str(path)).load()
    assert np.allclose(data.bars["close"], frame["Adj Close"])
    assert np.allclose(CSVSource(str(path), price_column="close").load().bars["close"], frame["Close"])
    lower = write(tmp_path, frame.drop(columns="Adj Close").rename(columns=str.lower), "lower.csv")
    assert np.allclose(CSVSource(str(lower)).load().bars["close"], frame["Close"])


def test_cleaning_sorts_drops_duplicates_and_applies_missing_policy(tmp_path):
    frame = daily_frame(30)
    frame.loc[5, "Adj Close"] = np.nan
    messy = pd.concat([frame.iloc[::-1], frame.iloc[[10]]])  # reversed order + one duplicate timestamp
    path = write(tmp_path, messy)
    dropped = CSVSource(str(path)).load()
    assert dropped.bars["timestamp"].is_monotonic_increasing
    assert len(dropped.bars) == 29
    assert dropped.params["cleaning"]["prices.csv"] == {"rows": 29, "duplicates_dropped": 1, "missing_dropped": 1}
    filled = CSVSource(str(path), missing="ffill").load()
    assert len(filled.bars) == 30
    assert filled.bars["close"].iloc[5] == pytest.approx(frame["Adj Close"].iloc[4])


@pytest.mark.parametrize("mutate,message", [
    (lambda f: f.drop(columns=["Close", "Adj Close"]), "no usable price column"),
    (lambda f: f.assign(**{"Adj Close": f["Adj Close"].astype(object).where(f.index != 3, "12,5x")}),
     "non-numeric price '12,5x' in column 'Adj Close' (row 5)"),
    (lambda f: f.assign(**{"Adj Close": f["Adj Close"].where(f.index != 7, -1.0)}),
     "non-positive price -1.0 in column 'Adj Close' (row 9)"),
    (lambda f: f.assign(Date=f["Date"].where(f.index != 2, "yesterday")), "unparseable date 'yesterday'"),
    (lambda f: f.drop(columns=["Date"]), "no date/time column"),
])
def test_bad_csv_is_a_one_line_error_naming_the_file(tmp_path, mutate, message):
    path = write(tmp_path, mutate(daily_frame(40)))
    with pytest.raises(DataError) as info:
        CSVSource(str(path)).load()
    assert str(path) in str(info.value) and message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_and_empty_glob(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        CSVSource(str(tmp_path / "nope.csv")).load()
    with pytest.raises(DataError, match="no file matches"):
        CSVSource(str(tmp_path / "*.csv")).load()


def test_too_few_rows_says_how_many_are_needed(tmp_path):
    path = write(tmp_path, daily_frame(100))
    dm = WaveletDataModule.from_csv(str(path), window_size=64, transform={"num_scales": 8})
    with pytest.raises(DataError, match=r"prices.csv: series of 99 returns is too short .* need at least \d+"):
        dm.setup()


def test_several_tickers_and_files_never_share_a_window(tmp_path):
    a, b = daily_frame(600, 100.0, seed=1), daily_frame(500, 5000.0, seed=2)
    both = pd.concat([a.assign(Ticker="AAA"), b.assign(Ticker="BBB")]).sample(frac=1, random_state=0)
    path = write(tmp_path, both, "two.csv")
    write(tmp_path, daily_frame(400, 20.0, seed=3), "third.csv")
    dm = WaveletDataModule.from_csv([str(path), str(tmp_path / "third.csv")], window_size=32, stride=4,
                                    transform={"num_scales": 8})
    dm.setup()
    assert dm.price_data.params["series"] == ["two.csv:AAA", "two.csv:BBB", "third.csv"]
    singles = 0
    for frame in (a, b, daily_frame(400, 20.0, seed=3)):
        one = tmp_path / "one.csv"
        frame.to_csv(one, index=False)
        single = WaveletDataModule.from_csv(str(one), window_size=32, stride=4, transform={"num_scales": 8})
        single.setup()
        singles += len(single.windows["train"])
    assert len(dm.windows["train"]) == singles
    # A window spanning two tickers would hold a log return of about log(5000/100) = 3.9.
    assert float(torch_abs_max(dm)) < 0.2


def torch_abs_max(dm: WaveletDataModule) -> float:
    return max(float(w.abs().max()) for w in dm.windows.values())


def test_split_dates(tmp_path):
    path = write(tmp_path, daily_frame(800, start="2015-01-01"))
    dm = WaveletDataModule.from_csv(str(path), window_size=32, stride=8, transform={"num_scales": 8},
                                    split_dates={"val": "2017-01-01", "test": "2017-07-01"})
    dm.setup()
    assert set(dm.windows) == {"train", "val", "test"}
    # Business days from 2015-01-01 to 2016-12-31 are 522: train windows lie before them.
    n_train = len(np.arange(0, 522 - 1 - 32 + 1, 8))
    assert len(dm.windows["train"]) == n_train


def test_daily_csv_trains_with_small_window(tmp_path):
    path = write(tmp_path, daily_frame(1200))
    out = tmp_path / "out"
    proc = run_script("train.py", "data=csv", f"data.path={path}", "data.window_size=64",
                      "model=unet_tiny", "trainer.max_epochs=1", "trainer.limit_train_batches=3",
                      "trainer.limit_val_batches=1", "model.noise_scheduler.num_train_timesteps=50",
                      "sampler.steps=3", "callbacks.sampling.num_samples=2", f"paths.output_root={out}",
                      cwd=tmp_path, check=True)
    assert "train run 1 finished" in proc.stdout
    assert list(out.glob("train/runs/*/samples/epoch_000/samples.npz"))


def test_csv_without_path_is_one_line(tmp_path):
    proc = run_script("train.py", "data=csv", f"paths.output_root={tmp_path}", cwd=tmp_path)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1] == "error: data.path: missing value; set it, e.g. data.path=..."


def test_csv_config_composes(tmp_path):
    cfg = compose_config("train", ["data=csv", "data.path=x.csv", f"paths.output_root={tmp_path}"], tmp_path / "r")
    assert cfg.data.window_size == 64 and cfg.data.missing == "drop"


@pytest.mark.slow  # three real processes (~30 s); the same steps run in-process in the fast suite
def test_own_data_end_to_end_in_real_processes(tmp_path):
    """docs/guides/own-data.md, shrunk, as separate processes: CSV -> train -> generate -> evaluate."""
    csv = tmp_path / "data" / "my_prices.csv"
    run_script("simulate.py", "--model", "garch", "--days", "2", "--out", str(csv),  # in-process: the CSV is input
               "--registry-url", f"sqlite:///{tmp_path}/outputs/wavediff.db", cwd=tmp_path, check=True)
    run_script("train.py", "data=csv", f"data.path={csv}", "data.window_size=64", "data.stride=16",
               "model=unet_tiny", "trainer.max_epochs=1", "trainer.limit_train_batches=2",
               "trainer.limit_val_batches=1", "model.noise_scheduler.num_train_timesteps=20",
               "sampler.steps=2", "callbacks.sampling.num_samples=2", cwd=tmp_path, check=True, process=True)
    run_script("generate.py", "checkpoint=1", "n=4", "sampler.steps=2", "output_path=outputs/my_prices.png",
               cwd=tmp_path, check=True, process=True)
    with np.load(tmp_path / "outputs" / "my_prices.npz") as npz:
        assert npz["prices"].shape == (4, 65) and (npz["prices"] > 0).all()
        # Paths start at the last price of the training part of the CSV.
        bars = pd.read_csv(csv)
        assert bars["close"].min() <= npz["prices"][0, 0] <= bars["close"].max()
    proc = run_script("evaluate.py", "run=outputs/my_prices.npz", "floor_draws=2", "max_lag=5",
                      cwd=tmp_path, check=True, process=True)
    handoff = json.loads(proc.stdout.strip().splitlines()[-1])
    assert handoff["job"] == "evaluate" and handoff["train_run_id"] == 1
    assert Path(handoff["report_md"]).is_file() and "ks" in Path(handoff["report_md"]).read_text().lower()


def test_cache_follows_the_file(tmp_path):
    import os

    path = write(tmp_path, daily_frame(900))

    def build():
        dm = WaveletDataModule.from_csv(str(path), window_size=64, transform={"num_scales": 8},
                                        cache_dir=str(tmp_path / "cache"))
        dm.setup()
        return dm

    assert build().cache_hit is False and build().cache_hit is True
    write(tmp_path, daily_frame(900, seed=9))  # same name, new content
    os.utime(path, ns=(1, 1))  # and a different stamp, whatever the clock's resolution
    assert build().cache_hit is False
