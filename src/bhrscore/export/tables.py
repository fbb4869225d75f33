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
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from ..evidence.flat import LIST_DELIMITER
from ..io import atomic_path, atomic_paths
from .cells import (
    ascii_contains_mask,
    csv_safe_series,
    formula_like_mask,
    join_lists,
    large_strings,
    utf8_bytes,
)

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


#: rows per piece when a table is turned into CSV (bounds the memory of a large table's text:
#: 100,000-row pieces put 75 MB more on the peak of a 100k-record `brief` than 20,000)
CSV_CHUNK_ROWS = 20_000


def _quote_chars() -> str:
    """The characters that make Python's csv writer (as pandas uses it, ``lineterminator``
    ``\n``) quote a field, asked of the csv module itself so that the vectorised writer
    below agrees with it on every Python version."""
    import csv
    import io

    quoted = []
    for char in ',"\n\r\t;':
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([f"a{char}b", "c"])
        if buffer.getvalue().startswith('"'):
            quoted.append(char)
    return "".join(quoted)


_QUOTE_CHARS = _quote_chars()
_QUOTE_PY = re.compile("[" + re.escape(_QUOTE_CHARS) + "]")


def _day_stamps(col: pd.Series) -> pd.Series | None:
    """A date column as timestamps, if it holds days only (no time zone, no time of day:
    those keep pandas' own formatting); else ``None``."""
    stamps = pd.to_datetime(col)
    if getattr(stamps.dt, "tz", None) is not None:
        return None
    if bool((stamps.dropna() != stamps.dropna().dt.normalize()).any()):
        return None
    return stamps


def _fast_columns(frame: pd.DataFrame) -> list[pd.Series] | None:
    """The columns of ``frame`` as CSV field text (quoted where csv would quote, missing
    values empty), when every column is text or a date without time; else ``None``."""
    out: list[pd.Series] = []
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            stamps = _day_stamps(col)
            if stamps is None:
                return None
            col = _iso_days(stamps).mask(stamps.isna())
        elif not isinstance(col.dtype, pd.StringDtype):
            return None
        text = col.astype("string")
        needs = pd.Series(ascii_contains_mask(text, _QUOTE_CHARS), index=text.index)
        if bool(needs.any()):
            quoted = '"' + text.str.replace('"', '""', regex=False) + '"'
            text = text.where(~needs, quoted)
        out.append(text.fillna(""))
    return out


def _iso_days(stamps: pd.Series) -> pd.Series:
    """Dates (without times of day) as "YYYY-MM-DD" text, by pyarrow's cast when strings are
    pyarrow-backed (numpy's ``astype(str)`` otherwise; the same text)."""
    days = stamps.to_numpy(dtype="datetime64[D]")
    if pd.StringDtype().storage != "pyarrow":
        return pd.Series(days.astype(str), index=stamps.index, dtype="string")
    import pyarrow as pa

    text = pa.array(days, from_pandas=True).cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(text), index=stamps.index)


def _csv_field(text: str) -> str:
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if _QUOTE_PY.search(text) else text


def csv_chunks(frame: pd.DataFrame, *, sanitize: bool = True) -> Iterator[str]:
    """``frame`` as CSV text in pieces of :data:`CSV_CHUNK_ROWS` rows, the header first: what
    :func:`csv_text` returns, without holding all of it at once. Tables of text and dates (the
    briefing's companion file) are written with vectorised string operations, others by
    pandas; both give the bytes ``DataFrame.to_csv`` gives (tests/test_tables_csv.py)."""
    for chunk in _csv_pieces(frame, sanitize):
        yield chunk if isinstance(chunk, str) else str(chunk, "utf-8")


def _csv_pieces(frame: pd.DataFrame, sanitize: bool) -> Iterator[str | memoryview]:
    """:func:`csv_chunks`, the pieces joined in pyarrow as their UTF-8 bytes (written to a
    file as they are, without a round trip through Python text)."""
    single = len(frame.columns) == 1
    header = ",".join(_csv_field(str(c)) for c in frame.columns)
    yield (header if header or not single else '""') + "\n"
    block = CSV_CHUNK_ROWS * CSV_CHUNK_ROWS_CHECKED
    for first in range(0, len(frame), block):
        rows = frame.iloc[first : first + block] if len(frame) > block else frame
        yield from _csv_block(rows, sanitize, single)


