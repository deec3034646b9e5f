"""OHLCV bars as channels (data.fields): exact round trip, every decoded latent a valid bar,
one-line errors, close-only bit-identical; the protocol's GRU scores against known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from wavediff.transforms.bars import bar_channels, bars_from_channels, check_fields, check_valid_bars, valid_bars
from wavediff.data.csv import CSVSource
from wavediff.data.datamodule import WaveletDataModule, label_returns
from wavediff.errors import ConfigError, DataError
from wavediff.metrics.gru_scores import gru_discriminative_score, gru_predictive_score, minmax_scale

from conftest import STOCKS_FILE as STOCKS
ALL = ["close", "open", "high", "low", "volume"]
SMALL_CWT = {"kind": "complex_cwt", "num_scales": 8, "window_scales": False}


def ohlcv(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Bars with gaps, wicks of both signs of body and a few zero wicks (high == close)."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.r_[100.0, close[:-1]] * np.exp(rng.normal(0, 0.004, n))
    top, bottom = np.maximum(open_, close), np.minimum(open_, close)
    high = top * np.exp(np.abs(rng.normal(0, 0.005, n)) * (rng.random(n) > 0.1))
    low = bottom * np.exp(-np.abs(rng.normal(0, 0.005, n)))
    return pd.DataFrame({"Date": pd.bdate_range("2010-01-01", periods=n).strftime("%Y-%m-%d"), "Open": open_,
                         "High": high, "Low": low, "Close": close, "Volume": rng.integers(1_000, 9_000, n)})


def test_encoding_round_trips_real_bars_exactly():
    frame = pd.read_csv(STOCKS) if STOCKS.is_file() else ohlcv(3000)
    bars = {f: frame[f.capitalize()].to_numpy(np.float64) for f in ALL}
    channels = bar_channels(bars, ALL)  # (L - 1, F)
    assert channels.shape == (len(frame) - 1, 5) and channels[:, 2:4].min() >= 0
    back = bars_from_channels(channels.T[None], ALL, bars["close"][0], bars["volume"][0])
    for f in ALL:
        np.testing.assert_allclose(back[f][0], bars[f][1:], rtol=1e-9)


def test_every_decoded_latent_is_a_valid_bar():
    rng = np.random.default_rng(1)
    for fields in (ALL, ["close", "open", "high", "low"], ["close", "volume"], ["close", "open"]):
        latent = rng.standard_normal((256, len(fields), 24)) * rng.choice([0.01, 1.0, 5.0], (256, 1, 1))
        bars = bars_from_channels(latent, fields, rng.uniform(1, 1000, 256), rng.uniform(1, 1e7, 256))
        check_valid_bars(bars)
        assert set(bars) == set(fields)
    with pytest.raises(ValueError, match="below the bar's body"):
        check_valid_bars({"open": np.ones(2), "close": np.ones(2), "high": np.array([1.0, 0.9])})


@pytest.mark.parametrize("fields, message", [
    (["open", "high"], "must include close"),
    (["close", "high"], "need open"),
    (["close", "bid"], "unknown field 'bid'"),
    (["close", "close"], "named twice"),
    ("close", "a list of bar fields"),
])
def test_bad_fields_are_one_line_errors(fields, message):
    with pytest.raises(ConfigError, match=message):
        check_fields(fields)


def test_fields_come_in_channel_order():
    assert check_fields(["volume", "low", "close", "open", "high"]) == ALL
    assert check_fields(None) == ["close"]


@pytest.mark.parametrize("mutate, message", [
    (lambda f: f.drop(columns="Volume"), "asks for volume but the file has no such column"),
    (lambda f: f.assign(Volume=f["Volume"].where(f.index != 7, 0)), r"zero or negative volume 0.* \(row 9\)"),
    (lambda f: f.assign(Low=f["Low"].where(f.index != 4, f["High"] * 2)), r"high .* below low .* \(row 6\)"),
])
def test_bad_bars_are_one_line_errors_naming_the_row(tmp_path, mutate, message):
    path = tmp_path / "bars.csv"
    mutate(ohlcv(60)).to_csv(path, index=False)
    with pytest.raises(DataError, match=message):
        CSVSource(str(path), fields=ALL).load()


def test_a_high_inside_the_body_is_repaired_and_counted(tmp_path):
    frame = ohlcv(60)
    frame.loc[5, "High"] = frame.loc[5, ["Open", "Close"]].min()  # below the body's top, above the low
    path = tmp_path / "bars.csv"
    frame.to_csv(path, index=False)
    data = CSVSource(str(path), fields=ALL).load()
    assert data.params["cleaning"]["bars.csv"]["bars_repaired"] == 1
    bars = data.bars
    assert (bars["high"] >= np.maximum(bars["open"], bars["close"])).all()


def test_close_only_is_bit_identical_to_today(tmp_path):
    path = tmp_path / "bars.csv"
    ohlcv(500).to_csv(path, index=False)
    kwargs = dict(window_size=32, stride=4, transform=SMALL_CWT, cache_dir=str(tmp_path / "cache"))
    today = WaveletDataModule.from_csv(str(path), **kwargs)
    close = WaveletDataModule.from_csv(str(path), fields=["close"], **kwargs)
    assert today.cache_path() == close.cache_path()
    assert CSVSource(str(path)).cache_key() == CSVSource(str(path), fields=["close"]).cache_key()
    today.setup(), close.setup()
    for split in today.windows:
        assert torch.equal(today.windows[split], close.windows[split])
        assert torch.equal(today.images[split], close.images[split])


def test_bar_windows_encode_decode_and_stay_valid(tmp_path):
    path = tmp_path / "bars.csv"
    frame = ohlcv(500)
    frame.to_csv(path, index=False)
    dm = WaveletDataModule.from_csv(str(path), fields=["volume", "high", "low", "open", "close"],
                                    window_size=24, stride=2, transform=SMALL_CWT, condition="volatility")
    dm.setup()
    assert dm.fields == ALL and dm.bar_fields and not dm.multi_asset
    train = dm.windows["train"]
    assert train.shape[1:] == (5, 24) and dm.image_shape == (10, 8, 24)
    np.testing.assert_allclose(dm.representation.decode(dm.representation.encode(train)), train, atol=1e-5)
    starts = dm.representation.start_prices  # the last training close and volume; 1 for the bar shapes
    stop = dm.series["train"][0].shape[1]
    assert starts[0] == pytest.approx(frame["Close"].iloc[stop]) and starts[4] == pytest.approx(frame["Volume"].iloc[stop])
    assert starts[1:4] == [1.0, 1.0, 1.0]
    # volatility labels come from the close's returns, not from a mean over the bar channels
    expected = dm.labeler.assign(train[:, 0], None)
    assert torch.equal(dm.labels["train"], expected)
    noise = torch.randn(32, *dm.image_shape)
    check_valid_bars(bars_from_channels(dm.representation.decode(noise).numpy(), dm.fields, starts[0], starts[4]))


def test_sample_artifacts_of_bars_are_a_csv_the_loader_reads_back_and_candles(tmp_path):
    """What every bar sample set writes (the slow end-to-end test below goes through a model)."""
    from wavediff.sampling.artifacts import write_sample_artifacts
    from wavediff.sampling.generate import Samples

    path = tmp_path / "bars_in.csv"
    ohlcv(300).to_csv(path, index=False)
    dm = WaveletDataModule.from_csv(str(path), fields=ALL, window_size=24, stride=4, transform=SMALL_CWT)
    dm.setup()
    rep, returns = dm.representation, dm.windows["train"][:3]
    images = rep.encode(returns)
    samples = Samples(images, returns, rep.prices(returns), torch.zeros(3), 1, "real")
    art = write_sample_artifacts(samples, rep, tmp_path / "out" / "scalogram.png", real_returns=dm.windows["train"][3:])
    assert art.candles_png.stat().st_size > 0 and art.summary["n"] == 3
    back = CSVSource(str(art.bars_csv), fields=ALL).load()
    assert len(back.params["series"]) == 3 and sum(c["bars_repaired"] for c in back.params["cleaning"].values()) == 0
    check_valid_bars({f: back.bars[f].to_numpy() for f in ALL})
    assert len(back.bars) == 3 * 24  # one bar per generated return


def test_valid_bars_marks_each_broken_bar_and_agrees_with_the_check():
    one = np.ones(4)
    bars = {"close": one.copy(), "open": one.copy(), "high": np.array([1.0, 0.5, 1.0, 1.0]),
            "low": np.array([1.0, 1.0, 2.0, np.nan]), "volume": one.copy()}
    assert valid_bars(bars).tolist() == [True, False, False, False]  # high below, low above, NaN
    with pytest.raises(ValueError):
        check_valid_bars(bars)
    check_valid_bars({k: v[:1] for k, v in bars.items()})


def test_bar_windows_are_labelled_by_the_close_and_joint_windows_by_the_portfolio():
    windows = torch.arange(24.0).reshape(2, 3, 4)  # (N, C, T)
    assert torch.equal(label_returns(windows, bars=True), windows[:, 0])
    assert torch.equal(label_returns(windows), windows.mean(dim=1))
    assert torch.equal(label_returns(windows[:, 1], bars=True), windows[:, 1])  # (N, T): itself


def test_fields_with_several_assets_are_refused():
    from wavediff.data.basket import BasketSource

    with pytest.raises(ConfigError, match="not supported yet"):
        WaveletDataModule(BasketSource(days=1), fields=ALL, window_size=32, transform=SMALL_CWT)


def test_a_simulator_offers_its_bars_and_a_dateless_file_reads_in_row_order(tmp_path):
    path = tmp_path / "nodates.csv"
    ohlcv(200).drop(columns="Date").to_csv(path, index=False)
    with pytest.raises(DataError, match="time_column=row"):
        CSVSource(str(path)).load()
    bars = CSVSource(str(path), time_column="row", fields=ALL).load().bars
    assert bars["timestamp"].is_monotonic_increasing and len(bars) == 200


# --- the protocol's GRU scores -------------------------------------------------------------------

def _windows(n: int, seed: int, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(0, 0.05, (n, 16, 6)), axis=1) + 0.5 + shift
    return np.clip(walk, 0, 1)


def test_discriminative_score_is_half_for_trivially_different_data_and_small_for_one_law():
    a, b = _windows(300, 0), _windows(300, 1)
    assert gru_discriminative_score(a, _windows(300, 1, shift=0.4), steps=300, batch_size=64) > 0.45
    assert gru_discriminative_score(a, b, steps=300, batch_size=64) < 0.08


@pytest.mark.slow  # ~10 s (800 GRU steps to learn the target)
def test_predictive_score_is_the_mae_of_a_learnable_target():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.2, 0.8, (300, 12, 2))
    x[:, 1:, 1] = x[:, :-1, 0]  # the last feature is the other one, a step later: learnable
    good = gru_predictive_score(x, x, steps=800, batch_size=64)
    bad = gru_predictive_score(x, rng.uniform(0, 1, x.shape), steps=800, batch_size=64)
    assert good < 0.08 < bad  # trained on noise it predicts a constant: MAE about 0.15 here


def test_minmax_scale_matches_the_protocol():
    x = np.array([[[1.0, 10.0], [3.0, 30.0]]])
    np.testing.assert_allclose(minmax_scale(x, [1.0, 10.0], [3.0, 30.0]), [[[0, 0], [1, 1]]], atol=1e-6)


@pytest.mark.slow
@pytest.mark.skipif(not STOCKS.is_file(), reason="the Stocks file lives in ../shared/benchmarks/stocks")
def test_predictive_score_real_on_real_is_near_the_published_0036():
    data = pd.read_csv(STOCKS).to_numpy(np.float64)
    scaled = minmax_scale(data, data.min(0), data.max(0))
    windows = np.stack([scaled[i:i + 24] for i in range(len(scaled) - 23)])
    assert abs(gru_predictive_score(windows, windows) - 0.036) < 0.004


# --- end to end --------------------------------------------------------------------------------

@pytest.mark.slow  # ~30 s: train, both callbacks and an evaluation; the units below cover each part
def test_bars_train_sample_evaluate_record_and_read_back(tmp_path):
    """A smoke bar model of simulated MJD bars (all five fields) through train, the sampling and
    evaluation callbacks and ``wavediff evaluate``: per-field and bar-shape registry rows, the
    candlesticks, a bars CSV that the loader reads back as valid bars, and a baseline beside it."""
    import sqlite3

    from conftest import run_cli

    root = tmp_path / "out"
    common = [f"paths.output_root={root}"]
    ran = run_cli("train", "experiment=smoke", "data.source.days=3", f"data.fields={ALL}".replace("'", ""),
                  "callbacks.sampling.num_samples=4", *common)
    assert ran.code == 0, ran.err
    db = sqlite3.connect(root / "wavediff.db")
    (run_id,), = db.execute("select id from train_runs where status = 'finished'").fetchall()
    names = {name for (name,) in db.execute("select name from metrics")}
    # simulated bars open at the last close: the gap channel is constant, so it has no rows
    assert {"ks", "upper_wick/ks", "volume_change/std", "range_over_close_ks"} <= names and "gap/ks" not in names
    out = tmp_path / "eval"
    ran = run_cli("evaluate", f"run={run_id}", "n=8", "floor_draws=2", "max_lag=10", "sampler=ddim",
                  "sampler.steps=4", f"hydra.run.dir={out}", *common)
    assert ran.code == 0, ran.err
    report = (out / "report.md").read_text()
    assert "| bar shape | real |" in report and "ddim: upper_wick" in report and "body_share_ks" in report
    assert "Left out, constant in the real data: gap" in report
    (eval_id,), = db.execute("select max(id) from generation_runs").fetchall()
    assert db.execute("select count(*) from metrics where generation_run_id = ? and name = 'discriminative_joint'",
                      (eval_id,)).fetchone()[0] == 1
    assert (out / "candles.png").is_file() and (out / "bars.png").is_file()  # the set sampled; every set
    bars = CSVSource(str(out / "bars.csv"), fields=ALL).load()
    assert len(bars.params["series"]) == 8 and sum(c["bars_repaired"] for c in bars.params["cleaning"].values()) == 0
    check_valid_bars({f: bars.bars[f].to_numpy() for f in ALL})
    # the classical baselines beside the bar model, compared on the close
    ran = run_cli("evaluate", f"run={run_id}", "n=8", "floor_draws=2", "max_lag=10", "sampler=ddim", "sampler.steps=4",
                  "baselines=[bootstrap]", "verdict_draws=2", f"hydra.run.dir={tmp_path / 'e2'}", *common)
    assert ran.code == 0, ran.err
    report = (tmp_path / "e2" / "report.md").read_text()
    assert "bootstrap value | floor | ratio" in report and "ddim: upper_wick" in report
    assert "bootstrap: upper_wick" not in report and (tmp_path / "e2" / "bootstrap.npz").is_file()
    assert db.execute("select count(*) from generation_runs where sampler = 'baseline:bootstrap' "
                      "and status = 'finished'").fetchone()[0] == 1


def test_bar_shape_facts_match_bars_built_by_hand():
    from wavediff.metrics.bar_shapes import bar_shape_stats, bar_shapes, volume_abs_return_corr

    # every bar: open 100 -> close 101 (from a previous close of 100), high 102, low 98.5
    t = 6
    channels = np.zeros((3, 5, t))
    channels[:, 0, 0] = np.log(1.01)  # one return; then flat closes at 101 opening at 101 * exp(gap)
    bars = bars_from_channels(channels, ALL, 100.0)
    shapes = bar_shapes(channels, ALL)
    expected_range = (bars["high"] - bars["low"]) / bars["close"]
    np.testing.assert_allclose(shapes["range_over_close"], expected_range.ravel())
    assert shapes["body_share"][0] == 1.0  # no wicks: the body is the whole range
    assert shapes["body_share"][1] == 0.0  # a flat bar with no range counts as no body
    # volume that rises exactly with |r| inside each window: correlation 1
    rng = np.random.default_rng(0)
    x = np.zeros((50, 5, 20))
    x[:, 0] = rng.normal(0, 0.01, (50, 20))
    level = 3 * np.abs(x[:, 0])
    x[:, 4] = np.diff(np.concatenate([np.zeros((50, 1)), level], axis=1), axis=1)  # log volume = 3 |r|
    assert volume_abs_return_corr(x, ALL) == pytest.approx(1.0)
    assert volume_abs_return_corr(x, ["close", "open"] + ALL[2:4]) is None
    assert set(bar_shape_stats(x, ALL)) == {"median_range_over_close", "median_body_share", "volume_abs_return_corr"}


def test_bar_report_floors_and_rows():
    from wavediff.metrics.report import compare_to_real, flat_metrics, markdown_table, per_field_table

    rng = np.random.default_rng(0)

    def windows(n, wick):
        x = rng.normal(0, 0.01, (n, 5, 24))
        x[:, 1] *= 0.3
        x[:, 2:4] = np.abs(rng.normal(0, wick, (n, 2, 24)))
        return x

    real, pool = windows(64, 0.005), windows(128, 0.005)
    fat_wicks = compare_to_real(windows(32, 0.02), real, pool, draws=2, max_lag=5, fields=ALL)
    same = compare_to_real(windows(32, 0.005), real, pool, draws=2, max_lag=5, fields=ALL)
    assert fat_wicks["metrics"]["range_over_close_ks"]["ratio"] > 3 * same["metrics"]["range_over_close_ks"]["ratio"]
    assert set(fat_wicks["fields"]) == {"gap", "upper_wick", "lower_wick", "volume_change"}
    rows = flat_metrics(fat_wicks)
    assert {"ks", "upper_wick/ks", "median_body_share", "discriminative_joint"} <= set(rows)
    assert "| upper_wick" not in per_field_table({"a": fat_wicks}) and "a: upper_wick" in per_field_table({"a": fat_wicks})
    # a classical baseline's closes beside the bar model: compared with the real close, same floors
    drawn = windows(32, 0.005)[:, 0]
    closes = compare_to_real(drawn, real, pool, draws=2, max_lag=5, fields=ALL)
    assert closes["metrics"]["ks"]["floor"] == fat_wicks["metrics"]["ks"]["floor"]
    on_close = compare_to_real(drawn, real[:, 0], pool[:, 0], draws=2, max_lag=5)
    assert closes["metrics"]["ks"] == on_close["metrics"]["ks"]
    assert "range_over_close_ks" not in closes["metrics"] and "fields" not in closes
    table = markdown_table({"bars": fat_wicks, "garch_t": closes})
    (row,) = [line for line in table.splitlines() if line.startswith("| range_over_close_ks |")]
    assert row.endswith("| - | - | - | - |")  # no value for closes alone, no "best" of one
    assert "garch_t" not in per_field_table({"bars": fat_wicks, "garch_t": closes})


def test_scenarios_and_long_paths_refuse_a_bar_model_in_one_line():
    from wavediff.sampling.generate import refuse_several_assets
    from wavediff.transforms import build_representation

    rep = build_representation({"kind": "bars", "fields": ALL, "base": SMALL_CWT, "window_size": 32})
    with pytest.raises(ConfigError, match="history: scenarios and long paths continue a close-only model"):
        refuse_several_assets(rep, "history")
