"""Loaders for JSON, JSONL, CSV and XLSX, including broken files of every kind."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bhrscore.evidence.flat import flatten
from bhrscore.evidence.load import load_evidence
from bhrscore.evidence.read import Limits
from bhrscore.evidence.report import EvidenceValidationError
from tests.conftest import company, record, write_jsonl

HEADER = (
    "id,kind,company_id,date,country,summary,status,sources.0.url,sources.0.title,"
    "action,target_role"
)
ROW = (
    "{id},retaliation,acme,2024-01-05,KZ,Fictional dismissal,alleged,https://example.org/x,X,"
    "dismissal,union_leader"
)


def csv_bundle(
    tmp_path: Path, lines: list[str], header: str = HEADER, raw: bytes | None = None
) -> Path:
    (tmp_path / "companies.csv").write_text(
        "id,name,hq_country\nacme,Acme Fictional,NL\n", encoding="utf-8"
    )
    data = raw if raw is not None else ("\n".join([header, *lines]) + "\n").encode("utf-8")
    (tmp_path / "evidence.csv").write_bytes(data)
    return tmp_path


def lenient(*paths: Path, **kw: Any):  # type: ignore[no-untyped-def]
    return load_evidence(*paths, strict=False, **kw)


def assert_counts_add_up(ev: Any) -> None:
    r = ev.report
    for table in ("companies", "evidence"):
        assert r.valid[table] + r.rejected_count(table) == r.read[table]


def test_jsonl_bundle_loads(bundle: Any) -> None:
    ev = load_evidence(bundle(evidence=[record(id="a"), record("wage", id="b")]))
    assert [e.id for e in ev.evidence] == ["a", "b"]
    assert ev.report.read["evidence"] == 2
    assert ev.report.ok


def test_csv_three_bad_rows_give_exactly_three_problems(tmp_path: Path) -> None:
    lines = [
        ROW.format(id="ok1"),
        ROW.format(id="bad-date").replace("2024-01-05", "2024-02-30"),  # line 3
        ROW.format(id="ok2"),
        ROW.format(id="bad-status").replace("alleged", "rumoured"),  # line 5
        ROW.format(id="bad-action").replace(",dismissal,", ",fired,"),  # line 6
    ]
    ev = lenient(csv_bundle(tmp_path, lines))
    found = [(p.row, p.field) for p in ev.report.errors]
    assert found == [(3, "date"), (5, "status"), (6, "action")]
    assert [e.id for e in ev.evidence] == ["ok1", "ok2"]
    assert_counts_add_up(ev)
    with pytest.raises(EvidenceValidationError) as info:
        load_evidence(tmp_path)
    assert len(info.value.report.errors) == 3
    assert "evidence.csv:3" in str(info.value)


def test_csv_short_row_with_a_split_character_prints_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A row of the wrong width that ends in half a UTF-8 character: the problems are
    reported with their rows, and nothing reaches the terminal (pyarrow's handler of such a
    row cannot decode it and printed "Exception ignored ... Traceback")."""
    import sys

    unraisable: list[Any] = []
    previous = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        raw = ("\n".join([HEADER, ROW.format(id="ok1")]) + "\n").encode() + b"\xe9\n"
        raw += (ROW.format(id="ok2") + "\n").encode()
        ev = lenient(csv_bundle(tmp_path, [], raw=raw))
    finally:
        sys.unraisablehook = previous
    assert unraisable == []
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert [e.id for e in ev.evidence] == ["ok1", "ok2"]
    assert [p.row for p in ev.report.errors] == [3]
    assert_counts_add_up(ev)


def test_csv_lists_nested_and_indexed_columns(tmp_path: Path) -> None:
    header = (
        "id,kind,company_id,date,country,summary,status,sources.0.url,sources.0.title,"
        "sources.1.url,sources.1.title,statement_type,topics,company_response.status"
    )
    line = (
        "s1,statement,acme,2024-01-05,KZ,Fictional policy,verified,https://example.org/a,A,"
        "https://example.org/b,B,policy_commitment,living_wage| defenders ,responded"
    )
    ev = load_evidence(csv_bundle(tmp_path, [line], header=header))
    s = ev.evidence[0]
    assert [t.value for t in s.topics] == ["living_wage", "defenders"]  # type: ignore[attr-defined]
    assert [src.title for src in s.sources] == ["A", "B"]
    assert s.company_response is not None
    assert s.company_response.status.value == "responded"


