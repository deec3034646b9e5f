"""scripts/evaluate.py and the evaluation callback: reports, plots, registry metrics, TensorBoard."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from conftest import run_script

PLOTS = ("histogram.png", "qq.png", "acf.png", "leverage.png")


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def outputs(trained, tmp_path):
    """A private copy of the shared smoke run's outputs (its registry gets new rows here)."""
    root, run_dir, _ = trained
    copy = tmp_path / "outputs"
    shutil.copytree(root, copy)
    return copy, copy / run_dir.relative_to(root)


def evaluate(outputs_root: Path, out: Path, *args: str, check: bool = True):
    return run_script("evaluate.py", *args, "floor_draws=2", "max_lag=10", f"paths.output_root={outputs_root}",
                      f"hydra.run.dir={out}", cwd=outputs_root.parent, check=check)


def test_training_records_callback_metrics_in_registry_and_tensorboard(outputs):
    root, run_dir = outputs
    db = root / "wavediff.db"
    epochs = rows(db, "select distinct m.epoch from metrics m join generation_runs g on m.generation_run_id = g.id "
                      "where m.source = 'callback' and m.train_run_id = 1 order by m.epoch")
    assert epochs == [(0,), (1,)]  # one evaluated sampling per epoch, keyed to its generation row
    ((ks, floor, ratio),) = rows(db, "select value, floor, ratio from metrics where name = 'ks' and epoch = 1")
    assert 0 < ks <= 1 and floor > 0 and ratio == pytest.approx(ks / floor)
    events = EventAccumulator(str(run_dir / "tensorboard")).Reload()
    assert {"eval/ks", "eval/ks_over_floor", "eval/std_ratio", "eval/excess_kurtosis"} <= set(events.Tags()["scalars"])
    assert len(events.Scalars("eval/ks")) == 2


def test_evaluate_samples_of_a_run_writes_report_plots_and_metrics(outputs, tmp_path):
    root, run_dir = outputs
    npz = run_dir / "samples" / "epoch_001" / "samples.npz"
    out = tmp_path / "eval"
    proc = evaluate(root, out, "run=1", f"samples=[{npz}]")
    report = json.loads((out / "report.json").read_text())
    ((name, result),) = report["results"].items()
    ((gen_id,),) = rows(root / "wavediff.db", "select id from generation_runs where epoch = 1")
    assert name == f"generation_{gen_id}"  # the .npz was found in the registry
    metrics = result["metrics"]
    assert {"ks", "w1_over_std", "acf_abs_l2", "abs_kurtosis_diff", "leverage_l2"} <= set(metrics)
    for m in metrics.values():
        assert np.isfinite(m["value"]) and m["floor"] > 0 and m["ratio"] == pytest.approx(m["value"] / m["floor"])
    oracle = result["mjd_oracle"]  # the smoke data is MJD
    assert np.isfinite(oracle["loglik_generated"]) and oracle["true"]["lam"] == 2000.0
    text = (out / "report.md").read_text()
    assert "| ks |" in text and "mean log-likelihood" in text and "report:" in proc.stdout
    for plot in (*PLOTS, f"paths_{name}.png"):
        assert (out / plot).stat().st_size > 5000 and f"({plot})" in text
    recorded = dict(rows(root / "wavediff.db", f"select name, value from metrics where source = 'evaluate' "
                                               f"and train_run_id = 1 and generation_run_id = {gen_id}"))
    assert recorded["ks"] == pytest.approx(metrics["ks"]["value"])
    assert recorded["mle_sigma"] == pytest.approx(oracle["mle_generated"]["sigma"])
    shown = run_script("registry.py", "--url", f"sqlite:///{root / 'wavediff.db'}", "show", "1",
                       cwd=tmp_path, check=True)
    assert any(m["source"] == "evaluate" and m["name"] == "ks" for m in json.loads(shown.stdout)["metrics"])


def test_evaluate_an_npz_finds_its_run(outputs, tmp_path):
    root, run_dir = outputs
    evaluate(root, tmp_path / "eval", f"run={run_dir / 'samples' / 'epoch_000' / 'samples.npz'}", "mjd_oracle=false")
    report = json.loads((tmp_path / "eval" / "report.json").read_text())
    assert report["train_run_id"] == 1 and report["checkpoint"].endswith("last.ckpt")


def test_evaluate_a_run_samples_and_records_a_generation(outputs, tmp_path):
    root, _ = outputs
    db = root / "wavediff.db"
    before = rows(db, "select count(*) from generation_runs")[0][0]
    evaluate(root, tmp_path / "eval", "run=1", "n=8", "sampler=ddim", "sampler.steps=2", "mjd_oracle=false")
    ((gen_id, status, train_id, n),) = rows(db, "select id, status, train_run_id, n_samples from generation_runs "
                                                "order by id desc limit 1")
    assert gen_id == before + 1 and (status, train_id, n) == ("finished", 1, 8)
    assert (tmp_path / "eval" / "samples.npz").is_file() and (tmp_path / "eval" / "scalogram.png").is_file()
    names = {r[0] for r in rows(db, f"select name from metrics where generation_run_id = {gen_id}")}
    assert {"ks", "discriminative", "std", "excess_kurtosis"} <= names  # n=8 is enough for the classifier


def test_evaluate_bad_input_is_one_line(outputs, tmp_path):
    root, _ = outputs
    proc = evaluate(root, tmp_path / "e1", f"run={tmp_path / 'nope.npz'}", check=False)
    assert proc.returncode != 0 and proc.stderr.strip().splitlines()[-1].startswith("error: samples not found")


