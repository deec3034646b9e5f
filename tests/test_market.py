"""Real market series from the arch package: bars, CSV, data run, and the error without arch."""

import builtins
import sys

import pandas as pd
import pytest

from conftest import run_script

from wavediff.data.market import MarketSource
from wavediff.errors import ConfigError, DataError


def test_market_series_write_a_csv_that_data_csv_reads(tmp_path):
    pytest.importorskip("arch")
    out = tmp_path / "sp500.csv"
    proc = run_script("market_data.py", "sp500", "--out", str(out), "--registry-url",
                      f"sqlite:///{tmp_path / 'r.db'}", cwd=tmp_path, check=True)
    assert "data run 1: 5031 daily bars" in proc.stdout
    bars = pd.read_csv(out)
    assert list(bars.columns) == ["timestamp", "open", "high", "low", "close", "volume"] and len(bars) == 5031
    assert bars["close"].iloc[0] == pytest.approx(1228.099976)  # 1999-01-04
    from wavediff.data.datamodule import WaveletDataModule

    dm = WaveletDataModule.from_csv(path=str(out), window_size=64, stride=4, cache_dir=None,
                                    transform={"kind": "complex_cwt", "num_scales": 16})
    dm.setup()
    assert len(dm.windows["train"]) > 900


def test_unknown_series_and_missing_arch_are_one_line_errors(monkeypatch):
    with pytest.raises(ConfigError, match="one of sp500, nasdaq"):
        MarketSource("ftse")
    real_import = builtins.__import__

    def no_arch(name, *args, **kwargs):
        if name.startswith("arch"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_arch)
    for name in [m for m in sys.modules if m == "arch" or m.startswith("arch.")]:
        monkeypatch.delitem(sys.modules, name)  # as if arch had never been imported
    with pytest.raises(DataError, match="pip install arch"):
        MarketSource("sp500").load()
