"""Several aligned assets in one image: each asset's own representation, stacked as channels.

``returns (B, A, T)`` -> asset ``i`` through its own fitted representation (scalers, tail map,
window-scale map, start price: all fitted on that asset's training returns) -> ``(B, C, S, T)``
images concatenated along the channels, ``(B, A * C, S, T)``. The inverse splits the channels
and inverts each asset exactly, so the round trip is exact per asset; what ties the assets
together is the network, which sees all channels at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from wavediff.transforms.base import Representation


class MultiAssetRepresentation(Representation):
    """``A`` copies of one representation (``base``: its config, as :meth:`config` returns it,
    ``window_size`` included), one per asset, their images stacked as channels.

    Args:
        assets: asset names, in channel order (``A >= 2``).
        base: the per-asset representation's config (``kind`` and arguments).
        window_size: ``T``, when ``base`` does not hold it.
    """

    kind = "multi_asset"

    def __init__(self, assets: Sequence[str], base: Mapping[str, Any], window_size: int | None = None) -> None:
        super().__init__()
        from wavediff.transforms import build_representation  # the registry imports this module

        if isinstance(assets, str) or len(assets) < 2:
            raise ValueError(f"a multi-asset representation needs at least 2 assets, got {assets!r}")
        base = dict(base) | ({"window_size": window_size} if window_size is not None else {})
        if base.get("kind") == self.kind:
            raise ValueError("the per-asset representation cannot itself be multi-asset")
        self.assets = [str(a) for a in assets]
        self.parts = nn.ModuleList(build_representation(base) for _ in self.assets)
        self.has_range = all(p.has_range for p in self.parts)

    @property
    def channels_per_asset(self) -> int:
        return self.parts[0].image_shape[0]

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "assets": list(self.assets), "base": self.parts[0].config()}

    @property
    def image_shape(self) -> tuple[int, ...]:
        """``(A * C, S, T)`` (``(A, T)`` for ``returns``)."""
        c, *rest = self.parts[0].image_shape
        return (len(self.assets) * c, *rest)

    def _split(self, images: Tensor) -> list[Tensor]:
        """``(B, A * C, ...)`` -> ``A`` tensors ``(B, C, ...)``."""
        return list(images.split(self.channels_per_asset, dim=1))

    def _check(self, returns: Tensor) -> None:
        if returns.ndim != 3 or returns.shape[1] != len(self.assets):
            raise ValueError(f"expected return windows (B, {len(self.assets)}, T) of assets {self.assets}, "
                             f"got {tuple(returns.shape)}")

    @torch.no_grad()
    def fit(self, train_returns: Tensor, start_price: Tensor | Sequence[float] | float) -> "MultiAssetRepresentation":
        """Fit asset ``i``'s representation on ``train_returns[:, i]`` (windows ``(N, A, T)``);
        ``start_price``: the last training price of each asset, ``(A,)``."""
        self._check(train_returns)
        starts = torch.as_tensor(start_price, dtype=torch.float64).expand(len(self.assets))
        for i, part in enumerate(self.parts):
            part.fit(train_returns[:, i], start_price=float(starts[i]))
        self.start_price.fill_(float(starts[0]))
        return self

    def encode(self, returns: Tensor) -> Tensor:
        """``(B, A, T)`` log returns -> ``(B, A * C, S, T)`` images."""
        self._check(returns)
        return torch.cat([p.encode(returns[:, i]) for i, p in enumerate(self.parts)], dim=1)

    def decode(self, images: Tensor) -> Tensor:
        """``(B, A * C, S, T)`` -> ``(B, A, T)`` log returns."""
        return torch.stack([p.decode(x) for p, x in zip(self.parts, self._split(images))], dim=1)

    def match_window_scales(self, returns: Tensor) -> Tensor:
        """Each asset's windows get that asset's training distribution of scales (ranks within the
        set, per asset: the map is monotone, so which windows are calm together is kept)."""
        self._check(returns)
        return torch.stack([p.match_window_scales(returns[:, i]) for i, p in enumerate(self.parts)], dim=1)

    def project(self, images: Tensor) -> Tensor:
        return torch.cat([p.project(x) for p, x in zip(self.parts, self._split(images))], dim=1)

    def magnitude(self, images: Tensor) -> Tensor:
        """Scalograms of every asset stacked as rows, ``(B, A * S, T)``."""
        return torch.cat([p.magnitude(x) for p, x in zip(self.parts, self._split(images))], dim=1)

    def row_labels(self) -> list[str]:
        return [f"{a} {label}" for a, p in zip(self.assets, self.parts) for label in p.row_labels()]

    def range_noise(self, count: int, generator: torch.Generator | None = None,
                    series: Tensor | None = None) -> Tensor:
        """Each asset's range noise, stacked; ``series`` ``(count, A, T)``."""
        return torch.cat([p.range_noise(count, generator, None if series is None else series[:, i])
                          for i, p in enumerate(self.parts)], dim=1)

    def prices(self, returns: Tensor, start_price: Tensor | Sequence[float] | float | None = None) -> Tensor:
        """Price paths ``(B, A, T + 1)`` from ``(B, A, T)``, from each asset's start price (or the given ones)."""
        starts = [None] * len(self.parts) if start_price is None else \
            torch.as_tensor(start_price, dtype=torch.float64).expand(len(self.parts)).tolist()
        return torch.stack([p.prices(returns[:, i], s) for i, (p, s) in enumerate(zip(self.parts, starts))], dim=1)

    @property
    def start_prices(self) -> list[float]:
        return [float(p.start_price) for p in self.parts]
