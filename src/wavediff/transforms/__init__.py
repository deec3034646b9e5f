"""Image representations of log-return windows, chosen by ``data.transform.kind``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wavediff.errors import ConfigError
from wavediff.transforms.base import Representation
from wavediff.transforms.representation import WaveletRepresentation
from wavediff.transforms.returns import ReturnsRepresentation
from wavediff.transforms.magnitude_scalogram import MagnitudeScalogram
from wavediff.transforms.multi_asset import MultiAssetRepresentation
from wavediff.transforms.bars import BarRepresentation

REPRESENTATIONS: dict[str, type[Representation]] = {
    cls.kind: cls for cls in (WaveletRepresentation, MagnitudeScalogram, ReturnsRepresentation,
                           MultiAssetRepresentation, BarRepresentation)}
REPRESENTATIONS["seed_scalogram"] = MagnitudeScalogram  # its name before 0.2 (checkpoints store kind)


def build_representation(config: Mapping[str, Any]) -> Representation:
    """A representation from its config (``kind`` plus constructor arguments, as :meth:`config`
    returns them); ``kind`` defaults to ``complex_cwt`` (checkpoints written before it existed)."""
    kwargs = dict(config)
    kind = kwargs.pop("kind", WaveletRepresentation.kind)
    if kind not in REPRESENTATIONS:
        raise ConfigError(f"data.transform.kind={kind!r}: one of {', '.join(REPRESENTATIONS)}")
    try:
        return REPRESENTATIONS[kind](**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"data.transform ({kind}): {exc}") from None
