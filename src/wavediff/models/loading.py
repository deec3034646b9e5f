"""Load a trained :class:`DiffusionModule` from a checkpoint file for sampling."""

from __future__ import annotations

from pathlib import Path

import torch

from wavediff.errors import CheckpointError
from wavediff.models.diffusion import DiffusionModule


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` picks CUDA when present, else CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def load_module(checkpoint: str | Path, device: str | torch.device = "cpu") -> DiffusionModule:
    """The module of a Lightning checkpoint (raw and EMA weights, noise schedule, fitted
    representation), in eval mode on ``device``. Raises :class:`CheckpointError` in one line."""
    path = Path(checkpoint).expanduser()
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        module = DiffusionModule.load_from_checkpoint(path, map_location=torch.device(device),
                                                      weights_only=False)
    except Exception as exc:  # corrupt, truncated or foreign files fail in many ways
        raise CheckpointError(f"cannot load checkpoint {path}: {type(exc).__name__}: {exc}") from exc
    return module.eval()
