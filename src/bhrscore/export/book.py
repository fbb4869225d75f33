"""A small layout model for report workbooks and its XlsxWriter renderer.

A workbook is a list of :class:`Sheet`; a sheet stacks notes (lines of text) and
:class:`Table` blocks below a title row. Tables hold column-wise Python values prepared once
with vectorised pandas operations (:meth:`TableColumn.from_series`), so the row loop that
writes them does nothing but pick a format and call XlsxWriter.

Why XlsxWriter: writing the same 1,000,000 cells (100,000 rows x 10 columns of text,
numbers and dates) took 15.4 s with XlsxWriter (``constant_memory``), 13.5 s with XlsxWriter
in its default mode and 34.0 s with openpyxl's write-only mode on the development machine;
XlsxWriter also writes charts, conditional formats, data validation, comments, print
settings and fixed document properties, and its zip members carry a fixed 1980 timestamp,
so output is byte-for-byte reproducible. ``constant_memory`` keeps memory flat
(~90 MB instead of ~220 MB for those cells; the default mode grows by about 130 MB per
million cells), at the price of writing strictly row by row, which this renderer does.

Every text cell goes through :mod:`.cells` (formula-like text quote-prefixed, illegal
characters removed, links only for http(s)).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import os
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import repeat
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .cells import (
    MAX_URLS_PER_SHEET,
    SheetWriter,
    ascii_contains_mask,
    clean_text,
    clean_text_series,
    formula_like_mask,
    is_formula_like,
    join_lists,
    make_format,
    not_simple_regex,
    safe_url_mask,
    safe_worksheet_class,
    text_dtype,
    utf8_bytes,
    xml_simple_mask,
)

MAX_SHEET_ROWS = 1_048_576
MAX_SHEET_COLS = 16_384
ColumnKind = Literal["text", "number", "integer", "score", "percent", "p", "date", "link"]
Scale = Literal["score", "coverage", "count"]
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
#: text columns at least this wide wrap their text by default (narrower ones hold ids, codes)
WRAP_MIN_WIDTH = 24
#: a wrapped row grows to at most this many lines (longer text stays in the cell, cut on
#: screen and paper; the Evidence trail's summaries are the longest)
MAX_ROW_LINES = 12
#: points per line of text (Calibri 11, as Excel's default row)
LINE_POINTS = 15.0
#: text columns up to this long are converted value by value (:meth:`TableColumn._small_text`)
SMALL_COLUMN = 256

NUMBER_FORMATS: dict[str, str] = {
    "number": "#,##0.00",
    "integer": "#,##0",
    "score": "0.0",
    "percent": "0%",
    "p": "0.000",
    "date": "yyyy-mm-dd",
}


@dataclass
class TableColumn:
    """One column: header, kind, values (``None`` = empty cell) and display options.

    For ``text`` columns ``risky`` flags formula-like values (``None`` when there are none);
    for ``link`` columns ``risky`` flags values that are *not* safe http(s) URLs, which are
    written as text instead of links.
    """

    header: str
    kind: ColumnKind
    values: list[Any]
    width: float | None = None
    risky: list[bool] | None = None
    scale: Scale | None = None
    #: for text and link columns: which values need no XML escaping (computed vectorised by
    #: :meth:`from_series`; ``None``: the writer checks each value itself)
    simple: list[bool] | None = None
    #: text columns: wrap long values within the column width (rows grow to fit); default:
    #: text columns at least :data:`WRAP_MIN_WIDTH` wide
    wrap: bool | None = None
    #: wrapping text columns made by :meth:`from_series`: each value's length (0 when
    #: missing) and whether it holds a line break, computed vectorised (row heights)
    text_shape: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None = field(
        default=None, repr=False, compare=False
    )
    #: columns made by :meth:`from_series`: the values in array form for the bulk writer,
    #: which would otherwise convert the Python values back (see :class:`ColumnArrays`)
    arrays: ColumnArrays | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_series(
        cls,
        header: str,
        series: pd.Series,
        kind: ColumnKind = "text",
        *,
        width: float | None = None,
        scale: Scale | None = None,
        notes: pd.Series | None = None,
        wrap: bool | None = None,
    ) -> TableColumn:
        """Convert a Series once, vectorised: text cleaned and flagged, numbers as floats,
        dates as Excel serial numbers, missing values as ``None``.

        ``notes`` (number columns): text shown, muted, where the value is missing, e.g.
        ``"unknown"`` for a score no evidence backs or ``"–"`` for a company without a rank;
        such cells are never coloured by the column's scale (scales colour numbers only)."""
        risky: list[bool] | None = None
        simple: list[bool] | None = None
        arrays: ColumnArrays | None
        if kind == "text" and len(series) <= SMALL_COLUMN:
            return cls._small_text(header, series, width, scale, wrap)
        if kind == "text":
            given = _as_text(series)
            codes, uniques = pd.factorize(given, use_na_sentinel=True)
            if 2 * len(uniques) < len(given):  # values repeat: checked once each
                return cls._repeated_text(header, codes, uniques, width, scale, wrap)
            text = clean_text_series(given)
            mask = formula_like_mask(text)
            risky = mask.tolist() if mask.any() else None
            easy = xml_simple_mask(text)
            simple = easy.tolist()
            # (mostly distinct values, factorized above: one object each)
            values = _object_values(text)
            arrays = _arrays(values, text=lambda: _arrow_text(text), simple=easy)
        elif kind == "link":
            text = clean_text_series(_as_text(series)).str.strip()
            bad = ~safe_url_mask(text) & text.notna().to_numpy(dtype=bool)
            risky = bad.tolist() if bad.any() else None
            easy = xml_simple_mask(text)
            simple = easy.tolist()
            values = _object_list(text)
            arrays = _arrays(values, text=lambda: _arrow_text(text), simple=easy)
        elif kind == "date":
            stamps = pd.to_datetime(series, errors="coerce")
            days = (stamps.to_numpy(dtype="datetime64[ns]") - _EXCEL_EPOCH) / np.timedelta64(1, "D")
            values = [None if math.isnan(v) else v for v in days.tolist()]
            arrays = _arrays(values, floats=days)
        else:
            numbers = pd.to_numeric(series, errors="coerce").astype("Float64")
            # the floats as Python floats; missing and infinite values None
            data, absent = numbers.array._data, numbers.array._mask  # type: ignore[attr-defined]
            absent = absent | np.isinf(data)
            values = _float_list(data)
            for i in np.flatnonzero(absent).tolist():
                values[i] = None
            # (a NaN that is not missing stays a value: no arrays then, the writer checks)
            nan = bool((np.isnan(data) & ~absent).any())
            arrays = None if nan else _arrays(values, floats=np.where(absent, np.nan, data))
            if notes is not None:
                # (notes repeat: "unknown", "–"; each distinct one cleaned and checked once)
                codes, uniques = pd.factorize(_as_text(notes), use_na_sentinel=True)
                distinct = clean_text_series(pd.Series(uniques, dtype=text_dtype()))
                if formula_like_mask(distinct).any():
                    raise ValueError(f"column {header!r}: notes may not be formula-like")
                shown = _object_values(distinct)
                use = np.flatnonzero(absent & (codes >= 0))  # by position
                for i, code in zip(use.tolist(), codes[use].tolist(), strict=True):
                    values[i] = shown[code]
                if arrays is not None and use.size:
                    arrays.notes = np.zeros(len(values), dtype=bool)
                    arrays.notes[use] = True
        column = cls(header, kind, values, width, risky, scale, simple, wrap, arrays=arrays)
        if kind == "text" and column.wraps:
            lengths = text.str.len().fillna(0).to_numpy(dtype=np.int64)
            breaks = ascii_contains_mask(text, "\n")
            column.text_shape = (lengths, breaks)
        return column

    @classmethod
    def _small_text(
        cls,
        header: str,
        series: pd.Series,
        width: float | None,
        scale: Scale | None,
        wrap: bool | None,
    ) -> TableColumn:
        """:meth:`from_series` of a short text column, value by value with the scalar forms
        of the same checks (:func:`clean_text`, :func:`is_formula_like`, the XML check): the
        vectorised path costs a few milliseconds a column whatever its length, and a
        workbook has dozens of short ones (a test checks both paths agree)."""
        given = _as_text(series).astype(text_dtype()).to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
        values: list[Any] = [None if v is None else clean_text(v) for v in given.tolist()]
        flags = [v is not None and is_formula_like(v) for v in values]
        not_simple = not_simple_regex()
        simple = [
            v is not None and len(v) <= 16_383 and not_simple.search(v) is None for v in values
        ]
        risky = flags if any(flags) else None
        column = cls(header, "text", values, width, risky, scale, simple, wrap)
        if column.wraps:
            column.text_shape = (
                np.array([0 if v is None else len(v) for v in values], dtype=np.int64),
                np.array([v is not None and "\n" in v for v in values], dtype=bool),
            )
        return column

    @classmethod
    def number_columns(
        cls,
        headers: Sequence[str],
        series: pd.Series,
        kind: ColumnKind,
        *,
        width: float | None = None,
        scale: Scale | None = None,
        notes: pd.Series | None = None,
    ) -> list[TableColumn]:
        """Number columns of equal length, given end to end in ``series`` (and ``notes``):
        one :meth:`from_series` conversion cut into one column per header (a matrix of
        indicators has dozens of columns; each conversion costs a few milliseconds however
        short its column)."""
        if kind in ("text", "link"):
            raise ValueError("number_columns converts number and date columns only")
        if not headers:
            return []
        n, rest = divmod(len(series), len(headers))
        if rest:
            raise ValueError(f"{len(series)} values do not make {len(headers)} equal columns")
        whole = cls.from_series("", series, kind, width=width, scale=scale, notes=notes)
        columns = []
        for k, header in enumerate(headers):
            column = cls(header, kind, whole.values[k * n : (k + 1) * n], width, None, scale)
            if whole.arrays is not None:
                column.arrays = whole.arrays.cut(column.values, k * n, (k + 1) * n)
            columns.append(column)
        return columns

    @classmethod
    def _repeated_text(
        cls,
        header: str,
        codes: np.ndarray[Any, Any],
        uniques: Any,
        width: float | None,
        scale: Scale | None,
        wrap: bool | None,
    ) -> TableColumn:
        """:meth:`from_series` of a text column whose values repeat (company ids, levels,
        themes, titles), given as ``codes`` (-1: missing) into its distinct values
        ``uniques`` (``pd.factorize``): the same vectorised checks on the distinct values,
        taken for each row; one Python object per distinct value (a test checks both paths
        agree)."""
        distinct = clean_text_series(pd.Series(uniques, dtype=text_dtype()))

        def per_row(flags: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
            # (code -1, missing, takes the appended last entry: False, or 0)
            out: np.ndarray[Any, Any] = np.append(flags, np.zeros(1, dtype=flags.dtype))[codes]
            return out

        flagged = formula_like_mask(distinct)
        risky = per_row(flagged).tolist() if flagged.any() else None
        easy = per_row(xml_simple_mask(distinct))
        shared = np.empty(len(distinct) + 1, dtype=object)
        shared[:-1] = _object_values(distinct)
        shared[-1] = None  # code -1: missing
        values: list[Any] = shared[codes].tolist()
        column = cls(header, "text", values, width, risky, scale, easy.tolist(), wrap)
        column.arrays = _arrays(
            values, text=lambda: _arrow_text(distinct), codes=codes, simple=easy
        )
        if column.wraps:
            lengths = distinct.str.len().fillna(0).to_numpy(dtype=np.int64)
            column.text_shape = (per_row(lengths), per_row(ascii_contains_mask(distinct, "\n")))
        return column

    @property
    def wraps(self) -> bool:
        """Whether the column's text wraps (see :attr:`wrap`)."""
        if self.wrap is not None:
            return self.wrap and self.kind == "text"
        return self.kind == "text" and (self.width or 0) >= WRAP_MIN_WIDTH


@dataclass
class ColumnArrays:
    """A column's values in array form, made by :meth:`TableColumn.from_series` with the
    Python values, so that the bulk writer (:func:`_write_rows_bulk`) need not convert the
    values back. Valid while the column's ``values`` is the very list they were made with
    (``of``; a column given other values, e.g. by ``dataclasses.replace``, is written from its
    values): values are not changed in place once made."""

    of: list[Any]
    #: text and link columns: the values as a pyarrow string array (null: missing), or, with
    #: ``codes``, the distinct values the codes point into (-1: missing)
    text: Any = None
    codes: np.ndarray[Any, Any] | None = None
    #: text and link columns: which values need no XML escaping (``TableColumn.simple``)
    simple: np.ndarray[Any, Any] | None = None
    #: number and date columns: the numbers as float64, NaN where a cell holds none
    floats: np.ndarray[Any, Any] | None = None
    #: number columns: where a cell holds a note (text); ``None``: nowhere
    notes: np.ndarray[Any, Any] | None = None

    def valid_for(self, values: list[Any]) -> bool:
        """Whether these arrays are those of ``values``."""
        return self.of is values

    def cut(self, values: list[Any], i0: int, i1: int) -> ColumnArrays:
        """The arrays of rows ``i0``..``i1 - 1``, for ``values`` (those rows' values)."""

        def part(array: Any) -> Any:
            return None if array is None else array[i0:i1]

        return ColumnArrays(
            values,
            text=self.text if self.codes is not None else part(self.text),
            codes=part(self.codes),
            simple=part(self.simple),
            floats=part(self.floats),
            notes=part(self.notes),
        )

    def text_rows(self, i0: int, i1: int) -> Any:
        """The text of rows ``i0``..``i1 - 1`` as a pyarrow ``large_string`` array."""
        import pyarrow as pa

        if self.codes is None:
            return self.text.slice(i0, i1 - i0).cast(pa.large_string())
        codes = self.codes[i0:i1]
        return self.text.take(pa.array(codes, mask=codes < 0)).cast(pa.large_string())


#: columns of at most this many values keep their arrays for the bulk writer
#: (:class:`ColumnArrays`): they take memory while a sheet is built and written (about 8
#: bytes a value, more for distinct text), which larger tables (the Companies sheet of
#: 10,000 companies: 190,000 rows) would add to the peak of a million-record briefing
ARRAYS_MAX_ROWS = 100_000


def _arrays(values: list[Any], **arrays: Any) -> ColumnArrays | None:
    """:class:`ColumnArrays` of ``values``, for columns of at most :data:`ARRAYS_MAX_ROWS`
    values (else ``None``: written from the values); ``text`` may be given as a function
    making it (called only then)."""
    if len(values) > ARRAYS_MAX_ROWS:
        return None
    if callable(arrays.get("text")):
        arrays["text"] = arrays["text"]()
    return ColumnArrays(values, **arrays)


def _arrow_text(text: pd.Series) -> Any:
    """A text Series as one pyarrow string array, without a copy when it is pyarrow-backed
    in one chunk (:meth:`ColumnArrays.text_rows` casts each chunk of rows to
    ``large_string``)."""
    import pyarrow as pa

    array = pa.array(text.astype(text_dtype()).array)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _float_list(data: np.ndarray[Any, Any]) -> list[Any]:
    """``data`` (float64) as Python floats, one object per distinct value (by bit pattern, so
    ``-0.0`` stays itself) when values repeat, as scores and weights do."""
    bits = np.ascontiguousarray(data, dtype=np.float64).view(np.int64)
    inverse, distinct = pd.factorize(bits)  # (hashed: no sort)
    if 2 * len(distinct) >= len(bits):
        return data.tolist()  # type: ignore[no-any-return]
    shared = np.empty(len(distinct), dtype=object)
    shared[:] = np.asarray(distinct, dtype=np.int64).view(np.float64).tolist()
    return shared[inverse].tolist()  # type: ignore[no-any-return]


def _object_list(series: pd.Series) -> list[Any]:
    """Values as Python objects, missing values as ``None``. A column that repeats its values
    (company ids, levels, themes) shares one object per distinct value: at 10,000 companies
    the Companies sheet holds 190,000 rows, and a string object per cell costs ~100 MB."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if 2 * len(uniques) >= len(series):
        values: list[Any] = series.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[call-overload]
        return values
    shared = np.empty(len(uniques) + 1, dtype=object)
    shared[:-1] = np.asarray(uniques, dtype=object)
    shared[-1] = None  # code -1: missing
    return shared[codes].tolist()  # type: ignore[no-any-return]


def _object_values(series: pd.Series) -> list[Any]:
    """Values as Python objects, missing values as ``None``."""
    values: list[Any] = series.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[call-overload]
    return values


def _as_text(series: pd.Series) -> pd.Series:
    return join_lists(series, ", ")


@dataclass
class Table:
    """A table block: an optional title line, a header row and data rows.

    ``main`` marks the sheet's principal table: its header is filterable, repeated on printed
    pages and, with ``freeze``, frozen (with ``freeze_cols`` columns). ``name`` lets a chart
    (or anything else) refer to the table; it is not written.
    """

    columns: list[TableColumn]
    title: str | None = None
    main: bool = False
    freeze_cols: int = 0
    freeze: bool = True
    name: str | None = None
    #: rows shown greyed out and never coloured by a scale (e.g. companies with insufficient
    #: evidence); ``None``: none
    muted: list[bool] | None = None
    #: Excel outline level of each row (0-7; e.g. company 0, theme 1, indicator 2) so that
    #: readers can fold rows; ``None``: no outline
    levels: list[int] | None = None
    #: per column header, text value -> background colour (e.g. evidence status)
    highlights: dict[str, dict[str, str]] = field(default_factory=dict)

    def column(self, header: str) -> TableColumn | None:
        """The column headed ``header`` (the first one), or ``None``."""
        return next((c for c in self.columns if c.header == header), None)

    @property
    def n_rows(self) -> int:
        return len(self.columns[0].values) if self.columns else 0

    @property
    def height(self) -> int:
        """Rows taken on the sheet, including title, header and one blank row after."""
        return (1 if self.title else 0) + 1 + self.n_rows + 1


@dataclass(frozen=True)
class ChartSpec:
    """A column chart of one table column against another (categories), found by name: the
    sheet called ``sheet`` and its table called ``table``, columns by header. With
    ``errors`` (the headers of the columns holding each value's distance to the upper and to
    the lower bound of its interval), each bar gets error bars that reference those cells:
    LibreOffice draws cell-referenced custom error bars, not literal ones, and Excel draws
    both. A bar whose distances are empty gets none. The chart is placed below the sheet's
    last block, so it prints on the sheet's pages without widening them."""

    title: str
    sheet: str  # name of the sheet holding the data
    table: str  # name of the table on that sheet (Table.name)
    categories: str  # header of the category labels
    values: str  # header of the values
    y_title: str = "Score (0-100)"
    errors: tuple[str, str] | None = None  # headers of the distances above and below

    def source(self, sheets: Sequence[Sheet]) -> tuple[Sheet, Table] | None:
        """The sheet and table holding the data, or ``None`` when they are not there."""
        sheet = next((s for s in sheets if s.name == self.sheet), None)
        if sheet is None:
            return None
        table = next((t for t in sheet.tables() if t.name == self.table), None)
        return None if table is None else (sheet, table)


@dataclass(frozen=True)
class FileLink:
    """A note whose text links to a file beside the workbook (the briefing's companion file),
    by its bare name, so the link still works when both files are moved together."""

    text: str
    target: str

    def __post_init__(self) -> None:
        bad = ("/", "\\", ":")
        if not self.target or any(c in self.target for c in bad) or self.target in (".", ".."):
            raise ValueError(f"a file link needs a bare file name, not {self.target!r}")


Block = str | Table | FileLink


@dataclass
class Sheet:
    """A worksheet: a title row, then notes (text, or text linking to a file beside the
    workbook) and tables stacked in order."""

    name: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    chart: ChartSpec | None = None
    widths: dict[int, float] = field(default_factory=dict)

    def positions(self) -> list[int]:
        """The first row (0-based) of each block."""
        rows: list[int] = []
        r = 2  # title row, blank row
        previous: Block | None = None
        for block in self.blocks:
            if isinstance(block, Table) and isinstance(previous, str | FileLink):
                r += 1  # a blank row between notes and a table
            rows.append(r)
            r += block.height if isinstance(block, Table) else 1
            previous = block
        return rows

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def end_row(self) -> int:
        """The first row (0-based) below the sheet's last block."""
        rows = self.positions()
        if not rows:
            return 2
        last = self.blocks[-1]
        return rows[-1] + (last.height if isinstance(last, Table) else 1)


def header_row(sheet: Sheet, table: Table) -> int:
    """Row (0-based) of ``table``'s header on ``sheet``."""
    start = sheet.positions()[sheet.blocks.index(table)]
    return start + (1 if table.title else 0)


@dataclass
class RenderStats:
    """What the renderer had to change: hyperlinks over Excel's per-sheet limit written as
    text, per sheet."""

    links_as_text: dict[str, int] = field(default_factory=dict)


def render(
    sheets: Sequence[Sheet],
    path: str | Path,
    *,
    created: dt.datetime,
    properties: dict[str, str] | None = None,
    tmpdir: str | Path | None = None,
) -> RenderStats:
    """Write ``sheets`` to ``path`` (an .xlsx workbook). The caller makes it atomic and gives
    ``tmpdir``, the directory for XlsxWriter's own temporary files (row data of each sheet;
    default: the directory of ``path``, never ``$TMPDIR``, which may be shared)."""
    with BookWriter(path, created=created, properties=properties, tmpdir=tmpdir) as book:
        for sheet in sheets:
            book.add(sheet)
        return book.close(sheets)


class BookWriter:
    """A workbook written sheet by sheet in any order: :meth:`add` writes a sheet's cells as
    soon as it is built, :meth:`close` puts the tabs in their final order, inserts the charts
    (which may read sheets added later) and writes the file. So sheets that are ready can be
    written while others wait for their data (the briefing's comparisons).

    Use it as a context manager: an error before :meth:`close` closes the workbook quietly
    and is raised (the caller's atomic write removes the file)."""

    def __init__(
        self,
        path: str | Path,
        *,
        created: dt.datetime,
        properties: dict[str, str] | None = None,
        tmpdir: str | Path | None = None,
    ) -> None:
        self._workbook = _workbook_class()(
            str(path),
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "tmpdir": str(tmpdir if tmpdir is not None else Path(path).parent),
            },
        )
        self._stats = RenderStats()
        self._worksheets: dict[str, Any] = {}
        self._closed = False
        try:
            self._workbook.set_properties({**(properties or {}), "created": created})
            self._fmts = _formats(self._workbook)
        except BaseException:
            self.abort()
            raise

    def __enter__(self) -> BookWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None or not self._closed:
            self.abort()

    def add(self, sheet: Sheet) -> None:
        """Write ``sheet``'s cells (its chart waits for :meth:`close`)."""
        ws, skipped = _render_sheet(self._workbook, self._fmts, sheet)
        self._worksheets[sheet.name] = ws
        if skipped:
            self._stats.links_as_text[sheet.name] = skipped

    def close(self, sheets: Sequence[Sheet]) -> RenderStats:
        """Finish the workbook with ``sheets`` (each added before; charts as they are here,
        reading the sheets named) as its tabs, in this order."""
        names = [s.name for s in sheets]
        if sorted(names) != sorted(self._worksheets):
            self.abort()
            raise ValueError(
                f"the workbook has sheets {sorted(self._worksheets)}, not {sorted(names)}"
            )
        try:
            _order_tabs(self._workbook, [self._worksheets[n] for n in names])
            for sheet in sheets:
                if sheet.chart is not None:
                    _insert_chart(self._workbook, self._worksheets[sheet.name], sheet, sheets)
        except BaseException:
            self.abort()
            raise
        self._closed = True
        self._workbook.close()
        return self._stats

    def abort(self) -> None:
        """Close the workbook quietly after an error (the file is incomplete)."""
        if not self._closed:
            self._closed = True
            _close_quietly(self._workbook)


