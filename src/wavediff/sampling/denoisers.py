"""Wrappers around the network that samplers call: classifier-free guidance and range projection.

Each takes and returns a function ``(x, t, cond) -> output`` in the model's parameterization
(``t``: timesteps ``(B,)``), so :func:`~wavediff.sampling.generate.generate` stays a plain loop.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from wavediff.models.parameterization import Parameterization
from wavediff.transforms.base import Representation

Denoiser = Callable[[Tensor, Tensor, "Tensor | None"], Tensor]


def guided(net: Denoiser, guidance_scale: float, null_label: int) -> Denoiser:
    """Classifier-free guidance (Ho & Salimans 2022): ``u + w (c - u)`` from the conditional output
    ``c`` and the unconditional one ``u`` (label ``null_label``). ``w = 1`` is the conditional
    prediction alone, ``w = 0`` the unconditional one; both then cost one network call."""

    def denoise(x: Tensor, t: Tensor, cond: Tensor | None) -> Tensor:
        if cond is None or guidance_scale == 1.0:
            return net(x, t, cond)
        null = torch.full_like(cond, null_label)
        if guidance_scale == 0.0:
            return net(x, t, null)
        both = net(torch.cat([x, x]), torch.cat([t, t]), torch.cat([cond, null]))
        conditional, unconditional = both.chunk(2)
        return unconditional + guidance_scale * (conditional - unconditional)

    return denoise


def projected(denoiser: Denoiser, parameterization: Parameterization, representation: Representation,
              alphas_cumprod: Tensor) -> Denoiser:
    """Replace the predicted clean image by its projection onto the representation's range (the
    images of real series) and return the output that predicts it, so every scheduler steps
    toward an image of a series."""

    def denoise(x: Tensor, t: Tensor, cond: Tensor | None) -> Tensor:
        output = denoiser(x, t, cond)
        alpha_bar = alphas_cumprod[t].view(-1, *([1] * (x.ndim - 1)))
        clean = representation.project(parameterization.clean(output, x, alpha_bar))
        return parameterization.output(clean, x, alpha_bar).to(output.dtype)

    return denoise
