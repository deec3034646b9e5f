"""A step callback that keeps the first series' clean-image prediction at a few noise levels, for
the "how a sample emerges" picture (sampling callback, TensorBoard)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from wavediff.sampling.methods import Step


@dataclass
class DenoisingTrace:
    """Keeps ``denoised[0]`` at ``points`` network calls of the first batch, evenly spread from the
    first call to the last. ``images``: ``(K, *image_shape)``; ``sigmas``: the K noise levels."""

    points: int = 6
    sigmas: list[float] = field(default_factory=list)
    kept: list[torch.Tensor] = field(default_factory=list, repr=False)
    _done: bool = False

    def __call__(self, step: Step) -> None:
        if self._done:
            return
        wanted = {round(i * (step.total - 1) / max(self.points - 1, 1)) for i in range(self.points)}
        if step.index in wanted:
            self.sigmas.append(step.sigma)
            self.kept.append(step.denoised[0].detach().float().cpu())
        if step.index == step.total - 1:
            self._done = True  # later batches add nothing

    @property
    def images(self) -> torch.Tensor:
        return torch.stack(self.kept) if self.kept else torch.empty(0)