def _order_tabs(workbook: Any, worksheets: list[Any]) -> None:
    """Put the worksheets in this order before the workbook is closed: XlsxWriter numbers
    sheets by ``index`` (their position) only when it closes the workbook (print titles,
    filters, the active tab, sheet files), so the list and the indexes are all there is to
    change. Names defined for one sheet (``workbook.define_name("'S'!x", ...)``) keep the
    position they had when defined: the writer defines none, and refuses to reorder then."""
    if worksheets == workbook.worksheets_objs:
        return
    if any(entry[1] not in (-1, None) for entry in workbook.defined_names):
        raise RuntimeError("sheets cannot be reordered once a sheet-level name is defined")
    workbook.worksheets_objs[:] = worksheets
    for i, ws in enumerate(worksheets):
        ws.index = i
        ws.selected = 0
    workbook.worksheet_meta.activesheet = 0


#: zlib level of the workbook's zip members: level 1 compresses the XML about three times
#: faster than zlib's default (6) for a file about 30% larger (the 100,000-record briefing:
#: 0.21 s and 7.5 MB against 0.71 s and 5.7 MB)
ZIP_LEVEL = 1


@lru_cache(maxsize=1)
def _workbook_class() -> type:
    """XlsxWriter's ``Workbook`` (3.x) writing its zip members at :data:`ZIP_LEVEL` and each
    worksheet's relationships (one per hyperlink) as one string; any other XlsxWriter
    version gets its own ``Workbook`` unchanged."""
    import types
    import zipfile

    import xlsxwriter
    import xlsxwriter.workbook
    from xlsxwriter.packager import Packager
    from xlsxwriter.relationships import DOCUMENT_SCHEMA, PACKAGE_SCHEMA, Relationships

    if not xlsxwriter.__version__.startswith(f"{_XLSXWRITER_MAJOR}."):
        plain: type = xlsxwriter.Workbook
        return plain

    class FastRelationships(Relationships):  # type: ignore[misc]
        def _write_relationships(self) -> None:
            # the same bytes as Relationships._write_relationships
            esc = self._escape_attributes
            self._xml_start_tag("Relationships", [("xmlns", PACKAGE_SCHEMA)])
            parts = []
            heads: dict[tuple[str, str | None], tuple[str, str]] = {}  # escaped once
            for rel_type, target, target_mode in self.relationships:
                head = heads.get((rel_type, target_mode))
                if head is None:
                    mode = f' TargetMode="{esc(target_mode)}"' if target_mode else ""
                    head = heads[rel_type, target_mode] = (f'" Type="{esc(rel_type)}"', mode)
                parts.append(
                    f'<Relationship Id="rId{self.id}{head[0]} Target="{esc(target)}"{head[1]}/>'
                )
                self.id += 1
            self.fh.write("".join(parts))
            self._xml_end_tag("Relationships")

    class FastPackager(Packager):  # type: ignore[misc]
        def _write_worksheet_rels_files(self) -> None:
            # Packager._write_worksheet_rels_files with FastRelationships
            index = 0
            for worksheet in self.workbook.worksheets():
                if worksheet.is_chartsheet:
                    continue
                index += 1
                external_links = (
                    worksheet.external_hyper_links
                    + worksheet.external_drawing_links
                    + worksheet.external_vml_links
                    + worksheet.external_background_links
                    + worksheet.external_table_links
                    + worksheet.external_comment_links
                )
                if not external_links:
                    continue
                rels = FastRelationships()
                rels.relationships = [  # as _add_document_relationship adds them
                    (DOCUMENT_SCHEMA + link[0], link[1], link[2] if len(link) > 2 else None)
                    for link in external_links
                ]
                rels._set_xml_writer(self._filename(f"xl/worksheets/_rels/sheet{index}.xml.rels"))
                rels._assemble_xml_file()

    class LevelZipFile(zipfile.ZipFile):
        """A ZipFile at :data:`ZIP_LEVEL` that writes a worksheet whose rows were left in
        their row data file (``splices``: XML file name -> byte position of the rows, row
        data file; see :func:`.cells.safe_worksheet_class`) as its XML up to that position,
        the rows as bytes, and the rest of its XML: the same member as XlsxWriter's copy."""

        def __init__(
            self, *args: Any, splices: dict[str, tuple[int, Any]] | None = None, **kwargs: Any
        ) -> None:
            kwargs["compresslevel"] = ZIP_LEVEL
            super().__init__(*args, **kwargs)
            self._splices = {} if splices is None else splices

        def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
            splice = self._splices.get(str(filename))
            if splice is None or args or kwargs:
                super().write(filename, arcname, *args, **kwargs)
                return
            at, rows = splice
            # as ZipFile.write makes the member's header: from the XML file (time, mode)
            zinfo = zipfile.ZipInfo.from_file(
                filename, arcname, strict_timestamps=getattr(self, "_strict_timestamps", True)
            )
            zinfo.compress_type = self.compression
            setattr(zinfo, "_compresslevel", self.compresslevel)  # noqa: B010 (private)
            with open(filename, "rb") as xml:
                text = xml.read()
            if isinstance(rows, _DeflatingRows):
                self._write_deflated(zinfo, text[:at], rows, text[at:])
                del self._splices[str(filename)]
                return
            zinfo.file_size = len(text) + os.path.getsize(rows)  # (ZIP64 as for the copy)
            with open(rows, "rb") as src, self.open(zinfo, "w") as dest:
                dest.write(text[:at])
                while chunk := src.read(_SPLICE_CHUNK):
                    dest.write(chunk)
                dest.write(text[at:])
            del self._splices[str(filename)]
            os.remove(rows)

        def _write_deflated(
            self, zinfo: zipfile.ZipInfo, head: bytes, rows: _DeflatingRows, tail: bytes
        ) -> None:
            """The member ``head`` + rows + ``tail``, the rows deflated already (pieces
            that end with a sync flush: one valid deflate stream once joined)."""
            deflated = rows.finish()  # (then rows.crc is that of all rows)
            # the rows' checksum was made on the thread before the head was known: combined
            crc = zlib.crc32(tail, crc32_combine(zlib.crc32(head), rows.crc, rows.size))
            size = len(head) + rows.size + len(tail)
            zinfo.file_size = size
            with self.open(zinfo, "w") as dest:
                # what is written below is deflated already: the member's own compressor
                # passes it on; its checksum and size are those of the XML, set at the end
                dest._compressor = _Deflated()  # type: ignore[attr-defined]
                dest.write(_deflate(head, final=False))
                while chunk := deflated.read(_SPLICE_CHUNK):
                    dest.write(chunk)
                dest.write(_deflate(tail, final=True))
                dest._crc, dest._file_size = crc, size  # type: ignore[attr-defined]
            rows.discard()

    class Workbook(xlsxwriter.Workbook):  # type: ignore[misc]
        def _get_packager(self) -> Any:
            return FastPackager()

        def add_worksheet(self, name: str | None = None, worksheet_class: Any = None) -> Any:
            ws = super().add_worksheet(name, worksheet_class=worksheet_class)
            if (
                DEFLATE_ROWS
                and SPLICE_ROWS
                and ws.constant_memory
                and getattr(ws, "_bhr_defers_rows", False)
                and _raw_members_ok()
            ):
                _deflate_rows(self, ws)
            return ws

        def _store_workbook(self) -> None:
            splices: dict[str, tuple[int, Any]] = {}
            if SPLICE_ROWS:
                for ws in self.worksheets():  # (read by the safe worksheet class only)
                    ws._bhr_splices = splices
            # Workbook._store_workbook, run with LevelZipFile as its ZipFile (it makes the zip
            # file itself and takes no compression level)
            store = types.FunctionType(
                xlsxwriter.Workbook._store_workbook.__code__,
                {
                    **vars(xlsxwriter.workbook),
                    "ZipFile": partial(LevelZipFile, splices=splices),
                },
                "_store_workbook",
            )
            try:
                store(self)
            finally:  # row data files a failure left behind
                _NUMBER_TEXTS.clear()
                pool = self.__dict__.pop("_bhr_pool", None)
                if pool is not None:
                    pool.shutdown(wait=True, cancel_futures=True)
                for ws in self.worksheets():
                    if isinstance(ws.row_data_fh, _DeflatingRows):
                        ws.row_data_fh.discard()
                for _, rows in splices.values():
                    if isinstance(rows, str):
                        with contextlib.suppress(OSError):
                            os.remove(rows)

    return Workbook


