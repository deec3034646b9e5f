"""End to end through the real configs: train, sample, record, generate, and fail cleanly."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from conftest import ROOT, run_cli, run_script


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_smoke_run_writes_checkpoint_samples_and_tensorboard(trained):
    root, run_dir, metrics = trained
    assert np.isfinite(metrics["train/loss_epoch"]) and np.isfinite(metrics["val/loss"])
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert (run_dir / "resolved_config.yaml").is_file()
    for epoch in ("epoch_000", "epoch_001"):
        sample_dir = run_dir / "samples" / epoch
        for name in ("scalogram.png", "paths.png"):
            assert (sample_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with np.load(sample_dir / "samples.npz") as npz:
            assert npz["returns"].shape == (4, 64)
            assert npz["prices"].shape == (4, 65)
            assert npz["images"].shape == (4, 2, 16, 64)
            assert np.isfinite(npz["returns"]).all() and (npz["prices"] > 0).all()
            summary = json.loads(str(npz["summary"]))
            assert summary["sampler"] == "ddim" and summary["network_evals"] == 4
            # Projection inside the sampler leaves the final images in the transform's range.
            assert npz["reprojection_error"].max() < 1e-3
    events = EventAccumulator(str(run_dir / "tensorboard"), size_guidance={"images": 0}).Reload()
    tags = events.Tags()
    assert {"train/loss_step", "train/loss_epoch", "val/loss"} <= set(tags["scalars"])
    assert any(t.startswith("lr-") for t in tags["scalars"])
    assert {"samples/scalogram", "samples/paths"} <= set(tags["images"])
    assert len(events.Images("samples/scalogram")) == 2  # one per sampling epoch


def test_smoke_run_is_recorded_in_the_registry(trained):
    root, run_dir, metrics = trained
    db = root / "wavediff.db"
    (train_row,) = rows(db, "select id, status, model_name, epochs_completed, final_val_loss, "
                            "checkpoint_path, data_run_id, config, config_hash from train_runs")
    run_id, status, model_name, epochs, val_loss, ckpt, data_run_id, config, digest = train_row
    # Artifact paths are stored relative to the outputs root, so outputs/ can move with its DB.
    assert status == "finished" and epochs == 2 and not Path(ckpt).is_absolute() and (root / ckpt).is_file()
    assert model_name == "unet_tiny"
    assert val_loss == pytest.approx(metrics["val/loss"], rel=1e-6)
    assert json.loads(config)["data"]["window_size"] == 64 and len(digest) == 64
    assert rows(db, f"select status, source, n_rows from data_runs where id={data_run_id}") == [
        ("finished", "mjd", 30 * 1440)]
    gens = rows(db, "select epoch, status, png_path, npz_path from generation_runs order by epoch")
    assert [(g[0], g[1]) for g in gens] == [(0, "finished"), (1, "finished")]
    assert all((root / g[2]).is_file() and (root / g[3]).is_file() for g in gens)


def test_generate_from_registry_id(trained, tmp_path):
    root, run_dir, _ = trained
    out = tmp_path / "out.png"
    ran = run_cli("generate", "checkpoint=1", "n=3", "sampler=ddpm", f"output_path={out}",
                  f"paths.output_root={root}")
    assert ran.code == 0, ran.err
    handoff = json.loads(ran.out.strip().splitlines()[-1])  # the job's JSON hand-off line
    assert handoff["job"] == "generate" and handoff["npz"] == str(tmp_path / "out.npz")
    assert out.is_file() and (tmp_path / "out_paths.png").is_file()
    with np.load(tmp_path / "out.npz") as npz:
        assert npz["returns"].shape == (3, 64) and np.isfinite(npz["returns"]).all()
        assert npz["prices"].shape == (3, 65)
    (gen,) = rows(root / "wavediff.db", "select train_run_id, status, sampler, network_evals, png_path "
                                         "from generation_runs where epoch is null")
    assert gen == (1, "finished", "ddpm", 50, str(out))  # smoke schedule has 50 training steps
    assert handoff["generation_run_id"] == rows(root / "wavediff.db", "select max(id) from generation_runs")[0][0]


def test_generate_is_reproducible_by_seed(trained, tmp_path):
    from wavediff.models.loading import load_module
    from wavediff.sampling.generate import generate

    module = load_module(trained[1] / "checkpoints" / "last.ckpt")
    sampler = {"name": "ddim", "scheduler": "diffusers.DDIMScheduler", "steps": 3}
    a, b = generate(module, 2, sampler, seed=5), generate(module, 2, sampler, seed=5)
    c = generate(module, 2, sampler, seed=6)
    assert np.array_equal(a.returns.numpy(), b.returns.numpy())
    assert not np.allclose(a.returns.numpy(), c.returns.numpy())


@pytest.mark.parametrize("override,message", [
    ("model=nope", "model=nope: no such option; choose one of unet_small, unet_tiny"),
    ("model/net=nope", "model/net=nope: no such option; choose one of unet1d, unet2d, unet2d_tiny"),
    ("data.source.nope=1", "data.source.nope: no such key; data.source has days, mu, sigma"),
    ("trainer.max_epochs=-1", "trainer.max_epochs=-1: must be an integer >= 1"),
    ("data.window_size=7", "data.window_size=7: must be an integer >= 16"),
    ("data.window_size=66", "image width 66 (data.window_size): must be a multiple of 4"),
    ("data.source.days=0.2", "too short for window_size=64"),
    ("trainer.max_steps=0", "trainer.max_steps=0: must be an integer >= 1"),
    ("model.compile=fast", "model.compile='fast': true, false or one of default, reduce-overhead"),
    ("data.transform.tails=box_cox", "tails must be one of None, asinh, lambert_w, quantile"),
])
def test_bad_train_input_is_one_line(tmp_path, override, message):
    ran = run_cli("train", "experiment=smoke", f"paths.output_root={tmp_path}", override)
    assert ran.code != 0
    assert message in ran.err and ran.err.count("\n") == 1, ran.err
    assert "Traceback" not in ran.err
    db = tmp_path / "wavediff.db"
    if db.exists():  # nothing was started, so nothing may be left "running"
        assert rows(db, "select count(*) from train_runs where status='running'") == [(0,)]


def test_missing_checkpoint_is_one_line(tmp_path):
    ran = run_cli("generate", f"checkpoint={tmp_path / 'none.ckpt'}", f"paths.output_root={tmp_path}")
    assert ran.code != 0
    assert ran.err.strip().splitlines() == [f"error: checkpoint not found: {tmp_path / 'none.ckpt'}"]


def test_failure_after_start_leaves_row_failed(tmp_path):
    ran = run_cli("train", "experiment=smoke", f"paths.output_root={tmp_path}",
                  "model.optimizer._target_=torch.optim.NoSuchOptimizer")
    assert ran.code != 0
    ((status, error),) = rows(tmp_path / "wavediff.db", "select status, error from train_runs")
    assert status == "failed" and "NoSuchOptimizer" in error


def start_long_training(tmp_path: Path, *overrides: str, min_epochs: int = 1) -> subprocess.Popen:
    """Start a long smoke training and return once it has recorded ``min_epochs`` epochs."""
    db = tmp_path / "wavediff.db"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "train.py"), "experiment=smoke", f"paths.output_root={tmp_path}",
         "trainer.max_epochs=1000", "trainer.limit_train_batches=1", *overrides],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A shell's background job (e.g. CI started with `&`) inherits SIGINT as ignored; the
        # Ctrl-C test needs the default handler in the child whatever started pytest.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    wait_for_epochs(db, min_epochs)
    return proc


def wait_for_epochs(db: Path, min_epochs: int = 1, timeout: float = 120) -> bool:
    """Whether the registry ``db`` got a training run with ``min_epochs`` epochs recorded within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            query = f"select count(*) from train_runs where epochs_completed >= {min_epochs}"
            if db.exists() and rows(db, query) == [(1,)]:
                return True
        except sqlite3.OperationalError:  # the file exists before its tables do
            pass
        time.sleep(0.1)
    return False


