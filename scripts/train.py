#!/usr/bin/env python
"""Train a wavelet diffusion model: python scripts/train.py [model=unet_tiny] [trainer.max_epochs=5] [-m ...].

Config groups live in configs/; `python scripts/train.py --help` lists them and their options.
"""

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from wavediff.cli import check_overrides, one_line_errors
from wavediff.training import train


@hydra.main(version_base="1.3", config_path="../configs", config_name="train")
@one_line_errors
def main(cfg: DictConfig) -> float | None:
    metrics = train(cfg)
    return metrics.get(cfg.optimized_metric) if metrics else None  # objective for sweepers


if __name__ == "__main__":
    check_overrides(Path(__file__).resolve().parent.parent / "configs", "train", sys.argv[1:])
    main()
