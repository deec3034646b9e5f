"""Running a job under ``@hydra.main`` from the ``wavediff`` command: the seed's ``WAVEDIFF_*``
variables become overrides, the command line is checked in one line, then Hydra takes over
(single runs, ``-m`` sweeps, launchers, ``--help``)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any

from wavediff.cli import fail
from wavediff.config.compose import check_overrides, config_dir
from wavediff.config.env import env_overrides
from wavediff.errors import WaveDiffError


def run_hydra(command: str, config_name: str, task: Callable[[Any], Any], argv: Sequence[str] | None = None) -> None:
    """Run ``task(cfg)`` on ``configs/<config_name>.yaml`` composed with ``argv`` (default: the
    process's arguments) as ``wavediff <command>``."""
    import hydra

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        overrides = env_overrides(command, argv) + argv
        check_overrides(config_name, overrides)
        directory = config_dir()
    except WaveDiffError as exc:
        fail(str(exc), code=exc.exit_code)
    from hydra.core.global_hydra import GlobalHydra

    saved = list(sys.argv)

    @functools.wraps(task)  # Hydra names the job after the task's module (train, generate, ...)
    def task_on_the_real_command_line(cfg: Any) -> Any:
        # Hydra has parsed its overrides; give the process its real command line back, which
        # Lightning's DDP launcher re-runs in every child (``wavediff train ...``).
        sys.argv = saved
        return task(cfg)

    sys.argv = [saved[0], *overrides]  # what Hydra parses
    try:
        hydra.main(version_base="1.3", config_path=str(directory), config_name=config_name)(
            task_on_the_real_command_line)()
    finally:
        sys.argv = saved
        GlobalHydra.instance().clear()  # so that the same process can run another command
