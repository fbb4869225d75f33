"""Small column helpers shared by the briefing sheets."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..book import Table, TableColumn
from ..cells import join_lists

_KIND_BY_COLUMN: dict[str, str] = {
    "n": "integer",
    "n_a": "integer",
    "n_b": "integer",
    "n_missing": "integer",
    "n_low_coverage": "integer",
    "p_value": "p",
    "p_adjusted": "p",
    "coverage_mean": "percent",
    "ci_level": "percent",
}


def frame_table(frame: pd.DataFrame, title: str | None = None) -> Table:
    """A table of any frame, the kind of each column taken from its dtype and name."""
    cols = []
    for name in frame.columns:
        series = frame[name]
        kind: Any = _KIND_BY_COLUMN.get(str(name))
        if kind is None:
            if pd.api.types.is_bool_dtype(series.dtype):
                series = series.map({True: "yes", False: "no"}, na_action="ignore")
                kind = "text"
            elif pd.api.types.is_integer_dtype(series.dtype):
                kind = "integer"
            elif pd.api.types.is_float_dtype(series.dtype):
                kind = "score"
            elif pd.api.types.is_datetime64_any_dtype(series.dtype):
                kind = "date"
            else:
                kind = "text"
        cols.append(TableColumn.from_series(str(name), series, kind))
    return Table(cols, title=title)


def ids(series: pd.Series) -> pd.Series:
    """Lists of ids joined with ``", "``."""
    return join_lists(series, ", ")


def values(series: pd.Series | None, n: int) -> pd.Series:
    """``series`` as nullable floats by position, or ``n`` missing values."""
    if series is None:
        return pd.Series([pd.NA] * n, dtype="Float64")
    return pd.Series(series.to_numpy(), dtype="Float64")


def missing(frame: pd.DataFrame) -> pd.Series:
    """A column of missing text as long as ``frame``."""
    return pd.Series([pd.NA] * len(frame), dtype="string")
