"""The workbook's zip: worksheets whose rows are zipped straight from XlsxWriter's row data
file (``book.SPLICE_ROWS``) come out byte for byte as XlsxWriter's own copy makes them, and no
row data file is left behind, also when zipping fails."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from bhrscore.export import book
from bhrscore.export.book import Sheet, Table, TableColumn, render
from bhrscore.export.briefing import write_briefing

from .test_briefing import make_card, make_evidence

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
CREATED = dt.datetime(2026, 1, 1)


def _sheets(rows: int) -> list[Sheet]:
    text = pd.Series([f"Fictional Drilling {i} – é \U0001f600 & <x>" for i in range(rows)])
    links = pd.Series([f"https://example.org/{i}" for i in range(rows)], dtype="string")
    table = Table(
        [
            TableColumn.from_series("Text", text.astype("string"), width=30),
            TableColumn.from_series("Score", pd.Series(range(rows), dtype="float64"), "score"),
            TableColumn.from_series("Link", links, "link"),
        ],
        main=True,
    )
    return [
        Sheet("Data", "Data", ["A note", table]),  # rows, then hyperlinks after them
        Sheet("Empty", "Nothing but a title", []),  # a title row only
        Sheet("Note", "Notes", ["only a note"]),
    ]


def _render(sheets: list[Sheet], path: Path, *, splice: bool, mp: pytest.MonkeyPatch) -> bytes:
    with mp.context() as m:
        m.setattr(book, "SPLICE_ROWS", splice)
        render(sheets, path, created=CREATED, tmpdir=path.parent)
    return path.read_bytes()


@pytest.mark.parametrize("rows", [0, 1, 3, 2_000])
def test_spliced_rows_make_the_same_bytes(
    rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a small chunk: rows spliced across several reads
    monkeypatch.setattr(book, "_SPLICE_CHUNK", 1000)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    spliced = _render(_sheets(rows), tmp_path / "a" / "w.xlsx", splice=True, mp=monkeypatch)
    copied = _render(_sheets(rows), tmp_path / "b" / "w.xlsx", splice=False, mp=monkeypatch)
    assert spliced == copied
    # nothing but the workbook is left in the directory of the temporary files
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["w.xlsx"]
    with zipfile.ZipFile(tmp_path / "a" / "w.xlsx") as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert xml.count("<row ") == rows + 3  # title, note, header
    assert xml.count("<hyperlink ") == rows


def test_a_whole_briefing_is_the_same_spliced_or_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card, evidence = make_card(), make_evidence()
    write_briefing(card, tmp_path / "spliced.xlsx", evidence=evidence)
    monkeypatch.setattr(book, "SPLICE_ROWS", False)
    write_briefing(card, tmp_path / "copied.xlsx", evidence=evidence)
    assert (tmp_path / "spliced.xlsx").read_bytes() == (tmp_path / "copied.xlsx").read_bytes()


def test_no_row_data_is_left_when_zipping_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = zipfile.ZipFile.open

    def failing(self: zipfile.ZipFile, name: object, mode: str = "r", **kw: object) -> object:
        member = name.filename if isinstance(name, zipfile.ZipInfo) else str(name)
        if mode == "w" and member == "xl/worksheets/sheet1.xml":
            raise OSError("disk full (simulated)")
        return opened(self, name, mode, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", failing)
    with pytest.raises(Exception, match="disk full"):
        render(_sheets(50), tmp_path / "w.xlsx", created=CREATED, tmpdir=tmp_path)
    # XlsxWriter leaves its other parts; no row data (the cells' XML) is left anywhere
    left = [p for p in tmp_path.rglob("*") if p.is_file() and b"<row " in p.read_bytes()]
    assert left == []