def test_ctrl_c_in_this_process_marks_run_interrupted_without_a_traceback(tmp_path, python_sigint):
    """SIGINT delivered to this process while its main thread trains, as a terminal's Ctrl-C
    would be (the slow test below sends it to a real training process)."""
    import os
    import threading

    db = tmp_path / "wavediff.db"

    def interrupt_after_an_epoch() -> None:
        if wait_for_epochs(db):
            os.kill(os.getpid(), signal.SIGINT)

    watcher = threading.Thread(target=interrupt_after_an_epoch, daemon=True)
    watcher.start()
    try:
        ran = run_cli("train", "experiment=smoke", f"paths.output_root={tmp_path}", "trainer.max_epochs=1000",
                      "trainer.limit_train_batches=1", "callbacks=none")
    finally:
        watcher.join(timeout=5)
    assert ran.code == 130 and ran.err.strip().splitlines()[-1] == "error: interrupted", ran.err
    assert rows(db, "select status from train_runs") == [("interrupted",)]
    assert "Traceback" not in ran.err


@pytest.mark.slow  # the same in a real process (start-up dominates); the in-process test above is fast
def test_ctrl_c_marks_run_interrupted(tmp_path):
    proc = start_long_training(tmp_path, "callbacks=none")
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert rows(tmp_path / "wavediff.db", "select status from train_runs") == [("interrupted",)]
    assert "Traceback" not in stderr