def test_wrong_delimiter_is_named(tmp_path: Path) -> None:
    ev = lenient(
        csv_bundle(
            tmp_path, [ROW.format(id="a").replace(",", ";")], header=HEADER.replace(",", ";")
        )
    )
    [problem] = ev.report.errors
    assert problem.code == "delimiter"
    assert "';'" in problem.message


def test_missing_and_extra_columns(tmp_path: Path) -> None:
    header = HEADER.replace(",status", "") + ",colour"
    line = ROW.format(id="a").replace(",alleged", "") + ",red"
    line_empty_extra = ROW.format(id="b").replace(",alleged", "") + ","
    ev = lenient(csv_bundle(tmp_path, [line, line_empty_extra], header=header))
    codes = sorted((p.code, p.field) for p in ev.report.errors)
    assert codes == [("missing-column", "status"), ("unknown-column", "colour")]
    assert ev.report.read["evidence"] == 2
    assert ev.report.valid["evidence"] == 0
    assert_counts_add_up(ev)


def test_unknown_columns_can_be_allowed(tmp_path: Path) -> None:
    ev = lenient(
        csv_bundle(tmp_path, [ROW.format(id="a") + ",red"], header=HEADER + ",colour"),
        allow_unknown_fields=True,
    )
    assert ev.report.ok
    assert len(ev.evidence) == 1
    assert [p.code for p in ev.report.warnings] == ["unknown-column"]


def test_ragged_row(tmp_path: Path) -> None:
    ev = lenient(csv_bundle(tmp_path, [ROW.format(id="a") + ",extra,cells"]))
    [problem] = ev.report.errors
    assert problem.code == "ragged-row"
    assert problem.row == 2


def test_wrong_types_and_bad_dates(tmp_path: Path) -> None:
    header = HEADER.replace("action,target_role", "amount,currency,pay_period")
    line = (
        ROW.format(id="w")
        .replace("retaliation", "wage")
        .replace("dismissal,union_leader", "lots,KZT,month")
    )
    line = line.replace("2024-01-05", "05/01/2024")
    ev = lenient(csv_bundle(tmp_path, [line], header=header))
    assert sorted(p.field for p in ev.report.errors) == ["amount", "date"]
    assert {p.value for p in ev.report.errors} == {"lots", "05/01/2024"}


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    ev = lenient(csv_bundle(tmp_path, [], raw=b""))
    assert [p.code for p in ev.report.errors] == ["empty-file"]
    ev = lenient(csv_bundle(tmp_path, [], raw=(HEADER + "\n").encode()))
    assert ev.report.ok
    assert [p.code for p in ev.report.warnings] == ["no-rows"]


def test_utf8_bom_is_removed_with_a_warning(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + (HEADER + "\n" + ROW.format(id="a") + "\n").encode()
    ev = load_evidence(csv_bundle(tmp_path, [], raw=data))
    assert [e.id for e in ev.evidence] == ["a"]
    assert [p.code for p in ev.report.warnings] == ["bom"]


def test_utf16_is_refused_clearly(tmp_path: Path) -> None:
    data = (HEADER + "\n").encode("utf-16")
    ev = lenient(csv_bundle(tmp_path, [], raw=data))
    [problem] = ev.report.errors
    assert "UTF-16" in problem.message


def test_non_utf8_bytes_reject_only_their_row(tmp_path: Path) -> None:
    good = ROW.format(id="a").encode()
    bad = ROW.format(id="b").replace("Fictional", "Fictionél").encode("latin-1")
    data = HEADER.encode() + b"\n" + good + b"\n" + bad + b"\n"
    ev = lenient(csv_bundle(tmp_path, [], raw=data))
    [problem] = ev.report.errors
    assert (problem.row, problem.field, problem.code) == (3, "summary", "encoding")
    assert "0xE9" in problem.message
    assert [e.id for e in ev.evidence] == ["a"]


def test_bad_json_line_keeps_the_others(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "companies.jsonl", [company()])
    lines = [
        json.dumps(record(id="a")),
        '{"id": "b", "kind": ',
        json.dumps(record(id="c")),
        "[1, 2]",
    ]
    (tmp_path / "evidence.jsonl").write_text("\n".join(lines) + "\n")
    ev = lenient(tmp_path)
    assert [(p.row, p.code) for p in ev.report.errors] == [(2, "json-syntax"), (4, "not-an-object")]
    assert [e.id for e in ev.evidence] == ["a", "c"]
    assert_counts_add_up(ev)


def test_json_bundle_reports_json_pointers(tmp_path: Path) -> None:
    doc = {
        "companies": [company()],
        "evidence": [record(id="a"), record(id="b", status="rumoured")],
    }
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(doc))
    ev = lenient(path)
    [problem] = ev.report.errors
    assert problem.pointer == "/evidence/1/status"
    assert problem.where.endswith("#/evidence/1/status")


