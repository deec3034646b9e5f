"""Tail maps: exactly invertible maps between heavy-tailed standardised returns and a near-Gaussian
series, fitted on the training split (``data.transform.tails``; their statistics live in buffers).

:class:`QuantileTails` (``tails=quantile``) is the empirical normal-scores map: ``u = Phi^-1(F(z))``
with ``F`` the training returns' distribution, piecewise linear between 1,024 knots. A standard
normal ``u`` maps back to the training marginal itself, jumps and skew included; the price is
that no return beyond the most extreme training return can come out.

:class:`LambertWTails` (``tails=lambert_w``): Goerg's heavy-tail Lambert W model (double-tail
variant) says a standardised return ``z`` is ``z = loc + scale * u * exp(delta * u**2 / 2)`` for
a standard normal ``u``, with its own ``delta >= 0`` for the left (``u < 0``) and the right tail:
``delta = 0`` is Gaussian, larger ``delta`` heavier tails, unequal deltas skew. Fitted by maximum
likelihood, it describes a smooth heavy tail well but not rare large jumps on a Gaussian body
(MJD): it fits the body and leaves the jumps as outliers of ``u`` (README "Sample quality").
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import torch
from scipy.optimize import minimize
from torch import Tensor, nn

from wavediff.errors import DataError


def lambert_w0(x: Tensor, iterations: int = 12) -> Tensor:
    """Principal branch ``W(x)`` for ``x >= 0`` (``w exp(w) = x``), by Halley's method from
    ``log1p(x)``; differentiable, on ``x``'s device and dtype. Float64 error ~1e-15 after 12 steps."""
    w = torch.log1p(x)
    for _ in range(iterations):
        ew = torch.exp(w)
        f = w * ew - x
        w = w - f / (ew * (w + 1) - (w + 2) * f / (2 * w + 2))
    return w


def _gaussianize(z: Tensor, loc: Tensor, scale: Tensor, delta_left: Tensor, delta_right: Tensor) -> tuple[Tensor, Tensor]:
    """Standardised returns ``z`` -> latent Gaussian ``u`` and each value's ``delta`` (same shape)."""
    y = (z - loc) / scale
    delta = torch.where(y < 0, delta_left, delta_right)
    # u = sign(y) sqrt(W(delta y^2) / delta) = y sqrt(W(x) / x) with x = delta y^2; W(x)/x -> 1 - x
    # near 0, written so that neither value nor gradient is 0/0 at y = 0 or delta = 0.
    x = delta * y * y
    safe = torch.where(x > 1e-12, x, torch.ones_like(x))
    ratio = torch.where(x > 1e-12, lambert_w0(safe) / safe, 1 - x)
    return y * torch.sqrt(ratio), delta


def _negative_log_likelihood(z: Tensor, loc: Tensor, scale: Tensor, delta_left: Tensor, delta_right: Tensor) -> Tensor:
    """Mean negative log density of ``z`` under the double-tail Lambert W x N(0, 1) law.

    With ``y = u exp(delta u^2 / 2)``: ``dy/du = exp(delta u^2 / 2) (1 + delta u^2)``, so
    ``log p(z) = log phi(u) - log scale - delta u^2 / 2 - log(1 + delta u^2)``.
    """
    u, delta = _gaussianize(z, loc, scale, delta_left, delta_right)
    log_density = (-0.5 * u * u - 0.5 * math.log(2 * math.pi) - torch.log(scale)
                   - 0.5 * delta * u * u - torch.log1p(delta * u * u))
    return -log_density.mean()


