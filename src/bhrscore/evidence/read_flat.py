"""CSV and XLSX readers: a header row, then one record per row, in the flat layout of
:mod:`.flat`.

CSV files are parsed by ``pyarrow.csv`` when a quick scan of the bytes shows they are
regular (valid UTF-8, no lone carriage returns, quotes only around whole cells, every row
as wide as the header); otherwise by Python's ``csv`` module, which locates every problem.
Workbooks are read with python-calamine (values only); a workbook holding any formula, or
one calamine cannot read, is read with openpyxl (read-only, defusedxml), which reports each
formula cell. Both paths keep the size and zip-bomb limits.

Cells become the text a CSV would hold, so that every flat format obeys the same rules.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .columnar import Cells, Items
from .flat import LIST_DELIMITER, RowPlan, template_name
from .frame_schema import PYTHON_WHITESPACE
from .read import (
    SURROGATE,
    Batch,
    IntArray,
    Layout,
    Limits,
    ReadResult,
    Table,
    bad_bytes,
    check_bom,
    decode,
    problem,
    too_long,
    valid_utf8,
)
from .report import Problem, shorten
from .suggest import did_you_mean, field_hints

#: unknown columns named one by one in problems; beyond, one problem names a few and counts
MAX_NAMED_COLUMNS = 5
#: wider CSV files are parsed by Python's csv module (pyarrow's cost grows with columns)
MAX_ARROW_COLUMNS = 2_000


@dataclass
class FlatRows:
    """The records of a flat table: raw cell text, row numbers, and the problems found while
    reading each record (records with problems hold no cells).

    The cells are one string array in column-major order (``width`` columns of ``n`` rows),
    so that checks over many columns (a header may name 200,000) are single operations and
    a column is a zero-copy slice.
    """

    header: list[str]
    matrix: pa.Array
    rows: IntArray
    problems: dict[int, list[Problem]] = field(default_factory=dict)
    letters: list[str] | None = None
    _values: list[Any] | None = None

    @property
    def n(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return len(self.header)

    def column(self, j: int) -> pa.Array:
        return self.matrix.slice(j * self.n, self.n)

    def cells(self, i: int) -> list[Any]:
        if self._values is None:
            self._values = self.matrix.to_pylist()
        n = self.n
        return [self._values[j * n + i] for j in range(self.width)]


def _np(mask: Any) -> np.ndarray:
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


# --- header checks and records ------------------------------------------------------------


def _header_problems(
    header: list[str],
    layout: Layout,
    file: str,
    sheet: str | None,
    allow_unknown: bool,
) -> tuple[list[Problem], dict[int, Problem], list[Problem]]:
    """File problems of a header (duplicate, missing and unknown columns, in that order); the
    problem a value in each unknown column gives its row; the problems every row gets
    (missing required columns). More than a few unknown columns make one problem that names
    some and counts the rest."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append(
                problem(
                    file, "duplicate-column", "column appears twice", sheet=sheet, row=1, field=name
                )
            )
        seen.add(name)
    missing = [
        problem(
            file,
            "missing-column",
            "required column is missing from the header",
            sheet=sheet,
            row=1,
            field=name,
        )
        for name in sorted(r for r in layout.required if r not in seen)
    ]
    unknown = [i for i, h in enumerate(header) if h and template_name(h) not in layout.known]
    names = sorted({header[i] for i in unknown})
    severity: Literal["error", "warning"] = "warning" if allow_unknown else "error"
    by_name: dict[str, Problem] = {}
    if len(names) <= MAX_NAMED_COLUMNS:
        tail = " (ignored)" if allow_unknown else "; rows with a value in it are rejected"
        for name in names:
            hint = did_you_mean(field_hints(name, layout.known))
            by_name[name] = problem(
                file,
                "unknown-column",
                "unknown column" + (f" ({hint})" if hint else "") + tail,
                sheet=sheet,
                row=1,
                field=name,
                severity=severity,
            )
        listed = [by_name[name] for name in names]
    else:
        tail = " (ignored)" if allow_unknown else "; rows with a value in them are rejected"
        shown = ", ".join(repr(n) for n in names[:MAX_NAMED_COLUMNS])
        summary = problem(
            file,
            "unknown-column",
            f"{len(names):,} unknown columns: {shown} and "
            f"{len(names) - MAX_NAMED_COLUMNS:,} more" + tail,
            sheet=sheet,
            row=1,
            severity=severity,
        )
        by_name = dict.fromkeys(names, summary)
        listed = [summary]
    by_column = {} if allow_unknown else {i: by_name[header[i]] for i in unknown}
    return problems + missing + listed, by_column, missing


