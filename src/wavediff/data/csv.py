"""Real OHLCV bars from CSV files: column detection, visible cleaning, one-line errors."""

from __future__ import annotations

import glob
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wavediff.data.align import MISSING_POLICIES
from wavediff.transforms.bars import check_fields
from wavediff.data.sources import PriceData
from wavediff.errors import ConfigError, DataError

log = logging.getLogger(__name__)

TIME_COLUMNS = ("timestamp", "datetime", "date", "time")
TICKER_COLUMNS = ("ticker", "symbol")


def _key(name: str) -> str:
    """Column-name key: lower case, letters and digits only (``Adj Close`` -> ``adjclose``)."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def expand_paths(path: str | Sequence[str]) -> list[Path]:
    """Files named by a path, a glob, or a list of either; each must exist."""
    patterns = [path] if isinstance(path, (str, Path)) else list(path)
    if not patterns:
        raise ConfigError("data.path: no CSV file given")
    files: list[Path] = []
    for pattern in patterns:
        pattern = str(Path(str(pattern)).expanduser())
        if glob.has_magic(pattern):
            matches = sorted(glob.glob(pattern))
            if not matches:
                raise DataError(f"{pattern}: no file matches")
            files += [Path(m) for m in matches]
        elif not Path(pattern).is_file():
            raise DataError(f"{pattern}: file not found")
        else:
            files.append(Path(pattern))
    return files


def _pick(columns: dict[str, str], wanted: str | None, candidates: Sequence[str], file: Path,
          what: str) -> str | None:
    if wanted is not None:
        if _key(wanted) not in columns:
            raise DataError(f"{file}: no column '{wanted}' for the {what} (columns: {', '.join(columns.values())})")
        return columns[_key(wanted)]
    return next((columns[c] for c in candidates if c in columns), None)


class CSVSource:
    """Prices from one or more OHLCV CSV files (daily or intraday).

    Args:
        path: a file, a glob, or a list of files/globs.
        price_column: column to model; default ``Adj Close`` when present, else ``Close`` (any case).
        time_column: date/time column; default the first of timestamp, datetime, date, time.
        ticker_column: column naming tickers in a file; default ``ticker`` or ``symbol`` if present.
        missing: ``drop`` (default) or ``ffill`` for rows without a price.
        fields: bar fields to read (:mod:`wavediff.transforms.bars`): ``[close]`` (default) or more of
            ``open, high, low, volume``. With more than the close, the close is the ``Close``
            column (not ``Adj Close``: open, high and low are unadjusted) unless ``price_column``
            says otherwise; a high below the body (or a low above it) is raised (lowered) to it and
            counted in the cleaning summary, a high below the low or a volume <= 0 is an error.
        time_column: ``row`` for a file without dates whose rows are in time order: bar ``i`` is
            then stamped business day ``i`` from 2000-01-03 (a row number, not a date).

    Every (file, ticker) pair is a separate series: rows are sorted by time, exact duplicate
    timestamps are dropped (first kept), and the counts of what was removed are logged and kept
    in ``params["cleaning"]``.
    """

    name = "csv"

    def __init__(self, path: str | Sequence[str], price_column: str | None = None,
                 time_column: str | None = None, ticker_column: str | None = None,
                 missing: str = "drop", fields: Sequence[str] | None = None) -> None:
        if missing not in MISSING_POLICIES:
            raise ConfigError(f"data.missing={missing!r}: must be one of {MISSING_POLICIES}")
        self.fields = check_fields(fields)
        self.path = path if isinstance(path, str) else list(path)
        self.price_column, self.time_column = price_column, time_column
        self.ticker_column, self.missing = ticker_column, missing

    def cache_key(self) -> dict[str, Any]:
        """Files (with size and modification time) and options: a changed file is a new key."""
        files = [(str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns) for f in expand_paths(self.path)]
        return {"source": "csv", "files": files, "price_column": self.price_column,
                "time_column": self.time_column, "ticker_column": self.ticker_column, "missing": self.missing,
                **({"fields": self.fields} if self.fields != ["close"] else {})}

    def load(self) -> PriceData:
        frames, cleaning = [], {}
        files = expand_paths(self.path)
        for file in files:
            for name, frame, counts in self._read(file):
                frames.append(frame.assign(series=name))
                cleaning[name] = counts
        bars = pd.concat(frames, ignore_index=True)
        params: dict[str, Any] = {"files": [str(f) for f in files],
                                  "price_column": self.price_column, "missing": self.missing,
                                  **({"fields": self.fields} if self.fields != ["close"] else {}),
                                  "series": list(cleaning), "cleaning": cleaning}
        return PriceData(bars=bars, source="csv", params=params)

    def _read(self, file: Path) -> list[tuple[str, pd.DataFrame, dict[str, int]]]:
        try:
            raw = pd.read_csv(file)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise DataError(f"{file}: not a readable CSV ({' '.join(str(exc).split())})") from exc
        columns = {_key(c): c for c in raw.columns}
        if self.time_column == "row":
            time_col = None
            times = pd.Series(pd.bdate_range("2000-01-03", periods=len(raw)))
        else:
            time_col = _pick(columns, self.time_column, TIME_COLUMNS, file, "date/time")
            if time_col is None:
                raise DataError(f"{file}: no date/time column (looked for {', '.join(TIME_COLUMNS)}; "
                                f"set data.time_column, or data.time_column=row for rows in time order)")
            times = pd.to_datetime(raw[time_col], errors="coerce", format="mixed")
            bad_time = times.isna() & raw[time_col].notna()
            if bad_time.any():
                i = int(np.flatnonzero(bad_time.to_numpy())[0])
                raise DataError(f"{file}: unparseable date {raw[time_col].iloc[i]!r} in column "
                                f"'{time_col}' (row {i + 2})")
        bars_only = self.fields != ["close"]
        price_col = _pick(columns, self.price_column, ("close",) if bars_only else ("adjclose", "close"),
                          file, "price")
        if price_col is None:
            raise DataError(f"{file}: no usable price column (looked for {'Close' if bars_only else 'Adj Close, Close'}; "
                            f"columns: {', '.join(map(str, raw.columns))}; set data.price_column)")
        ticker_col = _pick(columns, self.ticker_column, TICKER_COLUMNS, file, "ticker")
        table = pd.DataFrame({"timestamp": times})
        for field in self.fields:
            col = price_col if field == "close" else columns.get(field)
            if col is None:
                raise DataError(f"{file}: data.fields asks for {field} but the file has no such column "
                                f"(columns: {', '.join(map(str, raw.columns))})")
            table[field] = self._numbers(raw[col], file, col, "volume" if field == "volume" else "price")
        table["ticker"] = raw[ticker_col].astype(str) if ticker_col else file.name
        if bars_only:
            self._check_bars(table, file)

        out = []
        for ticker, group in table.groupby("ticker", sort=False):
            name = f"{file.name}:{ticker}" if ticker_col else file.name
            group = group[group["timestamp"].notna()].sort_values("timestamp", kind="stable")
            duplicates = int(group["timestamp"].duplicated().sum())
            group = group.drop_duplicates("timestamp", keep="first")
            missing = int(group[self.fields].isna().any(axis=1).sum())
            group = group.dropna(subset=self.fields) if self.missing == "drop" else \
                group.ffill().dropna(subset=self.fields)
            counts = {"rows": int(len(group)), "duplicates_dropped": duplicates,
                      f"missing_{'dropped' if self.missing == 'drop' else 'filled'}": missing,
                      **({"bars_repaired": int(group.pop("repaired").sum())} if bars_only else {})}
            log.info("%s: %s", name, counts)
            out.append((name, group[["timestamp", *self.fields]].reset_index(drop=True), counts))
        return out

    @staticmethod
    def _numbers(column: pd.Series, file: Path, name: str, what: str) -> pd.Series:
        """Numeric, positive values of one column (blank cells stay missing); one-line errors naming the row."""
        values = pd.to_numeric(column, errors="coerce")
        bad = values.isna() & column.notna() & (column.astype(str).str.strip() != "")
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{file}: non-numeric {what} {column.iloc[i]!r} in column '{name}' (row {i + 2})")
        if (values <= 0).any():
            i = int(np.flatnonzero((values <= 0).to_numpy())[0])
            kind = "zero or negative volume" if what == "volume" else "non-positive price"
            raise DataError(f"{file}: {kind} {values.iloc[i]} in column '{name}' (row {i + 2})")
        return values

    @staticmethod
    def _check_bars(table: pd.DataFrame, file: Path) -> None:
        """A high below the low is an error; a high inside the body is raised to it (a low lowered), counted."""
        if "high" in table and "low" in table:
            bad = table["high"] < table["low"]
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataError(f"{file}: high {table['high'].iloc[i]} below low {table['low'].iloc[i]} (row {i + 2})")
        repaired = np.zeros(len(table), dtype=bool)
        if "high" in table:
            top = np.maximum(table["open"], table["close"])
            repaired |= (table["high"] < top).to_numpy()
            table["high"] = np.maximum(table["high"], top)
        if "low" in table:
            bottom = np.minimum(table["open"], table["close"])
            repaired |= (table["low"] > bottom).to_numpy()
            table["low"] = np.minimum(table["low"], bottom)
        table["repaired"] = repaired