def test_multirun_two_models(tmp_path):
    proc = run_script("train.py", "-m", "experiment=smoke", "model=unet_tiny,unet_small", "callbacks=none",
                      f"paths.output_root={tmp_path}", cwd=tmp_path, check=True)
    assert proc.returncode == 0
    assert rows(tmp_path / "wavediff.db", "select model_name, status from train_runs order by id") == [
        ("unet_tiny", "finished"), ("unet_small", "finished")]
    events = sorted(tmp_path.glob("train/multiruns/*/*/tensorboard/events.out.tfevents.*"))
    assert len(events) == 2 and events[0].parent != events[1].parent


def test_simulate_script_writes_seed_csv_and_data_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "data" / "index_time_series.csv"
    ran = run_cli("simulate", "--days", "1", "--mu", "0.05", "--sigma", "0.2", "--lam", "0.1",
                  "--jump_mean", "-0.02", "--jump_std", "0.1", "--year", "2022", "--month", "1",
                  "--seed", "0", "--out", str(out), "--registry-url", f"sqlite:///{tmp_path}/w.db")
    assert ran.code == 0 and str(out) in ran.out
    assert json.loads(ran.out.strip().splitlines()[-1]) == {"job": "simulate", "data_run_id": 1, "csv": str(out),
                                                            "source": "mjd", "n_rows": 1440}
    import pandas as pd

    bars = pd.read_csv(out, parse_dates=["timestamp"])
    assert len(bars) == 1440 and bars["timestamp"].iloc[0] == pd.Timestamp("2022-01-01")
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    ((status, source, n_rows, path, params),) = rows(tmp_path / "w.db", "select status, source, n_rows, "
                                                     "output_path, params from data_runs")
    assert (status, source, n_rows, path) == ("finished", "mjd", 1440, "data/index_time_series.csv")
    assert json.loads(params)["lam"] == 0.1


def test_resume_continues_the_same_run_row_and_tensorboard(tmp_path):
    base = [f"paths.output_root={tmp_path}"]
    assert run_cli("train", "experiment=smoke", *base).code == 0
    ran = run_cli("train", "resume=1", "trainer.max_epochs=2", *base)
    assert ran.code == 0 and "train run 1 finished" in ran.out
    db = tmp_path / "wavediff.db"
    assert rows(db, "select id, status, epochs_completed from train_runs") == [(1, "finished", 2)]
    assert rows(db, "select count(*) from data_runs") == [(1,)]
    assert rows(db, "select epoch from generation_runs order by epoch") == [(0,), (1,)]
    (run_dir,) = [tmp_path / r[0] for r in rows(db, "select run_dir from train_runs")]
    assert (run_dir / "samples" / "epoch_001" / "samples.npz").is_file()
    events = EventAccumulator(str(run_dir / "tensorboard")).Reload()
    steps = [e.step for e in events.Scalars("train/loss_step")]
    assert steps == sorted(steps) and len(set(steps)) == len(steps) == 6  # 3 + 3 steps, no restart at 0


