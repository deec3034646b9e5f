"""Shared fixtures: the real Hydra config, composed and shrunk for tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


def compose_config(name: str, overrides: list[str], run_dir: Path) -> DictConfig:
    """Compose ``configs/<name>.yaml`` as Hydra would, with its run dir set to ``run_dir``."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose(config_name=name, overrides=overrides, return_hydra_config=True)
    with open_dict(cfg):
        cfg.hydra.runtime.output_dir = str(run_dir)
        cfg.hydra.job.num = 0
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        del cfg.hydra  # as in a real run, the task sees its config without the hydra node
    return cfg


@pytest.fixture
def smoke_cfg(tmp_path: Path):
    """Factory: the smoke experiment writing under ``tmp_path``, plus extra overrides."""

    def make(*overrides: str, run: str = "run") -> DictConfig:
        base = ["experiment=smoke", f"paths.output_root={tmp_path}"]
        return compose_config("train", base + list(overrides), tmp_path / run)

    yield make
    GlobalHydra.instance().clear()


def free_port() -> int:
    """A TCP port nobody listens on right now (for servers started by tests)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_script(script: str, *args: str, cwd: Path, timeout: float = 300,
               check: bool = False) -> subprocess.CompletedProcess:
    """Run ``scripts/<script>`` with this interpreter, as a user would."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / script), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"{script} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """One 2-epoch smoke training run shared by the tests that only read its outputs.

    Returns ``(output root, run dir, final metrics)``.
    """
    from wavediff.training import train

    root = tmp_path_factory.mktemp("smoke")
    cfg = compose_config("train", ["experiment=smoke", f"paths.output_root={root}",
                                   "trainer.max_epochs=2"], root / "run")
    metrics = train(cfg)
    GlobalHydra.instance().clear()
    return root, root / "run", metrics