#: zip each worksheet's rows straight from its row data file (as bytes) instead of letting
#: XlsxWriter copy them (as text) into the sheet's XML file first; the same bytes either way
#: (tests compare both), about 0.1 s less for the 100,000-record briefing
SPLICE_ROWS = True
#: bytes of a worksheet's row data read at once when zipped
_SPLICE_CHUNK = 1 << 20
#: deflate each worksheet's rows on a thread while the sheet is rendered (zlib releases the
#: GIL), in pieces of :data:`_PIECE` bytes, instead of when the workbook is closed: the
#: rows never go to a temporary file. The XML is the same; the zip's compressed bytes differ
#: from one stream's (each piece starts afresh), deterministically
DEFLATE_ROWS = True
#: bytes of row XML deflated at once (a piece is cut by byte count only, so the same rows
#: give the same pieces however they were written)
_PIECE = 1 << 20
#: pieces waiting to be deflated before the renderer waits (bounds the memory they take)
_PIECES_AHEAD = 2


def _deflate(data: Any, *, final: bool) -> bytes:
    """``data`` as raw deflate data at :data:`ZIP_LEVEL`, ended with a sync flush (more
    pieces follow) or as the stream's last block."""
    packer = zlib.compressobj(ZIP_LEVEL, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)


class _Deflated:
    """A zip member's compressor for data deflated already: passes it on."""

    @staticmethod
    def compress(data: Any) -> Any:
        return data

    @staticmethod
    def flush() -> bytes:
        return b""


