"""What readers produce: batches of records with their location, and the problems of files.

Readers do not validate records. Each turns a file (or a sheet) into :class:`Batch` objects:
the records column by column (:class:`~.columnar.Cells`, for the columnar validator), where
each record came from, the problems of the file itself (encodings, byte-order marks, empty
files, malformed lines, wrong delimiters, missing and unknown columns, formulas in cells,
oversized workbooks, limits on input) and, on demand, each record as the nested dict pydantic
validates (:meth:`Batch.raw`). The formats live in :mod:`.read_json` and :mod:`.read_flat`;
:data:`READERS` maps file suffixes to them.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from .flat import Column
from .report import Problem

if TYPE_CHECKING:
    from .columnar import Cells

Table = Literal["companies", "evidence"]
IntArray = npt.NDArray[np.int64]


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
class Batch:
    """Records of one table read from one file (or sheet), in file order.

    ``cells`` holds the records at positions ``cell_rows`` column by column; every other
    record is known by its nested dict (``data``) or only by its ``problems``. ``raw(i)`` gives
    the :class:`RawRecord` of record ``i`` for pydantic (built on demand).
    """

    table: Table
    file: str
    n: int
    sheet: str | None = None
    rows: IntArray | None = None  # row numbers (lines, spreadsheet rows); None: pointers
    pointer_base: str | None = None  # JSON documents: the records' list, e.g. "/evidence"
    letters: dict[str, str] = field(default_factory=dict)  # column -> spreadsheet letter
    problems: dict[int, list[Problem]] = field(default_factory=dict)
    data: dict[int, dict[str, Any]] = field(default_factory=dict)
    cells: Cells | None = None
    cell_rows: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # record -> (nested dict, problems found building it, e.g. a limit of the JSON parser)
    build: Callable[[int], tuple[dict[str, Any], list[Problem]]] | None = None
    releasers: list[Callable[[], None]] = field(default_factory=list)

    def release(self) -> None:
        """Drop the columns and raw data once validated (records are rebuilt from the file
        if a problem needs them later)."""
        self.cells = None
        for release in self.releasers:
            release()

    def row(self, i: int) -> int | None:
        return int(self.rows[i]) if self.rows is not None else None

    def pointer(self, i: int) -> str | None:
        return None if self.pointer_base is None else f"{self.pointer_base}/{i}"

    def raw(self, i: int) -> RawRecord:
        """Record ``i`` as pydantic will see it, with where it came from."""
        data = self.data.get(i)
        problems = list(self.problems.get(i, ()))
        if data is None:
            data, found = ({}, []) if self.build is None or problems else self.build(i)
            problems += found
        return RawRecord(
            self.table,
            data,
            self.file,
            row=self.row(i),
            sheet=self.sheet,
            pointer=self.pointer(i),
            problems=problems,
            columns=self.letters,
        )


@dataclass
class ReadResult:
    """Batches and file-level problems of one file. ``batches`` may be a generator (JSON
    Lines come in chunks): ``problems`` is complete once it is exhausted."""

    batches: Iterable[Batch] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, batch: Batch) -> None:
        """Append a batch (readers that build all their batches at once)."""
        if not isinstance(self.batches, list):
            self.batches = list(self.batches)
        self.batches.append(batch)


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
    """Limits on untrusted input, each reported with a clear, located message.

    Workbooks: file size, unpacked size and compression ratio (zip bombs). Every format:
    ``max_field_chars`` characters in one cell or JSON string, ``max_json_depth`` levels of
    JSON nesting, ``max_integer_digits`` digits in a JSON integer (larger numbers are written
    with an exponent, e.g. ``2.5e20``).
    """

    max_file_bytes: int = 50 * 1024**2
    max_unzipped_bytes: int = 512 * 1024**2
    max_compression_ratio: float = 200.0
    max_field_chars: int = 131_072
    max_json_depth: int = 64
    max_integer_digits: int = 18


def problem(file: str, code: str, message: str, **kw: Any) -> Problem:
    return Problem(file=file, code=code, message=message, **kw)


# --- text decoding ------------------------------------------------------------------------


def check_bom(data: bytes, file: str) -> tuple[bytes | None, list[Problem]]:
    """Refuse UTF-16/32 files; remove a UTF-8 byte-order mark with a warning."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return None, [problem(file, "encoding", "file is UTF-32 encoded; save it as UTF-8")]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, [problem(file, "encoding", "file is UTF-16 encoded; save it as UTF-8")]
    if data.startswith(codecs.BOM_UTF8):
        warning = problem(
            file, "bom", "UTF-8 byte-order mark at the start was ignored", severity="warning"
        )
        return data[len(codecs.BOM_UTF8) :], [warning]
    return data, []


