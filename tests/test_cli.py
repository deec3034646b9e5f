"""The `wavediff` command: subcommands, --help, and the seed's WAVEDIFF_* variables."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, hydra_app_state, run_cli
from wavediff.config.env import VARIABLES, env_overrides
from wavediff.errors import UsageError


def test_usage_lists_every_command_and_unknown_ones_are_one_line():
    from wavediff.cli.main import COMMANDS

    ran = run_cli("--help")
    assert ran.code == 0 and all(name in ran.out for name in COMMANDS)
    ran = run_cli("trian")
    assert ran.code == 2 and ran.err.strip() == ("error: unknown command 'trian'; one of "
                                                 + ", ".join(COMMANDS))


@pytest.mark.parametrize("command", ["simulate", "market-data", "registry", "studio", "bench"])
def test_argparse_commands_have_help(command):
    ran = run_cli(command, "--help")
    assert ran.code == 0 and ran.out.startswith(f"usage: wavediff {command}")


@pytest.mark.parametrize("command", ["train", "generate", "evaluate"])
def test_hydra_commands_have_help(command, tmp_path):
    ran = run_cli(command, "--help")
    assert ran.code == 0 and f"wavediff {command}" in ran.out and "== Config groups" in ran.out


HELP_WITHOUT_TORCH = """
import sys
from wavediff.cli.main import main
for command in ("train", "generate", "evaluate"):
    try:
        main([command, "--help"])
    except SystemExit as exc:
        assert not exc.code, (command, exc.code)
