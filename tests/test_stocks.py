"""The Stocks benchmark job: the protocol's windows, start states, published rows, one-line
errors; the whole command on a smoke model (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import STOCKS_FILE, run_cli
from wavediff.jobs.stocks import (COLUMNS, HELDOUT_REPORT, generated_windows, protocol_windows, published_scores,
                                  read_stocks, start_states, write_report)

STOCKS = STOCKS_FILE.parent


def fake_file(tmp_path: Path, n: int = 120) -> Path:
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = close * np.exp(rng.normal(0, 0.003, n))
    high, low = np.maximum(open_, close) * 1.01, np.minimum(open_, close) * 0.99
    path = tmp_path / "stock_data.csv"
    rows = np.column_stack([open_, high, low, close, close, rng.integers(1_000, 9_000, n)])
    np.savetxt(path, rows, delimiter=",", header=",".join(COLUMNS), comments="")
    return path


def test_protocol_windows_are_every_24_rows_in_the_files_column_order(tmp_path):
    values = read_stocks(fake_file(tmp_path, 100))
    windows = protocol_windows(values)
    assert windows.shape == (77, 24, 6)
    np.testing.assert_array_equal(windows[5], values[5:29])


def test_start_states_are_the_bar_before_a_window():
    values = np.arange(60 * 6, dtype=float).reshape(60, 6) + 1
    close, volume = start_states(values, 500, np.random.default_rng(0))
    rows = (close - 1 - COLUMNS.index("Close")) / 6
    assert rows.min() >= 0 and rows.max() <= 60 - 24 - 1  # a full window of 24 bars follows each
    np.testing.assert_array_equal(volume, close + COLUMNS.index("Volume") - COLUMNS.index("Close"))


def test_generated_bars_become_the_protocols_rows():
    bars = {f: np.full((2, 24), float(i + 1)) for i, f in enumerate(("open", "high", "low", "close", "volume"))}
    rows = generated_windows(bars)
    assert rows.shape == (2, 24, 6) and rows[0, 0].tolist() == [1, 2, 3, 4, 4, 5]  # Adj_Close = Close


@pytest.mark.skipif(not (STOCKS / "README.md").is_file(), reason="the benchmark README lives in ../shared")
def test_published_rows_are_read_from_the_benchmark_readme():
    rows = {m: (d, p) for m, d, p in published_scores(STOCKS / "README.md")}
    assert any("ImagenTime" in m for m in rows) and any("TimeGAN" in m for m in rows)
    assert all("±" in d or d == "–" for d, _ in rows.values())


@pytest.mark.parametrize("args, message", [
    (["--file", "nope.csv"], "the Stocks file is not there"),
    (["--runs", "0"], "--runs 0: must be >= 1"),
    (["--train", "max_epochs"], "key=value"),
])
def test_bad_arguments_are_one_line_errors(tmp_path, args, message):
    ran = run_cli("stocks", *args, "--out", str(tmp_path))
    assert ran.code != 0 and message in ran.err and "Traceback" not in ran.err


def test_the_reports_held_out_link_resolves_from_the_folder_it_is_read_in(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a repository root with the held-out report where the job expects it
    HELDOUT_REPORT.parent.mkdir(parents=True)
    HELDOUT_REPORT.write_text("# held out\n")
    score = {"discriminative_mean": 0.1, "discriminative_std": 0.0, "predictive_mean": 0.04, "predictive_std": 0.0}
    result = {"wavediff": score, "real_vs_real": score, "run": {
        "runs": 1, "n_real": 10, "n_generated": 10, "train_seconds": 0.0, "checkpoint": "last.ckpt", "hardware": "cpu",
        "sample_seconds": 1.0, "sampler": "ancestral", "invalid_bars": 0, "train_overrides": "the defaults"}}
    for out, read_in in ((Path("outputs/stocks"), None), (Path("outputs/stocks"), Path("docs/stocks/sampler-x"))):
        (read_in or out).mkdir(parents=True, exist_ok=True)
        text = write_report(out, result, [], ["wavediff", "stocks"], "abc", read_in).read_text()
        link = text.split("held-out evaluation ([")[1].split("]")[0]
        assert ((read_in or out) / link).resolve() == HELDOUT_REPORT.resolve(), link


def test_a_file_that_is_not_the_stocks_file_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("Date,Close\n2020-01-01,1\n")
    ran = run_cli("stocks", "--file", str(path), "--out", str(tmp_path / "out"))
    assert ran.code != 0 and "not the Stocks file" in ran.err


@pytest.mark.slow
def test_stocks_command_end_to_end(tmp_path):
    path = fake_file(tmp_path, 400)
    out = tmp_path / "out"
    ran = run_cli("stocks", "--file", str(path), "--train", "experiment=smoke", "--train", "data.window_size=24",
                  "--train", f"paths.output_root={tmp_path}", "--runs", "2", "--steps", "2",
                  "--disc-steps", "50", "--pred-steps", "50", "--out", str(out))
    assert ran.code == 0, ran.err
    result = json.loads((out / "stocks.json").read_text())
    assert result["run"]["n_generated"] == result["run"]["n_real"] == 400 - 23
    assert result["run"]["invalid_bars"] == 0 and len(result["wavediff"]["runs"]["discriminative"]) == 2
    assert 0 <= result["wavediff"]["discriminative_mean"] <= 0.5
    assert (out / "candles.png").stat().st_size > 0 and "| WaveDiff (this run) |" in (out / "stocks.md").read_text()
