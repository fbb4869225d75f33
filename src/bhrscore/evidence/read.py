"""Format readers: JSON, JSON Lines, CSV and XLSX files -> raw records with their location.

Readers do not validate records; they turn files into ``RawRecord`` objects (a nested dict plus
where it came from) and report problems of the file itself: encodings, byte-order marks, empty
files, malformed lines, wrong delimiters, missing and unknown columns, formulas in cells,
oversized workbooks. Each format is one function in the ``READERS`` registry.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .flat import Column, RowPlan, template_name
from .report import Problem, shorten

Table = Literal["companies", "evidence"]


@dataclass
class RawRecord:
    """One record as read, before validation."""

    table: Table
    data: dict[str, Any]
    file: str
    row: int | None = None
    sheet: str | None = None
    pointer: str | None = None
    problems: list[Problem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # field -> spreadsheet letter


@dataclass
class ReadResult:
    """Records and file-level problems of one file (or one sheet)."""

    records: list[RawRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    """What a flat (CSV/XLSX) table may contain."""

    known: frozenset[str]  # template names (``sources.{i}.url``)
    required: frozenset[str]  # concrete names that must be in the header
    lists: frozenset[str]  # template names of list-valued columns

    @classmethod
    def from_columns(cls, cols: list[Column]) -> Layout:
        return cls(
            known=frozenset(c.name for c in cols),
            required=frozenset(c.name.replace("{i}", "0") for c in cols if c.required),
            lists=frozenset(c.name for c in cols if c.shape == "list"),
        )


@dataclass(frozen=True)
class Limits:
    """Limits for untrusted spreadsheets."""

    max_file_bytes: int = 50 * 1024**2
    max_unzipped_bytes: int = 512 * 1024**2
    max_compression_ratio: float = 200.0


def _problem(file: str, code: str, message: str, **kw: Any) -> Problem:
    return Problem(file=file, code=code, message=message, **kw)


# --- text decoding ------------------------------------------------------------------------


def decode(
    data: bytes, file: str, empty: Literal["error", "warning"] = "error"
) -> tuple[str | None, list[Problem]]:
    """UTF-8 text of a file. A UTF-8 BOM is removed with a warning; UTF-16/32 files are errors;
    an empty file is an error (or a warning where empty means "no records", as in JSON Lines);
    invalid bytes are kept as surrogates so that the lines holding them can be reported (see
    :func:`bad_bytes`)."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return None, [_problem(file, "encoding", "file is UTF-32 encoded; save it as UTF-8")]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, [_problem(file, "encoding", "file is UTF-16 encoded; save it as UTF-8")]
    problems = []
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
        problems.append(
            _problem(
                file, "bom", "UTF-8 byte-order mark at the start was ignored", severity="warning"
            )
        )
    text = data.decode("utf-8", errors="surrogateescape")
    if not text.strip():
        problems.append(_problem(file, "empty-file", "file is empty", severity=empty))
        return None, problems
    return text, problems


_SURROGATE = re.compile("[\udc80-\udcff]")


def bad_bytes(text: str) -> str | None:
    """A message for invalid UTF-8 in ``text`` (decoded with surrogateescape), else None."""
    match = _SURROGATE.search(text)
    if match is None:
        return None
    byte = ord(match.group()) - 0xDC00
    return (
        f"byte 0x{byte:02X} at character {match.start() + 1} is not valid UTF-8 "
        "(the file may be Latin-1 or Windows-1252: save it as UTF-8)"
    )


# --- JSON and JSON Lines ------------------------------------------------------------------


def _json_records(items: Any, table: Table, file: str, pointer: str, result: ReadResult) -> None:
    if not isinstance(items, list):
        result.problems.append(
            _problem(
                file, "not-a-list", f"expected a list of {table} records", pointer=pointer or "/"
            )
        )
        return
    for i, item in enumerate(items):
        rec = RawRecord(
            table, item if isinstance(item, dict) else {}, file, pointer=f"{pointer}/{i}"
        )
        if not isinstance(item, dict):
            rec.problems.append(
                _problem(
                    file,
                    "not-an-object",
                    "expected an object",
                    pointer=rec.pointer,
                    value=shorten(item),
                )
            )
        result.records.append(rec)


def read_json(
    path: Path, table: Table | None, layout: Any = None, limits: Any = None
) -> ReadResult:
    """A JSON file holding a list of records, or a bundle object
    ``{"companies": [...], "evidence": [...]}``."""
    file = str(path)
    result = ReadResult()
    text, problems = decode(path.read_bytes(), file)
    result.problems += problems
    if text is None:
        return result
    if (msg := bad_bytes(text)) is not None:
        line = text[: _SURROGATE.search(text).start()].count("\n") + 1  # type: ignore[union-attr]
        result.problems.append(_problem(file, "encoding", msg, row=line))
        return result
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        result.problems.append(
            _problem(
                file, "json-syntax", f"invalid JSON: {exc.msg} (column {exc.colno})", row=exc.lineno
            )
        )
        return result
    if isinstance(doc, dict) and table is None:
        unknown = sorted(set(doc) - {"companies", "evidence"})
        if unknown:
            result.problems.append(
                _problem(
                    file,
                    "unknown-key",
                    "a bundle has only 'companies' and 'evidence'",
                    pointer="/",
                    value=shorten(unknown),
                )
            )
        for key in ("companies", "evidence"):
            if key in doc:
                _json_records(doc[key], key, file, f"/{key}", result)  # type: ignore[arg-type]
        return result
    if isinstance(doc, dict) and table is not None and table in doc:
        _json_records(doc[table], table, file, f"/{table}", result)
        return result
    _json_records(doc, table or "evidence", file, "", result)
    return result


