"""The bulk row writer produces exactly the bytes XlsxWriter's per-cell API produces, and the
two regex engines behind the vectorised cell checks agree.

``book._write_rows_bulk`` renders many rows of XML at once instead of calling XlsxWriter for
every cell; forcing ``BULK_MIN_ROWS`` above any table size gives the per-cell reference, so
every difference in escaping, styles, dimensions, hyperlinks or row attributes shows up as a
byte difference between the two workbooks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bhrscore.export import book, cells
from bhrscore.export.book import Sheet, Table, TableColumn, render
from bhrscore.export.briefing import write_briefing

from .test_briefing import make_card, make_evidence

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
CREATED = dt.datetime(2026, 1, 1)
RICH = '<r><t>a</t></r></is></c><c r="Z1"><f>1+1</f></c><c r="Z2" t="inlineStr"><is><r><t>b'
TRICKY = [
    "plain",
    "a & b < c > d",
    " leading",
    "trailing ",
    "two\nlines",
    "_x0041_ literal",
    "=1+1",
    "\u200b@cmd",
    "\x00=hidden",
    "\ufffe",
    "\U0001f600 emoji",
    "tab\there",
    "\u3000ideographic space",
    RICH,
    "x" * 20_000,
    "\U0001f600" * 17_000,  # 34,000 UTF-16 units: XlsxWriter truncates it
    "",
]
URLS = [
    "https://example.org/a",
    "http://example.org/b?q=1&r=<2>",
    "javascript:alert(1)",
    "=HYPERLINK(1)",
    "https://example.org/" + "\U0001f600" * 1_100,
    "  https://example.org/padded  ",
]


def _render(sheets: list[Sheet], path: Path, *, bulk: bool, mp: pytest.MonkeyPatch) -> bytes:
    with mp.context() as m:
        if not bulk:
            m.setattr(book, "BULK_MIN_ROWS", sys.maxsize)
        render(sheets, path, created=CREATED)
    return path.read_bytes()


def _both(sheets: list[Sheet], tmp: Path, mp: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    return (
        _render(sheets, tmp / "bulk.xlsx", bulk=True, mp=mp),
        _render(sheets, tmp / "cells.xlsx", bulk=False, mp=mp),
    )


def _table(rows: list[dict[str, Any]], *, title: str | None = None) -> Table:
    frame = pd.DataFrame(rows)
    return Table(
        [
            TableColumn.from_series("Text", frame["text"].astype("string")),
            TableColumn.from_series("Score", frame["score"], "score", scale="score"),
            TableColumn.from_series("Share", frame["share"], "percent", scale="coverage"),
            TableColumn.from_series("Date", frame["date"], "date"),
            TableColumn.from_series("Link", frame["link"].astype("string"), "link"),
            TableColumn.from_series("Count", frame["count"], "integer", scale="count"),
        ],
        title=title,
        main=title is None,
    )


row_strategy = st.fixed_dictionaries(
    {
        "text": st.one_of(st.none(), st.sampled_from(TRICKY), st.text(max_size=12)),
        "score": st.one_of(st.none(), st.floats(0, 100), st.sampled_from([0.1, 1 / 3, 1e-7])),
        "share": st.one_of(st.none(), st.floats(0, 1)),
        "date": st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1))),
        "link": st.one_of(st.none(), st.sampled_from(URLS)),
        "count": st.one_of(st.none(), st.integers(0, 10**9)),
    }
)


def _row(**values: Any) -> dict[str, Any]:
    return {"text": None, "score": None, "share": None, "date": None, "link": None, **values}


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.lists(row_strategy, min_size=1, max_size=12),
    second=st.lists(row_strategy, min_size=0, max_size=12),
    chunk=st.integers(1, 5),
    short=st.booleans(),
)
# Found by hypothesis: the quote-prefixed format is shared by the text and link columns. Its
# first cell is the link column's "=HYPERLINK(1)" (not a safe URL, so quote-prefixed text) in
# the second row, left of the count 0 that first uses the integer format; the bulk writer
# took the text column's "=1+1" one row later as its first use and numbered the integer
# format first (styles s="5" and s="6" swapped).
@example(
    first=[_row(count=None)],
    second=[
        _row(count=None),
        _row(link="=HYPERLINK(1)", count=0),
        _row(text="=1+1", count=None),
        _row(count=0),
    ],
    chunk=3,
    short=True,
)
def test_bulk_rows_are_byte_identical_to_xlsxwriter(
    first: list[dict[str, Any]],
    second: list[dict[str, Any]],
    chunk: int,
    short: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(book, "BULK_CHUNK_ROWS", chunk)  # many chunks, too
    if not short:  # text columns converted as long ones are (with arrays for the bulk writer)
        monkeypatch.setattr(book, "SMALL_COLUMN", 0)
    blocks: list[str | Table] = ["A note", _table(first)]
    if second:
        blocks.append(_table(second, title="Second table"))
    sheets = [Sheet("Data", "Title & <more>", blocks), Sheet("Other", "Other", [_table(first)])]
    bulk, cells_ = _both(sheets, tmp_path, monkeypatch)
    assert bulk == cells_


def test_link_limit_and_chunks_match(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a small link limit stands for Excel's 65,530: links past it become text in both paths
    monkeypatch.setattr(book, "MAX_URLS_PER_SHEET", 7)
    monkeypatch.setattr(book, "BULK_CHUNK_ROWS", 4)
    rows = [
        {
            "text": f"row {i}",
            "score": float(i),
            "share": None,
            "date": None,
            "link": URLS[i % len(URLS)],
            "count": i,
        }
        for i in range(30)
    ]
    sheets = [Sheet("Links", "Links", [_table(rows), _table(rows, title="again")])]
    bulk, cells_ = _both(sheets, tmp_path, monkeypatch)
    assert bulk == cells_
    ws = openpyxl.load_workbook(tmp_path / "bulk.xlsx")["Links"]
    assert sum(1 for row in ws.iter_rows() for c in row if c.hyperlink is not None) == 7


def test_a_whole_briefing_is_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card, evidence = make_card(), make_evidence()
    write_briefing(card, tmp_path / "bulk.xlsx", evidence=evidence)
    monkeypatch.setattr(book, "BULK_MIN_ROWS", sys.maxsize)
    write_briefing(card, tmp_path / "cells.xlsx", evidence=evidence)
    assert (tmp_path / "bulk.xlsx").read_bytes() == (tmp_path / "cells.xlsx").read_bytes()


@pytest.mark.parametrize("rows", [1, 5])
def test_text_shaped_like_a_rich_string_stays_text(tmp_path: Path, rows: int) -> None:
    # XlsxWriter copies "<r>...</r>" text into the XML unescaped; a cell closing itself and
    # adding a formula cell must come back as the text it was, with no formula anywhere
    column = TableColumn.from_series("x", pd.Series([RICH + "</t></r>"] * rows, dtype="string"))
    path = tmp_path / "rich.xlsx"
    render(
        [Sheet("S", RICH + "</t></r>", [RICH + "</t></r>", Table([column])])], path, created=CREATED
    )
    with zipfile.ZipFile(path) as zf:
        assert "<f>" not in zf.read("xl/worksheets/sheet1.xml").decode()
    ws = openpyxl.load_workbook(path)["S"]
    texts = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert texts == [RICH + "</t></r>"] * 2 + ["x"] + [RICH + "</t></r>"] * rows


# --- the two regex engines agree -------------------------------------------------------------


PATTERNS = {"formula": True, "url": True, "illegal": False, "not_simple": False}


def _masks(values: list[str], name: str) -> tuple[list[bool], list[bool]]:
    arrow = pd.Series(values, dtype=pd.StringDtype("pyarrow"))
    python = pd.Series(values, dtype=pd.StringDtype("python"))
    anchored = PATTERNS[name]
    return (
        cells._regex_mask(arrow, name, anchored=anchored).tolist(),
        cells._regex_mask(python, name, anchored=anchored).tolist(),
    )


@pytest.mark.parametrize("name", list(PATTERNS))
def test_engines_agree_on_every_code_point(name: str) -> None:
    # every character of the Basic Multilingual Plane (all the sets are there) and a sample
    # beyond it, in the position each pattern looks at
    codes = [*range(0xD800), *range(0xE000, 0x10000), *range(0x10000, sys.maxunicode + 1, 251)]
    points = [chr(c) for c in codes]
    values = {
        "formula": [c + "=1" for c in points],
        "url": ["https://a" + c + "b" for c in points],
        "illegal": ["a" + c for c in points],
        "not_simple": [*points, *("a" + c + "b" for c in points)],
    }[name]
    arrow, python = _masks(values, name)
    differ = [repr(v) for v, a, p in zip(values, arrow, python, strict=True) if a != p]
    assert differ == []


alphabet = st.sampled_from(list("=+-@ \t\r\n\x00\x1f\x7f\u200b\ufeff\u3000&<>_xX0aAhtps:/\"'"))


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.text(alphabet, max_size=10), min_size=1, max_size=40))
def test_engines_agree_on_mixed_text(values: list[str]) -> None:
    # repeated past cells._PREFILTER_MIN_ROWS, the arrow path scans the bytes first and runs
    # the regex only on the entries that may match (an "_x" across two entries included)
    long = values * (cells._PREFILTER_MIN_ROWS // len(values) + 1)
    for name in PATTERNS:
        arrow, python = _masks(values, name)
        assert arrow == python, name
        arrow, python = _masks(long, name)
        assert arrow == python, name


def test_number_texts_in_pyarrow_match_python_formatting() -> None:
    """The bulk writer formats each distinct number once and joins the cells in pyarrow: the
    texts are Python's ``.16G`` (what XlsxWriter writes), -0.0 kept apart from 0.0."""
    values: list[Any] = [0.1 + 0.2, -0.0, 0.0, None, 1e-05, 1e16, 123.5, float("nan"), 7, 0.1]
    values += [2.5] * 3
    got = book._number_array(values).to_pylist()
    assert got == [None if v is None else format(v, ".16G") for v in values]
    assert got[:3] == ["0.3", "-0", "0"]
    assert bytes(cells.utf8_bytes(book._cat("<", book._number_array([1.0, 2.0]), ">"))) == (
        b"<1><2>"
    )


