"""Class labels of return windows for conditional generation (``model.condition``).

A labeler is fitted on the training windows; its fitted state (bucket edges, class frequencies)
lives in buffers so it travels in checkpoints, and generation draws labels at the training
frequencies when no class is asked for.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from wavediff.errors import ConfigError, DataError


class WindowLabels(nn.Module):
    """Maps windows of log returns ``(N, T)`` (and jump counts ``(N, T)`` where recorded) to class
    ids ``(N,)``. Subclasses set ``kind`` and implement :meth:`_fit` and :meth:`assign`."""

    kind: ClassVar[str]
    needs_jumps: ClassVar[bool] = False

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        if num_classes < 2:
            raise ConfigError(f"{self.kind} labels need at least 2 classes, got {num_classes}")
        self.num_classes = int(num_classes)
        self.register_buffer("frequencies", torch.full((self.num_classes,), 1.0 / self.num_classes))

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "num_classes": self.num_classes}

    @property
    def class_names(self) -> list[str]:
        raise NotImplementedError

    def _fit(self, returns: Tensor, jumps: Tensor | None) -> None:
        """Fit bucket edges on training windows (nothing to fit by default)."""

    def assign(self, returns: Tensor, jumps: Tensor | None) -> Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def fit(self, returns: Tensor, jumps: Tensor | None = None) -> "WindowLabels":
        """Fit on training windows and record each class's share of them."""
        self._fit(returns, jumps)
        counts = torch.bincount(self.assign(returns, jumps), minlength=self.num_classes).double()
        self.frequencies.copy_(counts / counts.sum())
        return self

    def draw(self, count: int, generator: torch.Generator | None = None) -> Tensor:
        """``count`` class ids ``(count,)`` drawn at the training frequencies (on the CPU)."""
        probs = self.frequencies.detach().double().cpu().clamp(min=0)
        return torch.multinomial(probs, count, replacement=True, generator=generator)

    def check_class(self, label: int) -> int:
        if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label < self.num_classes:
            names = ", ".join(f"{i}={n}" for i, n in enumerate(self.class_names))
            raise ConfigError(f"condition={label!r}: this model's {self.kind} classes are {names}")
        return label


class JumpCountLabels(WindowLabels):
    """Number of jumps in the window, exact from the simulator: ``0, 1, ..., max_jumps+``."""

    kind = "jumps"
    needs_jumps = True

    def __init__(self, num_classes: int = 3) -> None:
        super().__init__(num_classes)

    @property
    def class_names(self) -> list[str]:
        last = self.num_classes - 1
        return [f"{k} jump{'' if k == 1 else 's'}" for k in range(last)] + [f"{last}+ jumps"]

    def assign(self, returns: Tensor, jumps: Tensor | None) -> Tensor:
        if jumps is None:
            raise DataError("model.condition=jumps needs the jump counts a simulator records (data=mjd or bates)")
        return jumps.sum(dim=-1).long().clamp(max=self.num_classes - 1)


class VolatilityLabels(WindowLabels):
    """Realised-volatility bucket of the window: quantiles of the training windows' return std
    (terciles by default: low, mid, high). Works on any data, CSV included."""

    kind = "volatility"

    def __init__(self, num_classes: int = 3) -> None:
        super().__init__(num_classes)
        self.register_buffer("edges", torch.zeros(self.num_classes - 1, dtype=torch.float64))

    @property
    def class_names(self) -> list[str]:
        if self.num_classes == 3:
            return ["low volatility", "mid volatility", "high volatility"]
        return [f"volatility q{k + 1}/{self.num_classes}" for k in range(self.num_classes)]

    def _fit(self, returns: Tensor, jumps: Tensor | None) -> None:
        probs = torch.arange(1, self.num_classes, dtype=torch.float64) / self.num_classes
        self.edges.copy_(torch.quantile(returns.double().std(dim=-1), probs))

    def assign(self, returns: Tensor, jumps: Tensor | None) -> Tensor:
        return torch.bucketize(returns.double().std(dim=-1), self.edges.cpu(), right=True)


LABELS: dict[str, type[WindowLabels]] = {cls.kind: cls for cls in (JumpCountLabels, VolatilityLabels)}


def build_labels(config: str | dict[str, Any] | None) -> WindowLabels | None:
    """A labeler from ``model.condition`` (``null``, ``jumps``, ``volatility``) or a :meth:`config` dict."""
    if config is None:
        return None
    kwargs = {"kind": config} if isinstance(config, str) else dict(config)
    kind = kwargs.pop("kind", None)
    if kind not in LABELS:
        raise ConfigError(f"model.condition={kind!r}: one of null, {', '.join(LABELS)}")
    return LABELS[kind](**kwargs)