def test_resume_bad_input(tmp_path):
    ran = run_cli("train", "resume=5", f"paths.output_root={tmp_path}")
    assert ran.code != 0 and "error: resume=5: no train run with that id" in ran.err


# slow, as the Studio's stop test (which also sends SIGTERM to a training run); the handler is tested in-process
@pytest.mark.slow
def test_sigterm_marks_run_interrupted_and_keeps_a_checkpoint(tmp_path):
    proc = start_long_training(tmp_path, "callbacks.sampling.every_n_epochs=0", min_epochs=2)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143 and "error: terminated (SIGTERM)" in stderr
    ((status, ckpt),) = rows(tmp_path / "wavediff.db", "select status, checkpoint_path from train_runs")
    assert status == "interrupted" and (tmp_path / ckpt).is_file()


@pytest.mark.slow
def test_sigterm_during_generation_leaves_the_row_interrupted_and_no_npz(trained, tmp_path):
    ckpt = trained[1] / "checkpoints" / "last.ckpt"
    db = tmp_path / "wavediff.db"
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "generate.py"), f"checkpoint={ckpt}", "n=64",
                             "sampler=ddpm", f"output_path={tmp_path / 'g.png'}", f"paths.output_root={tmp_path}"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if db.exists() and rows(db, "select count(*) from generation_runs where status = 'running'") == [(1,)]:
                break
        except sqlite3.OperationalError:  # the file exists before its tables do
            pass
        time.sleep(0.2)
    time.sleep(1.0)  # inside the sampling loop
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143 and stderr.strip().splitlines()[-1] == "error: terminated (SIGTERM)", stderr
    assert rows(db, "select status from generation_runs") == [("interrupted",)]
    assert not (tmp_path / "g.npz").exists()


def test_conditional_model_generates_the_class_asked_for(tmp_path):
    ran = run_cli("train", "experiment=smoke", "model.condition=jumps", f"paths.output_root={tmp_path}",
                  "~callbacks.sampling", "~callbacks.evaluation")
    assert ran.code == 0, ran.err
    db = tmp_path / "wavediff.db"
    before = rows(db, "select count(*) from generation_runs")
    for bad, message in (("condition=3", "condition=3: this model's jumps classes are 0=0 jumps, 1=1 jump, 2=2+ jumps"),
                         ("guidance_scale=-1", "guidance_scale=-1"), ("condition=x", "condition='x'")):
        ran = run_cli("generate", "checkpoint=1", "n=2", bad, f"paths.output_root={tmp_path}")
        assert ran.code != 0 and message in ran.err and ran.err.count("\n") == 1, ran.err
    assert rows(db, "select count(*) from generation_runs") == before  # nothing recorded for bad input
    out = tmp_path / "stress.png"
    ran = run_cli("generate", "checkpoint=1", "n=3", "condition=2", "guidance_scale=2", "sampler.steps=2",
                  f"output_path={out}", f"paths.output_root={tmp_path}")
    assert ran.code == 0 and "2+ jumps: 3" in ran.out
    assert json.loads(ran.out.strip().splitlines()[-1])["classes"] == {"0 jumps": 0, "1 jump": 0, "2+ jumps": 3}
    with np.load(tmp_path / "stress.npz") as npz:
        assert npz["labels"].tolist() == [2, 2, 2] and list(npz["class_names"])[2] == "2+ jumps"
    import torch

    from wavediff.models.loading import load_module
    from wavediff.sampling.generate import generate

    (ckpt,) = tmp_path.glob("train/runs/*/checkpoints/last.ckpt")
    trained = torch.load(ckpt, map_location="cpu", weights_only=False)["state_dict"]["labeler.frequencies"]
    mix = generate(load_module(ckpt), 300, {"name": "ddim", "scheduler": "diffusers.DDIMScheduler", "steps": 1},
                   seed=0)  # no class asked for: drawn at the training frequencies (no pictures of 300 here)
    drawn = np.bincount(mix.labels.numpy(), minlength=3) / 300
    assert np.abs(drawn - trained.numpy()).max() < 0.08 and trained[1] > 0.1


