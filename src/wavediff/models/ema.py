"""Exponential moving average of network weights, with the usual warm-up of the decay."""

from __future__ import annotations

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel


class EMADecay:
    """``multi_avg_fn`` for :class:`AveragedModel`: decay ``min(max_decay, (1 + n) / (10 + n))``.

    The warm-up keeps early EMA weights from being dominated by the random initialisation, which
    matters on short CPU runs of a few hundred steps.
    """

    def __init__(self, max_decay: float) -> None:
        if not 0.0 <= max_decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {max_decay}")
        self.max_decay = max_decay

    def decay(self, num_averaged: int) -> float:
        n = int(num_averaged)
        return min(self.max_decay, (1 + n) / (10 + n))

    @torch.no_grad()
    def __call__(self, ema_params: list, params: list, num_averaged: torch.Tensor) -> None:
        weight = 1.0 - self.decay(int(num_averaged))
        torch._foreach_lerp_(ema_params, params, weight)


def make_ema(net: nn.Module, decay: float) -> AveragedModel:
    """EMA copy of ``net`` whose parameters never require grad (so DDP and optimizers skip it)."""
    ema = AveragedModel(net, multi_avg_fn=EMADecay(decay), use_buffers=True)
    ema.requires_grad_(False)
    return ema