@lru_cache(maxsize=1)
def _raw_members_ok() -> bool:
    """Whether ``zipfile`` writes members as :meth:`LevelZipFile._write_deflated` expects (a
    writer with ``_compressor``, ``_crc`` and ``_file_size``, as in Python 3.11 to 3.13)."""
    import zipfile

    writer = getattr(zipfile, "_ZipWriteFile", None)
    if writer is None:
        return False
    names = set(writer.write.__code__.co_names) | set(writer.close.__code__.co_names)
    return {"_compressor", "_crc", "_file_size", "_compress_size"} <= names


class _DeflatingRows:
    """XlsxWriter's row data file of a worksheet in constant-memory mode, replaced: what is
    written (text by XlsxWriter, UTF-8 bytes by :func:`_write_rows_bulk`) is cut into
    pieces of :data:`_PIECE` bytes, each deflated on the workbook's one thread and appended
    to ``path`` (XlsxWriter's temporary file, now binary; in memory the deflated rows of a
    large briefing would add to its peak); its CRC-32 and size are kept for the zip member
    (:func:`_workbook_class`)."""

    def __init__(self, pool: Any, path: str) -> None:
        self._pool = pool
        self._path = path
        self._file: Any = open(path, "w+b")  # noqa: SIM115 (closed by discard)
        self._text: list[str] = []
        self._chars = 0
        self._parts: list[Any] = []  # the piece being filled
        self._filled = 0
        self._pieces: list[Any] = []  # futures of the deflated pieces, in order
        self._waited = 0
        self._crc = 0  # of the pieces deflated so far (on the thread, in order)
        self.size = 0

    def write(self, text: str) -> int:
        self._text.append(text)
        self._chars += len(text)
        if self._chars >= _PIECE:
            self._encode()
        return len(text)

    def write_utf8(self, data: memoryview) -> None:
        self._encode()  # what was written as text goes first
        self._add(data)

    def flush(self) -> None:
        """(Nothing to flush: pieces are deflated once full.)"""

    def close(self) -> None:
        """(Nothing to close: the zip writer takes the pieces.)"""

    def finish(self) -> Any:
        """The deflated rows (a binary file at its start), all pieces written."""
        self._encode()
        if self._filled:
            self._submit()
        for piece in self._pieces[self._waited :]:
            piece.result()  # (its error, if any)
        self._waited = len(self._pieces)
        self._file.seek(0)
        return self._file

    @property
    def crc(self) -> int:
        """The CRC-32 of the rows (once :meth:`finish` has waited for every piece)."""
        return self._crc

    def discard(self) -> None:
        """Close and remove the file of deflated rows (again: nothing)."""
        if self._file is not None:
            self._file.close()
            self._file = None
            with contextlib.suppress(OSError):
                os.remove(self._path)

    def _deflate(self, piece: bytes) -> None:  # on the workbook's thread, one piece at a time
        self._crc = zlib.crc32(piece, self._crc)
        self._file.write(_deflate(piece, final=False))

    def _encode(self) -> None:
        if self._text:
            data = "".join(self._text).encode("utf-8")
            self._text, self._chars = [], 0
            self._add(data)

    def _add(self, data: Any) -> None:
        view = memoryview(data)
        if not len(view):
            return
        self.size += len(view)
        while len(view):
            part = view[: _PIECE - self._filled]
            self._parts.append(part)
            self._filled += len(part)
            view = view[len(part) :]
            if self._filled == _PIECE:
                self._submit()
        if self._parts and isinstance(self._parts[-1], memoryview):
            # a view would keep the whole rendered chunk (megabytes) until the piece is full
            self._parts[-1] = bytes(self._parts[-1])

    def _submit(self) -> None:
        piece = b"".join(self._parts)
        self._parts, self._filled = [], 0
        self._pieces.append(self._pool.submit(self._deflate, piece))
        while len(self._pieces) - self._waited > _PIECES_AHEAD:
            self._pieces[self._waited].result()
            self._waited += 1


