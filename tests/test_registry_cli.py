"""scripts/registry.py and the Python query API on a real registry with a few runs."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys

import pandas as pd
import pytest

from conftest import run_script
from wavediff.registry.queries import runs_frame
from wavediff.registry.store import Registry
from wavediff.registry.tables import TrainRun


@pytest.fixture
def registry_copy(trained, tmp_path):
    """A copy of the smoke run's registry plus a second, worse train run with another lr."""
    root, run_dir, _ = trained
    db = tmp_path / "w.db"
    # The backup API copies what is still in the WAL file too (a file copy would not).
    with sqlite3.connect(root / "wavediff.db") as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    reg = Registry(f"sqlite:///{db}", artifacts_root=root)
    first = reg.get(TrainRun, 1)
    config = json.loads(json.dumps(first.config))
    config["model"]["optimizer"]["lr"] = 0.123
    reg.create(TrainRun, status="finished", model_name="unet_tiny", config=config,
               final_val_loss=(first.final_val_loss or 0) + 1.0, epochs_completed=1)
    return f"sqlite:///{db}", reg, root


def cli(url: str, *args: str, cwd, root=None) -> subprocess.CompletedProcess:
    extra = ["--root", str(root)] if root is not None else []
    return run_script("registry.py", "--url", url, *extra, *args, cwd=cwd)


def test_runs_frame_flattens_config(registry_copy):
    url, reg, _ = registry_copy
    frame = runs_frame(reg, "train")
    assert list(frame["id"]) == [1, 2]
    assert frame.loc[1, "config.model.optimizer.lr"] == 0.123
    assert frame.loc[0, "config.data.window_size"] == 64
    gens = runs_frame(reg, "generation")
    assert "summary.returns_std" in gens.columns and len(gens) >= 2


def test_list_show_best_compare_export(registry_copy, tmp_path):
    url, reg, _ = registry_copy
    listed = cli(url, "list", cwd=tmp_path)
    assert listed.returncode == 0 and "unet_tiny" in listed.stdout and len(listed.stdout.splitlines()) == 3
    filtered = cli(url, "list", "--json", "--where", "config.model.optimizer.lr=0.123", cwd=tmp_path)
    assert [json.loads(line)["id"] for line in filtered.stdout.splitlines()] == [2]
    assert cli(url, "list", "--status", "failed", cwd=tmp_path).stdout.strip() == "no train runs"
    shown = json.loads(cli(url, "show", "1", cwd=tmp_path).stdout)
    assert shown["status"] == "finished" and shown["linked"]["data"] == [1] and len(shown["linked"]["generation"]) >= 2
    assert cli(url, "best", "--metric", "final_val_loss", cwd=tmp_path).stdout.startswith("train run 1:")
    assert cli(url, "best", "--metric", "final_val_loss", "--max", cwd=tmp_path).stdout.startswith("train run 2:")
    compared = cli(url, "compare", "1", "2", cwd=tmp_path).stdout
    assert "config.model.optimizer.lr" in compared and "0.123" in compared
    out = tmp_path / "runs.csv"
    assert cli(url, "export", "--csv", str(out), cwd=tmp_path).returncode == 0
    assert list(pd.read_csv(out)["id"]) == [1, 2]


def test_verify_reports_missing_and_unreferenced_files(registry_copy, tmp_path):
    url, reg, root = registry_copy
    clean = cli(url, "verify", cwd=tmp_path, root=root)
    assert clean.returncode == 0 and clean.stdout.strip().endswith("0 missing, 0 unreferenced")
    stray = root / "stray.png"
    stray.write_bytes(b"x")
    out = tmp_path / "out.png"
    out.write_bytes(b"x")
    from wavediff.registry.tables import GenerationRun

    reg.create(GenerationRun, status="finished", png_path=str(tmp_path / "gone.png"))
    report = cli(url, "verify", cwd=tmp_path, root=root)
    stray.unlink()
    assert report.returncode == 1
    assert "gone.png" in report.stdout and f"unreferenced {stray}" in report.stdout


def test_gc_marks_dead_running_runs(registry_copy, tmp_path):
    url, reg, _ = registry_copy
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run_id = reg.create(TrainRun, status="running", pid=dead.pid)
    alive = reg.create(TrainRun, status="running")  # this test process: alive
    out = cli(url, "gc", cwd=tmp_path).stdout
    assert f"train run {run_id}: running -> interrupted" in out
    assert reg.get(TrainRun, run_id).status == "interrupted"
    assert reg.get(TrainRun, alive).status == "running"


def test_bad_input_is_one_line(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("not sqlite " * 100)
    proc = cli(f"sqlite:///{bogus}", "list", cwd=tmp_path)
    assert proc.returncode != 0 and proc.stderr.startswith("error: registry") and "Traceback" not in proc.stderr
    assert bogus.read_text() == "not sqlite " * 100
    proc = cli(f"sqlite:///{tmp_path}/empty.db", "show", "7", cwd=tmp_path)
    assert proc.stderr.strip() == "error: no train run with id 7"


def test_database_that_does_not_answer_is_one_line(tmp_path):
    pytest.importorskip("psycopg", reason="psycopg not installed (pip install -e .[postgres])")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    proc = cli(f"postgresql+psycopg://nobody@127.0.0.1:{port}/x", "list", cwd=tmp_path)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("error: registry postgresql")


@pytest.mark.parametrize("kind", ["train", "data", "generation", "sweep"])
def test_every_kind_lists_with_rows_present_as_table_and_strict_json(registry_copy, tmp_path, kind):
    from wavediff.registry.tables import SweepRun

    url, reg, _ = registry_copy
    reg.create(SweepRun, status="finished", study_name="s1", objective="val/loss", direction="minimize",
               n_trials=3, n_complete=3, best_value=0.5, best_params={"model.optimizer.lr": 1e-3})
    table = cli(url, "list", "--kind", kind, cwd=tmp_path)
    assert table.returncode == 0 and "Traceback" not in table.stderr and len(table.stdout.splitlines()) >= 2
    lines = cli(url, "list", "--kind", kind, "--json", cwd=tmp_path).stdout.splitlines()
    assert lines and all("NaN" not in line for line in lines)
    records = [json.loads(line, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}")) for line in lines]
    assert all(r["status"] for r in records)
    if kind == "train":  # the second run has no evaluation metrics: null, not NaN
        assert records[1]["metric.ks"] is None
