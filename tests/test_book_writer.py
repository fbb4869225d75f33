"""BookWriter: sheets written in any order end up as tabs in the order given to close, with
everything that depends on a sheet's position (print titles, filters, frozen panes, charts
reading another sheet) on the right sheet."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from bhrscore.export.book import BookWriter, ChartSpec, Sheet, Table, TableColumn, render

CREATED = dt.datetime(2026, 1, 1)


def _sheet(name: str, rows: int, chart: ChartSpec | None = None) -> Sheet:
    labels = pd.Series([f"{name} row {i}" for i in range(rows)], dtype="string")
    values = pd.Series([float(10 * i) for i in range(rows)], dtype="Float64")
    table = Table(
        [
            TableColumn.from_series("Label", labels),
            TableColumn.from_series("Mean", values, "score"),
        ],
        title=f"{name} table",
        main=True,
        name=f"{name}-data",
    )
    return Sheet(name, f"Title of {name}", [f"a note on {name}", table], chart=chart)


def _sheets() -> list[Sheet]:
    chart = ChartSpec(
        title="Means", sheet="Gamma", table="Gamma-data", categories="Label", values="Mean"
    )
    return [_sheet("Alpha", 3, chart), _sheet("Beta", 5), _sheet("Gamma", 4)]


def test_sheets_added_out_of_order_become_tabs_in_the_order_closed(tmp_path: Path) -> None:
    alpha, beta, gamma = _sheets()
    path = tmp_path / "out.xlsx"
    with BookWriter(path, created=CREATED) as book:
        for sheet in (gamma, alpha, beta):  # written in another order than shown
            book.add(sheet)
        book.close([alpha, beta, gamma])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Alpha", "Beta", "Gamma"]
    for sheet in (alpha, beta, gamma):
        ws = wb[sheet.name]
        assert ws["A1"].value == f"Title of {sheet.name}"  # each tab holds its own cells
        rows = sheet.tables()[0].n_rows
        # title row, blank, note, blank, table title, header (row 6), then the rows
        assert ws.print_title_rows == "$6:$6"  # a defined name keyed by tab position
        assert ws.auto_filter.ref == f"A6:B{6 + rows}"
        assert ws.freeze_panes == "A7"
        assert ws.cell(6 + rows, 1).value == f"{sheet.name} row {rows - 1}"
    assert wb.active.title == "Alpha"  # the first tab is the one shown on opening


def test_the_same_workbook_whatever_order_the_sheets_are_written_in(tmp_path: Path) -> None:
    sheets = _sheets()
    render(sheets, tmp_path / "in_order.xlsx", created=CREATED)
    with BookWriter(tmp_path / "reversed.xlsx", created=CREATED) as book:
        for sheet in reversed(sheets):
            book.add(sheet)
        book.close(sheets)

    def parts(path: Path) -> dict[str, bytes]:
        with zipfile.ZipFile(path) as z:
            return {n: z.read(n) for n in z.namelist() if n != "xl/styles.xml"}

    # formats are numbered by first use, so only the style sheet may differ
    first, second = parts(tmp_path / "in_order.xlsx"), parts(tmp_path / "reversed.xlsx")
    assert first.keys() == second.keys()
    differing = [n for n in first if first[n] != second[n]]
    assert all(n.startswith("xl/worksheets/sheet") for n in differing), differing
    a, b = (
        openpyxl.load_workbook(tmp_path / "in_order.xlsx"),
        openpyxl.load_workbook(tmp_path / "reversed.xlsx"),
    )
    for name in a.sheetnames:
        assert [[c.value for c in r] for r in a[name].iter_rows()] == [
            [c.value for c in r] for r in b[name].iter_rows()
        ]


def test_a_chart_reads_a_sheet_added_after_its_own(tmp_path: Path) -> None:
    alpha, beta, gamma = _sheets()
    path = tmp_path / "chart.xlsx"
    with BookWriter(path, created=CREATED) as book:
        book.add(alpha)  # its chart reads Gamma, which is not written yet
        book.add(beta)
        book.add(gamma)
        book.close([alpha, beta, gamma])
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        xml = z.read(charts[0]).decode()
        # Gamma's 4 rows: header on row 6, data on rows 7-10
        assert "Gamma!$B$7:$B$10" in xml
        assert "Gamma!$A$7:$A$10" in xml
        drawing_rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        assert "drawing" in drawing_rels  # the chart is on the first tab, Alpha


def test_closing_with_sheets_that_were_not_added_is_an_error(tmp_path: Path) -> None:
    alpha, beta, gamma = _sheets()
    with BookWriter(tmp_path / "bad.xlsx", created=CREATED) as book:
        book.add(alpha)
        book.add(beta)
        with pytest.raises(ValueError, match="not \\['Alpha', 'Beta', 'Gamma'\\]"):
            book.close([alpha, beta, gamma])


def _fail_while_writing(book: BookWriter, sheet: Sheet) -> None:
    book.add(sheet)
    raise RuntimeError("fictional failure")


def test_an_error_while_writing_closes_the_workbook_and_is_raised(tmp_path: Path) -> None:
    alpha, *_ = _sheets()
    book = BookWriter(tmp_path / "failed.xlsx", created=CREATED)
    with pytest.raises(RuntimeError, match="fictional failure"), book:  # raised through it
        _fail_while_writing(book, alpha)
    assert book._closed  # closed quietly, so XlsxWriter's temporary files are released


def test_tabs_are_not_reordered_under_a_sheet_level_name(tmp_path: Path) -> None:
    alpha, beta, gamma = _sheets()
    book = BookWriter(tmp_path / "named.xlsx", created=CREATED)
    with book:
        book.add(beta)
        book.add(alpha)
        book.add(gamma)
        book._workbook.define_name("'Beta'!picked", "=Beta!$A$1")  # bound to position 0
        with pytest.raises(RuntimeError, match="sheet-level name"):
            book.close([alpha, beta, gamma])