#: pieces of :data:`CSV_CHUNK_ROWS` rows whose fields are checked at once in pyarrow tables
#: (:func:`_arrow_fields`; bounds the memory the checks take)
CSV_CHUNK_ROWS_CHECKED = 5


def _csv_block(frame: pd.DataFrame, sanitize: bool, single: bool) -> Iterator[str | memoryview]:
    """The CSV pieces of ``frame`` (a block of rows of the table; no header)."""
    fields = None if single else _arrow_fields(frame, sanitize)
    if fields is not None:
        for start in range(0, len(frame), CSV_CHUNK_ROWS):
            yield _arrow_chunk(fields, start, min(len(frame), start + CSV_CHUNK_ROWS))
        return
    for start in range(0, len(frame), CSV_CHUNK_ROWS):
        part = _csv_frame(frame.iloc[start : start + CSV_CHUNK_ROWS], sanitize)
        columns = _fast_columns(part)
        if columns is None:
            yield part.to_csv(index=False, header=False, lineterminator="\n")
            continue
        if single:
            lines = columns[0].mask(columns[0] == "", '""')
        elif _arrow_strings(columns):
            yield _arrow_lines(columns)
            continue
        else:
            lines = columns[0].str.cat(pd.concat(columns[1:], axis=1), sep=",")
        yield "\n".join(lines.tolist()) + "\n"


class _Field(NamedTuple):
    """A column of a table whose CSV text is made in pyarrow (:func:`_arrow_fields`): its
    values (pyarrow strings, or dates as numpy days) and, per row, whether its text is
    prefixed with ``'`` (formula-like) and whether it is quoted."""

    text: Any  # a pyarrow (chunked) string array, or None for a date column
    days: np.ndarray[Any, Any] | None  # a date column: datetime64[D] (NaT: empty)
    risky: np.ndarray[Any, Any] | None
    quoted: np.ndarray[Any, Any] | None