for argv in (["train", "nope.key=1"], ["generate", "sampler=nope"]):
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code, argv
heavy = sorted(m for m in ("torch", "lightning", "diffusers") if m in sys.modules)
assert not heavy, f"imported for --help or a config error: {heavy}"
"""


def test_help_and_config_errors_do_not_import_torch():
    """``--help`` and a wrong key answer in about a second: the jobs (torch, Lightning, diffusers:
    over 10 s to import on 2 cores) are imported only when one runs."""
    proc = subprocess.run([sys.executable, "-c", HELP_WITHOUT_TORCH], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "error: Could not override 'nope.key'" in proc.stderr and "sampler=nope" in proc.stderr


def test_the_installed_entry_point_runs_as_a_module():
    """``python -m wavediff`` is what the Studio starts and what ``[project.scripts]`` installs."""
    proc = subprocess.run([sys.executable, "-m", "wavediff", "--version"], capture_output=True, text=True,
                          cwd=ROOT.parent, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("wavediff 0.")
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'wavediff = "wavediff.cli.main:main"' in pyproject


@pytest.mark.parametrize("name, value, expected", [
    ("WAVEDIFF_EPOCHS", "5", ["trainer.max_epochs=5"]),
    ("WAVEDIFF_LR", "1e-4", ["model.optimizer.lr=0.0001"]),
    ("WAVEDIFF_BATCH_SIZE", "32", ["data.batch_size=32"]),
    ("WAVEDIFF_NUM_TIMESTEPS", "200", ["model.noise_scheduler.num_train_timesteps=200"]),
    ("WAVEDIFF_WINDOW_SIZE", "128", ["data.window_size=128"]),
    ("WAVEDIFF_STRIDE", "16", ["data.stride=16"]),
    ("WAVEDIFF_SAVE_DIR", "ckpts", ["callbacks.model_checkpoint.dirpath=ckpts"]),
    ("WAVEDIFF_WAVELET", "paul4", ["data.transform.wavelet=paul4"]),
    ("WAVEDIFF_WAVELET", "morl", ["transform=magnitude_scalogram", "data.transform.wavelet=morl"]),
])
def test_each_seed_variable_maps_to_its_override(name, value, expected):
    assert env_overrides("train", [], {name: value}) == expected


def test_every_variable_is_in_the_mapping_test():
    tested = {"WAVEDIFF_EPOCHS", "WAVEDIFF_LR", "WAVEDIFF_BATCH_SIZE", "WAVEDIFF_NUM_TIMESTEPS",
              "WAVEDIFF_WINDOW_SIZE", "WAVEDIFF_STRIDE", "WAVEDIFF_SAVE_DIR", "WAVEDIFF_WAVELET",
              "WAVEDIFF_IMAGE_SIZE", "WAVEDIFF_OUTPUT_PATH"}
    assert tested == set(VARIABLES)


def test_command_line_wins_and_other_commands_ignore_a_variable():
    environ = {"WAVEDIFF_EPOCHS": "5", "WAVEDIFF_OUTPUT_PATH": "x.png"}
    assert env_overrides("train", ["trainer.max_epochs=2"], environ) == []
    assert env_overrides("generate", [], environ) == ["output_path=x.png"]
    assert env_overrides("generate", ["output_path=y.png"], environ) == []


def test_image_size_needs_the_magnitude_scalogram():
    both = {"WAVEDIFF_WAVELET": "morl", "WAVEDIFF_IMAGE_SIZE": "32"}
    assert env_overrides("train", [], both) == ["transform=magnitude_scalogram", "data.transform.wavelet=morl",
                                                "data.transform.image_size=32"]
    assert env_overrides("train", ["transform=magnitude_scalogram"], {"WAVEDIFF_IMAGE_SIZE": "32"}) == [
        "data.transform.image_size=32"]
    with pytest.raises(UsageError, match="only the seed's magnitude scalogram resizes"):
        env_overrides("train", [], {"WAVEDIFF_IMAGE_SIZE": "32"})


@pytest.mark.parametrize("environ, message", [
    ({"WAVEDIFF_EPOCH": "5"}, "error: WAVEDIFF_EPOCH: unknown variable; WaveDiff reads WAVEDIFF_WAVELET"),
    ({"WAVEDIFF_EPOCHS": "five"}, "error: WAVEDIFF_EPOCHS=five: must be an integer"),
    ({"WAVEDIFF_LR": "fast"}, "error: WAVEDIFF_LR=fast: must be a number"),
    ({"WAVEDIFF_WAVELET": "haar"}, "error: WAVEDIFF_WAVELET=haar: wavelet must be one of morlet, paul, dog"),
])
def test_bad_variables_are_one_line(environ, message, monkeypatch, tmp_path):
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    ran = run_cli("train", "experiment=smoke", f"paths.output_root={tmp_path}")
    assert ran.code == 2 and ran.err.startswith(message) and ran.err.count("\n") == 1, ran.err
    assert not (tmp_path / "wavediff.db").exists()


def test_seed_variables_train_as_the_seed_did(monkeypatch, tmp_path):
    """``WAVEDIFF_EPOCHS=2 WAVEDIFF_WAVELET=paul python train.py``: the overrides reach the run."""
    monkeypatch.setenv("WAVEDIFF_EPOCHS", "2")
    monkeypatch.setenv("WAVEDIFF_WAVELET", "paul")
    ran = run_cli("train", "experiment=smoke", "callbacks=none", "trainer.limit_train_batches=1",
                  "trainer.limit_val_batches=1", f"paths.output_root={tmp_path}")
    assert ran.code == 0, ran.err
    handoff = json.loads(ran.out.strip().splitlines()[-1])
    from omegaconf import OmegaConf

    config = OmegaConf.load(f"{handoff['run_dir']}/resolved_config.yaml")
    assert config.trainer.max_epochs == 2 and config.data.transform.wavelet == "paul"
    import sqlite3

    with sqlite3.connect(tmp_path / "wavediff.db") as conn:
        assert conn.execute("select epochs_completed, max_epochs from train_runs").fetchall() == [(2, 2)]


def test_a_job_sees_the_real_command_line(monkeypatch, tmp_path):
    """Lightning's DDP launcher re-runs ``sys.argv`` in every child process: inside the job it must
    be the command the user typed (``wavediff train ...``), not what Hydra was handed."""
    from wavediff.cli.hydra_app import run_hydra

    typed = ["/venv/bin/wavediff", "train", "experiment=smoke", f"paths.output_root={tmp_path}"]
    monkeypatch.setattr(sys, "argv", list(typed))
    seen = {}

    def task(cfg):
        seen["argv"], seen["model"] = list(sys.argv), cfg.model.net._target_

    with hydra_app_state():
        run_hydra("train", "train", task, typed[2:])
    assert seen["argv"] == typed and seen["model"].endswith("UNet2D")
    assert sys.argv == typed
