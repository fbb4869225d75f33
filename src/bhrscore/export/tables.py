"""Tables to files: a ScoreCard (or any DataFrame) as CSV, Parquet or JSON.

Columns keep their order and names; rows keep their order (score cards are already sorted by
ids), so the same card always gives the same bytes. Tuple cells (evidence ids, sectors) are
joined with ``|`` (:data:`bhrscore.evidence.flat.LIST_DELIMITER`) in CSV and become lists in
Parquet and JSON. CSV text (string, object and categorical columns) that a spreadsheet would
read as a formula is prefixed with ``'`` (:func:`bhrscore.export.cells.csv_safe_series`).
:func:`csv_text` is the one way a table becomes CSV: files written here, the briefing's
companion file and the CSV the CLI prints. Every file is written through
:func:`bhrscore.io.atomic_path` (a score card's files through :func:`bhrscore.io.atomic_paths`:
all or none).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ..evidence.flat import LIST_DELIMITER
from ..io import atomic_path, atomic_paths
from .cells import csv_safe_series, join_lists

if TYPE_CHECKING:
    from ..rubric.scorecard import ScoreCard

TableFormat = Literal["csv", "parquet", "json"]
FORMATS: tuple[TableFormat, ...] = ("csv", "parquet", "json")
SCORECARD_TABLES = ("companies", "nodes", "indicators", "penalties")


def _csv_frame(frame: pd.DataFrame, sanitize: bool) -> pd.DataFrame:
    out = {}
    for name in frame.columns:
        col = frame[name]
        if col.dtype == object:
            col = join_lists(col, LIST_DELIMITER)
        is_text = isinstance(col.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(
            col.dtype
        )
        if sanitize and is_text:
            col = csv_safe_series(col)
        out[name] = col
    return pd.DataFrame(out, columns=frame.columns)


def csv_text(frame: pd.DataFrame, *, sanitize: bool = True) -> str:
    """``frame`` as CSV text (no index, ``\n`` line ends): list cells joined with ``|``,
    formula-like text prefixed with ``'`` unless ``sanitize=False``."""
    text: str = _csv_frame(frame, sanitize).to_csv(index=False, lineterminator="\n")
    return text


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NA -> None, tuples -> lists, dates -> ISO strings)."""
    columns = list(frame.columns)
    return [
        {c: _plain(v) for c, v in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def write_table_file(
    frame: pd.DataFrame, path: str | Path, fmt: TableFormat = "csv", *, sanitize: bool = True
) -> None:
    """Write one table to ``path`` as it is (not atomically: for a temporary path from
    :func:`bhrscore.io.atomic_paths`)."""
    target = Path(path)
    if fmt == "csv":
        target.write_text(csv_text(frame, sanitize=sanitize), encoding="utf-8", newline="\n")
    elif fmt == "parquet":
        data = frame.copy()
        for name in data.columns:
            if data[name].dtype == object:
                data[name] = data[name].map(lambda v: list(v) if isinstance(v, tuple | list) else v)
        data.to_parquet(target, index=False)
    elif fmt == "json":
        text = json.dumps(records(frame), indent=1, ensure_ascii=False) + "\n"
        target.write_text(text, encoding="utf-8", newline="\n")
    else:
        raise ValueError(f"unknown table format {fmt!r} (use one of {', '.join(FORMATS)})")


def write_frame(
    frame: pd.DataFrame,
    path: str | Path,
    fmt: TableFormat = "csv",
    *,
    sanitize: bool = True,
) -> Path:
    """Write one table atomically; returns the path."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r} (use one of {', '.join(FORMATS)})")
    target = Path(path)
    with atomic_path(target) as tmp:
        write_table_file(frame, tmp, fmt, sanitize=sanitize)
    return target


def scorecard_meta(card: ScoreCard) -> dict[str, Any]:
    """Provenance of a score card as JSON-ready data."""
    meta = card.meta
    return {
        "rubric_id": meta.rubric_id,
        "rubric_version": meta.rubric_version,
        "rubric_hash": meta.rubric_hash,
        "evidence_hash": meta.evidence_hash,
        "as_of": meta.as_of.isoformat(),
        "bhrscore_version": meta.bhrscore_version,
        "options": {k: _plain(v) for k, v in sorted(meta.options.items())},
    }


def scorecard_paths(prefix: str | Path, fmt: TableFormat = "csv") -> list[Path]:
    """The files :func:`write_scorecard` writes for ``prefix``: one per table, then the meta
    JSON."""
    base = Path(prefix)
    paths = [base.with_name(f"{base.name}.{name}.{fmt}") for name in SCORECARD_TABLES]
    return [*paths, base.with_name(f"{base.name}.meta.json")]


def write_scorecard(
    card: ScoreCard, prefix: str | Path, fmt: TableFormat = "csv", *, sanitize: bool = True
) -> list[Path]:
    """Write ``PREFIX.companies.EXT``, ``.nodes``, ``.indicators``, ``.penalties`` and
    ``PREFIX.meta.json``, all or none (each to a temporary file first; they replace earlier
    files only when all five are written); returns the paths written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r} (use one of {', '.join(FORMATS)})")
    paths = scorecard_paths(prefix, fmt)
    meta = json.dumps(scorecard_meta(card), indent=2, sort_keys=True) + "\n"
    with atomic_paths(paths) as temps:
        for name, temp in zip(SCORECARD_TABLES, temps, strict=False):
            write_table_file(getattr(card, name), temp, fmt, sanitize=sanitize)
        temps[-1].write_text(meta, encoding="utf-8", newline="\n")
    return paths