def read_jsonl(
    path: Path, table: Table | None, layout: Any = None, limits: Any = None
) -> ReadResult:
    """One JSON object per line; blank lines are skipped; line numbers count from 1. An empty
    file holds no records (a warning, not an error)."""
    file = str(path)
    result = ReadResult()
    text, problems = decode(path.read_bytes(), file, empty="warning")
    result.problems += problems
    if text is None:
        return result
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        rec = RawRecord(table or "evidence", {}, file, row=number)
        result.records.append(rec)
        if (msg := bad_bytes(line)) is not None:
            rec.problems.append(_problem(file, "encoding", msg, row=number))
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            rec.problems.append(
                _problem(
                    file,
                    "json-syntax",
                    f"invalid JSON: {exc.msg} (column {exc.colno})",
                    row=number,
                    value=shorten(line),
                )
            )
            continue
        if not isinstance(obj, dict):
            rec.problems.append(
                _problem(
                    file,
                    "not-an-object",
                    "each line must be a JSON object",
                    row=number,
                    value=shorten(obj),
                )
            )
            continue
        rec.data = obj
    return result


# --- flat tables (CSV, XLSX) ----------------------------------------------------------------


def _joined_text(cells: list[Any]) -> str:
    """All text cells of a row as one string (one regex or strip instead of one per cell)."""
    try:
        return "".join(cells)
    except TypeError:
        return "".join(c for c in cells if isinstance(c, str))


def _check_header(
    header: list[str], layout: Layout, file: str, sheet: str | None
) -> tuple[list[Problem], set[str], set[str]]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append(
                _problem(
                    file, "duplicate-column", "column appears twice", sheet=sheet, row=1, field=name
                )
            )
        seen.add(name)
    unknown = {h for h in header if h and template_name(h) not in layout.known}
    missing = {r for r in layout.required if r not in seen}
    for name in sorted(missing):
        problems.append(
            _problem(
                file,
                "missing-column",
                "required column is missing from the header",
                sheet=sheet,
                row=1,
                field=name,
            )
        )
    return problems, unknown, missing


def _table_records(
    rows: Iterator[tuple[int, list[Any], list[Problem]]],
    header: list[str],
    table: Table,
    file: str,
    sheet: str | None,
    layout: Layout,
    letters: list[str] | None,
    allow_unknown: bool,
    result: ReadResult,
) -> None:
    problems, unknown, missing = _check_header(header, layout, file, sheet)
    for name in sorted(unknown):
        severity: Literal["error", "warning"] = "warning" if allow_unknown else "error"
        problems.append(
            _problem(
                file,
                "unknown-column",
                "unknown column"
                + (" (ignored)" if allow_unknown else "; rows with a value in it are rejected"),
                sheet=sheet,
                row=1,
                field=name,
                severity=severity,
            )
        )
    result.problems += problems
    header_errors = {p.field: p for p in problems if p.severity == "error"}
    kept = [h if h and h not in unknown else None for h in header]
    plan = RowPlan.for_header(kept, layout.lists)
    unknown_at = [i for i, h in enumerate(header) if h in unknown]
    width = len(header)
    column_letters = {name: letters[i] for i, name in enumerate(header) if name} if letters else {}
    for number, cells, cell_problems in rows:
        text = _joined_text(cells)
        if (
            not cell_problems
            and not text.strip()
            and all(c is None or isinstance(c, str) for c in cells)
        ):
            continue
        rec = RawRecord(table, {}, file, row=number, sheet=sheet, columns=column_letters)
        result.records.append(rec)
        if cell_problems:
            rec.problems += cell_problems
            continue
        if len(cells) > width and any(c not in (None, "") for c in cells[width:]):
            rec.problems.append(
                _problem(
                    file,
                    "ragged-row",
                    f"row has {len(cells)} cells but the header has {width}",
                    row=number,
                    sheet=sheet,
                )
            )
            continue
        if not allow_unknown:
            for i in unknown_at:
                if i < len(cells) and cells[i] not in (None, ""):
                    rec.problems.append(header_errors[header[i]])
        rec.problems += [header_errors[m] for m in sorted(missing)]
        if _SURROGATE.search(text):
            for i, c in enumerate(cells[:width]):
                if isinstance(c, str) and (msg := bad_bytes(c)) is not None:
                    rec.problems.append(
                        _problem(
                            file,
                            "encoding",
                            msg,
                            row=number,
                            sheet=sheet,
                            field=header[i],
                            column=letters[i] if letters else None,
                        )
                    )
            continue
        rec.data = plan.nest(cells)


