"""Small column helpers shared by the briefing sheets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..book import Table, TableColumn
from ..cells import join_lists, text_dtype

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
        cols.append(TableColumn.from_series(readable(str(name)), series, kind))
    return Table(cols, title=title)


_WORDS = {"ci": "CI", "n": "n", "p": "p", "a": "A", "b": "B", "diff": "difference"}


def readable(name: str) -> str:
    """A column name as a header: ``diff_ci_high`` -> "Difference CI high"."""
    words = [_WORDS.get(w, w) for w in name.split("_") if w]
    if not words:
        return name
    head = words[0]
    words[0] = head if head in ("n", "p", "CI") else head[:1].upper() + head[1:]
    return " ".join(words)


def ids(series: pd.Series, lists: Any = None) -> pd.Series:
    """Lists of ids joined with ``", "`` (``lists``: ``series`` as :func:`.cells.list_array`
    gives it, when already made)."""
    return join_lists(series, ", ", lists=lists)


def lookup(keys: pd.Series, mapping: Mapping[Any, Any], dtype: Any) -> pd.Series:
    """``keys.map(mapping)`` as a ``dtype`` Series, each distinct key looked up once (keys
    repeat: a company id on each of its rows); missing keys and keys not in ``mapping``
    give missing values. Faster than ``Series.map`` on pyarrow strings, which hashes every
    key as a Python object."""
    codes, distinct = pd.factorize(keys)  # missing keys: -1
    found = pd.array([*(mapping.get(k) for k in distinct), None], dtype=dtype)
    return pd.Series(found.take(codes), index=keys.index)  # -1 takes the last: None


def values(series: pd.Series | None, n: int) -> pd.Series:
    """``series`` as nullable floats by position, or ``n`` missing values."""
    if series is None:
        return pd.Series([pd.NA] * n, dtype="Float64")
    return pd.Series(series.to_numpy(), dtype="Float64")


def missing(frame: pd.DataFrame) -> pd.Series:
    """A column of missing text as long as ``frame``."""
    return pd.Series([pd.NA] * len(frame), dtype=text_dtype())


#: what a rank cell shows for a company without a rank
NO_RANK = "–"


def insufficient_mask(companies: pd.DataFrame) -> list[bool]:
    """Per company (in the frame's order): whether its evidence is insufficient (greyed out,
    never coloured as good). Without a ``sufficient`` column, none."""
    if "sufficient" not in companies.columns:
        return [False] * len(companies)
    ok = companies["sufficient"].astype("boolean").fillna(True)
    return (~ok).to_numpy(dtype=bool).tolist()


def rank_notes(companies: pd.DataFrame) -> pd.Series:
    """The text a company without a rank shows in the rank column: "–"."""
    return pd.Series([NO_RANK] * len(companies), dtype=text_dtype())


def rank_range(companies: pd.DataFrame) -> pd.Series:
    """Each company's rank interval as text ("2–4", "1" when it is one rank), missing when
    the card has none (insufficient evidence, uncertainty off)."""
    n = len(companies)
    if "rank_low" not in companies.columns or "rank_high" not in companies.columns:
        return pd.Series([pd.NA] * n, dtype=text_dtype())
    low = pd.to_numeric(companies["rank_low"], errors="coerce").astype("Int64").astype(text_dtype())
    high = (
        pd.to_numeric(companies["rank_high"], errors="coerce").astype("Int64").astype(text_dtype())
    )
    text = (low + "–" + high).where(low != high, low)
    return pd.Series(text.to_numpy(), dtype=text_dtype())


#: what a score cell shows when no evidence gives the score, by ``basis`` (see
#: :data:`bhrscore.rubric.scorecard.BASIS`); policy-filled scores show their value
BASIS_NOTES: dict[str, str] = {
    "unknown": "unknown",
    "not_applicable": "n/a",
    "excluded": "excluded",
}


def score_display(score: pd.Series, basis: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Indicator scores split for display: the numbers that rest on records (``evidence``,
    ``screening``; coloured by the score scale), and muted text for the rest: "unknown",
    "n/a", "excluded", or a policy-filled value such as "0.0 (policy)", so a 0 the
    missing-data policy assigned never looks like a 0 from evidence."""
    numbers = pd.Series(pd.to_numeric(score, errors="coerce").to_numpy(), dtype="Float64")
    kind = pd.Series(basis.to_numpy(), dtype=text_dtype())
    policy = (kind == "policy").fillna(False).to_numpy(dtype=bool)
    notes = lookup(kind, BASIS_NOTES, text_dtype())
    if policy.any():  # (the text of the policy-filled numbers only)
        filled = numbers[policy].round(1).astype(text_dtype()) + " (policy)"
        notes = notes.mask(policy, filled.reindex(notes.index))
    shown = numbers.mask(policy | notes.notna().to_numpy(dtype=bool))
    return shown, notes
