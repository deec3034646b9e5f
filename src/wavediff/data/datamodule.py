"""LightningDataModule: prices -> log returns -> time split -> windows -> fitted representation -> images."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, TensorDataset

from wavediff.data.align import MISSING_POLICIES, align, resolve_assets
from wavediff.transforms.bars import bar_channels, check_fields
from wavediff.data.labels import WindowLabels, build_labels
from wavediff.data.sources import PriceData
from wavediff.data.windows import check_split_dates, check_splits, date_split, sliding_windows, time_split
from wavediff.errors import ConfigError, DataError, require_int
from wavediff.utils import atomic_path, config_hash
from wavediff.transforms import build_representation


log = logging.getLogger(__name__)

# Bump when the cached content or its meaning changes, so old cache files are not reused.
CACHE_FORMAT = 4  # 2: jump-count windows; 3: contiguous series per split; 4: window-scale map


def label_returns(windows: torch.Tensor, bars: bool = False) -> torch.Tensor:
    """The returns ``(N, T)`` a window's class label is computed from: the window ``(N, T)`` itself,
    the equal-weight portfolio's log returns (mean over assets) of ``(N, A, T)`` windows, or the
    close's returns (channel 0) of bar windows ``(N, F, T)`` (``bars``; a mean over bar channels
    would mix wicks and volume into the return)."""
    if windows.ndim == 2:
        return windows
    return windows[:, 0] if bars else windows.mean(dim=1)


class WaveletDataModule(L.LightningDataModule):
    """Windows of log returns as images: complex-CWT ``(2, S, T)`` by default.

    The split is by time (train, then val, then test) with a gap of one window between parts, so
    no window crosses a split. Separate series (``series`` column: files, tickers) are split and
    windowed one by one, so no window spans two series. The representation's scalers are fitted on the train windows only.
    Images are computed once, in batches, in :meth:`setup` and kept in memory.

    Args:
        source: object with ``load() -> PriceData`` (e.g. :class:`~wavediff.data.mjd.MJDSource`).
        window_size: ``T``, returns per window; stride: step between window starts.
        splits: fractions per part, in time order, e.g. ``{train: 0.8, val: 0.1, test: 0.1}``.
        split_dates: instead of fractions, first dates of the later parts, e.g.
            ``{val: 2023-01-01, test: 2023-07-01}`` (train is everything before ``val``).
        transform: the representation: ``kind`` (``complex_cwt``, default, or ``magnitude_scalogram``)
            and its keyword arguments other than ``window_size`` (see :mod:`wavediff.transforms`).
        batch_size, num_workers: data loader settings.
        cache_dir: where windows, images and fitted scalers are cached on disk, keyed by a hash of
            everything that determines them (source parameters or file stamps, windowing, splits,
            transform); ``None`` disables the disk cache.
        condition: class label of each window for conditional models (``model.condition``):
            ``None``, ``jumps`` (jump count, from simulators that record jumps) or ``volatility``
            (realised-volatility tercile, edges fitted on the training split; of the equal-weight
            portfolio when there are several assets). Batches are then ``(images, labels)``.
        assets: several series in one window: the names of the series (tickers, files) to align on
            their timestamps, in channel order; windows are then ``(N, A, T)`` and the
            representation stacks one fitted copy per asset (:mod:`wavediff.transforms.multi_asset`).
            ``None``: every series separate (one asset per window), except for multi-asset
            simulators (``data=basket``), whose assets all go in one window. One name picks that
            series alone.
        missing: dates some assets lack: ``drop`` the date for all, or ``ffill`` each asset's last price.
        decorrelate: with several assets, encode their principal components instead of the assets
            (:class:`~wavediff.transforms.multi_asset.MultiAssetRepresentation`).
        fields: bar fields of each window (:mod:`wavediff.transforms.bars`): ``[close]`` (default: the
            close's log returns, ``(N, T)``) or more of ``open, high, low, volume``: windows are
            then ``(N, F, T)`` channel series (return, gap, wicks, volume change) that always decode
            to valid bars, each channel through its own fitted representation, stacked like assets.
    """

    def __init__(self, source: Any, window_size: int = 256, stride: int = 64,
                 splits: Mapping[str, float] | None = None, transform: Mapping[str, Any] | None = None,
                 split_dates: Mapping[str, str] | None = None, batch_size: int = 16,
                 num_workers: int = 0, encode_batch_size: int = 512, cache_dir: str | None = None,
                 condition: str | None = None, assets: Sequence[str] | None = None, missing: str = "drop",
                 decorrelate: bool = False, fields: Sequence[str] | None = None) -> None:
        super().__init__()
        # Checked here, before anything is simulated or read (the training job builds one first).
        require_int(window_size, "data.window_size", 16)
        require_int(stride, "data.stride")
        require_int(batch_size, "data.batch_size")
        if split_dates:
            check_split_dates(split_dates)
        else:
            check_splits(dict(splits or {"train": 0.8, "val": 0.1, "test": 0.1}))
        self.source = source
        self.labeler: WindowLabels | None = build_labels(condition)
        if self.labeler is not None and self.labeler.needs_jumps and not getattr(source, "records_jumps", False):
            name = getattr(source, "name", type(source).__name__)
            raise DataError(f"model.condition={condition}: data source {name} records no jumps; use data=mjd "
                            "or data=bates, or model.condition=volatility (any data)")
        if assets is None:
            assets = getattr(source, "asset_names", None)
        elif not isinstance(assets, Sequence) or isinstance(assets, str) or not assets:
            raise ConfigError(f"data.assets={assets!r}: a list of asset names, e.g. [SPY, QQQ]")
        self.assets = [str(a) for a in assets] if assets is not None else None
        if missing not in MISSING_POLICIES:
            raise ConfigError(f"data.missing={missing!r}: must be one of {MISSING_POLICIES}")
        self.missing = missing
        if self.labeler is not None and self.labeler.needs_jumps and self.multi_asset:
            raise DataError(f"model.condition={condition}: several assets record no jump counts; "
                            "use model.condition=volatility (of the equal-weight portfolio)")
        self.window_size, self.stride = int(window_size), int(stride)
        self.splits = dict(splits or {"train": 0.8, "val": 0.1, "test": 0.1})
        self.split_dates = dict(split_dates or {})
        self.batch_size, self.num_workers = batch_size, num_workers
        self.encode_batch_size = encode_batch_size
        self.fields = check_fields(fields)
        if self.bar_fields and (self.multi_asset or decorrelate):
            raise ConfigError(f"data.fields={self.fields} with several assets (or data.decorrelate) is not "
                              "supported yet: model the bars of one asset")
        per_asset = {**dict(transform or {}), "window_size": self.window_size}
        self.representation = build_representation(
            {"kind": "multi_asset", "assets": self.assets, "base": per_asset, "decorrelate": decorrelate}
            if self.multi_asset else {"kind": "bars", "fields": self.fields, "base": per_asset}
            if self.bar_fields else per_asset)
        if decorrelate and not self.multi_asset:
            raise ConfigError("data.decorrelate=true rotates several assets of one window; this data has one "
                              "(set data.assets)")
        if self.labeler is not None and self.multi_asset:
            log.info("data: model.condition=%s labels each window by its equal-weight portfolio", condition)
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.price_data: PriceData | None = None
        self.cache_hit: bool | None = None  # after setup: whether the disk cache was used
        self._description: dict[str, Any] = {}
        self.windows: dict[str, torch.Tensor] = {}  # split -> log returns (N, T), or (N, A, T) for several assets
        # split -> contiguous log returns of each series (float64), (L,) or (A, L) for several assets
        self.series: dict[str, list[torch.Tensor]] = {}
        self.images: dict[str, torch.Tensor] = {}  # split -> normalised images (N, 2, S, T)
        self.jumps: dict[str, torch.Tensor] = {}  # split -> jump count per return (N, T), if recorded
        self.labels: dict[str, torch.Tensor] = {}  # split -> class id per window (N,), if conditional

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return self.representation.image_shape

    @property
    def multi_asset(self) -> bool:
        """Whether windows hold several aligned assets, ``(N, A, T)``."""
        return self.assets is not None and len(self.assets) > 1

    @property
    def bar_fields(self) -> bool:
        """Whether windows hold the channels of OHLCV bars, ``(N, F, T)`` (``data.fields``)."""
        return len(self.fields) > 1

    @property
    def report_fields(self) -> list[str] | None:
        """The bar fields when windows hold bars (the evaluation's ``fields``), else ``None``."""
        return list(self.fields) if self.bar_fields else None

    def cache_path(self) -> Path | None:
        """File of this data configuration in ``cache_dir``, or ``None`` when not cacheable."""
        key_fn = getattr(self.source, "cache_key", None)
        if self.cache_dir is None or key_fn is None:
            return None
        key = config_hash({"format": CACHE_FORMAT, "source": key_fn(), "window_size": self.window_size,
                           "stride": self.stride, "splits": self.splits, "split_dates": self.split_dates,
                           "representation": self.representation.config(),
                           **({"assets": self.assets, "missing": self.missing} if self.assets else {}),
                           **({"fields": self.fields} if self.bar_fields else {})})
        return self.cache_dir / f"data-{key[:20]}.pt"

    def setup(self, stage: str | None = None) -> None:
        if self.images:  # computed once per data module
            return
        path = self.cache_path()
        self.cache_hit = path is not None and path.is_file() and self._load_cache(path)
        if not self.cache_hit:
            self._build()
            if path is not None:
                self._save_cache(path)
        if self.labeler is not None:
            labelled = {k: label_returns(v, self.bar_fields) for k, v in self.windows.items()}
            self.labeler.fit(labelled["train"], self.jumps.get("train"))
            self.labels = {k: self.labeler.assign(v, self.jumps.get(k)) for k, v in labelled.items()}

    def _load_cache(self, path: Path) -> bool:
        """Windows, images, jump counts and fitted representation from ``path``; ``False`` (and a
        warning) when the file cannot be used, so it is rebuilt, never trusted."""
        try:
            cached = torch.load(path, map_location="cpu", weights_only=True)
            windows, images, jumps, series = cached["windows"], cached["images"], cached["jumps"], cached["series"]
            self.representation.load_state_dict(cached["representation"])
            description = cached["description"]
        except Exception as exc:
            log.warning("data: ignoring unreadable cache %s (%s)", path, exc)
            return False
        self.windows, self.images, self.jumps, self._description = windows, images, jumps, description
        self.series = series
        log.info("data: loaded from cache %s", path)
        return True

    def _save_cache(self, path: Path) -> None:
        with atomic_path(path) as tmp:
            torch.save({"windows": self.windows, "images": self.images, "jumps": self.jumps, "series": self.series,
                        "representation": self.representation.state_dict(),
                        "description": self._description}, tmp)

    def _build(self) -> None:
        self.price_data = self.source.load()
        bars = self.price_data.bars
        if self.multi_asset:
            self._build_panel(bars)
            return
        if self.assets is not None:  # one named series of several
            if "series" not in bars:
                raise DataError(f"data.assets={self.assets}: the data holds a single series; leave data.assets unset")
            chosen = resolve_assets(list(dict.fromkeys(bars["series"])), self.assets)
            bars = bars[bars["series"] == chosen[0]]
        series = bars.groupby("series", sort=False) if "series" in bars else [(self.price_data.source, bars)]
        parts_windows: dict[str, list[np.ndarray]] = {}
        parts_jumps: dict[str, list[np.ndarray]] = {}
        start_price = None
        for name, frame in series:
            close = frame["close"].to_numpy(dtype=np.float64)
            if not np.all(np.isfinite(close)) or np.any(close <= 0):
                raise DataError(f"{name}: prices must be finite and positive")
            log_returns = self._bar_channels(name, frame) if self.bar_fields else np.diff(np.log(close))
            # return i moves close[i] to close[i + 1]: the jumps of bar i + 1
            jumps = frame["jumps"].to_numpy()[1:] if "jumps" in frame else None
            parts = self._split(name, len(log_returns), frame["timestamp"] if self.split_dates else None)
            for part_name, part in parts.items():
                self.series.setdefault(part_name, []).append(torch.from_numpy(log_returns[part].T.copy()))
                windows = sliding_windows(log_returns[part], self.window_size, self.stride)
                parts_windows.setdefault(part_name, []).append(windows)
                if jumps is not None:
                    parts_jumps.setdefault(part_name, []).append(
                        sliding_windows(jumps[part], self.window_size, self.stride))
            if start_price is None and "train" in parts:
                # close[i + 1] is the price after return i: the last price of the training part.
                start_price = float(close[parts["train"].stop])
                if self.bar_fields:  # each channel's start: the close, the volume, 1 for the bar shapes
                    start_price = torch.tensor([start_price if f == "close" else
                                                float(frame["volume"].iloc[parts["train"].stop]) if f == "volume"
                                                else 1.0 for f in self.fields], dtype=torch.float64)
        if start_price is None or "train" not in parts_windows:
            raise DataError("data splits must include a 'train' part")
        self.windows = {k: torch.from_numpy(np.concatenate(v)).float() for k, v in parts_windows.items()}
        if parts_jumps and all(len(parts_jumps.get(k, [])) == len(v) for k, v in parts_windows.items()):
            self.jumps = {k: torch.from_numpy(np.concatenate(v)).to(torch.int16) for k, v in parts_jumps.items()}
        self._fit_and_encode(start_price)
        self._description = {"source": self.price_data.source, "params": self.price_data.params,
                             "n_rows": len(self.price_data.bars),
                             **({"fields": self.fields} if self.bar_fields else {})}

    def _bar_channels(self, name: str, frame: pd.DataFrame) -> np.ndarray:
        """The bar channels ``(L - 1, F)`` of one series' bars (:func:`~wavediff.transforms.bars.bar_channels`)."""
        absent = [f for f in self.fields if f not in frame]
        if absent:
            have = [c for c in ("open", "high", "low", "close", "volume") if c in frame]
            raise DataError(f"{name}: data.fields asks for {', '.join(absent)}; the data has {', '.join(have)}")
        bars = {f: frame[f].to_numpy(dtype=np.float64) for f in self.fields}
        for f, values in bars.items():
            if not np.all(np.isfinite(values)) or np.any(values <= 0):
                raise DataError(f"{name}: {f} must be finite and positive")
        channels = bar_channels(bars, self.fields)
        if np.any(channels[:, [i for i, f in enumerate(self.fields) if f in ("high", "low")]] < 0):
            raise DataError(f"{name}: a high or low inside the bar's body (high < max(open, close) or "
                            "low > min(open, close))")
        return channels

    def _split(self, name: str, n_returns: int, timestamps: Any = None) -> dict[str, slice]:
        """The time split of one series of ``n_returns`` returns (by ``split_dates`` when given:
        ``timestamps`` of its ``n_returns + 1`` prices)."""
        try:
            if self.split_dates:
                times = pd.to_datetime(np.asarray(timestamps)).to_numpy()[1:]  # time of each return
                return date_split(times, self.split_dates, gap=self.window_size, min_len=self.window_size)
            return time_split(n_returns, self.splits, gap=self.window_size, min_len=self.window_size)
        except DataError as exc:
            raise DataError(f"{name}: {exc}") from None

    def _build_panel(self, bars: pd.DataFrame) -> None:
        """Several assets aligned on their timestamps: windows ``(N, A, T)`` (see :mod:`wavediff.data.align`)."""
        panel = align(bars, self.assets, self.missing)
        log.info("data: assets %s aligned: %s", panel.assets, panel.cleaning)
        if len(panel.close) < 2:
            raise DataError(f"data.assets: {len(panel.close)} aligned rows after data.missing={self.missing}; "
                            "need at least 2")
        log_returns = np.diff(np.log(panel.close), axis=0)  # (L - 1, A)
        parts = self._split("+".join(panel.assets), len(log_returns), panel.timestamps)
        for part_name, part in parts.items():
            self.series[part_name] = [torch.from_numpy(log_returns[part].T.copy())]  # (A, L)
            self.windows[part_name] = torch.from_numpy(
                sliding_windows(log_returns[part], self.window_size, self.stride)).float()  # (N, A, T)
        if "train" not in parts:
            raise DataError("data splits must include a 'train' part")
        self._fit_and_encode(torch.from_numpy(panel.close[parts["train"].stop].copy()))
        self._description = {"source": self.price_data.source, "params": self.price_data.params,
                             "n_rows": len(panel.close), "assets": panel.assets, "alignment": panel.cleaning}

    def _fit_and_encode(self, start_price: float | torch.Tensor) -> None:
        self.representation.fit(self.windows["train"], start_price=start_price)
        with torch.no_grad():
            for name, windows in self.windows.items():
                self.images[name] = torch.cat([
                    self.representation.encode(chunk)
                    for chunk in windows.split(self.encode_batch_size)
                ])

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        if split not in self.images:
            raise DataError(f"no '{split}' split: data.splits={self.splits}")
        tensors = (self.images[split], self.labels[split]) if self.labels else (self.images[split],)
        return DataLoader(TensorDataset(*tensors), batch_size=self.batch_size,
                          shuffle=shuffle, num_workers=self.num_workers, drop_last=False,
                          pin_memory=torch.cuda.is_available(),
                          persistent_workers=self.num_workers > 0)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    @classmethod
    def from_csv(cls, path: str | list[str], price_column: str | None = None, time_column: str | None = None,
                 ticker_column: str | None = None, missing: str = "drop", fields: Sequence[str] | None = None,
                 **kwargs: Any) -> "WaveletDataModule":
        """Data module over CSV files (see :class:`~wavediff.data.csv.CSVSource` for the arguments);
        ``missing`` applies both to rows without a price and, with ``assets``, to dates some assets lack."""
        from wavediff.data.csv import CSVSource

        source = CSVSource(path, price_column=price_column, time_column=time_column,
                           ticker_column=ticker_column, missing=missing, fields=fields)
        return cls(source=source, missing=missing, fields=fields, **kwargs)

    def describe(self) -> dict[str, Any]:
        """Counts and parameters for the registry and logs."""
        assert self._description, "call setup() first"
        return {**self._description,
                "n_windows": {k: int(v.shape[0]) for k, v in self.windows.items()},
                "image_shape": list(self.image_shape)}
