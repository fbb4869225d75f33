"""The evidence-entry template: layout, dropdowns, hints, and the round trip through the loader."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bhrscore.cli import main
from bhrscore.evidence.flat import columns, expand
from bhrscore.evidence.load import load_evidence
from bhrscore.evidence.model import Company
from bhrscore.evidence.registry import evidence_kinds
from bhrscore.evidence.vocab import Status
from bhrscore.export.template import company_columns, evidence_columns, write_template

AS_OF = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "entry.xlsx"
    write_template(path)
    return path


def test_sheets_and_headers_follow_the_flat_layout(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == ["Companies", "Evidence", "Lists", "Help"]
    company_header = [c.value for c in wb["Companies"][1]]
    assert company_header == [c.name for c in company_columns()]
    assert set(company_header) == set(expand(columns(Company)))
    evidence_header = [c.value for c in wb["Evidence"][1]]
    every_kind = {n for m in evidence_kinds().values() for n in expand(columns(m))}
    assert set(evidence_header) == every_kind
    assert evidence_header[:2] == ["kind", "id"]
    assert evidence_header[-1].startswith("sources.1.")


def test_dropdowns_come_from_the_vocabularies(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    ws = wb["Evidence"]
    header = [c.value for c in ws[1]]
    letter = openpyxl.utils.get_column_letter(header.index("status") + 1)
    rules = [
        dv
        for dv in ws.data_validations.dataValidation
        if str(dv.sqref) == f"{letter}2:{letter}5001"
    ]
    assert len(rules) == 1
    rule = rules[0]
    assert rule.type == "list"
    sheet, cells = rule.formula1.split("!")
    assert sheet == "Lists"
    first, last = cells.replace("$", "").split(":")
    values = [c.value for c in wb["Lists"][f"{first}:{last}"] for c in c]
    assert values == [s.value for s in Status]
    assert "alleged" in (rule.prompt or "")  # the input hint lists the values
    assert ws[f"{letter}1"].comment is not None


def test_every_column_has_a_hint(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    for name in ("Companies", "Evidence"):
        ws = wb[name]
        for cell in ws[1]:
            assert cell.comment is not None, (name, cell.value)
            assert cell.comment.text.startswith(cell.value)


def test_examples_load_without_problems(template: Path) -> None:
    evidence = load_evidence(template, as_of=AS_OF)
    assert evidence.report.ok
    assert sorted(e.kind for e in evidence.evidence) == sorted(evidence_kinds())
    assert all(e.sources[0].url.startswith("https://example.org") for e in evidence.evidence)
    assert len(evidence.companies) == 2


def test_filled_template_round_trips(template: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(template)
    ws = wb["Evidence"]
    header = [c.value for c in ws[1]]
    row = {
        "kind": "union_dialogue",
        "id": "filled-1",
        "company_id": "example-holdings",
        "date": dt.date(2025, 5, 1),
        "country": "KZ",
        "summary": "Fictional: the union was recognised.",
        "status": "verified",
        "event": "recognition",
        "union.status": "independent",
        "sources.0.url": "https://example.org/filled",
        "sources.0.title": "Fictional filled source",
    }
    ws.append([row.get(h) for h in header])
    path = tmp_path / "filled.xlsx"
    wb.save(path)
    evidence = load_evidence(path, as_of=AS_OF)
    record = next(e for e in evidence.evidence if e.id == "filled-1")
    assert record.date == dt.date(2025, 5, 1)
    assert record.company_id == "example-holdings"


def test_bad_entries_are_reported_with_sheet_row_and_column(template: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(template)
    ws = wb["Evidence"]
    header = [c.value for c in ws[1]]
    letter = {h: openpyxl.utils.get_column_letter(i + 1) for i, h in enumerate(header)}
    bad = {
        "kind": "union_dialogue",
        "id": "bad-1",
        "company_id": "example-holdings",
        "date": dt.date(2025, 5, 1),
        "country": "KZ",
        "summary": "Fictional: a bad status.",
        "status": "rumoured",  # not in the Status vocabulary
        "event": "recognition",
        "sources.0.url": "https://example.org/bad",
        "sources.0.title": "Fictional source",
    }
    ws.append([bad.get(h) for h in header])
    bad_row = ws.max_row
    cws = wb["Companies"]
    cheader = [c.value for c in cws[1]]
    cws.append(
        [{"id": "bad-co", "name": "Bad Fictional Co", "hq_country": "XX"}.get(h) for h in cheader]
    )
    company_row = cws.max_row
    path = tmp_path / "bad.xlsx"
    wb.save(path)
    report = load_evidence(path, strict=False, as_of=AS_OF).report
    status = [p for p in report.errors if p.field == "status"]
    assert len(status) == 1
    assert (status[0].sheet, status[0].row, status[0].column) == (
        "Evidence",
        bad_row,
        letter["status"],
    )
    country = [p for p in report.errors if p.field == "hq_country"]
    assert len(country) == 1
    hq_letter = openpyxl.utils.get_column_letter(cheader.index("hq_country") + 1)
    assert (country[0].sheet, country[0].row, country[0].column) == (
        "Companies",
        company_row,
        hq_letter,
    )


def test_template_bytes_are_reproducible(template: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.xlsx"
    write_template(again)
    assert again.read_bytes() == template.read_bytes()


def test_template_command(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    with pytest.raises(SystemExit) as exit_info:
        main(["template", "--out", str(out)])
    assert exit_info.value.code in (0, None)
    assert openpyxl.load_workbook(out).sheetnames[:2] == ["Companies", "Evidence"]
    with pytest.raises(SystemExit) as exit_info:
        main(["template", "--out", str(tmp_path / "t.csv")])
    assert exit_info.value.code == 2


def test_columns_required_for_every_kind_are_marked(template: Path) -> None:
    cols = {c.name: c for c in evidence_columns()}
    assert cols["summary"].required == "yes"
    assert cols["event"].required == "for union_dialogue"
    assert cols["sources.0.url"].required == "yes"
    assert cols["sources.1.url"].required == "no"


def test_default_template_name_loads_as_a_bundle(tmp_path: Path) -> None:
    path = tmp_path / "evidence-template.xlsx"
    write_template(path)
    evidence = load_evidence(path, strict=False, as_of=AS_OF)
    assert evidence.report.ok
    assert len(evidence.companies) == 2


def _number_rule(wb: Any, column: str) -> Any:
    ws = wb["Evidence"]
    header = [c.value for c in ws[1]]
    letter = openpyxl.utils.get_column_letter(header.index(column) + 1)
    rules = [
        dv
        for dv in ws.data_validations.dataValidation
        if str(dv.sqref) == f"{letter}2:{letter}5001"
    ]
    assert len(rules) == 1, column
    return rules[0]


def test_number_rules_follow_the_model_constraints(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    # assessment.value is a plain float: 0 and negative values are valid evidence
    value = _number_rule(wb, "value")
    assert value.type == "decimal"
    assert value.operator in (None, "between")  # "between" is the default, left out
    assert float(value.formula1) < 0 < float(value.formula2)
    # wage.amount is PositiveFloat (gt=0)
    amount = _number_rule(wb, "amount")
    assert (amount.type, amount.operator, float(amount.formula1)) == ("decimal", "greaterThan", 0)
    # retaliation.targets is Field(ge=1)
    targets = _number_rule(wb, "targets")
    assert (targets.type, targets.operator, targets.formula1) == (
        "whole",
        "greaterThanOrEqual",
        "1",
    )