def test_numbers_formatted_together_are_each_formatted_as_format_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """_number_texts formats the new numbers in one "%" call: each text is format(v, ".16G"),
    for any bit pattern (NaN, infinities, subnormals, -0.0, huge and tiny numbers), also when
    some were formatted before."""
    import numpy as np

    rng = np.random.default_rng(7)
    bits = np.unique(rng.integers(-(2**63), 2**63 - 1, 5_000, dtype=np.int64))
    extra = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e16, 1e-5, 5e-324, 1 / 3])
    bits = np.unique(np.concatenate([bits, extra.view(np.int64)]))
    monkeypatch.setattr(book, "_FORMAT_AT_ONCE", 333)  # (several calls of "%")
    book._NUMBER_TEXTS.clear()
    half = book._number_texts(bits[::2])  # (cached, then mixed with new ones)
    texts = book._number_texts(bits)
    assert texts == [format(v, ".16G") for v in bits.view(np.float64).tolist()]
    assert half == texts[::2]
    book._NUMBER_TEXTS.clear()


def test_row_xml_is_appended_as_bytes_or_as_text_in_order(tmp_path: Path) -> None:
    """The rendered rows go to XlsxWriter's UTF-8 row-data file after what it wrote as text
    (bytes through the text file's buffer, or text where the file is not a UTF-8 text file)."""
    import io

    data = memoryview("<t>é\n</t>".encode())
    path = tmp_path / "rows.xml"
    with path.open("w+", encoding="utf-8") as fh:
        fh.write("<a/>")
        book._write_utf8(fh, data)
        fh.write("<b/>")
    assert path.read_bytes() == "<a/><t>é\n</t><b/>".encode()
    text = io.StringIO()
    text.write("<a/>")
    book._write_utf8(text, data)
    assert text.getvalue() == "<a/><t>é\n</t>"


