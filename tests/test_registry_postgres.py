"""The registry on a real PostgreSQL server, started by the test on a local port (slow)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def postgres_url(tmp_path):
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    pytest.importorskip("psycopg", reason="psycopg not installed (pip install -e .[postgres])")
    runner: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
            pytest.skip("running as root and there is no 'postgres' user to start the server")
        runner = ["runuser", "-u", "postgres", "--"]
    # pytest's tmp_path is private to root; the server's user needs a folder of its own.
    base = Path(tempfile.mkdtemp(prefix="wavediff-pg-"))
    base.chmod(0o777)
    data = base / "data"
    subprocess.run([*runner, initdb, "-D", str(data), "-U", "wavediff", "--auth=trust"], check=True,
                   capture_output=True)
    port = free_port()
    subprocess.run([*runner, pg_ctl, "-D", str(data), "-o", f"-p {port} -k {base} -h 127.0.0.1", "-w",
                    "-l", str(base / "log"), "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://wavediff@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*runner, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_registry_on_postgresql(postgres_url, tmp_path):
    from wavediff.registry.queries import runs_frame
    from wavediff.registry.store import Registry
    from wavediff.registry.tables import TrainRun

    reg = Registry(postgres_url, artifacts_root=tmp_path)
    with reg.track(TrainRun, model_name="pg", config={"a": {"b": 1}}) as run_id:
        reg.update(TrainRun, run_id, checkpoint_path=str(tmp_path / "x.ckpt"), epochs_completed=2)
    row = reg.get(TrainRun, run_id)
    assert (row.status, row.checkpoint_path, row.epochs_completed) == ("finished", "x.ckpt", 2)
    assert runs_frame(reg).loc[0, "config.a.b"] == 1
    again = Registry(postgres_url, artifacts_root=tmp_path)  # reopening runs no migration twice
    assert len(again.all(TrainRun)) == 1