def decode(
    data: bytes, file: str, empty: Literal["error", "warning"] = "error"
) -> tuple[str | None, list[Problem]]:
    """UTF-8 text of a file. A UTF-8 BOM is removed with a warning; UTF-16/32 files are errors;
    an empty file is an error (or a warning where empty means "no records", as in JSON Lines);
    invalid bytes are kept as surrogates so that the lines holding them can be reported (see
    :func:`bad_bytes`)."""
    body, problems = check_bom(data, file)
    if body is None:
        return None, problems
    text = body.decode("utf-8", errors="surrogateescape")
    if not text.strip():
        problems.append(problem(file, "empty-file", "file is empty", severity=empty))
        return None, problems
    return text, problems


SURROGATE = re.compile("[\udc80-\udcff]")


def bad_bytes(text: str) -> str | None:
    """A message for invalid UTF-8 in ``text`` (decoded with surrogateescape), else None."""
    match = SURROGATE.search(text)
    if match is None:
        return None
    byte = ord(match.group()) - 0xDC00
    return (
        f"byte 0x{byte:02X} at character {match.start() + 1} is not valid UTF-8 "
        "(the file may be Latin-1 or Windows-1252: save it as UTF-8)"
    )


def too_long(chars: int, limits: Limits) -> str:
    return (
        f"value is {chars:,} characters long, over the limit of {limits.max_field_chars:,} "
        "(Limits.max_field_chars)"
    )


def line_offsets(data: bytes | bytearray | memoryview) -> IntArray:
    """Start offsets of the lines of ``data`` (split on ``\\n``) plus the end offset (found
    slice by slice, so the byte-sized temporaries stay small)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    step = 1 << 23
    parts = [np.zeros(1, dtype=np.int64)]
    for start in range(0, len(raw), step):
        parts.append(np.flatnonzero(raw[start : start + step] == 0x0A).astype(np.int64) + start + 1)
    if len(raw) and raw[-1] != 0x0A:
        parts.append(np.array([len(raw)], dtype=np.int64))
    return np.concatenate(parts)


def readers() -> dict[str, Callable[..., ReadResult]]:
    """File suffix -> reader (see :mod:`.read_json` and :mod:`.read_flat`)."""
    from .read_flat import read_csv, read_xlsx
    from .read_json import read_json, read_jsonl

    return {
        ".json": read_json,
        ".jsonl": read_jsonl,
        ".ndjson": read_jsonl,
        ".csv": read_csv,
        ".xlsx": read_xlsx,
    }


READERS: tuple[str, ...] = (".json", ".jsonl", ".ndjson", ".csv", ".xlsx")
FLAT_FORMATS = frozenset({".csv", ".xlsx"})


def valid_utf8(body: bytes | bytearray | memoryview) -> bool:
    """Whether ``body`` is valid UTF-8 (Arrow's validator: no decoded copy of the text)."""
    import pyarrow as pa

    text = pa.Array.from_buffers(
        pa.large_string(),
        1,
        [None, pa.py_buffer(np.array([0, len(body)], dtype=np.int64)), pa.py_buffer(body)],
    )
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True
