"""Mutations of a valid evidence bundle, drawn with Hypothesis, for the fuzz suite.

Every mutation starts from the same small, valid, fictional bundle (``bhrscore.synthetic``)
and damages it the way hostile or careless input would: single bytes, whole structures
(keys, columns, records, sheets), values (wrong types, bad enums and dates, huge numbers,
deep nesting, long strings, NUL, terminal escapes, other Unicode forms) and encodings
(BOM, UTF-16, Latin-1, mixed, CRLF). The strategies only build bytes; the tests decide what
must hold for them.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

Draw = st.DataObject

# --- values -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """JSON text written as is (numbers Python cannot print, nesting, bare words)."""

    text: str


def nested(depth: int, open_: str = "[", close: str = "]") -> Raw:
    return Raw(open_ * depth + close * depth)


def deep_object(depth: int) -> Raw:
    return Raw('{"a": ' * depth + "1" + "}" * depth)


# Text a person could type or paste: each has broken some reader, writer or terminal before.
TEXTS: tuple[str, ...] = (
    "",
    " ",
    "\x00",
    "\x00=1+1",
    '=HYPERLINK("https://example.org")',
    "+1",
    "@SUM(A1)",
    "\x1b[31mred\x1b[0m \x1b]0;title\x07",
    "\r",
    "a\nb",
    "a\r\nb",
    '"',
    "a,b",
    ";",
    "\t",
    "\ufeff",
    "\u202etxt.exe",
    unicodedata.normalize("NFD", "José Núñez"),
    "İstanbul ǅ ß",
    "𝔉𝔦𝔠𝔱𝔦𝔬𝔫𝔞𝔩",
    "null",
    "true",
    "NaN",
    "-Infinity",
    "1e400",
    "-1",
    "0",
    "1.5",
    "9" * 30,
    "[]",
    "{}",
    "x" * 5000,
    "2024-02-30",
    "2024-13-01",
    "0000-00-00",
    "9999-12-31",
    "2024-1-1",
    "01/02/2024",
    "2024-01-01T25:61:00",
    "https://",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "ftp://example.org/x",
    "syn-c999999",
    "syn-e0000001",
    "KZ ",
    "kz",
    "XX",
    "verified",
    "VERIFIED",
    "rumoured",
    "living_wage",
    "union_leader",
    "screening",
    "unknown_kind",
)

# JSON values of every type, including ones a JSON writer would never produce.
JSON_VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    -(10**6),
    1.5,
    -0.0,
    10**18,
    Raw("9" * 19),
    Raw("9" * 5000),
    Raw("-" + "1" * 400),
    Raw("1e400"),
    Raw("1e-400"),
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    [],
    {},
    [None],
    {"a": 1},
    ["x", 1, None],
    nested(63),
    nested(64),
    nested(65),
    nested(1000),
    deep_object(70),
    Raw("[" * 300),  # never closed
    Raw('"\\ud800"'),  # half a surrogate pair: valid JSON, not Unicode
    Raw('"a\\udc00b"'),
    Raw('"\\ud83d\\ude00"'),  # a whole pair: one character
    Raw('"\\u0000=1+1"'),
    *TEXTS,
)

LONG_TEXT_CHARS = (1_000, 131_072, 131_073, 300_000)


def text_value(data: Draw) -> str:
    """A string: one of :data:`TEXTS`, a long run, or any Unicode text."""
    choice = data.draw(st.integers(0, 9))
    if choice < 6:
        return data.draw(st.sampled_from(TEXTS))
    if choice < 7:
        return "y" * data.draw(st.sampled_from(LONG_TEXT_CHARS))
    return data.draw(st.text(max_size=30))


def json_value(data: Draw) -> Any:
    if data.draw(st.booleans()):
        return data.draw(st.sampled_from(JSON_VALUES))
    return text_value(data)


# --- JSON with duplicate keys and raw tokens ---------------------------------------------------

Pairs = list[tuple[str, Any]]


class Obj(list[tuple[str, Any]]):
    """A JSON object as a list of key/value pairs, so that keys may repeat."""


def to_obj(value: Any) -> Any:
    if isinstance(value, dict):
        return Obj((k, to_obj(v)) for k, v in value.items())
    if isinstance(value, list):
        return [to_obj(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """JSON text of ``value`` (``Obj`` pairs in order, duplicates kept; ``Raw`` as is)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Obj):
        return "{" + ", ".join(json.dumps(k) + ": " + dumps(v) for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _containers(value: Any) -> list[Any]:
    """``value`` and every object or list inside it."""
    found = [value]
    children = [v for _k, v in value] if isinstance(value, Obj) else value
    for child in children:
        if isinstance(child, (Obj, list)):
            found += _containers(child)
    return found


def mutate_record(data: Draw, record: Any) -> Any:
    """One structural or value change somewhere in a record (or the record replaced)."""
    if not isinstance(record, Obj) or data.draw(st.integers(0, 19)) == 0:
        return json_value(data)
    target = data.draw(st.sampled_from(_containers(record)))
    op = data.draw(
        st.sampled_from(["set", "set", "set", "drop", "duplicate", "reorder", "add", "rename"])
    )
    if not isinstance(target, Obj):
        if not target or op == "add":
            target.append(json_value(data))
        elif op == "drop":
            del target[data.draw(st.integers(0, len(target) - 1))]
        elif op == "duplicate":
            target.append(target[data.draw(st.integers(0, len(target) - 1))])
        else:
            target[data.draw(st.integers(0, len(target) - 1))] = json_value(data)
        return record
    if not target or op == "add":
        target.append(
            (data.draw(st.sampled_from(["extra", "tags", "id", "", "kind"])), json_value(data))
        )
        return record
    i = data.draw(st.integers(0, len(target) - 1))
    key, value = target[i]
    if op == "set":
        target[i] = (key, json_value(data))
    elif op == "drop":
        del target[i]
    elif op == "duplicate":  # the second value may differ: the silent-overwrite case
        target.append((key, json_value(data) if data.draw(st.booleans()) else value))
    elif op == "reorder":
        target[:] = data.draw(st.permutations(list(target)))
    else:
        target[i] = (data.draw(st.sampled_from(["Id", " id", "id ", "ID", "summary\x00"])), value)
    return record


def mutate_records(data: Draw, records: list[Any], max_ops: int = 4) -> list[Any]:
    """Several record-level changes: values and keys, or whole records dropped, repeated,
    moved or replaced."""
    records = [to_obj(r) for r in records]
    for _ in range(data.draw(st.integers(1, max_ops))):
        if not records:
            records.append(json_value(data))
            continue
        i = data.draw(st.integers(0, len(records) - 1))
        op = data.draw(st.integers(0, 9))
        if op == 0:
            del records[i]
        elif op == 1:
            records.insert(data.draw(st.integers(0, len(records))), records[i])
        elif op == 2:
            records[i], records[-1] = records[-1], records[i]
        else:
            records[i] = mutate_record(data, records[i])
    return records


# --- CSV tables --------------------------------------------------------------------------------

Rows = list[list[Any]]


def parse_csv(text: str) -> Rows:
    return [list(r) for r in csv.reader(io.StringIO(text))]


def cell_value(data: Draw) -> Any:
    """A cell: text, or (for workbooks) a typed value."""
    choice = data.draw(st.integers(0, 9))
    if choice == 0:
        return data.draw(
            st.sampled_from([0, -1, 1.5, 10**30, True, False, None, float("inf"), float("nan")])
        )
    return text_value(data)


def mutate_rows(data: Draw, rows: Rows, max_ops: int = 4) -> Rows:
    """Column and row changes of a table whose first row is the header."""
    rows = [list(r) for r in rows]
    for _ in range(data.draw(st.integers(1, max_ops))):
        width = max(len(r) for r in rows) if rows else 0
        if not rows or not width:
            rows.append([cell_value(data)])
            continue
        r = data.draw(st.integers(0, len(rows) - 1))
        c = data.draw(st.integers(0, width - 1))
        op = data.draw(
            st.sampled_from(
                [
                    "cell", "cell", "cell", "header", "drop-col", "dup-col", "swap-cols",
                    "short-row", "long-row", "drop-row", "dup-row", "blank-row",
                ]
            )
        )  # fmt: skip
        if op == "cell" and c < len(rows[r]):
            rows[r][c] = cell_value(data)
        elif op == "header" and c < len(rows[0]):
            rows[0][c] = data.draw(
                st.sampled_from(["", "id", "ID", " kind", "sources.0.url", "sources.9.url", "x"])
            )
        elif op == "drop-col":
            rows = [row[:c] + row[c + 1 :] for row in rows]
        elif op == "dup-col":
            rows = [row[: c + 1] + row[c : c + 1] + row[c + 1 :] for row in rows]
        elif op == "swap-cols":
            d = data.draw(st.integers(0, width - 1))
            for row in rows:
                if c < len(row) and d < len(row):
                    row[c], row[d] = row[d], row[c]
        elif op == "short-row":
            rows[r] = rows[r][: data.draw(st.integers(0, len(rows[r])))]
        elif op == "long-row":
            rows[r] = rows[r] + [cell_value(data) for _ in range(data.draw(st.integers(1, 3)))]
        elif op == "drop-row":
            del rows[r]
        elif op == "dup-row":
            rows.insert(r, list(rows[r]))
        elif op == "blank-row":
            rows.insert(r, [] if data.draw(st.booleans()) else [""] * width)
    return rows


def csv_text(data: Draw, rows: Rows) -> str:
    """Rows as CSV: properly quoted, or with a different delimiter, or naively joined (so
    that commas and quotes inside values break the row)."""
    style = data.draw(st.sampled_from(["minimal", "minimal", "all", "semicolon", "naive"]))
    if style == "naive":
        return "".join(",".join(str(v) for v in row) + "\n" for row in rows)
    buf = io.StringIO()
    writer = csv.writer(
        buf,
        delimiter=";" if style == "semicolon" else ",",
        quoting=csv.QUOTE_ALL if style == "all" else csv.QUOTE_MINIMAL,
        lineterminator="\n",
    )
    writer.writerows([["" if v is None else str(v) for v in row] for row in rows])
    return buf.getvalue()


# --- encodings and bytes -----------------------------------------------------------------------


def encode(data: Draw, text: str) -> bytes:
    """Text as bytes in UTF-8 or an encoding a spreadsheet program might have chosen, with
    the line endings of another system."""
    ending = data.draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    if ending != "\n":
        text = text.replace("\n", ending)
    how = data.draw(
        st.sampled_from(
            ["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1",
             "cp1252", "mixed"]
        )
    )  # fmt: skip
    if how == "mixed":  # half UTF-8, half Latin-1: one file edited in two programs
        half = len(text) // 2
        return text[:half].encode("utf-8", "surrogatepass") + text[half:].encode(
            "latin-1", "replace"
        )
    return text.encode(how, "replace" if how in ("latin-1", "cp1252") else "surrogatepass")


INSERTS: tuple[bytes, ...] = (
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xef\xbb\xbf",
    b'"',
    b",",
    b"\n",
    b"\r",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"9" * 40,
    b"PK\x03\x04",
)


def mutate_bytes(data: Draw, blob: bytes, max_ops: int = 3) -> bytes:
    """Flip, insert, delete, duplicate bytes or truncate."""
    out = bytearray(blob)
    for _ in range(data.draw(st.integers(1, max_ops))):
        at = data.draw(st.integers(0, len(out)))
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat"]))
        if op == "flip" and at < len(out):
            out[at] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "insert":
            out[at:at] = data.draw(st.sampled_from(INSERTS) | st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del out[at : at + data.draw(st.integers(1, 64))]
        elif op == "truncate":
            del out[at:]
        elif op == "repeat":
            out[at:at] = out[at : at + data.draw(st.integers(1, 200))]
    return bytes(out)


# --- workbooks ---------------------------------------------------------------------------------


def workbook(data: Draw, sheets: dict[str, Rows]) -> bytes:
    """An .xlsx written by openpyxl with the sheets (possibly renamed, reordered, dropped or
    with an extra sheet). Cells openpyxl refuses to write (control characters) are written
    with those characters removed: the refusal is the writer's, not the reader's."""
    import openpyxl
    from openpyxl.utils.exceptions import IllegalCharacterError

    names = list(sheets)
    op = data.draw(st.sampled_from(["keep", "keep", "keep", "rename", "reverse", "drop", "extra"]))
    if op == "reverse":
        names.reverse()
    elif op == "drop":
        names.remove(data.draw(st.sampled_from(names)))
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if op == "extra":
        wb.create_sheet("Notes").append(["free text", "=1+1"])
    for name in names:
        title = name
        if op == "rename":
            title = data.draw(st.sampled_from([name.lower(), f" {name} ", name + "s", "Sheet1"]))
        ws = wb.create_sheet(title if title not in wb.sheetnames else title + "2")
        for row in sheets[name]:
            try:
                ws.append(row)
            except (IllegalCharacterError, ValueError, TypeError):
                ws.append([_printable(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return "".join(ch for ch in value if ch.isprintable() or ch in "\t\n\r")
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (int, float)) and abs(value) > 1e300:
        return str(value)
    return value


def mutate_zip_member(data: Draw, blob: bytes) -> bytes:
    """One part of the workbook damaged (its XML bytes mutated), the zip rebuilt intact."""
    src = zipfile.ZipFile(io.BytesIO(blob))
    names = src.namelist()
    target = data.draw(st.sampled_from(names))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for name in names:
            content = src.read(name)
            if name == target:
                content = mutate_bytes(data, content)
            out.writestr(name, content)
    return buf.getvalue()


# --- YAML rubrics ------------------------------------------------------------------------------

YAML_VALUES: tuple[str, ...] = (
    "",
    "~",
    "-1",
    "0",
    "1e400",
    ".nan",
    "9" * 5000,
    "[",
    "{",
    "}",
    "'",
    '"\\x00"',
    "*undefined",
    "&a [*a]",
    "!!python/object/apply:os.system ['true']",
    "!!binary AAAA",
    "yes",
    "2026-02-30",
    "[" * 100 + "]" * 100,
    "{a: " * 70 + "1" + "}" * 70,
    "[[], {}]",
    "x" * 200,
    "\t",
    "identity",
    "unknown_kind",
)


def mutate_yaml(data: Draw, text: str, max_ops: int = 3) -> str:
    """Line-level changes of a YAML file: values replaced, lines dropped, repeated, moved or
    re-indented."""
    lines = text.splitlines()
    for _ in range(data.draw(st.integers(1, max_ops))):
        if not lines:
            lines.append(data.draw(st.sampled_from(YAML_VALUES)))
            continue
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(
            st.sampled_from(["value", "value", "value", "drop", "dup", "move", "indent"])
        )
        line = lines[i]
        if op == "value":
            head, colon, _tail = line.partition(": ")
            new = data.draw(st.sampled_from(YAML_VALUES))
            lines[i] = f"{head}: {new}" if colon else line[: len(line) - len(line.lstrip())] + new
        elif op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, line)
        elif op == "move":
            lines.insert(data.draw(st.integers(0, len(lines))), lines.pop(i))
        else:
            lines[i] = " " * data.draw(st.integers(0, 9)) + line.lstrip()
    return "\n".join(lines) + "\n"