def _arrow_fields(frame: pd.DataFrame, sanitize: bool) -> list[_Field] | None:
    """The columns of ``frame`` ready to be turned into CSV text chunk by chunk in pyarrow
    (:func:`_arrow_chunk`), when every column holds pyarrow-backed strings or dates without
    times of day (the briefing's companion file); else ``None`` (the pieces are made with
    pandas). The checks (formula-like text, fields csv quotes) are made once per column,
    with the same functions the pandas path uses per piece: the same bytes."""
    import pyarrow as pa

    if pd.StringDtype().storage != "pyarrow":
        return None
    fields = []
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            stamps = _day_stamps(col)
            if stamps is None:
                return None
            fields.append(_Field(None, stamps.to_numpy(dtype="datetime64[D]"), None, None))
            continue
        if not (isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow"):
            return None
        text = pa.chunked_array(col.array._pa_array)  # type: ignore[attr-defined]
        risky = formula_like_mask(col) if sanitize else None
        # (a prefixed ' needs no quotes: the same fields are quoted with or without it)
        quoted = ascii_contains_mask(col, _QUOTE_CHARS)
        fields.append(
            _Field(
                text,
                None,
                risky if risky is not None and risky.any() else None,
                quoted if quoted.any() else None,
            )
        )
    return fields


def _arrow_chunk(fields: list[_Field], start: int, stop: int) -> memoryview:
    """Rows ``start``..``stop - 1`` of :func:`_arrow_fields` as CSV lines (UTF-8 bytes), as
    :func:`_csv_frame` and :func:`_fast_columns` make them: formula-like text prefixed with
    ``'``, fields with csv's quote characters quoted (inner quotes doubled), missing values
    empty."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = pa.large_string()
    empty = pa.scalar("", kind)
    arrays = []
    for field in fields:
        if field.days is not None:
            days = pa.array(field.days[start:stop], from_pandas=True)
            text = days.cast(kind)
        else:  # (the piece's rows only are copied, as large strings)
            text = field.text.slice(start, stop - start).combine_chunks().cast(kind)
        if field.risky is not None:
            risky = field.risky[start:stop]
            if risky.any():
                prefixed = pc.binary_join_element_wise(pa.scalar("'", kind), text, empty)
                text = pc.if_else(pa.array(risky), prefixed, text)
        if field.quoted is not None:
            quoted = field.quoted[start:stop]
            if quoted.any():
                doubled = pc.replace_substring(text, '"', '""')
                wrapped = pc.binary_join_element_wise(
                    pa.scalar('"', kind), doubled, pa.scalar('"', kind), empty
                )
                text = pc.if_else(pa.array(quoted), wrapped, text)
        arrays.append(text.fill_null(empty))
    newline = pa.scalar("\n", kind)
    arrays[-1] = pc.binary_join_element_wise(arrays[-1], newline, empty)
    return utf8_bytes(pc.binary_join_element_wise(*arrays, pa.scalar(",", kind)))


def _arrow_strings(columns: list[pd.Series]) -> bool:
    return all(getattr(c.dtype, "storage", "") == "pyarrow" for c in columns)


def _arrow_lines(columns: list[pd.Series]) -> memoryview:
    """Fields joined with commas and lines with line feeds, in pyarrow (C++): the UTF-8
    bytes of the lines, each ending with a line feed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = pa.large_string()
    arrays = [large_strings(c) for c in columns]  # (columns of several chunks combined)
    newline, empty = pa.scalar("\n", kind), pa.scalar("", kind)
    arrays[-1] = pc.binary_join_element_wise(arrays[-1], newline, empty)  # (no field is null)
    return utf8_bytes(pc.binary_join_element_wise(*arrays, pa.scalar(",", kind)))


def csv_text(frame: pd.DataFrame, *, sanitize: bool = True) -> str:
    """``frame`` as CSV text (no index, ``\n`` line ends): list cells joined with ``|``,
    formula-like text prefixed with ``'`` unless ``sanitize=False``."""
    return "".join(csv_chunks(frame, sanitize=sanitize))


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
        with target.open("wb") as out:  # UTF-8, line feeds (as csv_text)
            for chunk in _csv_pieces(frame, sanitize):
                out.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
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


def check_personal_data(card: ScoreCard, include_personal_data: bool) -> None:
    """Refuse to export, by default, a card scored with ``include_personal_data=True``: its
    evidence ids may carry names of protected persons, and without the evidence they cannot
    be redacted here (:mod:`bhrscore.evidence.privacy`)."""
    if not include_personal_data and card.meta.options.get("personal_data") == "included":
        raise ValueError(
            "this score card was made with include_personal_data=True (evidence ids may name "
            "protected persons): pass include_personal_data=True to write it, or score "
            "without it"
        )


def write_scorecard(
    card: ScoreCard,
    prefix: str | Path,
    fmt: TableFormat = "csv",
    *,
    sanitize: bool = True,
    include_personal_data: bool = False,
) -> list[Path]:
    """Write ``PREFIX.companies.EXT``, ``.nodes``, ``.indicators``, ``.penalties`` and
    ``PREFIX.meta.json``, all or none (each to a temporary file first; they replace earlier
    files only when all five are written); returns the paths written.

    A card from :func:`bhrscore.score` has its ids redacted already; one scored with
    ``include_personal_data=True`` is written only with ``include_personal_data=True`` too
    (a ``ValueError`` otherwise)."""
    check_personal_data(card, include_personal_data)
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r} (use one of {', '.join(FORMATS)})")
    paths = scorecard_paths(prefix, fmt)
    meta = json.dumps(scorecard_meta(card), indent=2, sort_keys=True) + "\n"
    with atomic_paths(paths) as temps:
        for name, temp in zip(SCORECARD_TABLES, temps, strict=False):
            write_table_file(getattr(card, name), temp, fmt, sanitize=sanitize)
        temps[-1].write_text(meta, encoding="utf-8", newline="\n")
    return paths
