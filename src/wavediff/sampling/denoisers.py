"""The σ-space denoiser ``D(x, sigma, cond) -> x0`` of a trained module, and the wrappers samplers
see it through: classifier-free guidance and range projection.

``x = x0 + sigma * n``; ``sigma`` is ``(B,)``. Each wrapper takes and returns such a function, so
it works at any σ and with every sampler (:mod:`wavediff.sampling.methods`, and diffusers'
schedulers through :func:`wavediff.sampling.samplers.run_diffusers`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from wavediff.models.preconditioning import Network, Preconditioning
from wavediff.transforms.base import Representation

Denoiser = Callable[[Tensor, Tensor, "Tensor | None"], Tensor]


def network_denoiser(net: Network, preconditioning: Preconditioning) -> Denoiser:
    """``D`` of a network under its preconditioning (VP adapter or EDM)."""

    def denoise(x: Tensor, sigma: Tensor, cond: Tensor | None) -> Tensor:
        return preconditioning.denoise(net, x, sigma, cond)

    return denoise


def guided(denoiser: Denoiser, guidance_scale: float, null_label: int) -> Denoiser:
    """Classifier-free guidance (Ho & Salimans 2022): ``u + w (c - u)`` from the conditional
    prediction ``c`` and the unconditional one ``u`` (label ``null_label``). ``w = 1`` is the
    conditional prediction alone, ``w = 0`` the unconditional one; both then cost one network call.
    (Every parameterization is affine in ``x0`` at fixed ``x``, so mixing clean images is the same
    as mixing noise or velocity predictions.)"""

    def denoise(x: Tensor, sigma: Tensor, cond: Tensor | None) -> Tensor:
        if cond is None or guidance_scale == 1.0:
            return denoiser(x, sigma, cond)
        null = torch.full_like(cond, null_label)
        if guidance_scale == 0.0:
            return denoiser(x, sigma, null)
        both = denoiser(torch.cat([x, x]), torch.cat([sigma, sigma]), torch.cat([cond, null]))
        conditional, unconditional = both.chunk(2)
        return unconditional + guidance_scale * (conditional - unconditional)

    return denoise


def projected(denoiser: Denoiser, representation: Representation) -> Denoiser:
    """The predicted clean image projected onto the representation's range (the images of real
    series), so every sampler steps toward an image of a series."""

    def denoise(x: Tensor, sigma: Tensor, cond: Tensor | None) -> Tensor:
        clean = denoiser(x, sigma, cond)
        return representation.project(clean).to(clean.dtype)

    return denoise


def inpainted(denoiser: Denoiser, representation: Representation, history: Tensor,
              corrections: int = 0) -> Denoiser:
    """Scenarios that continue an observed history: the first ``k`` log returns of every predicted
    clean series are replaced by ``history`` ``(B, k)`` and the series re-encoded, so at every σ the
    sampler steps toward images of series that start with the history. Re-encoding also projects
    onto the representation's range (linear representations only: the caller checks
    ``has_range``).

    Replacement alone leaves the generated part as the unconditional denoiser predicted it, blind
    to how the history corrects it. Each of ``corrections`` extra calls denoises again at
    ``x + δ``, ``δ`` the replacement's change of the clean image so far: ``D(x + δ) ≈ D(x) + J δ``,
    and ``σ² J`` is the posterior covariance of the clean image (Tweedie), so ``J δ`` moves the
    generated part by its posterior correlation with the known part. With the exact denoiser of a
    law whose volatility persists, one correction takes a calm history's continuation from 2.5x to
    0.9x its level's volatility (``tests/test_scenario_oracle.py``)."""
    known = history.shape[-1]

    def replace(clean: Tensor) -> Tensor:
        series = representation.decode(clean)
        series = torch.cat([history.to(series), series[:, known:]], dim=1)
        return representation.encode(series).to(clean.dtype)

    def denoise(x: Tensor, sigma: Tensor, cond: Tensor | None) -> Tensor:
        clean = denoiser(x, sigma, cond)
        shift = torch.zeros_like(x)
        for _ in range(corrections):
            shift = shift + (replace(clean) - clean)
            clean = denoiser(x + shift, sigma, cond)
        return replace(clean)

    return denoise
