#!/usr/bin/env python
"""Generate series from a trained model:

    python scripts/generate.py checkpoint=<path or train run id> n=16 sampler=ddpm output_path=out.png

Writes the scalogram PNG, <stem>_paths.png and <stem>.npz (returns, prices) and records a
generation_runs row. `--help` lists the options.
"""

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from wavediff.cli import check_overrides, one_line_errors
from wavediff.generation import generate_from_config


@hydra.main(version_base="1.3", config_path="../configs", config_name="generate")
@one_line_errors
def main(cfg: DictConfig) -> None:
    generate_from_config(cfg)


if __name__ == "__main__":
    check_overrides(Path(__file__).resolve().parent.parent / "configs", "generate", sys.argv[1:])
    main()
