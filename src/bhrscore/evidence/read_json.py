"""JSON Lines and JSON readers.

JSON Lines are parsed by ``pyarrow.json`` with an explicit schema derived from the models,
straight into columns. Lines the fast parser could misread are sent to Python's ``json``
instead, line by line, so that problems stay located exactly: lines that are not one object
on one line, lines holding ``null`` where the model does not accept it or a key no model has.
If ``pyarrow`` refuses the file (a malformed line, a duplicate key, a value of another type),
every line is parsed by Python and only the lines that conform to the schema are put into
columns. JSON documents are parsed by Python (with the same limits) and put into columns the
same way.

Python parsing enforces the input limits (:class:`~.read.Limits`): nesting depth, digits of
integers, characters of strings; and refuses duplicate keys (``{"status": "alleged",
"status": "verified"}`` would otherwise keep the last silently).
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from . import prefetch
from .columnar import Cells, Items
from .frame_schema import Leaf, ModelSchema, TableSchema, table_schema
from .read import (
    SURROGATE,
    Batch,
    IntArray,
    Limits,
    ReadResult,
    Table,
    bad_bytes,
    check_bom,
    line_offsets,
    problem,
    too_long,
    valid_utf8,
)
from .report import Problem, shorten

# --- Python parsing with limits --------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth(text: str) -> int:
    """How deeply ``text`` nests arrays and objects (brackets inside strings ignored)."""
    skeleton = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not skeleton:
        return 0
    steps = np.frombuffer(skeleton.encode("ascii"), dtype=np.uint8)
    depth = np.cumsum(np.where((steps == 0x5B) | (steps == 0x7B), 1, -1))
    return int(depth.max())


class _Duplicates(dict[str, Any]):
    """An object whose source repeated keys (the last value is kept, the keys reported)."""

    repeated: tuple[str, ...] = ()


@dataclass(frozen=True)
class _BigInt:
    """An integer literal with more digits than the limit (never converted)."""

    digits: int
    text: str

    def __repr__(self) -> str:
        return shorten(self.text) or ""


@dataclass
class _Flags:
    duplicates: bool = False
    big: bool = False


def _pairs_hook(flags: _Flags) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        seen: set[str] = set()
        repeated: list[str] = []
        for key, _ in pairs:
            if key in seen and key not in repeated:
                repeated.append(key)
            seen.add(key)
        flags.duplicates = True
        out = _Duplicates(obj)
        out.repeated = tuple(repeated)
        return out

    return hook


def _int_hook(flags: _Flags, limits: Limits) -> Any:
    def hook(text: str) -> int | _BigInt:
        digits = len(text) - text.startswith("-")
        if digits > limits.max_integer_digits:
            flags.big = True
            return _BigInt(digits, text)
        return int(text)

    return hook


@dataclass(frozen=True)
class Issue:
    """A problem inside a parsed JSON value: where (path from the record), what, why."""

    path: tuple[str, ...]
    code: str
    message: str
    value: Any = None


#: a ``\\uD800``-``\\uDFFF`` escape in JSON text: half of a UTF-16 pair, not a character
#: unless its other half follows (then ``json.loads`` joins them)
ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _unicode_issue(path: tuple[str, ...], text: str) -> Issue:
    found = LONE_SURROGATE.search(text)
    char = f"\\u{ord(found.group()):04x}" if found else "?"
    return Issue(
        path,
        "encoding",
        f"text holds {char}, half of a UTF-16 surrogate pair without its other half: not "
        "valid Unicode",
        text,
    )


def parse_json(text: str, limits: Limits) -> tuple[Any, list[Issue], Issue | None]:
    """Parse ``text`` with the limits: ``(value, issues inside it, fatal issue)``."""
    depth = json_depth(text)
    if depth > limits.max_json_depth:
        return (
            None,
            [],
            Issue(
                (),
                "nesting",
                f"JSON is nested {depth} levels deep, over the limit of "
                f"{limits.max_json_depth} (Limits.max_json_depth)",
            ),
        )
    flags = _Flags()
    try:
        value = json.loads(
            text, object_pairs_hook=_pairs_hook(flags), parse_int=_int_hook(flags, limits)
        )
    except json.JSONDecodeError as exc:
        return None, [], Issue((), "json-syntax", f"invalid JSON: {exc.msg} (column {exc.colno})")
    except RecursionError:  # pragma: no cover - the depth limit comes first
        return None, [], Issue((), "nesting", "JSON is nested too deeply")
    issues: list[Issue] = []
    surrogates = ESCAPED_SURROGATE.search(text) is not None
    if flags.duplicates or flags.big or surrogates or len(text) > limits.max_field_chars:
        issues = list(_issues(value, (), limits))
    return value, issues, None


def _issues(value: Any, path: tuple[str, ...], limits: Limits) -> Iterator[Issue]:
    if isinstance(value, dict):
        for key in getattr(value, "repeated", ()):
            yield Issue(
                (*path, key), "duplicate-key", f"key {key!r} appears twice in the same object"
            )
        for key, item in value.items():
            if LONE_SURROGATE.search(key):  # the key itself: named with the half escaped
                shown = key.encode("utf-8", "backslashreplace").decode("utf-8")
                yield _unicode_issue((*path, shown), key)
                continue
            yield from _issues(item, (*path, str(key)), limits)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _issues(item, (*path, str(i)), limits)
    elif isinstance(value, _BigInt):
        yield Issue(
            path,
            "number-too-long",
            f"integer has {value.digits:,} digits, over the limit of "
            f"{limits.max_integer_digits} (Limits.max_integer_digits; write large numbers "
            "with an exponent, e.g. 2.5e20)",
            value.text,
        )
    elif isinstance(value, str) and len(value) > limits.max_field_chars:
        yield Issue(path, "too-long", too_long(len(value), limits), value)
    elif isinstance(value, str) and LONE_SURROGATE.search(value):
        yield _unicode_issue(path, value)


def issue_problem(
    issue: Issue, file: str, row: int | None = None, pointer: str | None = None
) -> Problem:
    """A located :class:`Problem` for an issue of the record at ``row`` / ``pointer``."""
    field = ".".join(issue.path) or None
    where = pointer
    if pointer is not None and issue.path:
        where = pointer + "/" + "/".join(issue.path)
    return problem(
        file,
        issue.code,
        issue.message,
        row=row,
        pointer=where,
        field=field,
        value=shorten(issue.value) if issue.value is not None else None,
    )


# --- the Arrow schema of a table ------------------------------------------------------------


def _leaf_type(leaf: Leaf) -> pa.DataType:
    base: pa.DataType = {
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
    }.get(leaf.type, pa.string())
    return pa.list_(base) if leaf.many else base


def _struct_fields(
    leaves: Mapping[str, Leaf],
    objects: Mapping[str, Any],
    lists: Mapping[str, Any],
    prefix: str = "",
) -> list[pa.Field]:
    """Fields directly under ``prefix`` (dotted names relative to the model)."""
    out: dict[str, pa.Field] = {}
    depth = prefix.count(".")
    for name, leaf in leaves.items():
        if name.startswith(prefix) and name.count(".") == depth:
            key = name.split(".")[-1]
            out.setdefault(key, pa.field(key, _leaf_type(leaf)))
    for path in objects:
        if path.startswith(prefix) and path.count(".") == depth:
            key = path.split(".")[-1]
            inner = _struct_fields(leaves, objects, lists, path + ".")
            out.setdefault(key, pa.field(key, pa.struct(inner)))
    for path, lst in lists.items():
        if path.startswith(prefix) and path.count(".") == depth:
            key = path.split(".")[-1]
            item = lst.item
            inner = _struct_fields(item.leaves, item.objects, item.lists)
            out.setdefault(key, pa.field(key, pa.list_(pa.struct(inner))))
    return list(out.values())


@lru_cache(maxsize=16)
def _arrow_schema(schema: TableSchema) -> pa.Schema:
    return pa.schema(_struct_fields(schema.leaves, schema.objects, schema.lists))


def arrow_schema(table: Table) -> pa.Schema:
    """The explicit schema JSON records of ``table`` are parsed with."""
    return _arrow_schema(table_schema(table))


@lru_cache(maxsize=16)
def _null_safe(schema: TableSchema) -> frozenset[str]:
    nullable: dict[str, bool] = {}

    def note(name: str, ok: bool) -> None:
        key = name.split(".")[-1]
        nullable[key] = nullable.get(key, True) and ok

    def visit(model: ModelSchema) -> None:
        for name, leaf in model.leaves.items():
            note(name, leaf.nullable)
        for path, obj in model.objects.items():
            note(path, obj.nullable)
        for path, lst in model.lists.items():
            note(path, lst.nullable)
            visit(lst.item)

    for model in schema.models.values():
        visit(model)
    # a top-level key some kinds do not have is refused there, null or not ("is not a field
    # of kind 'screening'"), so its null cannot be read as absent
    tops = [
        frozenset(n for n in (*m.leaves, *m.objects, *m.lists) if "." not in n)
        for m in schema.models.values()
    ]
    if tops:
        everywhere = frozenset.intersection(*tops)
        for key in frozenset.union(*tops) - everywhere:
            nullable[key] = False
    return frozenset(k for k, ok in nullable.items() if ok)


def _conforms(value: Any, typ: pa.DataType, safe: frozenset[str], key: str | None) -> bool:
    """Whether a parsed JSON value fits the explicit schema exactly as pyarrow would read
    it (a ``null`` only where every model accepts it: pyarrow cannot tell null from absent)."""
    if value is None:
        return key is not None and key in safe
    if pa.types.is_struct(typ):
        if not isinstance(value, dict):
            return False
        fields = {typ.field(i).name: typ.field(i).type for i in range(typ.num_fields)}
        return all(k in fields and _conforms(v, fields[k], safe, k) for k, v in value.items())
    if pa.types.is_list(typ):
        if not isinstance(value, list):
            return False
        return all(_conforms(v, typ.value_type, safe, None) for v in value if v is not None)
    if pa.types.is_string(typ):
        return isinstance(value, str) and not SURROGATE.search(value)
    if pa.types.is_boolean(typ):
        return isinstance(value, bool)
    if pa.types.is_int64(typ):
        return type(value) is int and -(2**63) <= value < 2**63
    if pa.types.is_float64(typ):
        return type(value) in (int, float)
    return False


def conforms(record: Any, table: Table) -> bool:
    """Whether a parsed record can go into columns (see :func:`_conforms`)."""
    schema = table_schema(table)
    return _conforms(record, pa.struct(list(arrow_schema(table))), _null_safe(schema), "")


# --- Arrow table -> cells --------------------------------------------------------------------


@dataclass
class _Unknown:
    """Unknown keys met in an Arrow table: rows holding a value, and keys whose rows cannot
    be told (a ``null`` value reads like an absent key)."""

    rows: np.ndarray
    keys: set[str] = field(default_factory=set)


def _combine(arr: Any) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _fill_cells(
    arrays: list[tuple[str, pa.Array]],
    model: Any,
    cells: Cells,
    unknown: _Unknown,
    owner: IntArray | None,
    prefix: str = "",
) -> None:
    """Put the columns of one struct level into ``cells`` (names relative to ``model``)."""
    for key, arr in arrays:
        name = prefix + key
        if name in model.leaves:
            if model.leaves[name].many:
                cells.lists[name] = arr
            else:
                cells.values[name] = arr
        elif name in model.objects and pa.types.is_struct(arr.type):
            cells.present[name] = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), bool)
            children = [
                (arr.type.field(i).name, pc.struct_field(arr, [i]))
                for i in range(arr.type.num_fields)
            ]
            _fill_cells(children, model, cells, unknown, owner, name + ".")
        elif name in model.lists and pa.types.is_list(arr.type):
            lst = model.lists[name]
            given = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), bool)
            flat = pc.list_flatten(arr)
            parents = np.asarray(pc.list_parent_indices(arr).to_numpy(), dtype=np.int64)
            valid = np.asarray(flat.is_valid().to_numpy(zero_copy_only=False), bool)
            item_cells = Cells(len(flat), "json")
            children = []
            if pa.types.is_struct(flat.type):
                children = [
                    (flat.type.field(i).name, pc.struct_field(flat, [i]))
                    for i in range(flat.type.num_fields)
                ]
            item_owner = parents if owner is None else owner[parents]
            item_unknown = _Unknown(np.zeros(len(flat), dtype=bool))
            _fill_cells(children, lst.item, item_cells, item_unknown, item_owner)
            if item_unknown.rows.any():
                unknown.rows[parents[item_unknown.rows]] = True
            unknown.keys |= item_unknown.keys
            cells.items[name] = Items(parents, valid, item_cells, given)
        else:
            valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), bool)
            unknown.rows |= valid
            if arr.null_count:
                unknown.keys.add(key)


def cells_from_arrow(table: pa.Table, schema_table: Table, lines: pa.Array | None = None) -> Cells:
    """A pyarrow table read with :func:`arrow_schema` -> :class:`Cells`. Rows holding an
    unknown key are left to pydantic; where a key's rows cannot be told (its values are
    ``null``), the rows whose line mentions the key (or holds an escape) are."""
    schema = table_schema(schema_table)
    n = table.num_rows
    cells = Cells(n, "json")
    unknown = _Unknown(np.zeros(n, dtype=bool))
    arrays = [(name, _combine(table.column(name))) for name in table.column_names]
    union = ModelSchema(
        schema.models[schema.kinds[0]].model,
        schema.leaves,
        schema.objects,
        schema.lists,
        (),
        (),
        True,
    )
    _fill_cells(arrays, union, cells, unknown, None)
    undecided = unknown.rows
    if unknown.keys:
        if lines is None:
            undecided = np.ones(n, dtype=bool)
        else:
            escaped = _np_mask(pc.match_substring(lines, "\\"))
            for key in unknown.keys:
                undecided |= _np_mask(pc.match_substring(lines, json.dumps(key)))
            undecided |= escaped
    cells.undecided = undecided
    return cells


def _np_mask(mask: Any) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


# --- JSON Lines ----------------------------------------------------------------------------

#: lines with more opening brackets than this are parsed by Python (pyarrow recurses)
ARROW_SAFE_DEPTH = 2_000
_NULL_VALUE = re.compile(rb'"((?:[^"\\]|\\.)*)"\s*:\s*null')


def _nulls_are_safe(line: bytes | bytearray, safe: frozenset[str]) -> bool:
    """Every ``null`` of the line is the value of a key every model lets be null."""
    rest = _NULL_VALUE.sub(
        lambda m: b"" if m.group(1).decode("utf-8", "replace") in safe else m.group(0), line
    )
    return b"null" not in rest


def _python_lines(
    data: bytes | bytearray,
    offsets: IntArray,
    which: IntArray,
    file: str,
    table: Table,
    limits: Limits,
    batch: Batch,
    record_of_line: dict[int, int],
    conforming: list[tuple[int, dict[str, Any]]],
    lines_before: int = 0,
) -> None:
    """Parse lines ``which`` with Python: problems, nested dicts, and the lines that conform
    to the schema (they still go into columns)."""
    for line_no in which:
        i = record_of_line.get(int(line_no), int(line_no))
        raw = data[offsets[line_no] : offsets[line_no + 1]]
        text = raw.decode("utf-8", errors="surrogateescape")
        row = int(line_no) + 1 + lines_before
        if (msg := bad_bytes(text)) is not None:
            batch.problems[i] = [problem(file, "encoding", msg, row=row)]
            continue
        value, issues, fatal = parse_json(text, limits)
        if fatal is not None:
            shown = shorten(text.rstrip("\r\n")) if fatal.code == "json-syntax" else None
            batch.problems[i] = [problem(file, fatal.code, fatal.message, row=row, value=shown)]
            continue
        if not isinstance(value, dict):
            batch.problems[i] = [
                problem(
                    file,
                    "not-an-object",
                    "each line must be a JSON object",
                    row=row,
                    value=shorten(value),
                )
            ]
            continue
        batch.data[i] = value
        if issues:
            batch.problems[i] = [issue_problem(x, file, row=row) for x in issues]
            continue
        if conforms(value, table):
            conforming.append((i, value))


#: pyarrow parses a chunk in blocks of this many bytes, on several threads
ARROW_BLOCK_BYTES = prefetch.ARROW_BLOCK_BYTES

#: JSON Lines are read in chunks of about this many bytes (whole lines), so that only one
#: chunk's raw data and columns are in memory besides the frames being built
CHUNK_BYTES = 64 * 1024**2


def read_jsonl(
    path: Path,
    table: Table | None,
    layout: Any = None,
    limits: Limits | None = None,
    allow_unknown: bool = False,
) -> ReadResult:
    """One JSON object per line; blank lines are skipped; line numbers count from 1. An empty
    file holds no records (a warning, not an error). The batches are read lazily, chunk by
    chunk."""
    file = str(path)
    limits = limits or Limits()
    tbl: Table = table or "evidence"
    result = ReadResult()
    with open(path, "rb") as fh:
        head = fh.read(4)
    rest, problems = check_bom(head, file)
    result.problems += problems
    if rest is None:
        return result
    result.batches = _jsonl_chunks(path, file, tbl, limits, len(head) - len(rest), result)
    return result


def _block_bytes(fh: Any) -> int:
    """How much to read next: :data:`CHUNK_BYTES`, or the rest of the file when it is at most
    a quarter more (a 72 MB file is one block, not 64 MB and 8 MB: the fixed cost of a
    second chunk's validation and of joining the two is saved; a file too large to be one
    block gets the same blocks as before, so its peak memory does not grow)."""
    try:
        left = os.fstat(fh.fileno()).st_size - fh.tell()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return CHUNK_BYTES
    return int(left) if CHUNK_BYTES < left <= CHUNK_BYTES + CHUNK_BYTES // 4 else CHUNK_BYTES


def _whole_lines(fh: Any, first: bytes = b"") -> Iterator[tuple[bytes | bytearray, int]]:
    """The file from its position in blocks of about :data:`CHUNK_BYTES` that end at a line
    end (the last may not), each as ``(data, end)``: the block is ``data[:end]``, and the
    partial line after ``end`` is left to the next block by seeking back. Read straight into
    a fresh ``bytes`` (no zero-filled buffer: first-touch memory is expensive) and never
    copied or concatenated, save for a line longer than a block. ``first``: the bytes from
    the position on, already read (:mod:`.prefetch`): the first block if they are one."""
    while True:
        want = _block_bytes(fh)
        data: bytes | bytearray
        if first and len(first) <= want:
            data, first = first, b""
            fh.seek(len(data), io.SEEK_CUR)
        else:
            data, first = fh.read(want), b""
        at_end = len(data) < want
        if want > CHUNK_BYTES and not at_end:  # the rest of the file, unless it grew
            at_end = not fh.read(1)
            if not at_end:
                fh.seek(-1, io.SEEK_CUR)
        end = len(data)
        while not at_end:
            cut = data.rfind(b"\n") + 1
            if cut:
                fh.seek(cut - len(data), io.SEEK_CUR)  # the partial line starts the next block
                end = cut
                break
            more = fh.read(CHUNK_BYTES)  # a line longer than a block: read on
            at_end = len(more) < CHUNK_BYTES
            if not isinstance(data, bytearray):
                data = bytearray(data)
            data += more
            end = len(data)
        if not end:
            return
        yield data, end
        if at_end:
            return


def _jsonl_chunks(
    path: Path, file: str, tbl: Table, limits: Limits, start: int, result: ReadResult
) -> Iterator[Batch]:
    records = 0
    lines_before = 0
    with open(path, "rb") as fh:
        fh.seek(start)
        position = start
        ahead = prefetch.take(fh)
        if start:  # the bytes read ahead begin with the byte order mark
            ahead = None
        for data, end in _whole_lines(fh, ahead.data if ahead else b""):
            batch, n_lines = _jsonl_chunk(
                path, file, tbl, limits, data, position, lines_before, end, ahead
            )
            ahead = None
            position += end
            lines_before += n_lines
            records += batch.n
            del data
            if batch.n:
                yield batch
    if not records and not [p for p in result.problems if p.severity == "error"]:
        result.problems.append(problem(file, "empty-file", "file is empty", severity="warning"))


_NULL = int.from_bytes(b"null", "little")


def holds_null(data: bytes | bytearray | memoryview, step: int = 1 << 20) -> bool:
    """Whether ``data`` holds the bytes ``null``: the text read as 4-byte words at each of
    the 4 alignments, compared slice by slice (numpy, outside the GIL: the validation on the
    main thread goes on; and twice as fast as ``bytes.find``)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    for shift in range(4):
        words = raw[shift : shift + (len(raw) - shift) // 4 * 4].view("<u4")
        for start in range(0, len(words), max(step // 4, 1)):
            if (words[start : start + max(step // 4, 1)] == _NULL).any():
                return True
    return False


def object_lines(
    data: bytes | bytearray | memoryview, offsets: IntArray
) -> tuple[np.ndarray, np.ndarray]:
    """Per line of ``data`` (``offsets``: line starts plus the end): whether it starts with
    ``{``, and whether it ends with ``}\\n`` or ``}\\r\\n``; read from the bytes at the lines'
    edges with numpy (one lookup per line, not a string function over every line)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    size = np.diff(offsets)
    if not len(raw):
        return np.zeros(len(size), dtype=bool), np.zeros(len(size), dtype=bool)
    last = len(raw) - 1

    def at(where: IntArray) -> np.ndarray:
        return raw[np.clip(where, 0, last)]  # read only where the line is long enough

    starts = (size >= 1) & (at(offsets[:-1]) == 0x7B)
    newline = (size >= 2) & (at(offsets[1:] - 1) == 0x0A)
    closes = newline & (at(offsets[1:] - 2) == 0x7D)
    closes |= newline & (size >= 3) & (at(offsets[1:] - 2) == 0x0D) & (at(offsets[1:] - 3) == 0x7D)
    return starts, closes


def _jsonl_chunk(
    path: Path,
    file: str,
    tbl: Table,
    limits: Limits,
    body: bytes | bytearray,
    position: int,
    lines_before: int,
    end: int | None = None,
    ahead: prefetch.Prefetch | None = None,
) -> tuple[Batch, int]:
    """One chunk of whole lines, ``body[:end]`` (``end`` None: all of it): the lines pyarrow
    can read into columns, the others parsed by Python (``lines_before``: lines of the file
    before the chunk, for row numbers). Returns the batch and the number of lines of the
    chunk. ``ahead``: the file read ahead, whose table is used if it was parsed from exactly
    this chunk with this table's schema."""
    end = len(body) if end is None else end
    view = memoryview(body)[:end]
    offsets = line_offsets(view)
    n_lines = len(offsets) - 1
    lines = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), n_lines, [None, pa.py_buffer(offsets), pa.py_buffer(view)]
    )
    starts, closes = object_lines(view, offsets)
    if n_lines and not body.endswith(b"\n", 0, end):
        closes[-1] = body.endswith(b"}", 0, end)
    good = starts & closes
    if not valid_utf8(view):  # pyarrow does not check strings: lines with bad bytes to Python
        for line_no in np.flatnonzero(good):
            try:
                body[offsets[line_no] : offsets[line_no + 1]].decode("utf-8")
            except UnicodeDecodeError:
                good[line_no] = False
    # pyarrow recurses into nested values: lines that could nest deeply go to Python, which
    # applies the depth limit (a line cannot nest deeper than it has opening brackets)
    long_lines = np.flatnonzero(good & (np.diff(offsets) > ARROW_SAFE_DEPTH))
    for line_no in long_lines:
        raw = body[offsets[line_no] : offsets[line_no + 1]]
        if raw.count(b"[") + raw.count(b"{") > ARROW_SAFE_DEPTH:
            good[line_no] = False
    if holds_null(view):
        safe = _null_safe(table_schema(tbl))
        with_null = np.flatnonzero(good & _np_mask(pc.match_substring(lines, b"null")))
        for line_no in with_null:
            if not _nulls_are_safe(body[offsets[line_no] : offsets[line_no + 1]], safe):
                good[line_no] = False
    # classify the other lines: blank (skipped) or parsed by Python
    other = np.flatnonzero(~good)
    blank: set[int] = set()
    for line_no in other:
        raw = body[offsets[line_no] : offsets[line_no + 1]]
        if not raw.decode("utf-8", errors="surrogateescape").strip():
            blank.add(int(line_no))
    if blank or len(other):
        record_lines = np.array(
            [ln for ln in range(n_lines) if good[ln] or ln not in blank], dtype=np.int64
        )
    else:
        record_lines = np.arange(n_lines, dtype=np.int64)
    batch = Batch(tbl, file, len(record_lines), rows=record_lines + 1 + lines_before)
    identity = len(record_lines) == n_lines
    record_of_line: dict[int, int] = (
        {} if identity else {int(ln): i for i, ln in enumerate(record_lines)}
    )
    good_lines = np.flatnonzero(good)
    slow_lines = np.array([ln for ln in other if int(ln) not in blank], dtype=np.int64)
    arrow_table: pa.Table | None = None
    if len(good_lines):
        data = (
            view
            if len(good_lines) == n_lines
            else b"".join(
                body[offsets[ln] : offsets[ln + 1]].rstrip(b"\r\n") + b"\n" for ln in good_lines
            )
        )
        if ahead is not None and len(good_lines) == n_lines and end == len(body):
            arrow_table = ahead.table_for(body, arrow_schema(tbl))
        elif ahead is not None:
            ahead.discard()
        try:
            if arrow_table is None:
                arrow_table = pj.read_json(
                    pa.BufferReader(pa.py_buffer(data)),
                    read_options=pj.ReadOptions(block_size=ARROW_BLOCK_BYTES),
                    parse_options=pj.ParseOptions(
                        explicit_schema=arrow_schema(tbl), unexpected_field_behavior="infer"
                    ),
                )
            if arrow_table.num_rows != len(good_lines):
                arrow_table = None
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
            arrow_table = None
    conforming: list[tuple[int, dict[str, Any]]] = []
    if arrow_table is None:
        # pyarrow refused the file: every line through Python, conforming ones into columns
        slow_lines = np.sort(np.concatenate([slow_lines, good_lines])).astype(np.int64)
        good_lines = np.zeros(0, dtype=np.int64)
    _python_lines(
        body,
        offsets,
        slow_lines,
        file,
        tbl,
        limits,
        batch,
        record_of_line,
        conforming,
        lines_before,
    )
    if arrow_table is not None:
        all_good = len(good_lines) == n_lines
        good_text = lines if all_good else pc.take(lines, pa.array(good_lines))
        batch.cells = cells_from_arrow(arrow_table, tbl, good_text)
        batch.cell_rows = (
            good_lines
            if identity
            else np.array([record_of_line[int(ln)] for ln in good_lines], np.int64)
        )
    elif conforming:
        batch.cells, batch.cell_rows = _cells_from_records(conforming, tbl)

    held: dict[str, bytes | bytearray] = {"body": body}
    starts_at = position + offsets[record_lines]
    ends_at = position + offsets[record_lines + 1]

    def build(i: int) -> tuple[dict[str, Any], list[Problem]]:
        row = int(record_lines[i]) + 1 + lines_before
        if "body" in held:
            raw = held["body"][int(starts_at[i] - position) : int(ends_at[i] - position)]
        else:  # released after validation: read the line again
            with open(path, "rb") as fh:
                fh.seek(int(starts_at[i]))
                raw = fh.read(int(ends_at[i] - starts_at[i]))
        value, issues, fatal = parse_json(raw.decode("utf-8", "surrogateescape"), limits)
        if fatal is not None or not isinstance(value, dict):  # pragma: no cover - parsed before
            return {}, [problem(file, "json-syntax", "invalid JSON", row=row)]
        return value, [issue_problem(x, file, row=row) for x in issues]

    batch.build = build
    batch.releasers.append(held.clear)
    return batch, n_lines


def _cells_from_records(
    records: list[tuple[int, dict[str, Any]]], table: Table
) -> tuple[Cells, IntArray]:
    """Parsed records that conform to the schema -> cells (through ``pa.Table.from_pylist``)."""
    arrow = pa.Table.from_pylist([r for _, r in records], schema=arrow_schema(table))
    cells = cells_from_arrow(arrow, table, None)
    return cells, np.array([i for i, _ in records], dtype=np.int64)


# --- JSON documents ------------------------------------------------------------------------


def _records(
    items: Any,
    table: Table,
    file: str,
    pointer: str,
    issues_of: list[Issue],
    result: ReadResult,
) -> None:
    if not isinstance(items, list):
        result.problems.append(
            problem(
                file, "not-a-list", f"expected a list of {table} records", pointer=pointer or "/"
            )
        )
        return
    batch = Batch(table, file, len(items), pointer_base=pointer)
    conforming: list[tuple[int, dict[str, Any]]] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            batch.data[i] = {}
            batch.problems[i] = [
                problem(
                    file,
                    "not-an-object",
                    "expected an object",
                    pointer=f"{pointer}/{i}",
                    value=shorten(item),
                )
            ]
            continue
        batch.data[i] = item
        found = [x for x in issues_of if x.path[:1] == (str(i),)]
        if found:
            batch.problems[i] = [
                issue_problem(
                    Issue(x.path[1:], x.code, x.message, x.value), file, pointer=f"{pointer}/{i}"
                )
                for x in found
            ]
            continue
        if conforms(item, table):
            conforming.append((i, item))
    if conforming:
        batch.cells, batch.cell_rows = _cells_from_records(conforming, table)
    if batch.n:
        result.add(batch)


def read_json(
    path: Path,
    table: Table | None,
    layout: Any = None,
    limits: Limits | None = None,
    allow_unknown: bool = False,
) -> ReadResult:
    """A JSON file holding a list of records, or a bundle object
    ``{"companies": [...], "evidence": [...]}``."""
    file = str(path)
    limits = limits or Limits()
    result = ReadResult()
    body, problems = check_bom(path.read_bytes(), file)
    result.problems += problems
    if body is None:
        return result
    text = body.decode("utf-8", errors="surrogateescape")
    if not text.strip():
        result.problems.append(problem(file, "empty-file", "file is empty"))
        return result
    if (msg := bad_bytes(text)) is not None:
        line = text[: SURROGATE.search(text).start()].count("\n") + 1  # type: ignore[union-attr]
        result.problems.append(problem(file, "encoding", msg, row=line))
        return result
    doc, issues, fatal = parse_json(text, limits)
    if fatal is not None:
        row = None
        if fatal.code == "json-syntax":
            try:
                json.loads(text)
            except json.JSONDecodeError as exc:
                row = exc.lineno
        result.problems.append(problem(file, fatal.code, fatal.message, row=row))
        return result

    def under(prefix: tuple[str, ...]) -> list[Issue]:
        return [
            Issue(x.path[len(prefix) :], x.code, x.message, x.value)
            for x in issues
            if x.path[: len(prefix)] == prefix and len(x.path) > len(prefix)
        ]

    if isinstance(doc, dict) and table is None:
        unknown = sorted(set(doc) - {"companies", "evidence"})
        if unknown:
            result.problems.append(
                problem(
                    file,
                    "unknown-key",
                    "a bundle has only 'companies' and 'evidence'",
                    pointer="/",
                    value=shorten(unknown),
                )
            )
        _top_issues(issues, file, result, depth=1)
        for key in ("companies", "evidence"):
            if key in doc:
                _records(doc[key], key, file, f"/{key}", under((key,)), result)  # type: ignore[arg-type]
        return result
    if isinstance(doc, dict) and table is not None and table in doc:
        _top_issues(issues, file, result, depth=1)
        _records(doc[table], table, file, f"/{table}", under((table,)), result)
        return result
    _top_issues(issues, file, result, depth=0)
    _records(doc, table or "evidence", file, "", issues, result)
    return result


def _top_issues(issues: list[Issue], file: str, result: ReadResult, depth: int) -> None:
    """Issues outside the records (e.g. a repeated ``evidence`` key) are file problems."""
    for x in issues:
        if len(x.path) <= depth:
            result.problems.append(
                problem(file, x.code, x.message, pointer="/" + "/".join(x.path), field=None)
            )