def _deflate_rows(workbook: Any, ws: Any) -> None:
    """Give ``ws`` a :class:`_DeflatingRows` as its row data file (in XlsxWriter's temporary
    file), deflating on the workbook's one thread."""
    from concurrent.futures import ThreadPoolExecutor

    pool = workbook.__dict__.get("_bhr_pool")
    if pool is None:
        pool = workbook._bhr_pool = ThreadPoolExecutor(1, thread_name_prefix="bhrscore-zip")
    ws.row_data_fh.close()
    ws.row_data_fh = ws.fh = _DeflatingRows(pool, ws.row_data_filename)


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of ``a + b`` from ``crc1`` (of ``a``), ``crc2`` (of ``b``) and ``len2``
    (the length of ``b``): zlib's ``crc32_combine``, which Python's ``zlib`` lacks. ``len2``
    zero bytes are appended to ``crc1`` with the GF(2) operators for 2**k zero bytes
    (:data:`_ZERO_OPS`, made once, as far as lengths need them)."""
    k = 0
    while len2:
        if len2 & 1:
            crc1 = _gf2_times(_zero_op(k), crc1)
        len2 >>= 1
        k += 1
    return crc1 ^ crc2


#: the CRC-32 operator for 2**k zero bytes at position k (grown by :func:`_zero_op`)
_ZERO_OPS: list[list[int]] = []


def _zero_op(k: int) -> list[int]:
    if not _ZERO_OPS:
        one_bit = [0xEDB88320] + [1 << n for n in range(31)]
        _ZERO_OPS.append(_gf2_square(_gf2_square(_gf2_square(one_bit))))  # 8 bits
    while len(_ZERO_OPS) <= k:
        _ZERO_OPS.append(_gf2_square(_ZERO_OPS[-1]))
    return _ZERO_OPS[k]


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


def _close_quietly(workbook: Any) -> None:
    with contextlib.suppress(Exception):  # the original error is the one to report
        workbook.close()


def _formats(workbook: Any) -> dict[str, Any]:
    fmts: dict[str, Any] = {
        "title": make_format(workbook, {"bold": True, "font_size": 14}),
        "table_title": make_format(workbook, {"bold": True, "font_size": 11}),
        "note": make_format(workbook, {"italic": False}),
        "header": make_format(
            workbook,
            {
                "bold": True,
                "bg_color": "#DDEBF7",
                "bottom": 1,
                "text_wrap": True,
                "valign": "top",
            },
        ),
        "text": make_format(workbook, {}),
        "wrap": make_format(workbook, {"text_wrap": True}),
        "note_wrap": make_format(workbook, {"text_wrap": True, "valign": "top"}),
        # text in a number column (unknown, not applicable, policy-filled, no rank)
        "muted": make_format(workbook, {"italic": True, "font_color": "#595959", "align": "right"}),
        "link": make_format(workbook, {"font_color": "#0563C1", "underline": 1}),
    }
    for kind, num_format in NUMBER_FORMATS.items():
        fmts[kind] = make_format(workbook, {"num_format": num_format})
    fmts["_workbook"] = workbook
    return fmts


_DEFAULT_WIDTHS: dict[str, float] = {
    "text": 18,
    "number": 12,
    "integer": 10,
    "score": 9,
    "percent": 9,
    "p": 9,
    "date": 11,
    "link": 40,
}


def _render_sheet(workbook: Any, fmts: dict[str, Any], sheet: Sheet) -> tuple[Any, int]:
    """Add ``sheet``'s worksheet and write its cells: (the worksheet, hyperlinks written as
    text). Its chart is inserted by :meth:`BookWriter.close`."""
    ws = workbook.add_worksheet(sheet.name, worksheet_class=safe_worksheet_class())
    out = SheetWriter(workbook, ws)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
    ws.set_footer("&L&A&R&P / &N")
    ws.hide_gridlines(1)  # gridlines on screen, never on paper

    main = next((t for t in sheet.tables() if t.main), None)
    if any(t.levels is not None for t in sheet.tables()):
        # a company's total is above its details: outline buttons on the summary row's side
        ws.outline_settings(True, False, True, False)
    widths = _column_widths(sheet)
    for j, width in sorted(widths.items()):
        ws.set_column(j, j, width)
    positions = sheet.positions()
    if main is not None:
        head = header_row(sheet, main)
        if main.freeze:
            ws.freeze_panes(head + 1, main.freeze_cols)
        if sheet.blocks[-1] is main:  # a header repeated above other tables would mislead
            ws.repeat_rows(head)
        if main.n_rows:
            ws.autofilter(head, 0, head + main.n_rows, len(main.columns) - 1)
    out.text(0, 0, sheet.title, fmts["title"])
    span = max((len(t.columns) for t in sheet.tables()), default=1)
    budget = sum(widths.get(j, 8.43) for j in range(max(span, 1)))
    for block, start in zip(sheet.blocks, positions, strict=True):
        if isinstance(block, str):
            lines = _lines(block, budget)
            if lines > 1 and span > 1:  # a long note wraps across the table's width
                ws.set_row(start, LINE_POINTS * lines)
                ws.merge_range(start, 0, start, span - 1, "", fmts["note_wrap"])
                out.text(start, 0, block, fmts["note_wrap"])
            else:
                out.text(start, 0, block, fmts["note"])
        elif isinstance(block, FileLink):
            out.file_link(start, 0, block.target, block.text, fmts["link"])
        else:
            # (row sizes only matter where an object is placed: the sheet's chart)
            _write_table(ws, out, fmts, block, start, sizes=sheet.chart is not None)
    return ws, out.links_skipped


def _column_widths(sheet: Sheet) -> dict[int, float]:
    widths: dict[int, float] = {}
    for table in sheet.tables():
        for j, col in enumerate(table.columns):
            width = col.width if col.width is not None else _guess_width(col)
            widths[j] = max(widths.get(j, 0.0), width)
    widths.update(sheet.widths)
    return widths


def _guess_width(col: TableColumn) -> float:
    base = _DEFAULT_WIDTHS[col.kind]
    header = min(len(col.header) + 2, 30)
    if col.kind == "text":
        sample = [len(v) for v in col.values[:200] if isinstance(v, str)]
        longest = max(sample, default=0)
        return float(max(min(longest + 2, 50), header, 8))
    return float(max(base, min(header, 18)))


#: tables with at least this many rows are written in bulk (:func:`_write_rows_bulk`);
#: smaller ones, and the last row of every table, cell by cell through XlsxWriter
BULK_MIN_ROWS = 2
#: rows rendered per chunk in bulk mode (bounds the memory the rendered XML takes)
BULK_CHUNK_ROWS = 20_000
#: a column of a chunk as :func:`_write_rows_bulk` renders it
_Rendered = tuple[int, int, list[Any], "list[Any] | None", Any, Any, Any, Any, Any, Any]
_Plan = tuple[
    int, int, list[Any], Any, Any, "list[bool] | None", "list[bool] | None", "ColumnArrays | None"
]


def _write_table(
    ws: Any,
    out: SheetWriter,
    fmts: dict[str, Any],
    table: Table,
    start: int,
    *,
    sizes: bool = True,
) -> None:
    row = start
    if table.title:
        out.text(row, 0, table.title, fmts["table_title"])
        row += 1
    # wrapped headers stay visible: bold text and whole words take more room than plain text
    longest = max(
        (_lines(c.header, 0.85 * (c.width or _guess_width(c))) for c in table.columns),
        default=1,
    )
    ws.set_row(row, LINE_POINTS * min(6, max(1, longest)))
    for j, col in enumerate(table.columns):
        out.text(row, j, col.header, fmts["header"])
    first = row + 1
    n = table.n_rows
    if n == 0:
        return
    plans: list[_Plan] = []
    for j, col in enumerate(table.columns):
        arrays = col.arrays if col.arrays is not None and col.arrays.valid_for(col.values) else None
        if col.kind == "text":  # plain text needs no format (cheaper, smaller file)
            fmt = fmts["wrap"] if col.wraps else None
            plans.append((0, j, col.values, fmt, out.quoted(fmt), col.risky, col.simple, arrays))
        elif col.kind == "link":
            link = fmts["link"]
            plans.append((2, j, col.values, link, out.quoted(None), col.risky, col.simple, arrays))
        else:  # numbers; text in a number column is a note, written muted
            plans.append((1, j, col.values, fmts[col.kind], fmts["muted"], None, None, arrays))
    props = _row_properties(table)
    # The last row that has cells stays with XlsxWriter: it is still pending (not yet turned
    # into XML) when later calls change the sheet (conditional formats), as in per-cell mode.
    pending = max((_last(p[2]) for p in plans if any(v is not None for v in p[2])), default=0)
    bulk = pending if n >= BULK_MIN_ROWS and _bulk_ready(ws, first, first + pending) else 0
    _set_rows(ws, props, first, bulk, sizes=sizes)
    for i0 in range(0, bulk, BULK_CHUNK_ROWS):
        _write_rows_bulk(ws, out, plans, first, i0, min(bulk, i0 + BULK_CHUNK_ROWS), props)
    _write_rows(ws, out, plans, first, bulk, n)
    _conditional_formats(ws, fmts, table, first)
    for col in table.columns:  # the arrays served the bulk writer: not kept until close
        col.arrays = None


def _lines(text: str, width: float) -> int:
    """Lines ``text`` takes when wrapped in a cell ``width`` characters wide (an estimate:
    proportional text fits about 1.1 characters per unit of column width)."""
    per_line = max(1.0, (width - 1) * 1.1)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


@dataclass
class _RowProps:
    """Height (XlsxWriter pixels, 0: the default height) and outline level of each row of a
    table, computed with numpy; ``attrs`` are the ``<row>`` attributes of each (height,
    level) pair, as XlsxWriter's ``_write_row`` writes them."""

    pixels: np.ndarray[Any, np.dtype[np.int64]]
    levels: np.ndarray[Any, np.dtype[np.int64]]
    attrs: dict[tuple[int, int], str] = field(default_factory=dict)

    def chunk(self, ws: Any, i0: int, i1: int) -> list[str]:
        """The ``<row>`` attributes of rows ``i0``..``i1 - 1``."""
        codes = self.pixels[i0:i1] * 8 + self.levels[i0:i1]
        found, where = np.unique(codes, return_inverse=True)
        shown = np.array([self._attr(ws, int(c) // 8, int(c) % 8) for c in found], dtype=object)
        attrs: list[str] = shown[where].tolist()
        return attrs

    def _attr(self, ws: Any, pixels: int, level: int) -> str:
        key = (pixels, level)
        found = self.attrs.get(key)
        if found is None:
            found = ""
            if pixels and pixels != ws.original_row_height:
                found += f' ht="{pixels * 0.75:.16g}" customHeight="1"'
            if level:
                found += f' outlineLevel="{level}"'
            self.attrs[key] = found
        return found


def _row_properties(table: Table) -> _RowProps:
    """Row heights for wrapped text and outline levels (the per-cell and the bulk writer
    both use them: :func:`_set_rows`)."""
    n = table.n_rows
    lines = np.ones(n, dtype=np.int64)
    for col in table.columns:
        if not col.wraps:
            continue
        width = col.width if col.width is not None else _guess_width(col)
        per_line = max(1.0, (width - 1) * 1.1)
        values = col.values
        if col.text_shape is not None and len(col.text_shape[0]) == n:
            lengths, breaks = col.text_shape
            broken = np.flatnonzero(breaks).tolist()
        else:
            lengths = np.fromiter(
                (len(v) if isinstance(v, str) else 0 for v in values), dtype=np.int64, count=n
            )
            broken = [i for i, v in enumerate(values) if isinstance(v, str) and "\n" in v]
        # one line of text per per_line characters (_lines, for text without line breaks)
        estimate = np.where(lengths > per_line, np.ceil(lengths / per_line), 1).astype(np.int64)
        for i in broken:
            estimate[i] = _lines(values[i], width)
        np.maximum(lines, estimate, out=lines)
    tall = LINE_POINTS * np.minimum(lines, MAX_ROW_LINES)
    # XlsxWriter's set_row: points to whole pixels
    pixels = np.where(lines > 1, (tall * 4.0 / 3.0 + 0.5).astype(np.int64), 0)
    levels = np.zeros(n, dtype=np.int64)
    if table.levels is not None:
        levels = np.clip(np.asarray(table.levels, dtype=np.float64).astype(np.int64), 0, 7)
    return _RowProps(pixels, levels)


def _set_rows(ws: Any, props: _RowProps, first: int, bulk: int, *, sizes: bool = True) -> None:
    """Give the rows their heights and levels: rows ``bulk`` and later (written cell by cell)
    through XlsxWriter's ``set_row``; the first ``bulk`` rows (their XML rendered by
    :func:`_write_rows_bulk`) only where XlsxWriter keeps what ``set_row`` would have set
    beyond the row itself (the sheet's outline depth, row sizes for placing charts: XlsxWriter
    reads them only to place objects, so ``sizes=False``, for a sheet that gets none, leaves
    them out)."""
    pixels, levels = props.pixels, props.levels
    shaped = np.flatnonzero((pixels > 0) | (levels > 0))
    done = shaped[shaped < bulk]
    if done.size:
        ws.outline_row_level = max(ws.outline_row_level, int(levels[done].max()))
        # (a row left out has the default height for XlsxWriter's object placement, as a row
        # given the default height)
        if sizes:
            tall = done[pixels[done] > 0]
            heights = map(list, zip(pixels[tall].tolist(), repeat(False), strict=False))
            ws.row_sizes.update(zip((tall + first).tolist(), heights, strict=True))
        # set_row's dimension check (the bulk writer checks the rows with cells)
        ws._check_dimensions(first + int(done[0]), ws.dim_colmin or 0)
        ws._check_dimensions(first + int(done[-1]), ws.dim_colmin or 0)
    for i in shaped[shaped >= bulk].tolist():
        px, level = int(pixels[i]), int(levels[i])
        options = {"level": level} if level else None
        ws.set_row_pixels(first + i, px or None, None, options)


def _runs(mask: Sequence[bool]) -> list[tuple[int, int]]:
    """The runs of ``True`` in ``mask`` as (first, last) positions."""
    flags = np.asarray(mask, dtype=bool)
    if not flags.size:
        return []
    edges = np.diff(np.concatenate(([False], flags, [False])).astype(np.int8))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def _conditional_formats(ws: Any, fmts: dict[str, Any], table: Table, first: int) -> None:
    """Colour scales on the rows that are not muted, a grey band on those that are, and the
    highlighted values of text columns."""
    from xlsxwriter.utility import xl_range

    n = table.n_rows
    last = first + n - 1
    muted = table.muted if table.muted is not None else [False] * n
    shown = _runs([not m for m in muted])
    greyed = _runs(list(muted))
    for j, col in enumerate(table.columns):
        if col.scale is None or not shown:
            continue
        options = _scale(col.scale)
        if len(shown) > 1 or shown[0] != (0, n - 1):
            options["multi_range"] = " ".join(
                xl_range(first + a, j, first + b, j) for a, b in shown
            )
        a, b = shown[0]
        ws.conditional_format(first + a, j, first + b, j, options)
    if greyed:
        width = len(table.columns) - 1
        options = {"type": "formula", "criteria": "=TRUE", "format": _muted_rows(fmts)}
        if len(greyed) > 1:
            options["multi_range"] = " ".join(
                xl_range(first + a, 0, first + b, width) for a, b in greyed
            )
        ws.conditional_format(first + greyed[0][0], 0, first + greyed[0][1], width, options)
    headers = [c.header for c in table.columns]
    for header, colours in sorted(table.highlights.items()):
        if header not in headers:
            continue
        j = headers.index(header)
        for value, colour in sorted(colours.items()):
            text = value.replace('"', '""')
            ws.conditional_format(
                first,
                j,
                last,
                j,
                {
                    "type": "cell",
                    "criteria": "==",
                    "value": f'"{text}"',
                    "format": _fill(fmts, colour),
                },
            )


def _muted_rows(fmts: dict[str, Any]) -> Any:
    return _fill(fmts, "#E7E6E6", font="#595959")


def _fill(fmts: dict[str, Any], colour: str, font: str | None = None) -> Any:
    """A conditional (differential) format with background ``colour``, made once."""
    key = f"fill:{colour}:{font}"
    if key not in fmts:
        workbook = fmts["_workbook"]
        props: dict[str, Any] = {"bg_color": colour, "pattern": 1}
        if font is not None:
            props["font_color"] = font
        fmts[key] = workbook.add_format(props)
    return fmts[key]


def _write_rows(
    ws: Any, out: SheetWriter, plans: list[_Plan], first: int, i0: int, i1: int
) -> None:
    """Rows ``i0``..``i1 - 1`` of a table whose data starts at row ``first``, cell by cell
    through XlsxWriter's API (the reference behaviour :func:`_write_rows_bulk` reproduces)."""
    write_string = ws.write_string
    write_number = ws.write_number
    write_url = ws.write_url
    for i in range(i0, i1):
        r = first + i
        for code, j, values, fmt, qfmt, risky, _, _ in plans:
            v = values[i]
            if v is None:
                continue
            if code == 1:
                if type(v) is str:
                    write_string(r, j, v, qfmt)  # a note: unknown, not applicable, ...
                else:
                    write_number(r, j, v, fmt)
            elif code == 0:
                write_string(r, j, v, qfmt if risky is not None and risky[i] else fmt)
            elif (
                (risky is None or not risky[i])
                and out.links < MAX_URLS_PER_SHEET
                # checked by from_series (safe_url_mask); 0 = XlsxWriter wrote the link
                and write_url(r, j, v, fmt, v) == 0
            ):
                out.links += 1
            else:
                if (risky is None or not risky[i]) and out.links >= MAX_URLS_PER_SHEET:
                    out.links_skipped += 1
                write_string(r, j, v, qfmt if is_formula_like(v) else None)


# --- bulk rows -------------------------------------------------------------------------------
#
# XlsxWriter spends most of a large briefing in its per-cell API (about 17 us a cell). In
# constant-memory mode it streams each finished row as XML to the worksheet's temporary file;
# _write_rows_bulk renders many rows at once, with list comprehensions over the columns, into
# exactly the XML XlsxWriter would write for the same cells (same attributes, escaping, style
# indices assigned in the same order, hyperlinks registered the same way), and appends it to
# that file. tests/test_book_bulk.py checks that whole workbooks come out byte-identical both
# ways. The bulk path uses XlsxWriter internals, so it is only taken for the XlsxWriter major
# version it was checked against; anything else falls back to the per-cell loop.

_XLSXWRITER_MAJOR = 3


def _bulk_ready(ws: Any, first: int, stop: int) -> bool:
    """Whether rows ``first``..``stop - 1`` can be written in bulk on ``ws``."""
    import xlsxwriter

    if not xlsxwriter.__version__.startswith(f"{_XLSXWRITER_MAJOR}."):
        return False
    needed = ("fh", "previous_row", "table", "hyperlinks", "row_info", "comments")
    if not ws.constant_memory or not all(hasattr(ws, a) for a in needed):
        return False
    if ws.default_row_height != ws.original_row_height or ws.previous_row >= first:
        return False
    # rows with a format, hidden or collapsed, or with comments are left to XlsxWriter;
    # heights and outline levels are rendered like XlsxWriter does (_row_attrs)
    if any(first <= r < stop for r in ws.comments):
        return False
    return not any(
        first <= r < stop and (i.row_format is not None or i.hidden or i.collapsed)
        for r, i in ws.row_info.items()
    )


def _xf_attr(fmt: Any) -> str:
    return "" if fmt is None else f' s="{fmt._get_xf_index()}"'


def _text_cell(ref: str, s_attr: str, text: str) -> str:
    """``<c>`` of an inline string, as XlsxWriter writes it in constant-memory mode (never as
    a rich string: bhrscore writes none, see :class:`.cells.SafeWorksheet`)."""
    from xlsxwriter.utility import _utf16_len, _utf16_truncate

    if len(text) > 16_383 and _utf16_len(text) > 32_767:
        text = _utf16_truncate(text, 32_767)
    if "_x" in text or _CONTROL_RE.search(text):
        text = _XMLWRITER.escape_control_characters(text)
    t_attr = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}"{s_attr} t="inlineStr"><is><t{t_attr}>{text}</t></is></c>'


class _XmlWriterShim:
    """XlsxWriter's control-character escaping (``_x0000_`` forms), called lazily."""

    @staticmethod
    def escape_control_characters(text: str) -> str:
        from xlsxwriter.xmlwriter import XMLwriter

        return str(XMLwriter._escape_control_characters(text))


_XMLWRITER = _XmlWriterShim()
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def _is_simple(value: Any) -> bool:
    """:func:`.cells.xml_simple_mask` for one value (columns not made by ``from_series``)."""
    return (
        isinstance(value, str) and len(value) <= 16_383 and not_simple_regex().search(value) is None
    )


def _write_rows_bulk(
    ws: Any,
    out: SheetWriter,
    plans: list[_Plan],
    first: int,
    i0: int,
    i1: int,
    props: _RowProps | None = None,
) -> None:
    """Rows ``i0``..``i1 - 1`` (not the table's last row with cells) rendered to XML in one go and
    appended to the worksheet's row data, as :func:`_write_rows` would have them written."""
    from xlsxwriter.utility import xl_col_to_name

    m = i1 - i0
    base = first + i0  # sheet row (0-based) of the chunk's first row
    # 1. Per column: its values, and per cell the format it is written with (quote-prefixed
    # text, links) where that varies; the first use of each format, to number formats in the
    # order XlsxWriter would (row by row, left to right).
    first_use: dict[int, tuple[int, int, Any]] = {}
    columns: list[_Rendered] = []
    links: list[tuple[int, int, str]] = []
    for code, j, values, fmt, qfmt, risky, simple, arrays in plans:
        vals = values[i0:i1]
        floats = noted = None  # number columns with arrays: the numbers, where notes stand
        if arrays is not None and arrays.floats is not None:
            floats = arrays.floats[i0:i1]
            noted = None if arrays.notes is None else arrays.notes[i0:i1]
            noted = noted if noted is not None and noted.any() else None
            if noted is None and np.isnan(floats).all():
                continue
        elif arrays is not None and arrays.text is not None:
            if arrays.codes is not None:
                if not (arrays.codes[i0:i1] >= 0).any():
                    continue
            elif arrays.text.slice(i0, m).null_count == m:
                continue
        elif vals.count(None) == m:
            continue
        per_cell: list[Any] | None = None
        note_mask: Any = None  # number columns: which cells hold a note (text)
        if code == 1:
            if floats is not None:
                nums = _first_true(~np.isnan(floats))
                notes = None if noted is None else _first_true(noted)
                note_mask = noted
            else:
                nums = _first_where(vals, lambda v: v is not None and type(v) is not str)
                notes = (
                    _first_where(vals, lambda v: type(v) is str)
                    if str in set(map(type, vals))
                    else None
                )
                if notes is not None:
                    note_mask = np.array([type(v) is str for v in vals], dtype=bool)
            uses = [(k, f) for k, f in ((nums, fmt), (notes, qfmt)) if k is not None]
        elif code == 0 and risky is None:
            uses = [(_first(vals), fmt)]
        elif code == 0:
            assert risky is not None
            rk = risky[i0:i1]
            per_cell = [qfmt if r else fmt for r in rk]
            # the first cell written with each of the two formats
            found = [_first_flagged(vals, rk, flag) for flag in (False, True)]
            uses = [(k, f) for k, f in zip(found, (fmt, qfmt), strict=True) if k is not None]
        else:
            present = [k for k, v in enumerate(vals) if v is not None]
            rk = risky[i0:i1] if risky is not None else [False] * m
            per_cell = [None] * m
            for k in present:
                v = vals[k]
                if not rk[k] and out.links < MAX_URLS_PER_SHEET:
                    out.links += 1
                    links.append((k, j, v))
                    per_cell[k] = fmt
                else:
                    if not rk[k]:
                        out.links_skipped += 1
                    per_cell[k] = qfmt if is_formula_like(v) else None
            uses = [(k, per_cell[k]) for k in present]
        for k, f in uses:  # a format shared by columns: its earliest cell, row-major
            if f is not None and (id(f) not in first_use or (k, j) < first_use[id(f)][:2]):
                first_use[id(f)] = (k, j, f)
        easy: Sequence[bool] | np.ndarray[Any, Any]
        if code == 1:
            easy = []  # numbers; notes are checked by _text_cell
        elif arrays is not None and arrays.simple is not None:
            easy = arrays.simple[i0:i1]
        elif simple is not None:
            easy = simple[i0:i1]
        else:
            easy = [_is_simple(v) for v in vals]
        columns.append((code, j, vals, per_cell, fmt, easy, arrays, floats, note_mask, qfmt))
    if not columns:
        return
    # 2. What XlsxWriter does before the cells: flush the pending row (the header), extend
    # the dimensions, number new formats in first-use order.
    rows_used = sorted({k for c in columns for k in (_first(c[2]), _last(c[2]))})
    ws._write_single_row(base + rows_used[0])
    ws._check_dimensions(base + rows_used[0], min(c[1] for c in columns))
    ws._check_dimensions(base + rows_used[-1], max(c[1] for c in columns))
    for _, _, f in sorted(first_use.values(), key=lambda t: (t[0], t[1])):
        f._get_xf_index()
    # 3. The cells' XML, column by column, then the rows that have cells: strings joined in
    # pyarrow (C++, outside the GIL); Python formats each distinct number and escapes each
    # distinct text that needs it.
    import pyarrow as pa
    import pyarrow.compute as pc

    refs = pc.cast(pa.array(np.arange(base + 1, base + m + 1, dtype=np.int64)), pa.large_string())
    rendered: list[Any] = []
    for code, j, vals, per_cell, fmt, easy, arrays, floats, note_mask, qfmt in columns:
        c = f'<c r="{xl_col_to_name(j)}'
        if code == 1:
            s = _xf_attr(fmt)
            if floats is not None:
                numbers: Any = pa.array(floats, mask=np.isnan(floats))
            elif note_mask is None:
                numbers = vals
            else:
                numbers = [None if n else v for v, n in zip(vals, note_mask.tolist(), strict=True)]
            cells = _cat(c, refs, f'"{s}><v>', _number_array(numbers), "</v></c>")
            if note_mask is not None:
                q = _xf_attr(qfmt)
                # a note ("unknown", ...): its cell after the reference, made once per text
                tails = _distinct_cells([q] * m, vals, note_mask)
                cells = pc.coalesce(cells, _cat(c, refs, tails))
            rendered.append(cells)
            continue
        if per_cell is None:
            attrs: list[str] | str = _xf_attr(fmt)
        else:  # a cell's format is one of a few: fmt, its quoted twin, none
            shown = {id(f): _xf_attr(f) for f in {id(f): f for f in per_cell}.values()}
            attrs = [shown[i] for i in map(id, per_cell)]
        text = (
            arrays.text_rows(i0, i1)
            if arrays is not None and arrays.text is not None
            else pa.array(vals, pa.large_string())
        )
        cells = _cat(
            c,
            refs,
            '"',
            attrs if isinstance(attrs, str) else pa.array(attrs, pa.large_string()),
            ' t="inlineStr"><is><t>',
            text,
            "</t></is></c>",
        )
        # a value that needs escaping (or keeps its spaces) is often one of a few texts (an
        # indented title): its cell after the reference, made once per format and text
        hard = ~np.asarray(easy, dtype=bool) & text.is_valid().to_numpy(zero_copy_only=False)
        if hard.any():
            per = [attrs] * m if isinstance(attrs, str) else attrs
            hard_cells = _cat(c, refs, _distinct_cells(per, vals, hard))
            cells = pc.if_else(pa.array(hard), hard_cells, cells)
        rendered.append(cells)
    dy = ' x14ac:dyDescent="0.25"' if ws.excel_version == 2010 else ""
    bodies = pc.binary_join_element_wise(
        *rendered, pa.scalar("", pa.large_string()), null_handling="replace", null_replacement=""
    )
    info = ws.row_info
    row_attrs = [""] * m if props is None else props.chunk(ws, i0, i1)
    if any(base <= r < base + m for r in info):  # rows set with set_row before (rare)
        row_attrs = [
            _row_attrs(ws, info[base + k]) if base + k in info else a
            for k, a in enumerate(row_attrs)
        ]
    xml = _cat(
        '<row r="', refs, '"', pa.array(row_attrs, pa.large_string()), f"{dy}>", bodies, "</row>"
    )
    xml = xml.filter(pc.greater(pc.binary_length(bodies), 0))
    _write_utf8(ws.fh, utf8_bytes(xml))
    ws.previous_row = base + rows_used[-1]
    ws.table.clear()
    for r in range(base, base + m):  # rendered: XlsxWriter must not write these rows again
        info.pop(r, None)
    # 4. Hyperlinks, registered as write_url registers them.
    from xlsxwriter.url import UrlTypes

    hyperlinks = ws.hyperlinks
    for k, j, v in links:
        hyperlinks[base + k][j] = _WebLink(v, UrlTypes.URL)
    ws.hlink_count += len(links)


def _cat(*parts: Any) -> Any:
    """Strings (and pyarrow string arrays, element by element) joined in pyarrow; a missing
    element makes the result missing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    args = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar("", pa.large_string()))


def _number_array(values: list[Any] | Any) -> Any:
    """Numbers (``None``: missing; or a pyarrow float64 array, null: missing) as pyarrow
    strings as XlsxWriter writes them (``.16G``), each distinct number formatted once by
    Python (told apart by its bits: -0.0 is "-0")."""
    import pyarrow as pa

    floats = values if isinstance(values, pa.Array) else pa.array(values, pa.float64())
    bits = floats.to_numpy(zero_copy_only=False).view(np.int64)
    found, where = np.unique(bits, return_inverse=True)
    shown = pa.array(_number_texts(found), pa.large_string())
    texts = shown.take(pa.array(where.reshape(-1)))
    if floats.null_count == 0:
        return texts
    import pyarrow.compute as pc

    return pc.if_else(floats.is_valid(), texts, pa.scalar(None, pa.large_string()))


#: number texts by the bits of their float, kept across columns and sheets (a score is on
#: the Companies sheet twice and again in the indicator matrix); cleared when this large
#: (about 5 MB) and when a workbook is closed
_NUMBER_TEXTS: dict[int, str] = {}
_NUMBER_TEXTS_MAX = 32_768


def _number_texts(bits: np.ndarray[Any, Any]) -> list[str]:
    """``format(v, ".16G")`` of each float given by its bits (int64), made once."""
    known = _NUMBER_TEXTS
    if len(known) > _NUMBER_TEXTS_MAX:
        known.clear()
    keys = bits.tolist()
    new = [k for k in keys if k not in known]
    for at in range(0, len(new), _FORMAT_AT_ONCE):
        part = new[at : at + _FORMAT_AT_ONCE]
        floats = np.array(part, dtype=np.int64).view(np.float64).tolist()
        # one call formats many: "%.16G" gives what format(v, ".16G") gives (a test
        # checks), without a call per number
        made = ("%.16G\n" * len(floats) % tuple(floats)).split("\n")
        made.pop()  # (after the last line feed)
        known.update(zip(part, made, strict=True))
    return list(map(known.__getitem__, keys))


#: numbers formatted by one call of :func:`_number_texts` (bounds the text made at once)
_FORMAT_AT_ONCE = 8_192


def _distinct_cells(attrs: list[str], values: list[Any], wanted: Sequence[bool] | Any) -> Any:
    """The ``<c>`` XML after the reference of the ``wanted`` text cells (missing elsewhere),
    made with :func:`_text_cell` once per distinct format and text."""
    import pyarrow as pa

    made: dict[tuple[str, str], str] = {}
    out: list[str | None] = [None] * len(values)
    for k in np.flatnonzero(np.asarray(wanted, dtype=bool)).tolist():
        key = (attrs[k], values[k])
        tail = made.get(key)
        if tail is None:
            tail = made[key] = _text_cell("", *key)[len('<c r="') :]
        out[k] = tail
    return pa.array(out, pa.large_string())


def _write_utf8(fh: Any, data: memoryview) -> None:
    """Append UTF-8 ``data`` to XlsxWriter's row-data file (a UTF-8 text file): as bytes
    where the text layer would write the same bytes (line feeds kept as they are), else as
    text."""
    if isinstance(fh, _DeflatingRows):
        fh.write_utf8(data)
    elif os.linesep == "\n" and isinstance(fh, io.TextIOWrapper) and _utf8(fh.encoding):
        fh.flush()  # what was written as text goes first
        fh.buffer.write(data)
    else:
        fh.write(str(data, "utf-8"))


def _utf8(encoding: str | None) -> bool:
    return (encoding or "").lower().replace("-", "").replace("_", "") == "utf8"


_ESCAPED_URL_RE = re.compile("%[0-9a-fA-F]{2}")
_URL_ESCAPES_RE = re.compile('[%" <>\\[\\]^`{}]')  # what _escape_url replaces


class _WebLink:
    """What XlsxWriter's ``Url`` (3.x) holds for an http(s) link whose text is the link
    itself, set without its parser: :func:`.cells.safe_url_mask` has already checked the
    target (scheme, characters, length). Read by the worksheet's ``_write_hyperlinks`` and
    the package's relationships like a ``Url``; making a ``Url`` took about 18 us a link."""

    __slots__ = ("_anchor", "_is_object_link", "_link", "_link_type", "_relationship_link", "_text")

    _tip = ""

    def __init__(self, url: str, link_type: Any) -> None:
        self._link_type = link_type  # UrlTypes.URL
        link, _, anchor = url.partition("#")
        self._text = url
        self._anchor = anchor
        self._is_object_link = False
        self._link = self._relationship_link = _escape_url(link)

    def _target(self) -> str:
        return self._relationship_link


def _escape_url(url: str) -> str:
    """XlsxWriter's ``Url._escape_url`` with its patterns compiled once."""
    if _URL_ESCAPES_RE.search(url) is None or _ESCAPED_URL_RE.search(url):
        return url
    return (
        url.replace("%", "%25")
        .replace('"', "%22")
        .replace(" ", "%20")
        .replace("<", "%3c")
        .replace(">", "%3e")
        .replace("[", "%5b")
        .replace("]", "%5d")
        .replace("^", "%5e")
        .replace("`", "%60")
        .replace("{", "%7b")
        .replace("}", "%7d")
    )


def _row_attrs(ws: Any, info: Any) -> str:
    """The attributes XlsxWriter's ``_write_row`` gives a row set with ``set_row`` (height
    and outline level only: :func:`_bulk_ready` leaves rows with other properties to it)."""
    if info is None:
        return ""
    out = ""
    height = ws.default_row_height if info.height is None else info.height
    custom = height != ws.original_row_height or height != ws.default_row_height
    if custom:
        out += f' ht="{height * 0.75:.16g}"'
    if custom:
        out += ' customHeight="1"'
    if info.level:
        out += f' outlineLevel="{info.level}"'
    return out


def _first_where(values: Sequence[Any], test: Any) -> int | None:
    """Position of the first of ``values`` that passes ``test``, or ``None``."""
    return next((k for k, v in enumerate(values) if test(v)), None)


def _first_flagged(values: list[Any], flags: list[bool], flag: bool) -> int | None:
    """Position of the first value present whose flag is ``flag``, or ``None``."""
    pairs = enumerate(zip(values, flags, strict=True))
    return next((k for k, (v, f) in pairs if v is not None and bool(f) == flag), None)


def _first_true(flags: np.ndarray[Any, Any]) -> int | None:
    """Position of the first ``True`` in a boolean array, or ``None``."""
    at = int(flags.argmax()) if flags.size else 0
    return at if flags.size and flags[at] else None


def _first(values: list[Any]) -> int:
    return next(k for k, v in enumerate(values) if v is not None)


def _last(values: list[Any]) -> int:
    return next(k for k in range(len(values) - 1, -1, -1) if values[k] is not None)


def _scale(scale: Scale) -> dict[str, Any]:
    """Fixed-point colour scales, so a colour means the same score in every briefing."""
    if scale == "score":
        return {
            "type": "3_color_scale",
            "min_type": "num",
            "min_value": 0,
            "min_color": "#F8696B",
            "mid_type": "num",
            "mid_value": 50,
            "mid_color": "#FFEB84",
            "max_type": "num",
            "max_value": 100,
            "max_color": "#63BE7B",
        }
    if scale == "coverage":
        return {
            "type": "data_bar",
            "bar_color": "#5B9BD5",
            "min_type": "num",
            "min_value": 0,
            "max_type": "num",
            "max_value": 1,
            "bar_solid": True,
        }
    return {"type": "2_color_scale", "min_color": "#FFFFFF", "max_color": "#9BC2E6"}


def _insert_chart(workbook: Any, ws: Any, sheet: Sheet, sheets: Sequence[Sheet]) -> None:
    from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

    spec = sheet.chart
    assert spec is not None
    found = spec.source(sheets)
    if found is None:
        raise ValueError(
            f"the chart on sheet {sheet.name!r} needs table {spec.table!r} on sheet "
            f"{spec.sheet!r}, which the workbook does not have"
        )
    source, block = found
    if block.n_rows == 0:
        return
    headers = [c.header for c in block.columns]
    head = header_row(source, block)
    first, last = head + 1, head + block.n_rows
    name = quote_sheetname(source.name)

    def ref(col: int) -> str:
        return (
            f"={name}!{xl_rowcol_to_cell(first, col, True, True)}:"
            f"{xl_rowcol_to_cell(last, col, True, True)}"
        )

    values = headers.index(spec.values)
    chart = workbook.add_chart({"type": "column"})
    series: dict[str, Any] = {
        "name": spec.values,
        "categories": ref(headers.index(spec.categories)),
        "values": ref(values),
        "fill": {"color": "#5B9BD5"},
        "data_labels": {"value": True, "num_format": "0.0"},
    }
    if spec.errors is not None and all(h in headers for h in spec.errors):
        plus, minus = (headers.index(h) for h in spec.errors)
        # cell references: LibreOffice ignores literal custom error values
        series["y_error_bars"] = {
            "type": "custom",
            "plus_values": ref(plus),
            "minus_values": ref(minus),
            "end_style": 1,
            "line": {"color": "#404040", "width": 1.25},
        }
    chart.add_series(series)
    chart.set_title({"name": spec.title})
    chart.set_y_axis({"min": 0, "max": 100, "name": spec.y_title})
    chart.set_legend({"none": True})
    chart.set_size({"width": 640, "height": 340})
    ws.insert_chart(sheet.end_row() + 1, 1, chart)
