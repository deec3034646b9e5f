"""GPU-oriented options must not break the CPU path."""

import sqlite3

import pytest

from conftest import run_script


def finished_runs(db) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*) from train_runs where status='finished'").fetchone()[0]


@pytest.mark.slow  # ~10 s; bf16 is for accelerators
def test_bf16_mixed_precision_trains_on_cpu(tmp_path):
    run_script("train.py", "experiment=smoke", "trainer.precision=bf16-mixed", f"paths.output_root={tmp_path}",
               cwd=tmp_path, check=True)
    assert finished_runs(tmp_path / "wavediff.db") == 1


@pytest.mark.slow
def test_torch_compile_trains_on_cpu_and_checkpoint_loads_uncompiled(tmp_path):
    run_script("train.py", "experiment=smoke", "model.compile=true", f"paths.output_root={tmp_path}",
               cwd=tmp_path, check=True, timeout=900)
    # The compiled network keeps its state-dict keys: generate loads it without compiling.
    run_script("generate.py", "checkpoint=1", "n=2", "sampler.steps=2", f"output_path={tmp_path / 'g.png'}",
               f"paths.output_root={tmp_path}", cwd=tmp_path, check=True)
    assert (tmp_path / "g.npz").is_file()


@pytest.mark.slow
def test_default_data_and_model_train_a_few_steps(tmp_path):
    run_script("train.py", "trainer.max_epochs=1", "trainer.limit_train_batches=2", "trainer.limit_val_batches=1",
               "callbacks.sampling.num_samples=2", "sampler.steps=2", f"paths.output_root={tmp_path}",
               cwd=tmp_path, check=True, timeout=900)
    assert finished_runs(tmp_path / "wavediff.db") == 1
