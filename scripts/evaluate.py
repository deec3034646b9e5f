#!/usr/bin/env python
"""Evaluate generated series against held-out real data, each distance with its noise floor:

    python scripts/evaluate.py run=<train run id or checkpoint> n=64 sampler=ddim
    python scripts/evaluate.py run=<id> 'samples=[a.npz,b.npz]'

Writes report.json and report.md in the run directory (outputs/evaluate/runs/<date_time>/).
"""

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from wavediff.cli import check_overrides, one_line_errors
from wavediff.evaluation import evaluate_from_config


@hydra.main(version_base="1.3", config_path="../configs", config_name="evaluate")
@one_line_errors
def main(cfg: DictConfig) -> None:
    evaluate_from_config(cfg)


if __name__ == "__main__":
    check_overrides(Path(__file__).resolve().parent.parent / "configs", "evaluate", sys.argv[1:])
    main()
