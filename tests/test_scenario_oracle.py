"""Scenarios after a history, driven by the exact denoiser of a known law of returns.

The complex CWT representation is affine in the returns, ``x = A r + b``, so for returns that
are Gaussian given a volatility level the clean-image posterior mean ``D(x, σ)`` is closed form
(a mixture over the levels). Running the real sampler with the real inpainting wrapper over that
oracle shows what the scenario mechanism does with a perfect network: on an iid Gaussian law the
continuation ignores the history; on a law whose volatility persists across the window (a
two-level scale mixture, the simplest GARCH-like law) it should follow the history's volatility.
Today's mechanism (x0-replacement, :func:`~wavediff.sampling.denoisers.inpainted`) gets the
direction right and the size only partly (the strict xfail marks the gap); one correction call
per step (``sampler.history_corrections=1``) closes it, at the price of a larger mean leak.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wavediff.sampling import methods
from wavediff.sampling.denoisers import inpainted
from wavediff.sampling.sigmas import karras_sigmas
from wavediff.transforms.representation import WaveletRepresentation

T, SCALES, KNOWN = 32, 8, 24
BASE = 0.01  # return std of the iid law and of the calm level


def representation() -> WaveletRepresentation:
    train = torch.from_numpy(np.random.default_rng(0).normal(0, BASE, (256, T))).float()
    return WaveletRepresentation(T, SCALES).fit(train, start_price=1.0)


class ScaleMixtureOracle:
    """``E[x0 | x0 + σ n = x]`` for images of returns ``r ~ N(0, s_k² I)`` with level ``k`` drawn
    with probability ``weights[k]`` per window."""

    def __init__(self, rep: WaveletRepresentation, levels: list[float], weights: list[float]) -> None:
        with torch.no_grad():
            self.b = rep.encode(torch.zeros(1, T)).double().reshape(-1)
            basis = BASE * torch.eye(T)
            self.A = ((rep.encode(basis).double().reshape(T, -1) - self.b) / BASE).T  # (P, T)
        self.eigenvalues, self.V = torch.linalg.eigh(self.A.T @ self.A)
        self.levels = torch.tensor(levels, dtype=torch.float64)
        self.log_weights = torch.log(torch.tensor(weights, dtype=torch.float64))

    def __call__(self, x: torch.Tensor, sigma: torch.Tensor, cond=None) -> torch.Tensor:
        shape, s2 = x.shape, float(sigma[0]) ** 2
        centred = x.double().reshape(len(x), -1) - self.b
        y = centred @ self.A @ self.V  # (B, T) in the eigenbasis of AᵀA
        denominators = self.eigenvalues[None, :] + s2 / self.levels[:, None] ** 2  # (K, T)
        # log N(x; b, s_k² A Aᵀ + σ² I) up to a constant shared by the levels
        quadratic = -(y[:, None, :] ** 2 / denominators[None]).sum(-1) / s2
        log_det = torch.log1p(self.levels[:, None] ** 2 * self.eigenvalues[None, :] / s2).sum(-1)
        posterior = torch.softmax(self.log_weights - 0.5 * (quadratic + log_det), dim=1)  # (B, K)
        means = (y[:, None, :] / denominators[None]) @ self.V.T  # (B, K, T) each level's posterior mean returns
        returns = (posterior[..., None] * means).sum(1)
        return (returns @ self.A.T + self.b).reshape(shape).to(x.dtype)


def scenario_returns(rep: WaveletRepresentation, oracle: ScaleMixtureOracle, history: torch.Tensor,
                     n: int = 128, steps: int = 60, corrections: int = 0) -> torch.Tensor:
    """``(n, T - KNOWN)`` generated returns after ``history`` ``(KNOWN,)``."""
    generator = torch.Generator().manual_seed(0)
    shape = rep.image_shape
    denoise = inpainted(oracle, rep, history.expand(n, -1), corrections)

    def noise() -> torch.Tensor:
        return torch.randn(n, *shape, generator=generator, dtype=torch.float64)

    sigmas = karras_sigmas(steps, 0.002, 80.0)
    x = oracle.b.reshape(shape) + float(sigmas[0]) * noise()
    out = methods.euler_ancestral(lambda z, s: denoise(z, torch.full((n,), s, dtype=torch.float64), None),
                                  x, sigmas, noise)
    return rep.decode(out.float())[:, KNOWN:].double()


def histories() -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(1)
    shocks = torch.from_numpy(rng.normal(0, 1, KNOWN)).float()
    return BASE / 3 * shocks, 4 * BASE * shocks


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """(calm, stormy) continuations under each law, one sampler run each."""
    rep = representation()
    laws = {"iid": ScaleMixtureOracle(rep, [BASE], [1.0]),
            "persistent": ScaleMixtureOracle(rep, [BASE / 3, 4 * BASE], [0.5, 0.5])}
    runs = {name: tuple(scenario_returns(rep, oracle, h) for h in histories()) for name, oracle in laws.items()}
    runs.update({f"{name}+1": tuple(scenario_returns(rep, oracle, h, corrections=1) for h in histories())
                 for name, oracle in laws.items()})
    return runs


def test_on_an_iid_gaussian_law_the_spread_ignores_the_history_and_the_mean_leak_is_bounded(runs):
    calm, stormy = runs["iid"]
    # same noise, so any difference is the history's: the spread at every step is the same
    assert torch.allclose(calm.std(0), stormy.std(0), rtol=1e-3)
    assert abs(float(calm.std(0).mean()) / BASE - 1) < 0.12
    # x0-replacement leaks the history into the continuation's mean (measured: 1.4 BASE at the
    # first generated step after a 4x-volatility history, 0.2 after a calm one); guard the size
    assert float(calm.mean(0).abs().max()) < 0.4 * BASE
    assert float(stormy.mean(0).abs().max()) < 2.0 * BASE


def test_on_a_persistent_volatility_law_scenarios_move_toward_the_history_level(runs):
    calm, stormy = runs["persistent"]
    ratio = float(stormy.std(0).mean() / calm.std(0).mean())
    assert ratio > 2.5  # the history moves the continuation's volatility the right way (measured 3.8; the law's 12)


def test_one_correction_gives_the_continuation_the_history_level(runs):
    calm, stormy = runs["persistent+1"]
    assert abs(float(calm.std(0).mean()) / (BASE / 3) - 1) < 0.15
    assert abs(float(stormy.std(0).mean()) / (4 * BASE) - 1) < 0.15
    iid_calm, iid_stormy = runs["iid+1"]
    assert torch.allclose(iid_calm.std(0), iid_stormy.std(0), rtol=1e-3)  # still blind to an iid history
    # the price: a larger mean leak after a stormy history (measured 1.9 BASE against 1.4 without)
    assert float(iid_stormy.mean(0).abs().max()) < 2.5 * BASE


@pytest.mark.xfail(strict=True, reason="x0-replacement inpainting follows the history only partly: with the "
                   "exact denoiser a calm history's continuation has 2.5x its level's std (0.84 vs 0.33 BASE) "
                   "and a stormy one's 0.78x (3.14 vs 4 BASE); see docs/guides/conditioning.md")
def test_without_corrections_scenarios_have_the_history_level(runs):
    calm, stormy = runs["persistent"]
    assert abs(float(calm.std(0).mean()) / (BASE / 3) - 1) < 0.15
    assert abs(float(stormy.std(0).mean()) / (4 * BASE) - 1) < 0.15
