"""Several price series aligned on their timestamps: the panel behind multi-asset windows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wavediff.errors import ConfigError, DataError

MISSING_POLICIES = ("drop", "ffill")


@dataclass
class Panel:
    """Close prices of ``A`` assets on shared timestamps, oldest first."""

    close: np.ndarray  # (L, A) float64, finite and positive
    timestamps: np.ndarray  # (L,) datetime64
    assets: list[str]
    cleaning: dict[str, Any] = field(default_factory=dict)  # what alignment dropped or filled


def _short(series: str) -> str:
    """``prices.csv:SPY`` -> ``SPY``; ``spy.csv`` -> ``spy``: the name a user types in ``data.assets``."""
    name = str(series).rsplit(":", 1)[-1]
    return name[:-4] if name.lower().endswith(".csv") else name


def resolve_assets(available: Sequence[str], wanted: Sequence[str] | None) -> list[str]:
    """The series named by ``wanted`` (full series names or their short ticker/file names), in
    that order; all of them when ``wanted`` is ``None``. One-line error naming what there is."""
    available = [str(s) for s in available]
    if wanted is None:
        return available
    if isinstance(wanted, str) or not all(isinstance(w, str) for w in wanted):
        raise ConfigError(f"data.assets={wanted!r}: a list of asset names, e.g. [SPY, QQQ]")
    if len(set(wanted)) != len(wanted):
        raise ConfigError(f"data.assets={list(wanted)}: an asset is named twice")
    chosen = []
    for name in wanted:
        matches = [s for s in available if s == name] or [s for s in available if _short(s) == name]
        if len(matches) != 1:
            what = "is not in the data" if not matches else f"is ambiguous ({', '.join(matches)})"
            raise DataError(f"data.assets: {name!r} {what}; the data has {', '.join(map(_short, available))}")
        chosen.append(matches[0])
    return chosen


def align(bars: pd.DataFrame, assets: Sequence[str] | None, missing: str = "drop") -> Panel:
    """Closes of the chosen ``assets`` (see :func:`resolve_assets`) on the union of their
    timestamps, then ``missing`` for dates some assets lack: ``drop`` removes the date for all,
    ``ffill`` carries each asset's last close forward (dates before an asset's first close are
    dropped: nothing to carry). ``bars`` has ``timestamp``, ``close`` and ``series`` columns."""
    if missing not in MISSING_POLICIES:
        raise ConfigError(f"data.missing={missing!r}: must be one of {MISSING_POLICIES}")
    if "series" not in bars:
        raise DataError("data.assets: the data holds a single series; several assets need a ticker column, "
                        "several files or a multi-asset simulator (data=basket)")
    chosen = resolve_assets(list(dict.fromkeys(bars["series"])), assets)
    rows = bars[bars["series"].isin(chosen)]
    table = rows.pivot_table(index="timestamp", columns="series", values="close", aggfunc="first")
    table = table.reindex(columns=chosen).sort_index()
    present = table.notna()
    for i, a in enumerate(chosen):
        for b in chosen[i + 1:]:
            if not (present[a] & present[b]).any():
                raise DataError(f"data.assets: {_short(a)} and {_short(b)} share no dates "
                                f"({_short(a)}: {_span(table[a])}; {_short(b)}: {_span(table[b])})")
    n_dates = len(table)
    filled = {}
    if missing == "ffill":
        filled = {_short(a): int((table[a].isna() & table[a].ffill().notna()).sum()) for a in chosen}
        table = table.ffill()
    table = table.dropna()
    cleaning = {"assets": [_short(a) for a in chosen], "dates": n_dates, "aligned_rows": len(table),
                "dates_dropped": n_dates - len(table), **({"filled": filled} if filled else {})}
    return Panel(table.to_numpy(dtype=np.float64), table.index.to_numpy(), [_short(a) for a in chosen], cleaning)


def _span(column: pd.Series) -> str:
    dates = column.dropna().index
    return f"{dates.min()} to {dates.max()}" if len(dates) else "no prices"