def test_json_syntax_error_has_line(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text('{"companies": [\n  {"id": "a",}\n]}')
    ev = lenient(path)
    [problem] = ev.report.errors
    assert problem.code == "json-syntax"
    assert problem.row == 2


def write_workbook(
    path: Path, companies: list[dict[str, Any]], evidence: list[dict[str, Any]]
) -> Path:
    wb = openpyxl.Workbook()
    for title, rows in (("Companies", companies), ("Evidence", evidence)):
        ws = wb.active if title == "Companies" else wb.create_sheet()
        ws.title = title
        flat = [flatten(r) for r in rows]
        header: list[str] = []
        for f in flat:
            header += [k for k in f if k not in header]
        ws.append(header)
        for f in flat:
            ws.append([f.get(h) for h in header])
    wb.save(path)
    return path


def test_xlsx_bundle_with_rows_and_columns(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "bundle.xlsx",
        [company()],
        [record(id="a"), record("wage", id="b", currency="KZD")],
    )
    ev = lenient(path)
    [problem] = ev.report.errors
    assert (problem.sheet, problem.row, problem.field) == ("Evidence", 3, "currency")
    assert problem.column is not None
    assert problem.where == f"{path}[Evidence]:3:{problem.column}"


def test_xlsx_typed_cells_are_accepted(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "bundle.xlsx", [company(id="123")], [record("wage", id="a", company_id="123")]
    )
    wb = openpyxl.load_workbook(path)
    ws = wb["Evidence"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("date") + 1, dt.datetime(2024, 2, 1))
    ws.cell(2, header.index("amount") + 1, 150000.0)
    wb["Companies"].cell(2, 1, 123)
    wb.save(path)
    ev = load_evidence(path)
    assert ev.evidence[0].date == dt.date(2024, 2, 1)
    assert ev.companies[0].id == "123"


def test_xlsx_formulas_are_never_evaluated(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "bundle.xlsx", [company()], [record(id="a"), record(id="b")])
    wb = openpyxl.load_workbook(path)
    ws = wb["Evidence"]
    header = [c.value for c in ws[1]]
    ws.cell(3, header.index("summary") + 1, '=HYPERLINK("http://x","click")')
    wb.save(path)
    ev = lenient(path)
    [problem] = ev.report.errors
    assert (problem.code, problem.row, problem.field) == ("formula", 3, "summary")
    assert [e.id for e in ev.evidence] == ["a"]


def test_xlsx_size_and_zip_limits(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "bundle.xlsx", [company()], [record()])
    ev = lenient(path, limits=Limits(max_file_bytes=100))
    assert [p.code for p in ev.report.errors] == ["unsafe-workbook"]
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * 5_000_000)
    ev = lenient(bomb)
    assert "zip bomb" in ev.report.errors[0].message
    not_zip = tmp_path / "fake.xlsx"
    not_zip.write_text("hello")
    assert "not a valid .xlsx" in lenient(not_zip).report.errors[0].message


def test_unrelated_files_in_a_bundle_are_reported_not_read(bundle: Any) -> None:
    path = bundle()
    (path / "notes.csv").write_text("a,b\n1,2\n")
    (path / "README.md").write_text("hello")
    ev = load_evidence(path)
    assert [(Path(p.file).name, p.code) for p in ev.report.warnings] == [
        ("notes.csv", "ignored-file")
    ]


def test_missing_path_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_evidence(tmp_path / "nope")
