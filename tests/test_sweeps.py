"""Sweeps on Hydra's launchers and DDP on the CPU, through the real entry point."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import run_script


def rows(db, sql):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.parametrize("launcher", [["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
                                      ["hydra/launcher=submitit_local"]])
def test_parallel_launchers_run_two_jobs(tmp_path, launcher):
    run_script("train.py", "-m", *launcher, "experiment=smoke", "model=unet_tiny,unet_small",
               f"paths.output_root={tmp_path}", cwd=tmp_path, check=True)
    got = rows(tmp_path / "wavediff.db", "select model_name, status, run_dir from train_runs order by model_name")
    assert [(m, s) for m, s, _ in got] == [("unet_small", "finished"), ("unet_tiny", "finished")]
    assert got[0][2] != got[1][2]  # one run directory each
    events = list(tmp_path.glob("train/multiruns/*/*/tensorboard/events.out.tfevents.*"))
    assert len(events) == 2


def test_a_failing_job_does_not_stop_the_sweep(tmp_path):
    proc = run_script("train.py", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "experiment=smoke",
                      "model.optimizer._target_=torch.optim.NoSuchOptimizer,torch.optim.AdamW",
                      f"paths.output_root={tmp_path}", cwd=tmp_path)
    assert "error: job failed" in proc.stderr
    statuses = sorted(s for (s,) in rows(tmp_path / "wavediff.db", "select status from train_runs"))
    assert statuses == ["failed", "finished"]


def test_ddp_on_cpu_writes_once_and_its_checkpoint_loads(tmp_path):
    run_script("train.py", "experiment=smoke", "trainer=ddp_cpu", "trainer.max_epochs=2",
               f"paths.output_root={tmp_path}", cwd=tmp_path, check=True)
    db = tmp_path / "wavediff.db"
    assert rows(db, "select status, epochs_completed from train_runs") == [("finished", 2)]
    assert rows(db, "select count(*) from data_runs") == [(1,)]
    assert rows(db, "select epoch from generation_runs order by epoch") == [(0,), (1,)]  # rank zero only
    assert len(list(tmp_path.glob("train/runs/*/tensorboard/events.out.tfevents.*"))) == 1
    out = tmp_path / "g.png"
    run_script("generate.py", "checkpoint=1", "n=2", "sampler.steps=2", f"output_path={out}",
               f"paths.output_root={tmp_path}", cwd=tmp_path, check=True)
    assert out.is_file() and (tmp_path / "g.npz").is_file()
