"""CSV text written piece by piece, and with vectorised string operations for tables of
text and dates, is byte for byte what ``DataFrame.to_csv`` writes for the same sanitised
table."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bhrscore.export import tables
from bhrscore.export.tables import _csv_frame, csv_text

alphabet = st.sampled_from(list("ab ,\"\n\r\t;=+-@'|_\u00e9\U0001f600"))
cells = st.one_of(st.none(), st.text(alphabet, max_size=8))
dates = st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)))


def _reference(frame: pd.DataFrame) -> str:
    text: str = _csv_frame(frame, True).to_csv(index=False, lineterminator="\n")
    return text


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    n_text=st.integers(1, 3),
    with_date=st.booleans(),
    rows=st.integers(0, 12),
    chunk=st.integers(1, 5),
    storage=st.sampled_from(["python", "pyarrow", "pieces"]),
)
def test_text_tables_match_pandas(
    data: st.DataObject, n_text: int, with_date: bool, rows: int, chunk: int, storage: str
) -> None:
    columns = {
        f"c{i}": pd.array(data.draw(st.lists(cells, min_size=rows, max_size=rows)), dtype="string")
        for i in range(n_text)
    }
    if with_date:
        columns["when"] = pd.to_datetime(
            pd.Series(data.draw(st.lists(dates, min_size=rows, max_size=rows)), dtype=object)
        )
    frame = pd.DataFrame(columns)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tables, "CSV_CHUNK_ROWS", chunk)
        if storage != "pyarrow":  # each piece checked and quoted by pandas (not by columns)
            mp.setattr(tables, "_arrow_fields", lambda _frame, _sanitize: None)
        if storage == "python":  # the joining done without pyarrow
            mp.setattr(tables, "_arrow_strings", lambda _columns: False)
        assert csv_text(frame) == _reference(frame)
        # the file holds the same text as UTF-8 (pyarrow's bytes written as they are)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "t.csv"
            tables.write_table_file(frame, path)
            assert path.read_bytes() == _reference(frame).encode("utf-8")


def test_mixed_tables_are_written_by_pandas_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame(
        {
            "id": pd.array(["a", "=b", None, "c,d"], dtype="string"),
            "score": [1.5, None, 1 / 3, 100.0],
            "ids": [("x", "y"), (), None, ("=z",)],
            "at": pd.to_datetime(
                [dt.datetime(2024, 1, 1, 10, 30), None, dt.datetime(2024, 1, 2), None]
            ),
        }
    )
    monkeypatch.setattr(tables, "CSV_CHUNK_ROWS", 3)
    assert csv_text(frame) == _reference(frame)
    # formula-like text and list items are sanitised as before: "'=b", "x|y", "'=z"
    assert csv_text(frame).splitlines()[2].startswith("'=b,")


@pytest.mark.parametrize("values", [["", None, "x"], [None], []])
def test_a_single_text_column_keeps_empty_rows_visible(values: list[str | None]) -> None:
    frame = pd.DataFrame({"only": pd.array(values, dtype="string")})
    assert csv_text(frame) == _reference(frame)


def test_text_columns_of_several_arrow_chunks_give_the_bytes_of_to_csv() -> None:
    """Loaded or concatenated columns may hold several Arrow chunks; the vectorised writer
    combines them (it read one chunk's buffers before, and failed)."""
    import pyarrow as pa

    chunks = pa.chunked_array([pa.array(["a", "x,y", None]), pa.array(['say "hi"', "=1+2"])])
    col = pd.Series(pd.arrays.ArrowStringArray(chunks))
    frame = pd.DataFrame({"c1": col, "c2": col})
    plain = frame.astype(object)
    assert csv_text(frame, sanitize=False) == plain.to_csv(index=False, lineterminator="\n")
    assert csv_text(frame) == csv_text(plain)  # formula-like text neutralised alike


def test_utf8_bytes_is_the_strings_end_to_end() -> None:
    import pyarrow as pa

    from bhrscore.export.cells import utf8_bytes

    kind = pa.large_string()
    assert bytes(utf8_bytes(pa.array(["ab", "", "cé"], kind))) == "abcé".encode()
    assert bytes(utf8_bytes(pa.array(["ab", "cd", "ef"], kind).slice(1, 1))) == b"cd"
    assert bytes(utf8_bytes(pa.array([], kind))) == b""
    assert bytes(utf8_bytes(pa.array(["", ""], kind))) == b""


def test_text_and_date_tables_are_checked_by_columns_with_the_bytes_of_to_csv(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = pd.DataFrame(
        {
            "id": pd.array(["=1+1", 'say "hi", ok', None, "", "-x\ny", "plain"], dtype="string"),
            "note": pd.array(["a", None, "@b", "c,d", '"q"', "e"], dtype="string"),
            "when": pd.to_datetime([dt.date(2024, 1, 2), None, dt.date(1999, 12, 31)] * 2),
        }
    )
    monkeypatch.setattr(tables, "CSV_CHUNK_ROWS", 4)
    assert tables._arrow_fields(frame, True) is not None  # the column-wise path is taken
    assert csv_text(frame) == _reference(frame)
    assert csv_text(frame, sanitize=False) == _csv_frame(frame, False).to_csv(
        index=False, lineterminator="\n"
    )
    # formula-like text prefixed, then quoted where csv quotes: "'-x\ny" in quotes
    assert csv_text(frame).split("\n")[1] == "'=1+1,a,2024-01-02"
    # a number column, or dates with times of day, leave it to the pieces made by pandas
    assert tables._arrow_fields(frame.assign(n=[1.0] * 6), True) is None
    timed = frame.assign(when=pd.to_datetime([dt.datetime(2024, 1, 2, 10, 30)] * 6))
    assert tables._arrow_fields(timed, True) is None