def read_csv(
    path: Path,
    table: Table | None,
    layout: Layout,
    limits: Limits | None = None,
    allow_unknown: bool = False,
) -> ReadResult:
    """A comma-separated file with a header row; row numbers are the file's line numbers."""
    file = str(path)
    result = ReadResult()
    text, problems = decode(path.read_bytes(), file)
    result.problems += problems
    if text is None:
        return result
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        result.problems.append(_problem(file, "empty-file", "file is empty"))
        return result
    except csv.Error as exc:
        result.problems.append(_problem(file, "csv-syntax", f"malformed CSV: {exc}", row=1))
        return result
    if len(header) == 1:
        for delim in (";", "\t", "|"):
            if delim in header[0]:
                shown = {"\t": "tab"}.get(delim, delim)
                result.problems.append(
                    _problem(
                        file,
                        "delimiter",
                        f"the header is one column; bhrscore CSV files are comma-separated "
                        f"but this file seems to use {shown!r}",
                        row=1,
                        value=shorten(header[0]),
                    )
                )
                return result

    def rows() -> Iterator[tuple[int, list[Any], list[Problem]]]:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                result.problems.append(
                    _problem(file, "csv-syntax", f"malformed CSV: {exc}", row=start)
                )
                return
            yield start, cells, []

    _table_records(
        rows(), header, table or "evidence", file, None, layout, None, allow_unknown, result
    )
    if not result.records and not result.problems:
        result.problems.append(
            _problem(file, "no-rows", "the file has a header but no rows", severity="warning")
        )
    return result


# --- XLSX ---------------------------------------------------------------------------------

SHEETS: dict[str, Table] = {"companies": "companies", "evidence": "evidence"}
#: sheets a workbook may carry besides the data (e.g. the entry template's help)
AUXILIARY_SHEETS = frozenset({"help", "hints", "lists", "vocabularies", "readme"})


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


def _cell_value(value: Any) -> Any:
    """Spreadsheet cell -> the text a CSV would hold (numbers without a spurious .0)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if not isinstance(value, str) else value


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
    import openpyxl  # openpyxl parses with defusedxml when it is installed (it is a dependency)
    from openpyxl.utils import get_column_letter

    file = str(path)
    result = ReadResult()
    limits = limits or Limits()
    if (msg := _check_zip(path, limits)) is not None:
        result.problems.append(_problem(file, "unsafe-workbook", msg))
        return result
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        result.problems.append(_problem(file, "bad-workbook", f"cannot read workbook: {exc}"))
        return result
    try:
        by_name = {ws.title.strip().lower(): ws for ws in wb.worksheets}
        wanted: list[tuple[Table, Any]] = [
            (tbl, by_name[key]) for key, tbl in SHEETS.items() if key in by_name
        ]
        if not wanted and table is not None:
            wanted.append((table, wb.worksheets[0]))  # a one-table workbook named by its file
        if not wanted:
            result.problems.append(
                _problem(file, "not-a-bundle", "workbook has no 'Companies' or 'Evidence' sheet")
            )
        used = {ws.title for _, ws in wanted}
        for ws in wb.worksheets:
            if ws.title not in used and ws.title.strip().lower() not in AUXILIARY_SHEETS:
                result.problems.append(
                    _problem(
                        file,
                        "ignored-sheet",
                        "sheet is not read (only Companies and Evidence hold data)",
                        sheet=ws.title,
                        severity="warning",
                    )
                )
        for tbl, ws in wanted:
            lay = layout[tbl] if isinstance(layout, dict) else layout
            _read_sheet(ws, tbl, file, lay, allow_unknown, result, get_column_letter)
    finally:
        wb.close()
    return result


def _read_sheet(
    ws: Any,
    table: Table,
    file: str,
    layout: Layout,
    allow_unknown: bool,
    result: ReadResult,
    letter: Callable[[int], str],
) -> None:
    sheet = ws.title
    rows = ws.iter_rows()
    try:
        header_cells = next(rows)
    except StopIteration:
        result.problems.append(_problem(file, "empty-sheet", "sheet is empty", sheet=sheet))
        return
    header = [str(c.value).strip() if c.value is not None else "" for c in header_cells]
    while header and not header[-1]:
        header.pop()
    letters = [letter(i + 1) for i in range(len(header))]

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
                        _problem(
                            file,
                            "formula",
                            "formulas are not read; enter the value itself",
                            sheet=sheet,
                            row=number,
                            column=letter(i + 1),
                            field=header[i] if i < len(header) else None,
                            value=shorten(cell.value),
                        )
                    )
                out.append(_cell_value(cell.value))
            yield number, out, problems

    _table_records(values(), header, table, file, sheet, layout, letters, allow_unknown, result)


READERS: dict[str, Callable[..., ReadResult]] = {
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".csv": read_csv,
    ".xlsx": read_xlsx,
}
FLAT_FORMATS = frozenset({".csv", ".xlsx"})
