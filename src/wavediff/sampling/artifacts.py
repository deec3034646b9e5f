"""Files written for a batch of samples: scalogram PNG, price-path PNG and an ``.npz`` of arrays."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from wavediff.sampling.generate import Samples
from wavediff.transforms.base import Representation
from wavediff.transforms.render import candles_figure, fan_figure, paths_figure, save_figure, scalogram_figure
from wavediff.utils import atomic_path


@dataclass
class SampleArtifacts:
    """Paths of what was written, plus the two pictures as RGB arrays for TensorBoard."""

    scalogram_png: Path
    paths_png: Path
    npz: Path
    scalogram_rgb: np.ndarray = field(repr=False)
    paths_rgb: np.ndarray = field(repr=False)
    summary: dict[str, Any] = field(default_factory=dict)
    fan_png: Path | None = None  # scenarios after a known history: the fan chart
    bars_csv: Path | None = None  # bar models (data.fields): the generated bars, in the loader's format
    candles_png: Path | None = None


def summarize(samples: Samples, close_channel: bool = False) -> dict[str, Any]:
    """A few numbers about the generated log returns (for logs and the registry); of the close's
    returns (channel 0) with ``close_channel`` (bar models)."""
    r = (samples.returns[:, 0] if close_channel else samples.returns).double().flatten()
    centred = r - r.mean()
    var = centred.pow(2).mean()
    return {
        "n": int(samples.returns.shape[0]),
        "sampler": samples.sampler,
        "network_evals": samples.network_evals,
        "returns_std": float(var.sqrt()),
        "returns_excess_kurtosis": float(centred.pow(4).mean() / var.pow(2) - 3.0),
        "reprojection_error_mean": float(samples.reprojection_error.mean()),
        "finite": bool(torch.isfinite(samples.returns).all()),
        "history_length": samples.history_length,
    }


def write_sample_artifacts(samples: Samples, representation: Representation,
                           scalogram_png: Path, real_returns: torch.Tensor | None = None,
                           title: str = "") -> SampleArtifacts:
    """Write ``scalogram_png``, ``<stem>_paths.png`` (or ``paths.png`` beside ``scalogram.png``),
    for scenarios after a history ``<stem>_fan.png`` (``fan.png``), and ``<stem>.npz``
    (``samples.npz``); each file appears only when complete."""
    scalogram_png = Path(scalogram_png)
    if scalogram_png.name == "scalogram.png":
        paths_png, npz = scalogram_png.with_name("paths.png"), scalogram_png.with_name("samples.npz")
    else:
        paths_png = scalogram_png.with_name(scalogram_png.stem + "_paths.png")
        npz = scalogram_png.with_suffix(".npz")
    labels = representation.row_labels()
    scalogram_rgb = save_figure(
        scalogram_figure(representation.magnitude(samples.images.to(representation.device)).cpu().numpy(), labels,
                         title=f"{title} |CWT| of generated samples ({samples.sampler})".strip()),
        scalogram_png)
    real_prices = None
    if real_returns is not None and len(real_returns):
        real_prices = representation.prices(real_returns[: len(samples.prices)]).cpu().numpy()
    paths_rgb = save_figure(paths_figure(samples.prices.numpy(), real_prices, title=f"{title} price paths".strip(),
                                         assets=getattr(representation, "assets", None)), paths_png)
    fan_png = None
    if samples.history_length:
        fan_png = scalogram_png.with_name("fan.png" if scalogram_png.name == "scalogram.png"
                                          else scalogram_png.stem + "_fan.png")
        save_figure(fan_figure(samples.prices.numpy(), samples.history_length,
                               title=f"{title} {len(samples.prices)} scenarios after {samples.history_length} "
                                     f"known returns".strip()), fan_png)
    bars_csv = candles_png = None
    if callable(getattr(representation, "bars", None)):  # bar channels: write the bars themselves
        named = (lambda name: scalogram_png.with_name(name) if scalogram_png.name == "scalogram.png"  # noqa: E731
                 else scalogram_png.with_name(f"{scalogram_png.stem}_{name}"))
        bars_csv, candles_png = named("bars.csv"), named("candles.png")
        bars = representation.bars(samples.returns)
        write_bars_csv(bars, bars_csv)
        shown = {"generated": bars} | ({"real": representation.bars(real_returns[: len(samples.returns)])}
                                       if real_returns is not None and len(real_returns) else {})
        save_figure(candles_figure(shown, title=f"{title} generated bars".strip()), candles_png)
    summary = summarize(samples, close_channel=bars_csv is not None)
    with atomic_path(npz) as tmp:
        np.savez_compressed(
            tmp, returns=samples.returns.numpy(), prices=samples.prices.numpy(),
            images=samples.images.numpy(), reprojection_error=samples.reprojection_error.numpy(),
            # one number, or one per asset
            start_price=samples.prices[0, ..., 0].numpy() if len(samples.prices) else float("nan"),
            summary=json.dumps(summary),
            **({"labels": samples.labels.numpy(), "class_names": np.array(samples.class_names)}
               if samples.labels is not None else {}),
            **({"returns_as_sampled": samples.returns_as_sampled.numpy()}
               if samples.returns_as_sampled is not None else {}),
            history_length=samples.history_length,
        )
    return SampleArtifacts(scalogram_png, paths_png, npz, scalogram_rgb, paths_rgb, summary, fan_png,
                           bars_csv, candles_png)


def write_bars_csv(bars: dict[str, np.ndarray], path: Path) -> None:
    """Generated bars (field -> ``(N, T)``) as one CSV the loader reads back (``data=csv``): a
    ``ticker`` per window (``sample_0000``, ...), each stamped business days from 2000-01-03
    (generated windows have no dates), columns ``timestamp, ticker, open, high, low, close, volume``."""
    n, t = bars["close"].shape
    days = pd.bdate_range("2000-01-03", periods=t).strftime("%Y-%m-%d")
    frame = pd.DataFrame({"timestamp": np.tile(days, n), "ticker": np.repeat([f"sample_{i:04d}" for i in range(n)], t)}
                         | {f: bars[f].ravel() for f in ("open", "high", "low", "close", "volume") if f in bars})
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
