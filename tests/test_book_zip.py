"""The workbook's zip. Worksheet rows zipped straight from XlsxWriter's row data file
(``book.SPLICE_ROWS``) make the very bytes of XlsxWriter's own copy; rows deflated in pieces
on a thread as they are rendered (``book.DEFLATE_ROWS``) make the same XML in every member,
with the right checksums and sizes, and the same bytes on every run. No row data file is
left behind, also when zipping fails."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
import zlib
from pathlib import Path

import pandas as pd
import pytest

from bhrscore.export import book
from bhrscore.export.book import Sheet, Table, TableColumn, crc32_combine, render
from bhrscore.export.briefing import write_briefing

from .test_briefing import make_card, make_evidence

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
CREATED = dt.datetime(2026, 1, 1)
MODES = {"copy": (False, False), "splice": (True, False), "deflate": (True, True)}


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
        Sheet("Title", "Nothing but a title", []),
        Sheet("Note", "Notes", ["only a note"]),
    ]


def _render(
    sheets: list[Sheet], folder: Path, mode: str, mp: pytest.MonkeyPatch, *, bulk: bool = True
) -> bytes:
    folder.mkdir()
    path = folder / "w.xlsx"
    with mp.context() as m:
        m.setattr(book, "SPLICE_ROWS", MODES[mode][0])
        m.setattr(book, "DEFLATE_ROWS", MODES[mode][1])
        if not bulk:
            m.setattr(book, "BULK_MIN_ROWS", 10**9)
        render(sheets, path, created=CREATED, tmpdir=folder)
    # nothing but the workbook is left in the directory of the temporary files
    assert [p.name for p in folder.iterdir()] == ["w.xlsx"]
    return path.read_bytes()


def _members(path: Path) -> dict[str, tuple[bytes, tuple[object, ...]]]:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None  # every member's CRC-32 checks
        return {
            i.filename: (zf.read(i), (i.date_time, i.external_attr, i.compress_type, i.file_size))
            for i in zf.infolist()
        }


@pytest.mark.parametrize("rows", [0, 1, 3, 2_000])
def test_spliced_and_deflated_rows_make_the_same_xml(
    rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small pieces and reads: rows spliced across several reads, deflated in many pieces
    monkeypatch.setattr(book, "_SPLICE_CHUNK", 1000)
    monkeypatch.setattr(book, "_PIECE", 777)
    monkeypatch.setattr(book, "_PIECES_AHEAD", 2)
    made = {mode: _render(_sheets(rows), tmp_path / mode, mode, monkeypatch) for mode in MODES}
    assert made["splice"] == made["copy"]  # byte for byte
    copied = _members(tmp_path / "copy" / "w.xlsx")
    assert _members(tmp_path / "deflate" / "w.xlsx") == copied
    xml = copied["xl/worksheets/sheet1.xml"][0].decode()
    assert xml.count("<row ") == rows + 3  # title, note, header
    assert xml.count("<hyperlink ") == rows
    # deflated: the same bytes again, and whether the rows were written in bulk or per cell
    assert _render(_sheets(rows), tmp_path / "again", "deflate", monkeypatch) == made["deflate"]
    per_cell = _render(_sheets(rows), tmp_path / "cells", "deflate", monkeypatch, bulk=False)
    assert per_cell == made["deflate"]


def test_a_whole_briefing_is_the_same_spliced_deflated_or_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card, evidence = make_card(), make_evidence()
    for mode, (splice, deflate) in MODES.items():
        monkeypatch.setattr(book, "SPLICE_ROWS", splice)
        monkeypatch.setattr(book, "DEFLATE_ROWS", deflate)
        write_briefing(card, tmp_path / f"{mode}.xlsx", evidence=evidence)
    copied = (tmp_path / "copy.xlsx").read_bytes()
    assert (tmp_path / "splice.xlsx").read_bytes() == copied
    assert _members(tmp_path / "deflate.xlsx") == _members(tmp_path / "copy.xlsx")


@pytest.mark.parametrize("mode", ["splice", "deflate"])
def test_no_row_data_is_left_when_zipping_fails(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = zipfile.ZipFile.open

    def failing(self: zipfile.ZipFile, name: object, mode: str = "r", **kw: object) -> object:
        member = name.filename if isinstance(name, zipfile.ZipInfo) else str(name)
        if mode == "w" and member == "xl/worksheets/sheet1.xml":
            raise OSError("disk full (simulated)")
        return opened(self, name, mode, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", failing)
    monkeypatch.setattr(book, "SPLICE_ROWS", MODES[mode][0])
    monkeypatch.setattr(book, "DEFLATE_ROWS", MODES[mode][1])
    with pytest.raises(Exception, match="disk full"):  # (XlsxWriter wraps it)
        render(_sheets(50), tmp_path / "w.xlsx", created=CREATED, tmpdir=tmp_path)
    # XlsxWriter leaves its other parts; no row data (the cells' XML) is left anywhere
    left = [p for p in tmp_path.rglob("*") if p.is_file() and b"<row " in p.read_bytes()]
    assert left == []


def test_crc32_combine_matches_zlib() -> None:
    rng = random.Random(7)
    for _ in range(200):
        a = rng.randbytes(rng.randrange(0, 300))
        b = rng.randbytes(rng.choice([0, 1, 2, 3, 5, 8, 255, 256, 1000, 4097]))
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    a, b = rng.randbytes(10), rng.randbytes(3_000_017)  # operators for 2**21 bytes and more
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
