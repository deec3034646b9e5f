"""Diffusion noise: what the loss adds to clean images and what every sampler injects.

One object, chosen by ``model/noise`` (``white``, ``range``, ``student_t``), answers
:meth:`Noise.sample`; nothing else decides how noise is drawn. All noises have unit mean variance
so the DDPM schedule keeps its meaning.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from wavediff.errors import ConfigError
from wavediff.config.instantiate import instantiate
from wavediff.transforms.base import Representation, gaussian


class Noise:
    """Draws ``(count, *image_shape)`` noise on the representation's device from a generator (a
    CPU generator gives the same noise on every device)."""

    kind: ClassVar[str]

    def sample(self, count: int, representation: Representation,
               generator: torch.Generator | None = None) -> Tensor:
        raise NotImplementedError

    @property
    def is_white(self) -> bool:
        """Whether a scheduler's own Gaussian draws (``generator=``) are the same noise."""
        return False

    @property
    def needs_range(self) -> bool:
        """Whether it draws from the representation's range (linear transforms only)."""
        return False


class WhiteNoise(Noise):
    """I.i.d. standard normal pixels (the usual DDPM)."""

    kind = "white"

    def sample(self, count: int, representation: Representation,
               generator: torch.Generator | None = None) -> Tensor:
        return gaussian((count, *representation.image_shape), generator, representation.device)

    @property
    def is_white(self) -> bool:
        return True


class RangeNoise(Noise):
    """Images of white-noise series: Gaussian noise on the representation's range, so every noisy
    image is an image of some series (README "Range noise")."""

    kind = "range"

    @property
    def needs_range(self) -> bool:
        return True

    def sample(self, count: int, representation: Representation,
               generator: torch.Generator | None = None) -> Tensor:
        return representation.range_noise(count, generator)


class StudentTNoise(Noise):
    """Heavy-tailed noise. ``space=pixel`` or ``range``: as in t-EDM (Pandey et al., ICLR 2025),
    each sample's Gaussian noise (white pixels or range noise) times ``sqrt(nu / chi2_nu)`` — one
    chi-square draw per image, so every pixel is Student-t with ``nu`` degrees of freedom (excess
    kurtosis ``6 / (nu - 4)`` for ``nu > 4``). ``space=series``: range noise made from i.i.d.
    Student-t series (one chi-square draw per return), i.e. the images of heavy-tailed white
    noise, whose spikes look like jumps. All rescaled by ``sqrt((nu - 2) / nu)`` to unit variance."""

    kind = "student_t"

    def __init__(self, nu: float = 5.0, space: str = "pixel") -> None:
        if not isinstance(nu, (int, float)) or not nu > 2:
            raise ConfigError(f"model.noise.nu={nu!r}: must be > 2 (the variance is infinite below)")
        if space not in ("pixel", "range", "series"):
            raise ConfigError(f"model.noise.space={space!r}: pixel, range or series")
        self.nu, self.space = float(nu), space
        self.base: Noise = WhiteNoise() if space == "pixel" else RangeNoise()

    @property
    def needs_range(self) -> bool:
        return self.space != "pixel"

    def _scales(self, shape: tuple[int, ...], generator: torch.Generator | None) -> Tensor:
        """``sqrt((nu - 2) / chi2_nu)`` of ``shape`` (CPU): numpy's chi-square, seeded from the torch
        generator (torch's chi-square takes no generator)."""
        seed = int(torch.randint(0, 2**62, (1,), generator=generator,
                                 device=generator.device if generator is not None else "cpu"))
        chi2 = np.random.default_rng(seed).chisquare(self.nu, shape)
        return torch.as_tensor(np.sqrt((self.nu - 2) / chi2), dtype=torch.float32)

    def sample(self, count: int, representation: Representation,
               generator: torch.Generator | None = None) -> Tensor:
        if self.space == "series":
            length = representation.image_shape[-1]
            series = gaussian((count, length), generator, "cpu") * self._scales((count, length), generator)
            return representation.range_noise(count, generator, series=series)
        gauss = self.base.sample(count, representation, generator)
        scale = self._scales((count,), generator).to(gauss.device)
        return gauss * scale.view(-1, *([1] * (gauss.ndim - 1)))


def check_noise_fits(noise: Noise, representation: Representation) -> None:
    """Range-based noise needs a linear transform: refuse it in one line otherwise."""
    if noise.needs_range and not representation.has_range:
        raise ConfigError(f"model/noise={noise.kind} draws images of series, which needs a linear transform "
                          f"(complex_cwt or returns); {representation.kind} has none: use model/noise=white "
                          "(experiment=magnitude_baseline does)")


# ``model.noise`` as checkpoints written before noise objects stored it
LEGACY_NOISES: dict[str, type[Noise]] = {"white": WhiteNoise, "range": RangeNoise}


def build_noise(config: str | dict[str, Any] | Noise) -> Noise:
    """A noise from its ``model/noise`` config (``_target_`` + arguments), or from the plain
    ``white``/``range`` string that older checkpoints store."""
    if isinstance(config, Noise):
        return config
    if isinstance(config, str):
        if config not in LEGACY_NOISES:
            raise ConfigError(f"model/noise={config!r}: one of white, range, student_t")
        return LEGACY_NOISES[config]()
    return instantiate(dict(config), "model.noise")
