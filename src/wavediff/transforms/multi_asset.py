"""Several aligned assets in one image: each asset's own representation, stacked as channels.

``returns (B, A, T)`` -> asset ``i`` through its own fitted representation (scalers, tail map,
window-scale map, start price: all fitted on that asset's training returns) -> ``(B, C, S, T)``
images concatenated along the channels, ``(B, A * C, S, T)``. The inverse splits the channels
and inverts each asset exactly, so the round trip is exact per asset; what ties the assets
together is the network, which sees all channels at once.

With ``decorrelate`` the assets are first rotated into their principal components (PCA
whitening of the standardised returns, fitted on the training split): each channel stack then
holds one uncorrelated component (for two indices moving together, "the market" and "the
spread"), and the inverse rotation gives back the training correlation exactly, so the network
only has to get each component's own law and their higher-order links (common jumps, shared
volatility) right. The rotation is linear and invertible, so the round trip stays exact.
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
        decorrelate: rotate the assets into principal components before encoding (see the module).
    """

    kind = "multi_asset"

    def __init__(self, assets: Sequence[str], base: Mapping[str, Any], window_size: int | None = None,
                 decorrelate: bool = False) -> None:
        super().__init__()
        from wavediff.transforms import build_representation  # the registry imports this module

        if isinstance(assets, str) or len(assets) < 2:
            raise ValueError(f"a multi-asset representation needs at least 2 assets, got {assets!r}")
        base = dict(base) | ({"window_size": window_size} if window_size is not None else {})
        if base.get("kind") == self.kind:
            raise ValueError("the per-asset representation cannot itself be multi-asset")
        if not isinstance(decorrelate, bool):
            raise ValueError(f"decorrelate must be true or false, got {decorrelate!r}")
        self.assets = [str(a) for a in assets]
        self.decorrelate = decorrelate
        self.parts = nn.ModuleList(build_representation(base) for _ in self.assets)
        self.has_range = all(p.has_range for p in self.parts)
        a = len(self.assets)
        f64 = torch.float64
        # returns -> components: u = W (r - mean) / std per time step; identity without decorrelate
        self.register_buffer("asset_mean", torch.zeros(a, dtype=f64))
        self.register_buffer("asset_std", torch.ones(a, dtype=f64))
        self.register_buffer("whitening", torch.eye(a, dtype=f64))  # W (A, A)
        self.register_buffer("colouring", torch.eye(a, dtype=f64))  # W^-1 (A, A)

    @property
    def channels_per_asset(self) -> int:
        return self.parts[0].image_shape[0]

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "assets": list(self.assets), "base": self.parts[0].config(),
                "decorrelate": self.decorrelate}

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any) -> None:
        for name in ("asset_mean", "asset_std", "whitening", "colouring"):  # written before decorrelate
            state_dict.setdefault(prefix + name, getattr(self, name).clone())
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _components(self, returns: Tensor) -> Tensor:
        """``(B, A, T)`` returns -> what the per-asset representations see (the same without decorrelate)."""
        if not self.decorrelate:
            return returns
        z = (returns.double() - self.asset_mean[:, None]) / self.asset_std[:, None]
        return torch.einsum("ij,bjt->bit", self.whitening, z).to(returns.dtype)

    def _returns(self, components: Tensor) -> Tensor:
        if not self.decorrelate:
            return components
        z = torch.einsum("ij,bjt->bit", self.colouring, components.double())
        return (z * self.asset_std[:, None] + self.asset_mean[:, None]).to(components.dtype)

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
        if self.decorrelate:
            pooled = train_returns.double().transpose(1, 2).reshape(-1, len(self.assets))  # (N T, A)
            self.asset_mean.copy_(pooled.mean(0))
            self.asset_std.copy_(pooled.std(0).clamp_min(1e-300))
            values, vectors = torch.linalg.eigh(torch.corrcoef(pooled.T))  # ascending
            values, vectors = values.flip(0).clamp_min(1e-12), vectors.flip(1)  # first component first
            vectors = vectors * torch.where(vectors.sum(0) < 0, -1.0, 1.0)  # components load positively
            self.whitening.copy_(vectors.T / values.sqrt()[:, None])
            self.colouring.copy_(vectors * values.sqrt()[None, :])
        components = self._components(train_returns)
        for i, part in enumerate(self.parts):
            part.fit(components[:, i], start_price=float(starts[i]))
        self.start_price.fill_(float(starts[0]))
        return self

    def encode(self, returns: Tensor) -> Tensor:
        """``(B, A, T)`` log returns -> ``(B, A * C, S, T)`` images."""
        self._check(returns)
        components = self._components(returns)
        return torch.cat([p.encode(components[:, i]) for i, p in enumerate(self.parts)], dim=1)

    def decode(self, images: Tensor) -> Tensor:
        """``(B, A * C, S, T)`` -> ``(B, A, T)`` log returns."""
        return self._returns(torch.stack([p.decode(x) for p, x in zip(self.parts, self._split(images))], dim=1))

    def match_window_scales(self, returns: Tensor) -> Tensor:
        """Each asset's windows get that asset's training distribution of scales (ranks within the
        set, per asset: the map is monotone, so which windows are calm together is kept)."""
        self._check(returns)
        components = self._components(returns)
        return self._returns(torch.stack([p.match_window_scales(components[:, i])
                                          for i, p in enumerate(self.parts)], dim=1))

    def project(self, images: Tensor) -> Tensor:
        return torch.cat([p.project(x) for p, x in zip(self.parts, self._split(images))], dim=1)

    def magnitude(self, images: Tensor) -> Tensor:
        """Scalograms of every asset (or component) stacked as rows, ``(B, A * S, T)``."""
        return torch.cat([p.magnitude(x) for p, x in zip(self.parts, self._split(images))], dim=1)

    def row_labels(self) -> list[str]:
        names = [f"PC{i + 1}" for i in range(len(self.assets))] if self.decorrelate else self.assets
        return [f"{a} {label}" for a, p in zip(names, self.parts) for label in p.row_labels()]

    def range_noise(self, count: int, generator: torch.Generator | None = None,
                    series: Tensor | None = None) -> Tensor:
        """Each asset's range noise, stacked; ``series`` ``(count, A, T)``."""
        return torch.cat([p.range_noise(count, generator, None if series is None else series[:, i])
                          for i, p in enumerate(self.parts)], dim=1)

    def prices(self, returns: Tensor, start_price: Tensor | Sequence[float] | float | None = None) -> Tensor:
        """Price paths ``(B, A, T + 1)`` from ``(B, A, T)``, from each asset's start price (or the given ones)."""
        starts = self.start_prices if start_price is None else \
            torch.as_tensor(start_price, dtype=torch.float64).expand(len(self.parts)).tolist()
        return torch.stack([p.prices(returns[:, i], s) for i, (p, s) in enumerate(zip(self.parts, starts))], dim=1)

    @property
    def start_prices(self) -> list[float]:
        return [float(p.start_price) for p in self.parts]
