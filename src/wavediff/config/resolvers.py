"""OmegaConf resolvers the configs use; registered when :mod:`wavediff` is imported."""

from __future__ import annotations

from typing import Any

from omegaconf import OmegaConf


def on_gpu(gpu_value: Any, cpu_value: Any, *, _root_: Any = None) -> Any:
    """``${on_gpu:a,b}`` in configs: ``a`` when the run trains on a GPU, else ``b`` — the one switch
    between the GPU and the CPU budget (epochs, steps, precision, data size, sampling).

    "On a GPU" means ``trainer.accelerator`` is ``gpu``/``cuda``, or ``auto`` (the default
    trainer) with a CUDA device visible; configs without a trainer (generate, evaluate) ask CUDA.
    """
    import torch

    trainer = _root_.get("trainer") if _root_ is not None else None
    accelerator = str(trainer.get("accelerator", "auto")) if trainer is not None else "auto"
    if accelerator in ("gpu", "cuda"):
        return gpu_value
    return gpu_value if accelerator == "auto" and torch.cuda.is_available() else cpu_value


OmegaConf.register_new_resolver("on_gpu", on_gpu, replace=True)