def _strip(col: pa.Array) -> pa.Array:
    """Cell text as ``RowPlan.nest`` reads it: stripped, empty -> missing."""
    stripped = pc.utf8_trim(col, characters=PYTHON_WHITESPACE)
    return pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)


def _split(col: pa.Array) -> pa.Array:
    """A list cell -> its items, each stripped, empty items dropped (as ``nest`` does)."""
    col = _strip(col)
    parts = pc.split_pattern(col, LIST_DELIMITER)
    flat = pc.utf8_trim(pc.list_flatten(parts), characters=PYTHON_WHITESPACE)
    owner = np.asarray(pc.list_parent_indices(parts).to_numpy(), dtype=np.int64)
    keep = _np(pc.not_equal(flat, ""))
    counts = np.bincount(owner[keep], minlength=len(col))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()), flat.filter(pa.array(keep)), mask=col.is_null()
    )


def _canonical_index(part: str) -> bool:
    return part == "0" or (part.isdigit() and not part.startswith("0"))


def _cells(
    rows: FlatRows, keep: np.ndarray, kept: list[str | None], layout: Layout, undecided: bool
) -> Cells:
    """The records at ``keep`` as cells for the columnar validator."""
    take = pa.array(np.flatnonzero(keep))
    n = int(keep.sum())
    undecided_rows = np.full(n, undecided, dtype=bool)
    cells = Cells(n, "flat", undecided=undecided_rows)
    slots: dict[tuple[str, str], dict[str, pa.Array]] = {}
    for i, name in enumerate(kept):
        if not name:
            continue
        col = rows.column(i)
        col = col.take(take) if n != rows.n else col
        parts = name.split(".")
        digits = [j for j, p in enumerate(parts) if p.isdigit()]
        if digits:
            j = digits[0]
            if not _canonical_index(parts[j]) or len(digits) > 1:
                undecided_rows[:] = True
                continue
            path = ".".join(parts[:j])
            slots.setdefault((path, parts[j]), {})[".".join(parts[j + 1 :])] = _strip(col)
        elif template_name(name) in layout.lists:
            cells.lists[name] = _split(col)
        else:
            cells.values[name] = _strip(col)
    by_path: dict[str, list[tuple[int, dict[str, pa.Array]]]] = {}
    for (path, index), values in slots.items():
        by_path.setdefault(path, []).append((int(index), values))
    for path, found in by_path.items():
        owners: list[np.ndarray] = []
        slot_of: list[np.ndarray] = []
        columns: dict[str, list[pa.Array]] = {}
        names = sorted({name for _, values in found for name in values})
        for slot, values in sorted(found, key=lambda x: x[0]):
            present = np.logical_or.reduce(
                [
                    np.asarray(v.is_valid().to_numpy(zero_copy_only=False), bool)
                    for v in values.values()
                ]
            )
            where = np.flatnonzero(present)
            owners.append(where)
            slot_of.append(np.full(len(where), slot))
            pick = pa.array(where)
            for name in names:
                col = values.get(name)
                columns.setdefault(name, []).append(
                    col.take(pick) if col is not None else pa.nulls(len(where), pa.string())
                )
        owner: np.ndarray = np.concatenate(owners) if owners else np.zeros(0, np.int64)
        slot_no: np.ndarray = np.concatenate(slot_of) if slot_of else np.zeros(0, np.int64)
        order = np.lexsort((slot_no, owner))
        item = Cells(len(owner), "flat")
        for name in names:
            joined = pa.concat_arrays(columns[name]) if columns[name] else pa.nulls(0, pa.string())
            if template_name(f"{path}.{{i}}.{name}") in layout.lists:
                item.lists[name] = _split(joined.take(pa.array(order)))
            else:
                item.values[name] = joined.take(pa.array(order))
        cells.items[path] = Items(
            owner[order].astype(np.int64), np.ones(len(owner), dtype=bool), item
        )
    return cells


