"""WaveDiff: diffusion models on complex wavelet images of financial time series."""

from omegaconf import OmegaConf


def _if_cuda(on_gpu, on_cpu):
    """``${if_cuda:a,b}`` in configs: ``a`` when a CUDA GPU is visible, else ``b`` (trainer=auto)."""
    import torch

    return on_gpu if torch.cuda.is_available() else on_cpu


OmegaConf.register_new_resolver("if_cuda", _if_cuda, replace=True)
