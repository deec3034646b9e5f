"""Shared fixtures: the real Hydra config, composed and shrunk for tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
# the field's Stocks file, beside the repository when ../shared is there (tests needing it skip otherwise)
STOCKS_FILE = ROOT.parent / "shared" / "benchmarks" / "stocks" / "stock_data.csv"


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
def python_sigint() -> Iterator[None]:
    """Python's own Ctrl-C handler, whatever started pytest: a shell's background job (CI started
    with `&`, nohup) inherits SIGINT as ignored, and a SIGINT sent by a test would never arrive.
    The previous handler comes back afterwards (Lightning leaves SIGINT ignored after a Ctrl-C)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture
def smoke_cfg(tmp_path: Path):
    """Factory: the smoke experiment writing under ``tmp_path``, plus extra overrides."""

    def make(*overrides: str, run: str = "run") -> DictConfig:
        base = ["experiment=smoke", f"paths.output_root={tmp_path}"]
        return compose_config("train", base + list(overrides), tmp_path / run)

    yield make
    GlobalHydra.instance().clear()


@dataclass
class Ran:
    """Exit code and captured output of a command run in-process."""

    code: int
    out: str
    err: str


def run_cli(*argv: str) -> Ran:
    """``wavediff <argv>`` in this process, through the same ``main`` the installed command runs
    (seconds cheaper than a subprocess: no interpreter, torch or Lightning start-up)."""
    proc = _run_in_process(argv[0], argv[1:], Path.cwd())
    return Ran(proc.returncode, proc.stdout, proc.stderr)


def free_port() -> int:
    """A TCP port nobody listens on right now (for servers started by tests)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SCRIPT_COMMANDS = {"train.py": "train", "generate.py": "generate", "evaluate.py": "evaluate",
                   "simulate.py": "simulate", "market_data.py": "market-data", "registry.py": "registry",
                   "studio.py": "studio", "bench.py": "bench", "benchmark.py": "benchmark"}


def run_script(script: str, *args: str, cwd: Path, timeout: float = 300, check: bool = False,
               process: bool = False) -> subprocess.CompletedProcess:
    """Run ``scripts/<script>`` as a user would: in this process through the same ``main`` (fast),
    or, with ``process=True``, as a real subprocess (signals, launchers, DDP, start-up)."""
    if process:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.run([sys.executable, str(ROOT / "scripts" / script), *args], cwd=cwd,
                              capture_output=True, text=True, timeout=timeout, env=env)
    else:
        proc = _run_in_process(SCRIPT_COMMANDS[script], args, cwd)
    if check and proc.returncode != 0:
        raise AssertionError(f"{script} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@contextmanager
def hydra_app_state() -> Iterator[None]:
    """Around an in-process Hydra run: afterwards Hydra's global state is clear and the root
    logger has its handlers back (Hydra's job logging writes to the streams of that one call)."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        GlobalHydra.instance().clear()
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)


def _run_in_process(command: str, args: tuple[str, ...], cwd: Path) -> subprocess.CompletedProcess:
    """``wavediff <command> <args>`` in this process, in ``cwd``, with stdout and stderr captured;
    a bug's exception is printed as the traceback a process would show."""
    import contextlib
    import io
    import traceback

    from wavediff.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    code = 0
    with hydra_app_state():
        try:
            os.chdir(cwd)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    main([command, *args])
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                except Exception:
                    traceback.print_exc()
                    code = 1
        finally:
            os.chdir(previous)
    return subprocess.CompletedProcess([command, *args], code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """One 2-epoch smoke training run shared by the tests that only read its outputs.

    Returns ``(output root, run dir, final metrics)``.
    """
    from wavediff.jobs.train import train

    root = tmp_path_factory.mktemp("smoke")
    cfg = compose_config("train", ["experiment=smoke", f"paths.output_root={root}",
                                   "trainer.max_epochs=2"], root / "run")
    metrics = train(cfg).metrics
    GlobalHydra.instance().clear()
    return root, root / "run", metrics