def flat_batches(
    rows: FlatRows,
    table: Table,
    file: str,
    sheet: str | None,
    layout: Layout,
    allow_unknown: bool,
    result: ReadResult,
) -> None:
    """Check the header, give each record its problems, and hand the rest over as cells."""
    header = rows.header
    problems, unknown_at, missing = _header_problems(header, layout, file, sheet, allow_unknown)
    result.problems += problems
    letters = (
        {name: rows.letters[i] for i, name in enumerate(header) if name} if rows.letters else {}
    )
    batch = Batch(table, file, rows.n, sheet=sheet, rows=rows.rows, letters=letters)
    batch.problems = {i: list(p) for i, p in rows.problems.items()}
    ok = np.ones(rows.n, dtype=bool)
    for i in batch.problems:
        ok[i] = False
    filled = _filled(rows, list(unknown_at))  # (columns, rows)
    hit = filled.any(axis=0) if len(unknown_at) else np.zeros(rows.n, dtype=bool)
    with_problems = np.flatnonzero(ok & (hit | bool(missing)))
    positions = list(unknown_at)
    for r in with_problems:
        found = [unknown_at[positions[j]] for j in np.flatnonzero(filled[:, r])]
        batch.problems[int(r)] = list(dict.fromkeys(found)) + list(missing)
    # rows with header problems stay in the cells: their values are validated too
    kept = [h if h and template_name(h) in layout.known else None for h in header]
    duplicated = len({h for h in kept if h}) != len([h for h in kept if h])
    batch.cells = _cells(rows, ok, kept, layout, duplicated)
    batch.cells.header_missing = frozenset(p.field for p in missing if p.field)
    batch.cell_rows = np.flatnonzero(ok).astype(np.int64)
    plan = RowPlan.for_header(kept, layout.lists)
    batch.build = lambda i: (plan.nest(rows.cells(i)), [])
    if with_problems.size:  # rows rejected for their columns still show their data
        for r in with_problems:
            batch.data[int(r)] = plan.nest(rows.cells(int(r)))
    if batch.n:
        result.add(batch)


def _filled(rows: FlatRows, which: list[int]) -> np.ndarray:
    """(len(which), n): whether each of the columns ``which`` holds a value in each row,
    computed on all columns at once (a header may name 200,000 unknown columns)."""
    n = rows.n
    if not which or not n:
        return np.zeros((len(which), n), dtype=bool)
    given = _np(pc.not_equal(_strip_empty(rows.matrix), "")).reshape(rows.width, n)
    return given[which]


def _strip_empty(col: pa.Array) -> pa.Array:
    return pc.fill_null(pc.utf8_trim(col, characters=PYTHON_WHITESPACE), "")


def _long_cells(
    matrix: pa.Array,
    header: list[str],
    limits: Limits,
    file: str,
    sheet: str | None,
    rows: IntArray,
    letters: list[str] | None,
    problems: dict[int, list[Problem]],
) -> None:
    """A problem for every cell over ``Limits.max_field_chars`` (its row is rejected)."""
    n = len(rows)
    if not len(matrix) or not n:
        return
    longest = pc.max(pc.binary_length(matrix)).as_py()
    if longest is None or longest <= limits.max_field_chars:
        return
    length = pc.fill_null(pc.utf8_length(matrix), 0).to_numpy().reshape(len(header), n)
    for j, r in zip(*np.nonzero(length > limits.max_field_chars), strict=True):
        problems.setdefault(int(r), []).append(
            problem(
                file,
                "too-long",
                too_long(int(length[j, r]), limits),
                row=int(rows[r]),
                sheet=sheet,
                field=header[j],
                column=letters[j] if letters else None,
            )
        )