class LambertWTails(nn.Module):
    """Fitted double-tail Lambert W transform of standardised returns (statistics in buffers).

    ``gaussianize(z)`` -> ``u`` (near N(0, 1)); ``heavy(u)`` -> ``z`` (exact inverse). ``heavy``
    first clips ``u`` to the latent values of 1.25 times the most extreme training return on
    each side, so an overshooting sample cannot become a return of a thousand sigmas.
    """

    def __init__(self) -> None:
        super().__init__()
        f64 = torch.float64
        self.register_buffer("loc", torch.tensor(0.0, dtype=f64))
        self.register_buffer("scale", torch.tensor(1.0, dtype=f64))
        self.register_buffer("delta", torch.zeros(2, dtype=f64))  # (left, right)
        self.register_buffer("limit", torch.tensor([-math.inf, math.inf], dtype=f64))  # latent u clip

    @torch.no_grad()
    def fit(self, z: Tensor) -> "LambertWTails":
        """Maximum likelihood (L-BFGS-B, autograd gradients) on standardised returns ``z`` (any shape)."""
        x = z.detach().double().flatten().cpu()
        if not torch.isfinite(x).all():
            raise DataError("cannot fit the Lambert W tails: training returns contain NaN or inf")

        def loss_and_grad(p: np.ndarray) -> tuple[float, np.ndarray]:
            with torch.enable_grad():
                q = torch.tensor(p, dtype=torch.float64, requires_grad=True)
                loss = _negative_log_likelihood(x, q[0], torch.exp(q[1]), q[2], q[3])
                if not torch.isfinite(loss):
                    return 1e10, np.zeros_like(p)
                loss.backward()
            return float(loss), q.grad.numpy().copy()

        start = np.array([float(x.median()), math.log(float((x - x.median()).abs().median()) / 0.6745 + 1e-12), 0.1, 0.1])
        bounds = [(None, None), (None, None), (0.0, 2.0), (0.0, 2.0)]
        p = minimize(loss_and_grad, start, jac=True, method="L-BFGS-B", bounds=bounds,
                     options={"maxiter": 500, "ftol": 1e-12, "gtol": 1e-8}).x
        self.loc.fill_(p[0])
        self.scale.fill_(math.exp(p[1]))
        self.delta.copy_(torch.tensor(p[2:4], dtype=torch.float64))
        low, high = self.gaussianize(torch.stack([1.25 * x.min(), 1.25 * x.max()]).to(self.loc.device)).double()
        self.limit.copy_(torch.stack([low, high]))
        return self

    def gaussianize(self, z: Tensor) -> Tensor:
        """Standardised returns ``z`` (any shape) -> latent near-Gaussian ``u``, same shape and dtype."""
        u, _ = _gaussianize(z.double(), self.loc, self.scale, self.delta[0], self.delta[1])
        return u.to(z.dtype)

    def heavy(self, u: Tensor) -> Tensor:
        """Latent ``u`` (any shape) -> standardised returns ``z``: ``loc + scale u exp(delta u^2 / 2)``."""
        x = torch.minimum(torch.maximum(u.double(), self.limit[0]), self.limit[1])  # no host sync
        delta = torch.where(x < 0, self.delta[0], self.delta[1])
        return (self.loc + self.scale * x * torch.exp(0.5 * delta * x * x)).to(u.dtype)


def _interp(x: Tensor, xp: Tensor, fp: Tensor) -> Tensor:
    """Piecewise-linear interpolation of increasing knots ``(xp, fp)`` at ``x`` (any shape), clipped
    to the end knots; like ``numpy.interp``, on ``x``'s device, without host syncs."""
    flat = x.reshape(-1).to(xp.dtype)
    i = torch.searchsorted(xp, flat).clamp(1, xp.numel() - 1)
    x0, x1, f0, f1 = xp[i - 1], xp[i], fp[i - 1], fp[i]
    t = ((flat - x0) / (x1 - x0)).clamp(0, 1)
    return (f0 + t * (f1 - f0)).reshape(x.shape).to(x.dtype)


class QuantileTails(nn.Module):
    """Empirical normal-scores map of standardised returns (knots in buffers).

    Knots sit at ``knots`` evenly spaced latent values ``u_k`` in ``[-u_max, u_max]`` with
    ``u_max = Phi^-1(1 - 1 / (2 n))`` for ``n`` training returns, and at the empirical
    quantiles ``z_k = F^-1(Phi(u_k))`` (the end knots at the smallest and largest return):
    dense in the tails, where the jumps are.
    ``gaussianize`` and ``heavy`` interpolate between them and are exact inverses on
    ``[z_0, z_K]``; beyond it both clip to the end knots.
    """

    def __init__(self, knots: int = 1024) -> None:
        super().__init__()
        self.register_buffer("latent", torch.linspace(-1.0, 1.0, knots, dtype=torch.float64))
        self.register_buffer("returns", torch.linspace(-1.0, 1.0, knots, dtype=torch.float64))

    @torch.no_grad()
    def fit(self, z: Tensor) -> "QuantileTails":
        """Knots from standardised training returns ``z`` (any shape, at least 2 values)."""
        x = z.detach().double().flatten().cpu()
        if not torch.isfinite(x).all():
            raise DataError("cannot fit the quantile tails: training returns contain NaN or inf")
        if x.numel() < 2:
            raise DataError("cannot fit the quantile tails: need at least 2 training returns")
        u_max = NormalDist().inv_cdf(1 - 0.5 / x.numel())
        latent = torch.linspace(-u_max, u_max, self.latent.numel(), dtype=torch.float64)
        levels = torch.special.ndtr(latent)
        levels[0], levels[-1] = 0.0, 1.0  # the end knots are the extreme training returns
        knots = torch.from_numpy(np.quantile(x.numpy(), levels.numpy()))  # torch.quantile stops at 16M values
        # strictly increasing, so the inverse map is a function too (ties come from repeated returns)
        knots = knots + torch.arange(knots.numel(), dtype=torch.float64) * 1e-12 * float(x.std() or 1.0)
        self.latent.copy_(latent)
        self.returns.copy_(knots)
        return self

    def gaussianize(self, z: Tensor) -> Tensor:
        """Standardised returns ``z`` (any shape) -> normal scores ``u``, same shape and dtype."""
        return _interp(z, self.returns, self.latent)

    def heavy(self, u: Tensor) -> Tensor:
        """Normal scores ``u`` (any shape) -> standardised returns ``z``, same shape and dtype."""
        return _interp(u, self.latent, self.returns)
