"""Sweeps on Hydra's launchers and DDP on the CPU, through the real entry point."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import run_script


def rows(db, sql):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.slow  # about 60 s for both; the fast suite sweeps with the basic launcher
@pytest.mark.parametrize("launcher", [["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
                                      ["hydra/launcher=submitit_local"]])
def test_parallel_launchers_run_two_jobs(tmp_path, launcher):
    run_script("train.py", "-m", *launcher, "experiment=smoke", "model=unet_tiny,unet_small",
               f"paths.output_root={tmp_path}", cwd=tmp_path, check=True, process=True)
    got = rows(tmp_path / "wavediff.db", "select model_name, status, run_dir from train_runs order by model_name")
    assert [(m, s) for m, s, _ in got] == [("unet_small", "finished"), ("unet_tiny", "finished")]
    assert got[0][2] != got[1][2]  # one run directory each
    events = list(tmp_path.glob("train/multiruns/*/*/tensorboard/events.out.tfevents.*"))
    assert len(events) == 2


def test_a_failing_job_does_not_stop_the_sweep(tmp_path):
    # Hydra's basic launcher, in this process (the parallel launchers are the slow test above)
    proc = run_script("train.py", "-m", "experiment=smoke", "callbacks=none",
                      "model.optimizer._target_=torch.optim.NoSuchOptimizer,torch.optim.AdamW",
                      f"paths.output_root={tmp_path}", cwd=tmp_path)
    assert "error: job failed" in proc.stderr
    statuses = sorted(s for (s,) in rows(tmp_path / "wavediff.db", "select status from train_runs"))
    assert statuses == ["failed", "finished"]


@pytest.mark.slow  # two processes on two cores: about 30 s
def test_ddp_on_cpu_writes_once_and_its_checkpoint_loads(tmp_path):
    run_script("train.py", "experiment=smoke", "trainer=ddp_cpu", "trainer.max_epochs=2",
               f"paths.output_root={tmp_path}", cwd=tmp_path, check=True, process=True)
    db = tmp_path / "wavediff.db"
    assert rows(db, "select status, epochs_completed from train_runs") == [("finished", 2)]
    assert rows(db, "select count(*) from data_runs") == [(1,)]
    assert rows(db, "select epoch from generation_runs order by epoch") == [(0,), (1,)]  # rank zero only
    assert len(list(tmp_path.glob("train/runs/*/tensorboard/events.out.tfevents.*"))) == 1
    out = tmp_path / "g.png"
    run_script("generate.py", "checkpoint=1", "n=2", "sampler.steps=2", f"output_path={out}",
               f"paths.output_root={tmp_path}", cwd=tmp_path, check=True)
    assert out.is_file() and (tmp_path / "g.npz").is_file()


def test_search_space_from_hydra_sweep_syntax():
    import optuna

    from wavediff.errors import ConfigError
    from wavediff.jobs.search import distribution

    assert distribution("a", "choice(8, 16)") == optuna.distributions.CategoricalDistribution([8, 16])
    assert distribution("a", "range(1, 5)") == optuna.distributions.IntDistribution(1, 4)
    assert distribution("a", "tag(log, interval(1e-4, 2e-3))") == \
        optuna.distributions.FloatDistribution(1e-4, 2e-3, log=True)
    assert distribution("a", "3") is None  # fixed values pass through as overrides
    with pytest.raises(ConfigError, match="search space a=choice\\(1,"):
        distribution("a", "choice(1,")


def test_optuna_search_counts_failures_and_resumes(tmp_path):
    import optuna

    from wavediff.jobs.search import OptunaSearch, storage_for

    def study():
        return optuna.create_study(study_name="s", storage=storage_for(None, tmp_path, "s"),
                                   sampler=optuna.samplers.RandomSampler(seed=0), load_if_exists=True)

    seen: list[list[str]] = []

    def launch(batch):  # objective (x - 2)^2; a job with x > 3 "crashes"
        seen.extend(batch)
        xs = [float(next(o for o in b if o.startswith("x=")).split("=")[1]) for b in batch]
        return [None if x > 3 else (x - 2) ** 2 for x in xs]

    first = OptunaSearch(study(), {"x": "interval(0, 4)", "y": 7}, n_trials=4, n_jobs=2)
    first.run(["base=1"], launch)
    assert len(seen) == 4 and all("base=1" in b and "y=7" in b for b in seen)
    abandoned = study().ask()  # as if the process died mid-trial
    resumed = OptunaSearch(study(), {"x": "interval(0, 4)", "y": 7}, n_trials=6, n_jobs=2)
    resumed.run([], launch)
    assert len(seen) == 5  # 4 done + the abandoned one (counted failed): only one more ran
    trials = study().trials
    assert trials[abandoned.number].state == optuna.trial.TrialState.FAIL
    results = resumed.results()
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert results["n_complete"] == len(complete) and results["best_value"] == min(t.value for t in complete)
    assert results["best_params"]["x"] == pytest.approx(2 + (results["best_value"]) ** 0.5, abs=1e-9) or \
        results["best_params"]["x"] == pytest.approx(2 - (results["best_value"]) ** 0.5, abs=1e-9)


@pytest.mark.slow  # three real training trials; the search logic is tested in-process above
def test_optuna_sweep_writes_best_params_and_registry_row(tmp_path):
    args = ["hparams_search=optuna", "experiment=smoke", "callbacks.sampling.every_n_epochs=0",
            f"paths.output_root={tmp_path}", "trainer.limit_train_batches=2"]
    proc = run_script("train.py", *args, "hydra.sweeper.n_trials=2", cwd=tmp_path, check=True)
    assert "sweep run 1: best val/loss" in proc.stdout
    db = tmp_path / "wavediff.db"
    with sqlite3.connect(db) as conn:
        ((n_complete, best, path),) = conn.execute("select n_complete, best_value, results_path from sweep_runs")
        losses = [r[0] for r in conn.execute("select final_val_loss from train_runs where status = 'finished'")]
    assert n_complete == 2 and len(losses) == 2 and best == pytest.approx(min(losses))
    from omegaconf import OmegaConf

    results = OmegaConf.load(tmp_path / path)
    assert results.best_value == pytest.approx(best) and "model.optimizer.lr" in results.best_params
    # The same command with more trials resumes the study: one new training run, not three.
    run_script("train.py", *args, "hydra.sweeper.n_trials=3", cwd=tmp_path, check=True)
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from train_runs").fetchone() == (3,)
        assert conn.execute("select n_complete from sweep_runs where id = 2").fetchone() == (3,)


def test_slurm_launcher_config_exposes_cluster_fields(tmp_path):
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from conftest import CONFIGS

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose("train", ["hydra/launcher=slurm", "hydra.launcher.partition=gpu",
                                "hydra.launcher.gpus_per_node=4", "hydra.launcher.nodes=2"], return_hydra_config=True)
    GlobalHydra.instance().clear()
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert (launcher.partition, launcher.gpus_per_node, launcher.nodes, launcher.timeout_min) == ("gpu", 4, 2, 240)