# --- CSV ------------------------------------------------------------------------------------

_DELIMITERS = (";", "\t", "|")


def _delimiter_problem(header: list[str], file: str) -> Problem | None:
    if len(header) != 1:
        return None
    for delim in _DELIMITERS:
        if delim in header[0]:
            shown = {"\t": "tab"}.get(delim, delim)
            return problem(
                file,
                "delimiter",
                f"the header is one column; bhrscore CSV files are comma-separated "
                f"but this file seems to use {shown!r}",
                row=1,
                value=shorten(header[0]),
            )
    return None


def _positions(body: bytes, byte: bytes) -> IntArray:
    """Offsets of ``byte`` in ``body`` (one C-speed search per hit, no byte-sized arrays)."""
    found: list[int] = []
    add, find = found.append, body.find
    pos = find(byte)
    while pos >= 0:
        add(pos)
        pos = find(byte, pos + 1)
    return np.array(found, dtype=np.int64)


def _regular(body: bytes, width: int) -> tuple[IntArray, bool] | None:
    """Row numbers of the records after the header, and whether a value spans lines, when
    pyarrow and Python's csv module read the bytes alike; None otherwise."""
    if b"\r" in body and body.count(b"\r") != body.count(b"\r\n"):
        return None
    b = np.frombuffer(body, dtype=np.uint8)
    newlines = _positions(body, b"\n")
    quotes = _positions(body, b'"') if b'"' in body else np.zeros(0, dtype=np.int64)
    spans = False
    if len(quotes):
        if len(quotes) % 2:
            return None
        opening, closing = quotes[0::2], quotes[1::2]
        before = np.where(opening > 0, b[np.maximum(opening - 1, 0)], 10)
        escaped = np.zeros(len(opening), dtype=bool)
        escaped[1:] = opening[1:] == closing[:-1] + 1
        if not np.all(np.isin(before, (44, 10)) | (opening == 0) | escaped):
            return None
        after = np.where(closing + 1 < len(b), b[np.minimum(closing + 1, len(b) - 1)], 10)
        follows = np.zeros(len(closing), dtype=bool)
        follows[:-1] = opening[1:] == closing[:-1] + 1
        if not np.all(np.isin(after, (44, 10, 13)) | follows):
            return None
        inside = np.searchsorted(quotes, newlines) % 2 == 1
        spans = bool(inside.any())
        record_ends = newlines[~inside]
    else:
        record_ends = newlines
    starts = np.concatenate([[0], record_ends + 1])
    ends = np.concatenate([record_ends, [len(body)]])
    starts, ends = starts[1:], ends[1:]  # after the header
    content = ends - starts - (b[np.maximum(ends - 1, 0)] == 13)
    nonempty = content > 0
    if len(ends) and ends[-1] == len(body) and starts[-1] >= len(body):
        nonempty[-1] = False
    line_of = np.searchsorted(newlines, starts[nonempty], side="left") + 1
    return line_of.astype(np.int64), spans