@pytest.mark.parametrize("data", sorted(p.stem for p in (ROOT / "configs" / "data").glob("*.yaml")
                                         if p.stem != "nasdaq"))  # the same source as sp500
def test_smoke_runs_with_every_data_option(smoke_cfg, tmp_path, data):
    from wavediff.jobs.train import train

    extra = ["callbacks=none"]
    if data == "csv":
        from test_csv import daily_frame

        daily_frame(1000).to_csv(tmp_path / "p.csv", index=False)
        extra += [f"data.path={tmp_path / 'p.csv'}", "model.condition=volatility"]  # conditions on any data
    if data == "stocks":
        from conftest import STOCKS_FILE

        if not STOCKS_FILE.is_file():
            pytest.skip("the Stocks file is not beside this checkout")
        extra += [f"data.path={STOCKS_FILE}"]
    metrics = train(smoke_cfg(f"data={data}", *extra)).metrics
    assert np.isfinite(metrics["val/loss"])


def test_bad_splits_fail_before_any_data(tmp_path):
    for override, message in (("data.splits.train=1.5", "fractions must be numbers in [0, 1]"),
                              ("data.splits.train=0.95", "fractions sum to 1.15"),
                              ("data.split_dates={val:2022-02-01,test:2022-01-15}", "split_dates must increase")):
        ran = run_cli("train", "experiment=smoke", f"paths.output_root={tmp_path}", override)
        assert ran.code != 0 and message in ran.err and "Traceback" not in ran.err
    assert not (tmp_path / "cache").exists() and not (tmp_path / "wavediff.db").exists()


def test_unwritable_output_root_is_one_line(tmp_path):
    ran = run_cli("train", "experiment=smoke", "paths.output_root=/proc/wavediff")
    assert ran.code != 0 and "Traceback" not in ran.err
    assert ran.err.strip() == "error: paths.output_root=/proc/wavediff: cannot create it (No such file or directory)"


def test_disk_errors_during_a_run_are_one_line_and_the_row_failed(tmp_path, capsys):
    import errno

    from wavediff.cli import one_line_errors
    from wavediff.registry.store import Registry
    from wavediff.registry.tables import TrainRun

    registry = Registry(f"sqlite:///{tmp_path}/w.db")

    @one_line_errors
    def job() -> None:
        with registry.track(TrainRun, model_name="x"):
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "ckpt"))

    with pytest.raises(SystemExit) as exit_info:
        job()
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == f"error: disk full: {tmp_path / 'ckpt'}\n"
    assert registry.get(TrainRun, 1).status == "failed"


def test_sigterm_during_a_job_is_one_line_exit_143_and_the_row_interrupted(tmp_path, capsys):
    """The handler every command but training runs under, in this process (the slow tests send
    the signal to real training and generation processes)."""
    import os

    from wavediff.cli import one_line_errors
    from wavediff.registry.store import Registry
    from wavediff.registry.tables import GenerationRun

    registry = Registry(f"sqlite:///{tmp_path}/w.db")

    @one_line_errors
    def job() -> None:
        with registry.track(GenerationRun, n_samples=2):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises before this ends
            raise AssertionError("SIGTERM was not handled")

    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as exit_info:
        job()
    assert exit_info.value.code == 143 and capsys.readouterr().err == "error: terminated (SIGTERM)\n"
    assert registry.get(GenerationRun, 1).status == "interrupted"
    assert signal.getsignal(signal.SIGTERM) is previous  # the job's handler does not outlive it


def test_start_up_has_no_migration_chatter_or_adverts(tmp_path):
    runs = [run_cli("train", "experiment=smoke", "callbacks=none", "trainer.limit_train_batches=1",
                    "trainer.limit_val_batches=1", f"paths.output_root={tmp_path}") for _ in range(2)]
    for ran in runs:
        assert ran.code == 0
        assert "alembic" not in ran.out + ran.err and "litlogger" not in ran.out + ran.err
    assert "registry: schema new -> " in runs[0].out + runs[0].err
    assert "registry: schema" not in runs[1].out + runs[1].err