def test_repeated_values_share_one_object_and_convert_as_before() -> None:
    """A column that repeats its values holds one Python object per distinct value (memory at
    10,000 companies); the values are those of the plain conversion, -0.0 and missing
    values included."""
    import math

    import numpy as np
    import pandas as pd

    from bhrscore.export.book import _float_list, _object_list

    text = pd.Series(["co-a", "co-b", None, "co-a", "co-a", "co-b"], dtype="string")
    shared = _object_list(text)
    assert shared == ["co-a", "co-b", None, "co-a", "co-a", "co-b"]
    assert shared[0] is shared[3] is shared[4]
    unique = pd.Series(["x", "y", None], dtype="string")
    assert _object_list(unique) == ["x", "y", None]

    data = np.array([50.0, -0.0, 50.0, 0.0, 50.0, -0.0, float("nan"), 50.0, 50.0, 50.0])
    floats = _float_list(data)
    assert floats[:6] == [50.0, -0.0, 50.0, 0.0, 50.0, -0.0]
    assert [math.copysign(1, v) for v in floats[:6]] == [1, -1, 1, 1, 1, -1]
    assert math.isnan(floats[6])
    assert floats[0] is floats[2] is floats[7]
    assert all(type(v) is float for v in floats)
    assert _float_list(np.array([1.5, 2.5])) == [1.5, 2.5]