def _pyarrow_csv(body: bytes, width: int, spans: bool) -> pa.Array | None:
    """The cells, column-major (see :class:`FlatRows`); None if pyarrow skipped a row."""
    import pyarrow.csv as pcsv

    invalid = [0]

    def handler(row: Any) -> str:
        invalid[0] += 1
        return "skip"

    names = [f"c{i}" for i in range(width)]
    try:
        table = pcsv.read_csv(
            io.BytesIO(body),
            read_options=pcsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pcsv.ParseOptions(
                newlines_in_values=spans, invalid_row_handler=handler, ignore_empty_lines=True
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
        return None
    if invalid[0]:
        return None
    chunks = [chunk for i in range(width) for chunk in table.column(i).chunks]
    return pa.concat_arrays(chunks) if chunks else pa.nulls(0, pa.string())


def _blank(matrix: pa.Array, width: int, n: int) -> np.ndarray:
    """Rows whose every cell is empty or white space (skipped, as empty lines are)."""
    blank = np.ones(n, dtype=bool)
    for j in range(width):  # most rows show a value in their first columns
        rest = np.flatnonzero(blank)
        if not len(rest):
            break
        col = matrix.slice(j * n, n)
        if len(rest) < n:
            col = col.take(pa.array(rest))
        blank[rest] = ~_np(pc.not_equal(_strip_empty(col), ""))
    return blank


def read_csv(
    path: Path,
    table: Table | None,
    layout: Layout,
    limits: Limits | None = None,
    allow_unknown: bool = False,
) -> ReadResult:
    """A comma-separated file with a header row; row numbers are the file's line numbers."""
    file = str(path)
    limits = limits or Limits()
    result = ReadResult()
    body, problems = check_bom(path.read_bytes(), file)
    result.problems += problems
    if body is None:
        return result
    tbl: Table = table or "evidence"
    rows = _fast_csv(body, file, limits, result)
    if rows is None and not result.problems[len(problems) :]:
        rows = _python_csv(body, file, limits, result)
    if rows is None:
        return result
    flat_batches(rows, tbl, file, None, layout, allow_unknown, result)
    if not rows.n and not [p for p in result.problems if p.severity == "error"]:
        result.problems.append(
            problem(file, "no-rows", "the file has a header but no rows", severity="warning")
        )
    return result


def _header_line(body: bytes) -> tuple[list[str], int] | None:
    end = body.find(b"\n")
    first = body if end < 0 else body[:end]
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.count('"') % 2:
        return None
    header = next(csv.reader([text.rstrip("\r")], strict=True), [])
    return [h.strip() for h in header], end


def _fast_csv(body: bytes, file: str, limits: Limits, result: ReadResult) -> FlatRows | None:
    """pyarrow parsing of a regular file (see :func:`_regular`); None to use Python's."""
    if not body.strip():
        return None
    # Not UTF-8: Python's to read with its messages (pyarrow refuses such a body anyway, and
    # its handler of a short or long row holding a split character prints a traceback).
    if not valid_utf8(body):
        return None
    try:
        found = _header_line(body)
    except csv.Error:
        return None
    if found is None or not found[0]:
        return None
    header, _end = found
    if (p := _delimiter_problem(header, file)) is not None:
        result.problems.append(p)
        return None
    scan = _regular(body, len(header))
    if scan is None:
        return None
    line_of, spans = scan
    width = len(header)
    if width > MAX_ARROW_COLUMNS:
        return None  # pyarrow's cost grows with columns; Python's csv with cells
    matrix = _pyarrow_csv(body, width, spans)
    if matrix is None or len(matrix) != width * len(line_of):
        return None
    n = len(line_of)
    blank = _blank(matrix, width, n)
    if blank.any():
        keep = np.flatnonzero(~blank)
        matrix = matrix.take(pa.array((np.arange(width)[:, None] * n + keep).ravel()))
        line_of = line_of[keep]
    problems: dict[int, list[Problem]] = {}
    _long_cells(matrix, header, limits, file, None, line_of, None, problems)
    return FlatRows(header, matrix, line_of, problems)


class _FieldLimit:
    """Lift the csv module's own field limit while reading (our limit is checked after)."""

    def __enter__(self) -> None:
        self.before = csv.field_size_limit()
        csv.field_size_limit(sys.maxsize)

    def __exit__(self, *exc: object) -> None:
        csv.field_size_limit(self.before)


def _python_csv(body: bytes, file: str, limits: Limits, result: ReadResult) -> FlatRows | None:
    """Python's csv module, row by row: locates encoding problems, ragged rows and
    malformed quoting exactly."""
    text, problems = decode(body, file)
    result.problems += problems
    if text is None:
        return None
    with _FieldLimit():
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            result.problems.append(problem(file, "empty-file", "file is empty"))
            return None
        except csv.Error as exc:
            result.problems.append(problem(file, "csv-syntax", f"malformed CSV: {exc}", row=1))
            return None
        if (p := _delimiter_problem(header, file)) is not None:
            result.problems.append(p)
            return None

        def records() -> Iterator[tuple[int, list[Any], list[Problem]]]:
            while True:
                start = reader.line_num + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    result.problems.append(
                        problem(file, "csv-syntax", f"malformed CSV: {exc}", row=start)
                    )
                    return
                yield start, cells, []

        return collect(records(), header, file, None, None, limits, pad=False)


def collect(
    records: Iterator[tuple[int, list[Any], list[Problem]]],
    header: list[str],
    file: str,
    sheet: str | None,
    letters: list[str] | None,
    limits: Limits,
    pad: bool,
) -> FlatRows:
    """Rows read one by one -> :class:`FlatRows`: blank rows skipped, ragged rows and bad
    bytes and long cells reported on their record. ``pad``: rows may be shorter than the
    header (spreadsheets leave trailing cells out)."""
    width = len(header)
    kept: list[list[Any]] = []
    numbers: list[int] = []
    problems: dict[int, list[Problem]] = {}
    for number, cells, cell_problems in records:
        text = _joined_text(cells)
        if (
            not cell_problems
            and not text.strip()
            and all(c is None or isinstance(c, str) for c in cells)
        ):
            continue
        i = len(numbers)
        numbers.append(number)
        row_cells: list[Any] = [None] * width
        if cell_problems:
            problems[i] = list(cell_problems)
            kept.append(row_cells)
            continue
        extra = len(cells) > width and any(c not in (None, "") for c in cells[width:])
        short = not pad and len(cells) < width
        if extra or short:
            problems[i] = [
                problem(
                    file,
                    "ragged-row",
                    f"row has {len(cells)} cells but the header has {width}",
                    row=number,
                    sheet=sheet,
                )
            ]
            kept.append(row_cells)
            continue
        row_cells[: min(width, len(cells))] = cells[:width]
        found: list[Problem] = []
        if SURROGATE.search(text):
            for j, c in enumerate(row_cells):
                if isinstance(c, str) and (msg := bad_bytes(c)) is not None:
                    found.append(
                        problem(
                            file,
                            "encoding",
                            msg,
                            row=number,
                            sheet=sheet,
                            field=header[j],
                            column=letters[j] if letters else None,
                        )
                    )
        if found:
            problems[i] = found
            kept.append([None] * width)
            continue
        kept.append(row_cells)
    matrix = pa.array([row[j] for j in range(width) for row in kept], type=pa.string())
    rows = np.array(numbers, dtype=np.int64)
    long_problems: dict[int, list[Problem]] = {}
    _long_cells(matrix, header, limits, file, sheet, rows, letters, long_problems)
    for i, found in long_problems.items():
        if i not in problems:
            problems[i] = found
    return FlatRows(header, matrix, rows, problems, letters)


def _joined_text(cells: list[Any]) -> str:
    """All text cells of a row as one string (one regex or strip instead of one per cell)."""
    try:
        return "".join(cells)
    except TypeError:
        return "".join(c for c in cells if isinstance(c, str))


# --- XLSX ---------------------------------------------------------------------------------

SHEETS: dict[str, Table] = {"companies": "companies", "evidence": "evidence"}
#: sheets a workbook may carry besides the data (e.g. the entry template's help)
AUXILIARY_SHEETS = frozenset({"help", "hints", "lists", "vocabularies", "readme"})
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")


def _check_zip(path: Path, limits: Limits) -> str | None:
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        return f"workbook is {size:,} bytes, over the limit of {limits.max_file_bytes:,}"
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile:
        return "not a valid .xlsx workbook (not a zip archive)"
    total = sum(i.file_size for i in infos)
    if total > limits.max_unzipped_bytes:
        return (
            f"workbook unpacks to {total:,} bytes, over the limit of {limits.max_unzipped_bytes:,}"
        )
    for info in infos:
        if (
            info.compress_size
            and info.file_size / info.compress_size > limits.max_compression_ratio
        ):
            return f"workbook member {info.filename!r} is compressed suspiciously well (zip bomb?)"
    return None


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula (``<f>`` element). The sizes were
    checked by :func:`_check_zip` first; members are streamed in chunks."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            name = info.filename
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            tail = b""
            with zf.open(info) as member:
                while chunk := member.read(1 << 20):
                    if _FORMULA.search(tail + chunk):
                        return True
                    tail = chunk[-64:]
    return False


def cell_text(value: Any) -> Any:
    """Spreadsheet cell -> the text a CSV would hold (numbers without a spurious .0)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _letters(width: int) -> list[str]:
    out = []
    for i in range(1, width + 1):
        name = ""
        while i:
            i, rem = divmod(i - 1, 26)
            name = chr(65 + rem) + name
        out.append(name)
    return out


def read_xlsx(
    path: Path,
    table: Table | None,
    layout: Layout | dict[str, Layout],
    limits: Limits | None = None,
    allow_unknown: bool = False,
) -> ReadResult:
    """An .xlsx workbook, read-only, formulas never evaluated (a formula cell is an error).
    The sheets ``Companies`` and ``Evidence`` are read by name; a workbook without them is
    read from its first sheet as ``table`` (the table its file name implies). Rows are
    spreadsheet row numbers."""
    file = str(path)
    result = ReadResult()
    limits = limits or Limits()
    if (msg := _check_zip(path, limits)) is not None:
        result.problems.append(problem(file, "unsafe-workbook", msg))
        return result
    sheets: list[tuple[str, list[list[Any]]]] | None = None
    try:
        if not _has_formulas(path):
            sheets = _calamine_sheets(path)
    except Exception:  # calamine cannot read it: openpyxl reports why
        sheets = None
    if sheets is None:
        return _read_openpyxl(path, table, layout, limits, allow_unknown)
    wanted = _wanted([name for name, _ in sheets], table, file, result)
    by_name = dict(sheets)
    for tbl, name in wanted:
        lay = layout[tbl] if isinstance(layout, dict) else layout
        _sheet_rows(by_name[name], name, tbl, file, lay, limits, allow_unknown, result)
    return result


def _calamine_sheets(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """Every sheet's name, with the values of the sheets that hold data."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    try:
        names = list(wb.sheet_names)
        data = {n for n in names if n.strip().lower() in SHEETS} or set(names[:1])
        return [
            (
                name,
                wb.get_sheet_by_name(name).to_python(skip_empty_area=False) if name in data else [],
            )
            for name in names
        ]
    finally:
        wb.close()


def _wanted(
    names: list[str], table: Table | None, file: str, result: ReadResult
) -> list[tuple[Table, str]]:
    by_name = {n.strip().lower(): n for n in names}
    wanted: list[tuple[Table, str]] = [
        (tbl, by_name[key]) for key, tbl in SHEETS.items() if key in by_name
    ]
    if not wanted and table is not None and names:
        wanted.append((table, names[0]))  # a one-table workbook named by its file
    if not wanted:
        result.problems.append(
            problem(file, "not-a-bundle", "workbook has no 'Companies' or 'Evidence' sheet")
        )
    used = {n for _, n in wanted}
    for name in names:
        if name not in used and name.strip().lower() not in AUXILIARY_SHEETS:
            result.problems.append(
                problem(
                    file,
                    "ignored-sheet",
                    "sheet is not read (only Companies and Evidence hold data)",
                    sheet=name,
                    severity="warning",
                )
            )
    return wanted


def _sheet_rows(
    values: list[list[Any]],
    sheet: str,
    table: Table,
    file: str,
    layout: Layout,
    limits: Limits,
    allow_unknown: bool,
    result: ReadResult,
) -> None:
    if not values:
        result.problems.append(problem(file, "empty-sheet", "sheet is empty", sheet=sheet))
        return
    header = [str(cell_text(v)).strip() if cell_text(v) is not None else "" for v in values[0]]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    letters = _letters(width)

    def records() -> Iterator[tuple[int, list[Any], list[Problem]]]:
        for number, row in enumerate(values[1:], start=2):
            yield number, [cell_text(v) for v in row], []

    rows = collect(records(), header, file, sheet, letters, limits, pad=True)
    flat_batches(rows, table, file, sheet, layout, allow_unknown, result)


def _read_openpyxl(
    path: Path,
    table: Table | None,
    layout: Layout | dict[str, Layout],
    limits: Limits,
    allow_unknown: bool,
) -> ReadResult:
    import openpyxl  # parses with defusedxml when it is installed (it is a dependency)
    from openpyxl.utils import get_column_letter

    file = str(path)
    result = ReadResult()
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        result.problems.append(problem(file, "bad-workbook", f"cannot read workbook: {exc}"))
        return result
    try:
        worksheets = {ws.title: ws for ws in wb.worksheets}
        wanted = _wanted(list(worksheets), table, file, result)
        for tbl, name in wanted:
            lay = layout[tbl] if isinstance(layout, dict) else layout
            _openpyxl_sheet(
                worksheets[name], tbl, file, lay, limits, allow_unknown, result, get_column_letter
            )
    finally:
        wb.close()
    return result


def _openpyxl_sheet(
    ws: Any,
    table: Table,
    file: str,
    layout: Layout,
    limits: Limits,
    allow_unknown: bool,
    result: ReadResult,
    get_column_letter: Any,
) -> None:
    sheet = ws.title

    def streamed() -> Iterator[Any]:
        """openpyxl's rows; a corrupt sheet part (bad XML, bad cell values) is only found
        while streaming it, and raises whatever the parser raises: :class:`_SheetError`."""
        try:
            yield from ws.iter_rows()
        except Exception as exc:
            raise _SheetError(str(exc)) from exc

    rows = streamed()
    try:
        header_cells = next(rows)
    except StopIteration:
        result.problems.append(problem(file, "empty-sheet", "sheet is empty", sheet=sheet))
        return
    except _SheetError as exc:
        result.problems.append(_bad_sheet(file, sheet, exc))
        return
    header = [str(c.value).strip() if c.value is not None else "" for c in header_cells]
    while header and not header[-1]:
        header.pop()
    letters = _letters(max(len(header), 1))

    def values() -> Iterator[tuple[int, list[Any], list[Problem]]]:
        for cells in rows:
            number = next((c.row for c in cells if hasattr(c, "row")), None)
            if number is None:  # an empty row in a read-only sheet
                continue
            out: list[Any] = []
            problems: list[Problem] = []
            for i, cell in enumerate(cells):
                if getattr(cell, "data_type", None) == "f":
                    problems.append(
                        problem(
                            file,
                            "formula",
                            "formulas are not read; enter the value itself",
                            sheet=sheet,
                            row=number,
                            column=get_column_letter(i + 1),
                            field=header[i] if i < len(header) else None,
                            value=shorten(cell.value),
                        )
                    )
                out.append(cell_text(cell.value))
            yield number, out, problems

    try:
        flat = collect(values(), header, file, sheet, letters[: len(header)], limits, pad=True)
    except _SheetError as exc:  # nothing of the sheet is kept: one error for all of it
        result.problems.append(_bad_sheet(file, sheet, exc))
        return
    flat_batches(flat, table, file, sheet, layout, allow_unknown, result)


class _SheetError(Exception):
    """openpyxl could not read a sheet's part of the workbook."""


def _bad_sheet(file: str, sheet: str, exc: _SheetError) -> Problem:
    return problem(file, "bad-workbook", f"cannot read the sheet: {exc}", sheet=sheet)


__all__ = ["FlatRows", "cell_text", "collect", "flat_batches", "read_csv", "read_xlsx"]
