"""Training runs started by the Studio: ``python -m wavediff train`` subprocesses with their log files."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


class TooManyJobs(RuntimeError):
    """The configured number of concurrent trainings is running."""


@dataclass
class TrainJob:
    id: int
    overrides: list[str]
    log_path: Path
    run_dir: Path  # the run directory the Studio chose, which the run's registry row records
    process: subprocess.Popen = field(repr=False)
    started_at: float = field(default_factory=time.time)
    stop_requested: bool = False

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def state(self) -> dict:
        code = self.process.poll()
        return {"job": self.id, "pid": self.process.pid, "running": code is None, "exit_code": code,
                "overrides": self.overrides, "stop_requested": self.stop_requested, "started_at": self.started_at}


class JobManager:
    """Starts, watches and stops training subprocesses (argument lists, never a shell).

    Args:
        output_root: the Studio's outputs folder (runs, registry, logs under ``studio/logs``).
        registry_url: passed to every run so they all write the Studio's registry.
        config_dir: the configs every run composes; max_concurrent: trainings allowed at once.
    """

    def __init__(self, output_root: Path, registry_url: str, config_dir: Path, max_concurrent: int = 1) -> None:
        self.output_root, self.registry_url = output_root, registry_url
        self.config_dir, self.max_concurrent = config_dir, max_concurrent
        self.jobs: dict[int, TrainJob] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self, overrides: list[str]) -> TrainJob:
        with self._lock:
            if sum(j.running for j in self.jobs.values()) >= self.max_concurrent:
                raise TooManyJobs(f"{self.max_concurrent} training run(s) already running; stop one or wait")
            job_id = next(self._ids)
            stamp = f"{time.strftime('%Y-%m-%d_%H-%M-%S')}-{job_id}"
            log_path = self.output_root / "studio" / "logs" / f"train-{stamp}.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            run_dir = self.output_root / "train" / "runs" / f"studio-{stamp}"
            args = [sys.executable, "-m", "wavediff", "train", *overrides,
                    f"paths.output_root={self.output_root}", f"registry.url={self.registry_url}",
                    "trainer.enable_progress_bar=false", f"hydra.run.dir={run_dir}"]
            with open(log_path, "wb") as log:
                process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                           cwd=self.output_root, env=job_env(self.config_dir))
            job = TrainJob(job_id, list(overrides), log_path, run_dir, process)
            self.jobs[job_id] = job
            return job

    def get(self, job_id: int) -> TrainJob | None:
        return self.jobs.get(job_id)

    def stop(self, job: TrainJob) -> None:
        """SIGTERM for the run: Lightning stops, the registry row says ``interrupted`` (exit 143).

        Not SIGINT: a server started in the background of a shell script (``studio.py &``)
        passes SIGINT to its children as ignored, and they would never stop.
        """
        if job.running:
            job.stop_requested = True
            job.process.send_signal(signal.SIGTERM)

    def stop_all(self, timeout: float = 30) -> None:
        for job in self.jobs.values():
            self.stop(job)
        for job in self.jobs.values():
            try:
                job.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                job.process.kill()

    @staticmethod
    def follow(job: TrainJob, poll: float = 0.25) -> Iterator[str]:
        """Lines of the job's log as they are written, until the process has exited."""
        with open(job.log_path, "r", errors="replace") as log:
            pending = ""
            while True:
                chunk = log.read()
                if chunk:
                    pending += chunk
                    *lines, pending = pending.split("\n")
                    yield from lines
                elif not job.running:
                    rest = log.read()
                    for line in (pending + rest).split("\n"):
                        if line:
                            yield line
                    return
                else:
                    time.sleep(poll)


def job_env(config_dir: Path) -> dict[str, str]:
    """The environment of every job the Studio starts: unbuffered output, the Studio's configs."""
    import os

    return {**os.environ, "PYTHONUNBUFFERED": "1", "WAVEDIFF_CONFIG_DIR": str(config_dir)}
