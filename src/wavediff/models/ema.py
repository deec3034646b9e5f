"""Exponential moving average of network weights, with the usual warm-up of the decay."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn


class EMA(nn.Module):
    """EMA copy of a network: after the first update (a copy), each update moves the averaged
    parameters (and floating buffers) towards the network's by ``1 - decay`` with
    ``decay = min(max_decay, (1 + n) / (10 + n))`` after ``n`` updates. The warm-up keeps early EMA
    weights from being dominated by the random initialisation (short CPU runs of a few hundred
    steps). The count is kept on the host as well as in the ``n_averaged`` buffer, so an update
    never waits for the GPU. Keys match ``torch.optim.swa_utils.AveragedModel`` (``module.*``,
    ``n_averaged``), so checkpoints of either load.
    """

    def __init__(self, net: nn.Module, max_decay: float) -> None:
        super().__init__()
        if not 0.0 <= max_decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {max_decay}")
        self.max_decay = max_decay
        self.module = copy.deepcopy(net)
        self.module.requires_grad_(False)  # so DDP and optimizers skip it
        self.register_buffer("n_averaged", torch.tensor(0, dtype=torch.long))
        self._count = 0

    def decay(self, num_averaged: int) -> float:
        n = int(num_averaged)
        return min(self.max_decay, (1 + n) / (10 + n))

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any) -> None:
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        if prefix + "n_averaged" in state_dict:
            self._count = int(state_dict[prefix + "n_averaged"])

    @torch.no_grad()
    def update_parameters(self, net: nn.Module) -> None:
        ema = [*self.module.parameters(), *self.module.buffers()]
        new = [*net.parameters(), *net.buffers()]
        if self._count == 0:
            for target, source in zip(ema, new):
                target.copy_(source)
        else:
            weight = 1.0 - self.decay(self._count)  # n = updates so far, as AveragedModel counts
            floats = [(t, s) for t, s in zip(ema, new) if t.is_floating_point()]
            torch._foreach_lerp_([t for t, _ in floats], [s.detach() for _, s in floats], weight)
            for target, source in zip(ema, new):
                if not target.is_floating_point():
                    target.copy_(source)
        self._count += 1
        self.n_averaged.add_(1)


def make_ema(net: nn.Module, decay: float) -> EMA:
    """EMA copy of ``net`` whose parameters never require grad."""
    return EMA(net, decay)