def _without_arrays(sheets: list[Sheet]) -> list[Sheet]:
    """The same sheets with columns that carry no arrays (the bulk writer converts values)."""
    out = []
    for sheet in sheets:
        blocks: list[Any] = [
            Table(
                [dataclasses.replace(c, arrays=None) for c in b.columns],
                title=b.title,
                main=b.main,
                muted=b.muted,
                levels=b.levels,
            )
            if isinstance(b, Table)
            else b
            for b in sheet.blocks
        ]
        out.append(Sheet(sheet.name, sheet.title, blocks))
    return out


def test_columns_written_from_their_arrays_match_their_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(book, "BULK_CHUNK_ROWS", 7)
    n = 300  # longer than SMALL_COLUMN: text converted vectorised, distinct and repeated
    texts = [TRICKY[i % 14] if i % 5 else None for i in range(n)]
    frame = pd.DataFrame(
        {
            "distinct": pd.array([f"{t} {i}" if t else None for i, t in enumerate(texts)]),
            "repeated": pd.array(texts, dtype="string"),
            "score": [None if i % 4 == 0 else i / 7 for i in range(n)],
            "zero": [-0.0 if i % 3 else float("inf") for i in range(n)],
            "date": [dt.date(2020, 1, 1 + i % 28) if i % 6 else None for i in range(n)],
            "link": [URLS[i % len(URLS)] if i % 7 else None for i in range(n)],
        }
    )
    notes = pd.Series(["unknown" if i % 8 == 0 else None for i in range(n)], dtype="string")
    matrix = TableColumn.number_columns(
        ["M1", "M2"], pd.concat([frame["score"], frame["zero"]]), "score", notes=None
    )
    columns = [
        TableColumn.from_series("Distinct", frame["distinct"], width=30),
        TableColumn.from_series("Repeated", frame["repeated"]),
        TableColumn.from_series("Score", frame["score"], "score", notes=notes, scale="score"),
        TableColumn.from_series("Zero", frame["zero"], "number"),
        TableColumn.from_series("Date", frame["date"], "date"),
        TableColumn.from_series("Link", frame["link"].astype("string"), "link"),
        *matrix,
    ]
    assert all(c.arrays is not None and c.arrays.valid_for(c.values) for c in columns)
    # a column given other values is written from them, not from the arrays made before
    empty = dataclasses.replace(columns[1], values=[None] * n)
    assert empty.arrays is not None
    assert not empty.arrays.valid_for(empty.values)
    sheets = [Sheet("Data", "Data", ["A note", Table(columns, main=True)])]
    sheets.append(Sheet("Empty", "Empty", [Table([empty, columns[0]])]))
    fast = _render(sheets, tmp_path / "fast.xlsx", bulk=True, mp=monkeypatch)
    plain = _render(_without_arrays(sheets), tmp_path / "plain.xlsx", bulk=True, mp=monkeypatch)
    cells_ = _render(sheets, tmp_path / "cells.xlsx", bulk=False, mp=monkeypatch)
    assert fast == plain == cells_
    ws = openpyxl.load_workbook(tmp_path / "fast.xlsx")["Data"]
    # row 5 is the header; row 6 the first value: "unknown" (a note), row 7 1/7
    assert ws.cell(6, 3).value == "unknown"
    assert ws.cell(7, 3).value == pytest.approx(1 / 7)


def test_long_columns_keep_no_arrays_and_write_the_same_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(book, "ARRAYS_MAX_ROWS", 5)  # (100,000 by default)
    short = TableColumn.from_series("Short", pd.Series([1.5, None, 2.0]), "score")
    long = TableColumn.from_series("Long", pd.Series([float(i) for i in range(6)]), "score")
    assert short.arrays is not None
    assert long.arrays is None
    sheets = [Sheet("S", "S", [Table([long, dataclasses.replace(long, header="Again")])])]
    assert _render(sheets, tmp_path / "a.xlsx", bulk=True, mp=monkeypatch) == _render(
        sheets, tmp_path / "b.xlsx", bulk=False, mp=monkeypatch
    )