def test_evaluate_refuses_samples_it_cannot_place(outputs, tmp_path):
    from conftest import compose_config
    from wavediff.errors import CheckpointError
    from wavediff.jobs.evaluate import evaluate

    root, _ = outputs
    stray, bad = tmp_path / "stray.npz", tmp_path / "bad.npz"
    np.savez(stray, returns=np.zeros((4, 64)))
    bad.write_text("not an npz")
    base = [f"paths.output_root={root}", "floor_draws=2"]
    with pytest.raises(CheckpointError, match="pass run=<train run id>"):
        evaluate(compose_config("evaluate", [f"run={stray}", *base], tmp_path / "e2"))
    with pytest.raises(CheckpointError, match="not a samples .npz"):
        evaluate(compose_config("evaluate", ["run=1", f"samples=[{bad}]", *base], tmp_path / "e3"))
    assert not (tmp_path / "e3" / "report.json").exists()


def test_baselines_are_evaluated_beside_the_model_and_recorded(outputs, tmp_path):
    root, run_dir = outputs
    npz = run_dir / "samples" / "epoch_001" / "samples.npz"
    out = tmp_path / "eval"
    evaluate(root, out, f"run={npz}", "baselines=[garch_t,bootstrap,simulator]", "mjd_oracle=false")
    report = json.loads((out / "report.json").read_text())
    names = list(report["results"])
    assert names[1:] == ["garch_t", "bootstrap", "simulator"]
    n = report["results"][names[0]]["n_generated"]
    assert all(report["results"][b]["n_generated"] == n for b in names[1:])  # as many windows as the model's
    text = (out / "report.md").read_text()
    assert "| best |" in text and "garch_t value | floor | ratio" in text
    verdicts = report["results"][names[0]]["verdicts"]  # the model against each baseline
    assert set(verdicts) == {"garch_t", "bootstrap", "simulator"}
    assert {v["verdict"] for v in verdicts["garch_t"].values()} <= {"better", "same", "worse"}
    assert f"| metric | {names[0]} vs garch_t | {names[0]} vs bootstrap | {names[0]} vs simulator |" in text
    db = root / "wavediff.db"
    recorded = rows(db, "select sampler, status, npz_path from generation_runs where sampler like 'baseline:%' "
                        "order by id")
    assert [(s, st) for s, st, _ in recorded] == [("baseline:garch_t", "finished"), ("baseline:bootstrap", "finished"),
                                                  ("baseline:simulator", "finished")]
    with np.load(root / recorded[0][2]) as arrays:
        assert arrays["returns"].shape == (n, 64) and arrays["prices"].shape == (n, 65)
    ks = dict(rows(db, "select g.sampler, m.value from metrics m join generation_runs g on m.generation_run_id = g.id "
                       "where m.name = 'ks' and g.sampler like 'baseline:%'"))
    assert set(ks) == {"baseline:garch_t", "baseline:bootstrap", "baseline:simulator"}


def test_an_unknown_baseline_is_one_line_and_records_nothing(outputs, tmp_path):
    root, run_dir = outputs
    before = rows(root / "wavediff.db", "select count(*) from generation_runs")
    proc = evaluate(root, tmp_path / "eval", f"run={run_dir / 'samples' / 'epoch_001' / 'samples.npz'}",
                    "baselines=[garch]", check=False)
    assert proc.returncode == 1 and proc.stderr.strip() == (
        "error: baselines=['garch']: unknown garch; choose from garch_t, gjr_t, bootstrap, simulator, "
        "ccc_garch_t, joint_bootstrap")
    assert rows(root / "wavediff.db", "select count(*) from generation_runs") == before


def test_baselines_on_a_data_config_without_any_model(tmp_path):
    """``wavediff evaluate data=garch baselines=[...]``: the classical generators alone."""
    out = tmp_path / "eval"
    proc = run_script("evaluate.py", "data=garch", "data.source.days=4", "data.window_size=64", "data.stride=32",
                      "baselines=[garch_t,bootstrap,simulator]", "n=32", "floor_draws=2", "max_lag=10",
                      "verdict_classifier_draws=2",
                      f"paths.output_root={tmp_path}", f"hydra.run.dir={out}", cwd=tmp_path, check=True)
    report = json.loads((out / "report.json").read_text())
    assert list(report["results"]) == ["garch_t", "bootstrap", "simulator"] and report["train_run_id"] is None
    assert all(r["n_generated"] == 32 for r in report["results"].values())
    assert set(report["results"]["garch_t"]["verdicts"]) == {"bootstrap", "simulator"}
    assert "discriminative" in report["results"]["garch_t"]["verdicts"]["bootstrap"]
    assert "report:" in proc.stdout


@pytest.mark.parametrize("args, message", [
    ([], "error: run=<train run id, checkpoint or samples .npz>, or data=<option> with baselines=[...]"),
    (["data=garch"], "error: data= without a run evaluates baselines=[...] or samples=[...]"),
    (["data=garch", "baselines=[garch]"], "error: baselines=['garch']: unknown garch; choose from"),
    (["data=garch", "baselines=[garch_t]", "verdict_classifier_draws=1"],
     "error: verdict_classifier_draws=1: 0 (no verdicts) or an integer >= 2"),
])
def test_evaluate_without_a_run_says_what_it_needs(tmp_path, args, message):
    proc = run_script("evaluate.py", *args, f"paths.output_root={tmp_path}", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stderr.startswith(message) and proc.stderr.count("\n") == 1, proc.stderr
