"""The complex-CWT representation: the one object that turns return windows into model images and back.

``returns (B, T)`` --global return scaler--> ``(B, T)`` --CWT--> ``(B, 2, S, T)``
--per-(channel, scale) image scaler--> model space. ``decode`` runs the chain backwards with the
exact inverse CWT. Training data, sampling callbacks, ``generate`` and evaluation all use it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from wavediff.transforms.scaler import StandardScaler
from wavediff.errors import require_int
from wavediff.transforms.base import Representation, gaussian
from wavediff.transforms.cwt import AnalyticCWT, period_labels
from wavediff.transforms.tails import LambertWTails, QuantileTails
from wavediff.transforms.window_scales import WindowScaleMap

TAILS = (None, "asinh", "lambert_w", "quantile")


class WaveletRepresentation(Representation):
    """Complex-CWT image representation of log-return windows, with its fitted scalers.

    Args:
        window_size: ``T``, returns per window.
        num_scales: ``S``, image rows (``S - 1`` Morlet scales + one low-pass row).
        omega0, min_scale, max_scale, wavelet, order: see :class:`~wavediff.transforms.cwt.AnalyticCWT`
            (``wavelet``: ``morlet`` by default, ``paul`` or ``dog``).
        tails: what happens to standardised returns ``z`` before the CWT (and is undone after
            the inverse), so that rare jumps of 10 standard deviations become values of about 3
            that the network sees often enough to learn:
            ``None`` nothing; ``"asinh"`` compression to ``c asinh(z / c)`` with
            ``c = tail_scale`` (linear body, logarithmic tails; decoded values clipped at 1.25
            times the largest compressed training value); ``"lambert_w"`` the inverse of a
            double-tail Lambert W x Gaussian law fitted on the training returns
            (:class:`~wavediff.transforms.tails.LambertWTails`: near-Gaussian, skew included);
            ``"quantile"`` the empirical normal scores of the training returns
            (:class:`~wavediff.transforms.tails.QuantileTails`: Gaussian, and a Gaussian series
            decodes to the training marginal).
        tail_scale: ``c`` of ``"asinh"``; set alone (checkpoints from before ``tails``), it means
            ``tails="asinh"``.
        window_scales: fit the window-scale map on the training windows, so that generated sets can
            get their spread of scales (:class:`~wavediff.transforms.window_scales.WindowScaleMap`);
            ``False`` leaves it unfitted (samples as drawn).
    """

    kind = "complex_cwt"
    has_range = True

    def __init__(self, window_size: int, num_scales: int, omega0: float = 6.0,
                 min_scale: float = 2.0, max_scale: float | None = None, tail_scale: float | None = None,
                 tails: str | None = None, wavelet: str = "morlet", order: int | None = None,
                 window_scales: bool = True) -> None:
        super().__init__()
        if not isinstance(window_scales, bool):
            raise ValueError(f"window_scales must be true or false, got {window_scales!r}")
        self.use_window_scales = window_scales
        require_int(num_scales, "data.transform.num_scales", 2)
        if tails is None and tail_scale is not None:
            tails = "asinh"
        if tails not in TAILS:
            raise ValueError(f"tails must be one of {', '.join(map(str, TAILS))}, got {tails!r}")
        if tails == "asinh":
            tail_scale = 1.0 if tail_scale is None else tail_scale
            if not tail_scale > 0:
                raise ValueError(f"tail_scale must be positive or null, got {tail_scale}")
        self.tails = tails
        self.tail_scale = float(tail_scale) if tails == "asinh" else None
        # the fitted tail map (its buffers travel in the checkpoint); None for null and asinh
        self.tail_map = {"lambert_w": LambertWTails, "quantile": QuantileTails}.get(tails, lambda: None)()
        self.cwt = AnalyticCWT(window_size, num_scales, omega0, min_scale, max_scale, wavelet, order)
        self.return_scaler = StandardScaler((1,))
        self.image_scaler = StandardScaler((AnalyticCWT.channels, num_scales, 1))
        self.register_buffer("tail_limit", torch.tensor(float("inf"), dtype=torch.float64))
        self.window_scales = WindowScaleMap()  # scales of the training windows' latent series
        # Per-pixel variance of CWT(white noise) = squared norm of each row's impulse response;
        # fixed by the filters, so computed once (not stored: rebuilt from the arguments).
        delta = torch.zeros(1, window_size)
        delta[0, 0] = 1.0
        self.register_buffer("white_noise_variance", (self.cwt(delta)[0] ** 2).sum(-1, keepdim=True),
                             persistent=False)

    def config(self) -> dict[str, Any]:
        c = self.cwt
        return {"kind": self.kind, "window_size": c.window_size, "num_scales": c.num_scales,
                "omega0": c.omega0, "min_scale": c.min_scale, "max_scale": c.max_scale,
                "tail_scale": self.tail_scale, "tails": self.tails, "wavelet": c.wavelet.name,
                "order": c.wavelet.order, "window_scales": self.use_window_scales}

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any) -> None:
        # Checkpoints from before tail compression have no tail_limit: no compression, no limit.
        state_dict.setdefault(prefix + "tail_limit", torch.tensor(float("inf"), dtype=torch.float64))
        # ... and from before the window-scale map: an unfitted map, samples as drawn.
        state_dict.setdefault(prefix + "window_scales.quantiles", torch.full_like(self.window_scales.quantiles,
                                                                                float("nan")))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _compress(self, z: Tensor) -> Tensor:
        """Standardised returns -> the series the CWT sees (identity without ``tails``)."""
        if self.tail_map is not None:
            return self.tail_map.gaussianize(z)
        return z if self.tail_scale is None else self.tail_scale * torch.asinh(z / self.tail_scale)

    def _expand(self, y: Tensor) -> Tensor:
        if self.tail_map is not None:
            return self.tail_map.heavy(y)
        if self.tail_scale is None:
            return y
        limit = float(self.tail_limit)
        return self.tail_scale * torch.sinh(y.clamp(-limit, limit) / self.tail_scale)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(2, S, T)``."""
        return self.cwt.image_shape

    @torch.no_grad()
    def fit(self, train_returns: Tensor, start_price: float) -> "WaveletRepresentation":
        """Fit both scalers on training windows ``(N, T)`` of log returns only."""
        self.return_scaler.fit(train_returns.reshape(-1, 1))
        if self.tail_map is not None:
            self.tail_map.fit(self.return_scaler.transform(train_returns.double()))
        compressed = self._compress(self.return_scaler.transform(train_returns.float()))
        if self.use_window_scales:
            self.window_scales.fit(compressed)
        self.tail_limit.fill_(1.25 * float(compressed.abs().max()) if self.tail_scale is not None else float("inf"))
        self.image_scaler.fit(self.cwt(compressed))
        self.start_price.fill_(float(start_price))
        return self

    def encode(self, returns: Tensor) -> Tensor:
        """Log-return windows ``(B, T)`` -> normalised images ``(B, 2, S, T)`` (float32)."""
        images = self.cwt(self._compress(self.return_scaler.transform(returns.float())))
        return self.image_scaler.transform(images)

    def decode(self, images: Tensor) -> Tensor:
        """Normalised images ``(B, 2, S, T)`` -> log-return windows ``(B, T)`` (float32)."""
        series = self.cwt.inverse(self.image_scaler.inverse_transform(images.float()))
        return self.return_scaler.inverse_transform(self._expand(series))

    def match_window_scales(self, returns: Tensor) -> Tensor:
        """Generated log-return windows ``(n, T)`` whose latent series (after the scaler and the tail
        map) get the training windows' distribution of scales, by rank (:class:`WindowScaleMap`)."""
        if not self.window_scales.fitted:
            return returns
        latent = self._compress(self.return_scaler.transform(returns.float()))
        return self.return_scaler.inverse_transform(self._expand(self.window_scales(latent))).to(returns.dtype)

    def project(self, images: Tensor) -> Tensor:
        """Project normalised images onto the set of images of real series, same shape."""
        raw = self.image_scaler.inverse_transform(images.float())
        return self.image_scaler.transform(self.cwt.project(raw))

    def reprojection_error(self, images: Tensor) -> Tensor:
        """Per-image relative distance to the transform's range (in raw CWT units), ``(B,)``."""
        raw = self.image_scaler.inverse_transform(images.float())
        diff = (self.cwt.project(raw) - raw).flatten(1).norm(dim=1)
        return diff / raw.flatten(1).norm(dim=1).clamp(min=1e-12)

    def magnitude(self, images: Tensor) -> Tensor:
        """Un-normalised scalogram magnitude ``(B, S, T)`` for plotting."""
        return self.cwt.magnitude(self.image_scaler.inverse_transform(images.float()))

    def range_noise(self, count: int, generator: torch.Generator | None = None,
                    series: Tensor | None = None) -> Tensor:
        """Normalised images of white-noise series ``(count, 2, S, T)``: noise on the (linear part
        of the) transform's range, scaled to unit mean pixel variance. The series are standard
        Gaussian, or the given unit-variance i.i.d. ``series`` ``(count, T)``.

        The per-pixel variance of ``CWT(z)`` for white ``z`` is the squared norm of the row's
        impulse response (time-invariant), so the scale is exact, not estimated.
        """
        std = self.image_scaler.std.float()  # (2, S, 1)
        z = gaussian((count, self.cwt.window_size), generator, std.device) if series is None else series.to(std.device)
        variance = self.white_noise_variance / std**2  # (2, S, 1)
        return self.cwt(z) / std / variance.mean().sqrt()

    def row_labels(self) -> list[str]:
        return period_labels(self.cwt)
