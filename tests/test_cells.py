"""Safe cells: formula-injection neutralisation, redaction, hyperlinks."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from bhrscore.export.cells import (
    REDACTED,
    SheetWriter,
    clean_text,
    clean_text_series,
    csv_safe,
    formula_like_mask,
    is_formula_like,
    join_lists,
    list_array,
    make_format,
    names_pattern,
    redact,
    redact_frame,
    safe_url,
    safe_url_mask,
)

PAYLOADS = [
    '=HYPERLINK("http://x","click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "   =1+1",
    " \u00a0@A1",
    "\uff1d1+1",  # full-width equals sign
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_formula_like(payload: str) -> None:
    assert is_formula_like(payload)


@pytest.mark.parametrize("text", ["Workers struck", "a=b", "1-2", "", "e-mail: x@example.org"])
def test_ordinary_text_is_not_formula_like(text: str) -> None:
    assert not is_formula_like(text)


@given(st.text(alphabet=" ", max_size=3), st.sampled_from("=+-@"), st.text(max_size=20))
def test_trigger_after_spaces_is_always_caught(spaces: str, trigger: str, rest: str) -> None:
    assert is_formula_like(spaces + trigger + rest)


@given(st.text(max_size=50))
def test_vectorised_mask_agrees_with_scalar(text: str) -> None:
    series = pd.Series([text, None], dtype="string")
    assert formula_like_mask(series).tolist() == [is_formula_like(text), False]


@given(st.text(max_size=80))
def test_clean_text_keeps_only_xml_characters(text: str) -> None:
    cleaned = clean_text(text)
    assert all(c in "\t\n\r" or ord(c) >= 0x20 for c in cleaned)
    assert all(not 0xD800 <= ord(c) <= 0xDFFF for c in cleaned)
    assert "\r" not in cleaned
    # everything legal is kept, in order (line ends as LF)
    legal = "".join(
        c
        for c in text
        if (c in "\t\n\r" or ord(c) >= 0x20)
        and not 0xD800 <= ord(c) <= 0xDFFF
        and c not in "\ufffe\uffff"
    )
    assert cleaned == legal.replace("\r\n", "\n").replace("\r", "\n")
    assert clean_text_series(pd.Series([text], dtype="string")).iloc[0] == cleaned


def test_carriage_return_becomes_line_feed_and_stays_formula_like() -> None:
    assert clean_text("\r=1+1") == "\n=1+1"
    assert is_formula_like(clean_text("\r=1+1"))


def test_clean_text_caps_cell_length() -> None:
    assert len(clean_text("x" * 40_000)) == 32_767


def test_csv_safe_prefixes_an_apostrophe() -> None:
    assert csv_safe("=1+1") == "'=1+1"
    assert csv_safe("plain") == "plain"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/a?b=1", True),
        ("HTTP://example.org", True),
        ("javascript:alert(1)", False),
        ("file:///etc/passwd", False),
        ("mailto:a@example.org", False),
        ("https://example.org/a b", False),
        ('https://example.org/"onclick', False),
        ("https://example.org/" + "a" * 2100, False),
        (None, False),
    ],
)
def test_safe_url(url: str | None, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok


def test_redact_whole_words_case_insensitive_longest_first() -> None:
    text = "Anna Ivanova met ANNA and anna-maria; Annabel and Ivanov were not named."
    out = redact(text, ["Anna", "Anna Ivanova"])
    # "Anna Ivanova" goes as one name; "ANNA" and "anna" (before a hyphen) are whole words;
    # "Annabel" and "Ivanov" are other words and stay.
    assert out == (
        f"{REDACTED} met {REDACTED} and {REDACTED}-maria; Annabel and Ivanov were not named."
    )


def test_redact_escapes_regex_characters() -> None:
    assert redact("Dr. J. (Jo) Smith+ spoke", ["J. (Jo) Smith+"]) == f"Dr. {REDACTED} spoke"


def test_redact_frame_redacts_protected_names_in_every_row() -> None:
    # Jane Example is protected by row 0 (sensitive); rows 1 and 2 name her too.
    frame = pd.DataFrame(
        {
            "summary": pd.array(
                [
                    "Jane Example was fired",
                    "JANE  EXAMPLE spoke",  # not sensitive, double space
                    "met jane\u00a0example;\nJane\nExample",  # NBSP and line break
                    "Janeexample and Jane Examples stay",
                ],
                dtype="string",
            ),
            "source_title": pd.array(["x", None, "Interview: Jane Example", "y"], dtype="string"),
            "sensitive": pd.array([True, False, True, False], dtype="boolean"),
            "persons": [("Jane Example",), ("Jane Example", "Bob Public"), (), ()],
        }
    )
    out, records, cells = redact_frame(frame, ["summary", "source_title"])
    assert out["summary"].tolist() == [
        f"{REDACTED} was fired",
        f"{REDACTED} spoke",
        f"met {REDACTED};\n{REDACTED}",
        "Janeexample and Jane Examples stay",
    ]
    assert out["source_title"].tolist() == ["x", pd.NA, f"Interview: {REDACTED}", "y"]
    assert out["persons"].tolist() == [
        ("[redacted: 1 person]",),
        (REDACTED, "Bob Public"),  # a non-sensitive record naming a protected person
        (),
        (),
    ]
    # cells: summary rows 0-2, source_title row 2, persons rows 0 and 1
    assert (records, cells) == (3, 6)
    assert frame["summary"].iloc[0] == "Jane Example was fired"  # input untouched
    assert frame["persons"].iloc[1] == ("Jane Example", "Bob Public")


def test_redact_frame_without_protected_persons_returns_the_frame() -> None:
    frame = pd.DataFrame(
        {
            "summary": pd.array(["Jane Example spoke"], dtype="string"),
            "sensitive": pd.array([False], dtype="boolean"),
            "persons": [("Jane Example",)],
        }
    )
    out, records, cells = redact_frame(frame, ["summary"])
    assert out is frame
    assert (records, cells) == (0, 0)


def test_names_pattern_joins_name_parts_with_any_white_space() -> None:
    pattern = names_pattern(["Mukhtar Umbetov", "Anna"])
    assert pattern is not None
    assert pattern.sub("X", "mukhtar \u00a0 UMBETOV, Anna; Annabel") == "X, X; Annabel"
    assert names_pattern([" ", ""]) is None


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/" + "a" * (2_079 - 20), True),  # 2,079 code units
        ("https://example.org/" + "a" * (2_079 - 19), False),
        # 1,030 code points but 2,060 + 20 = 2,080 UTF-16 units: XlsxWriter refuses it
        ("https://example.org/" + "\U0001f600" * 1_030, False),
        ("https://example.org/" + "\U0001f600" * 1_029, True),  # 2,078 units
        ("https://example.org/" + "\U0001f600" * 1_100, False),
    ],
)
def test_url_length_is_counted_in_utf16_units(url: str, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok
    assert safe_url_mask(pd.Series([url, None], dtype="string")).tolist() == [ok, False]


def test_sheet_writer_link_writes_text_when_xlsxwriter_refuses(tmp_path: Path) -> None:
    path = tmp_path / "refused.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet("S")
    out = SheetWriter(workbook, ws)
    ws.write_url = lambda *args, **kwargs: -3
    assert out.link(0, 0, "https://example.org/x", None) is False
    workbook.close()
    cell = openpyxl.load_workbook(path)["S"]["A1"]
    assert cell.value == "https://example.org/x"
    assert cell.hyperlink is None


def test_join_lists_uses_one_rule_for_lists() -> None:
    series = pd.Series([("b", "a"), (), None, "plain", ["x"]], dtype=object)
    assert join_lists(series, "|").tolist() == ["b|a", pd.NA, pd.NA, "plain", "x"]
    assert join_lists(series, ", ", sort=True).iloc[0] == "a, b"


def _join_in_python(series: pd.Series, sep: str) -> pd.Series:
    """The per-row rule join_lists implements (the reference for its pyarrow path)."""

    def join(value: object) -> object:
        if isinstance(value, tuple | list):
            return sep.join(str(v) for v in value) or pd.NA
        return value

    text = series.map(join, na_action="ignore").astype("string")
    return text.mask(text == "")


@pytest.mark.parametrize(
    "values",
    [
        # list cells of strings (the pyarrow path): non-ASCII, separators inside ids, empty
        # lists and lists of one empty string are missing, as are None, NaN and NA
        [("Zürich-1", "a, b"), (), None, ("",), ("é",), float("nan"), pd.NA, ["x", "y"]],
        ["plain", None, "", "ü"],  # plain strings
        [("a",), None],
        # the Python path: strings mixed with lists, other element types, None inside a list
        [("a",), "b"],
        [("a",), (1, 2)],
        [("a", None)],
        [(), ()],
        [None, None],
        [],
    ],
)
def test_join_lists_pyarrow_path_agrees_with_the_python_rule(values: list[object]) -> None:
    series = pd.Series(values, dtype=object, index=[2 * i for i in range(len(values))])
    got = join_lists(series, " | ")
    pd.testing.assert_series_equal(got, _join_in_python(series, " | "))


def test_join_lists_pyarrow_path_values() -> None:
    series = pd.Series([("Zürich", "b"), (), None, ("",)], dtype=object)
    assert list_array(series) is not None  # the vectorised path is the one taken
    assert join_lists(series, ", ").tolist() == ["Zürich, b", pd.NA, pd.NA, pd.NA]
    assert list_array(pd.Series([("a", None)], dtype=object)) is None  # Python: "a, None"
    assert join_lists(pd.Series([("a", None)], dtype=object)).tolist() == ["a, None"]


def test_sheet_writer_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "cells.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("S")
    out = SheetWriter(workbook, sheet)
    bold = make_format(workbook, {"bold": True})
    for i, payload in enumerate(PAYLOADS):
        out.text(i, 0, payload, bold)
        out.text(i, 1, "plain text")
    out.link(len(PAYLOADS), 0, "https://example.org/x", None)
    out.link(len(PAYLOADS), 1, "javascript:alert(1)", None)
    workbook.close()

    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml  # no formula anywhere
    ws = openpyxl.load_workbook(path)["S"]
    for i, payload in enumerate(PAYLOADS, start=1):
        cell = ws.cell(i, 1)
        assert cell.data_type == "s"
        assert cell.value == clean_text(payload)  # the text itself (a CR becomes a LF)
        assert cell.quotePrefix  # Excel/LibreOffice keep it text even when edited
        assert cell.font.b  # the requested format is kept on the quoted twin
        assert not ws.cell(i, 2).quotePrefix
    link_row = len(PAYLOADS) + 1
    assert ws.cell(link_row, 1).hyperlink.target == "https://example.org/x"
    assert ws.cell(link_row, 2).hyperlink is None
    assert ws.cell(link_row, 2).value == "javascript:alert(1)"


@given(
    values=st.lists(
        st.one_of(st.none(), st.text(st.sampled_from(list(',"\n\r;ab é\U0001f600\x00')))),
        min_size=1,
        max_size=60,
    ),
    start=st.integers(0, 5),
)
def test_ascii_contains_mask_finds_what_a_regex_finds(values: list[str | None], start: int) -> None:
    from bhrscore.export.cells import ascii_contains_mask

    chars = ',"\n\r'
    for storage in ("pyarrow", "python"):
        series = pd.Series(values, dtype=pd.StringDtype(storage)).iloc[start:]  # a slice too
        expected = [isinstance(v, str) and any(c in v for c in chars) for v in series.tolist()]
        assert ascii_contains_mask(series, chars).tolist() == expected, storage


@pytest.mark.parametrize("scan", [1, 3, 7, 1 << 24])
def test_rows_holding_finds_the_entries_with_a_marked_byte_in_any_slicing(
    monkeypatch: pytest.MonkeyPatch, scan: int
) -> None:
    """Entries holding a marked byte, the same whatever the slice size (a byte at a slice's
    edge, entries spanning slices, empty entries, an array that is a slice of a larger one:
    offsets not starting at 0)."""
    import numpy as np
    import pyarrow as pa

    from bhrscore.export import cells

    monkeypatch.setattr(cells, "_SCAN_BYTES", scan)
    words = ["skip", "a%b", "", "plain", "50%", "%", "no", "long text with % in the end %"]
    arr = pa.array(words, type=pa.large_string()).slice(1)  # offsets start at len("skip")
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)
    rows = cells.rows_holding(offsets, data, lambda part: part == ord("%"))
    expected = [i for i, w in enumerate(words[1:]) if "%" in w]  # [0, 3, 4, 6]
    assert rows.tolist() == expected
    assert cells.rows_holding(offsets, data, lambda part: part == ord("#")).tolist() == []
