"""Messages that teach: every problem of a row, "did you mean", plain wording, warnings for
a missing companies file and for template example rows, in JSON Lines, CSV and XLSX."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bhrscore import load_evidence
from bhrscore.evidence.flat import flatten
from bhrscore.evidence.report import MAX_VALUE_CHARS, EvidenceValidationError, Problem
from bhrscore.evidence.suggest import (
    close_matches,
    country_message,
    currency_message,
    field_hints,
    vocabulary_message,
)
from tests.conftest import company, record
from tests.conftest import run_cli as run

FORMATS = ["jsonl", "csv", "xlsx"]


def write_table(path: Path, rows: list[dict[str, Any]], sheet: str = "Evidence") -> Path:
    """Rows (nested dicts) as ``path`` in its format: JSON Lines as given; CSV and XLSX in
    the flat layout (``sources.0.url``), one header over the union of the rows' columns."""
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path
    flat = [flatten(r) for r in rows]
    header = list(dict.fromkeys(k for row in flat for k in row))
    cells = [[_cell(row.get(k)) for k in header] for row in flat]
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(cells)
        return path
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    ws.append(header)
    for row in cells:
        ws.append(row)
    book.save(path)
    return path


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "; ".join(map(str, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def bad_row() -> dict[str, Any]:
    """A retaliation record with four mistakes besides a misspelt column (``actoin``)."""
    row = record(id="e1", date="23/11/2026", status="Alleged", country="Kazakhstan")
    row["actoin"] = row.pop("action")
    return row


def load(path: Path, engine: str = "columnar") -> Any:
    return load_evidence(path, strict=False, engine=engine)  # type: ignore[arg-type]


def by_field(problems: list[Problem]) -> dict[str | None, Problem]:
    return {p.field: p for p in problems if p.severity == "error"}


# --- 1. every problem of a row, and "did you mean" ----------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_column_does_not_hide_the_rows_other_problems(tmp_path: Path, fmt: str) -> None:
    write_table(tmp_path / "companies.jsonl", [company()])
    write_table(tmp_path / f"evidence.{fmt}", [bad_row()])
    ev = load(tmp_path)
    found = by_field(ev.report.problems)
    # the misspelt column, named with the column it was meant to be
    assert "did you mean 'action'" in found["actoin"].message
    # ... and the row's four other problems, each in plain words
    assert found["date"].message == "expected a date as YYYY-MM-DD"
    assert found["date"].value == "23/11/2026"
    assert found["status"].message == "values are lower case: 'alleged'"
    assert found["status"].value == "Alleged"
    assert found["country"].message == (
        "not an ISO 3166-1 alpha-2 country code; did you mean 'KZ' (Kazakhstan)?"
    )
    assert found["action"].message == "required field is missing"
    assert ev.report.valid["evidence"] == 0
    assert ev.report.rejected_count("evidence") == 1
    # the record-by-record reference path words the same problems
    assert load(tmp_path, engine="records").report.problems == ev.report.problems


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_rows_with_only_an_unknown_column_wrong_are_rejected_once(tmp_path: Path, fmt: str) -> None:
    write_table(tmp_path / "companies.jsonl", [company()])
    good = record(id="e1")
    typo = record(id="e2")
    typo["actoin"] = "dismissal"  # the right column is filled too: only the typo is wrong
    write_table(tmp_path / f"evidence.{fmt}", [good, typo])
    ev = load(tmp_path)
    errors = [p for p in ev.report.problems if p.severity == "error"]
    assert [p.field for p in errors] == ["actoin"]
    assert [r.record["id"] for r in ev.report.rejected] == ["e2"]
    assert ev.report.valid["evidence"] == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_missing_column_is_not_repeated_as_a_missing_field(tmp_path: Path, fmt: str) -> None:
    write_table(tmp_path / "companies.jsonl", [company()])
    row = record(id="e1", date="13/01/2024")
    del row["summary"]  # a required column
    write_table(tmp_path / f"evidence.{fmt}", [row])
    problems = load(tmp_path).report.problems
    about_summary = [p for p in problems if p.field == "summary"]
    assert [p.code for p in about_summary] == ["missing-column"]
    assert by_field(problems)["date"].message == "expected a date as YYYY-MM-DD"


def test_misspelt_json_keys_kinds_and_values_get_suggestions(tmp_path: Path) -> None:
    write_table(tmp_path / "companies.jsonl", [company()])
    nested = record(id="e1", period={"strat": "2024-01-01", "end": "2024-01-02"})
    nested["sources"][0]["type"] = "New"
    kind = {"kind": "retaliaton", "id": "e2"}
    level = record(id="e3", reliability="hihg")
    write_table(tmp_path / "evidence.jsonl", [nested, kind, level])
    problems = load(tmp_path).report.problems
    found = {(p.row, p.field): p.message for p in problems}
    assert found[(1, "period.strat")] == (
        "is not a field of kind 'retaliation'; did you mean 'period.start'?"
    )
    assert found[(1, "sources.0.type")].startswith("not an allowed value; did you mean 'news'?")
    assert found[(2, "kind")].startswith("unknown evidence kind; did you mean 'retaliation'?")
    assert found[(3, "reliability")] == (
        "not an allowed value; did you mean 'high'? Allowed: high, medium, low"
    )


# --- 2. plain wording, values never in the message and never longer than ~60 characters ---


@pytest.mark.parametrize("fmt", FORMATS)
def test_long_values_are_shortened_and_kept_out_of_the_message(tmp_path: Path, fmt: str) -> None:
    write_table(tmp_path / "companies.jsonl", [company()])
    long_status = "Alleged by " + "x" * 200
    write_table(tmp_path / f"evidence.{fmt}", [record(id="e1", status=long_status)])
    status = by_field(load(tmp_path).report.problems)["status"]
    assert status.value is not None
    assert len(status.value) == MAX_VALUE_CHARS
    assert status.value.endswith("…")
    assert "xxx" not in status.message


def test_suggestion_helpers() -> None:
    assert close_matches("Status", ["status", "id"]) == ["status"]
    assert close_matches("status", ["status"]) == []  # the word itself is no suggestion
    assert field_hints("sources.1.ulr", ["sources.{i}.url", "sources.{i}.title", "id"]) == [
        "sources.1.url"
    ]
    assert vocabulary_message("VERIFIED", ["alleged", "verified"]) == (
        "values are lower case: 'verified'"
    )
    assert vocabulary_message("rumoured", ["alleged", "verified"]) == (
        "not an allowed value; allowed: alleged, verified"
    )
    assert country_message("kz") == "country codes are upper case: 'KZ'"
    kz = "not an ISO 3166-1 alpha-2 country code; did you mean 'KZ' (Kazakhstan)?"
    assert country_message("KAZ") == kz  # alpha-3
    assert country_message("Republic of Kazakhstan") == kz  # official name
    assert country_message("Kazahkstan") == kz  # misspelt: close spelling of a name
    assert country_message("Fictionland") == (
        "not an ISO 3166-1 alpha-2 country code (two capital letters, e.g. 'KZ')"
    )
    assert currency_message("tenge") == (
        "not an ISO 4217 currency code; did you mean 'KZT' (Tenge)?"
    )
    assert currency_message("kzt") == "currency codes are upper case: 'KZT'"


def test_company_countries_are_worded_too(tmp_path: Path) -> None:
    write_table(tmp_path / "companies.csv", [company(hq_country="Netherlands")])
    write_table(tmp_path / "evidence.jsonl", [record()])
    found = by_field(load(tmp_path).report.problems)
    assert found["hq_country"].message == (
        "not an ISO 3166-1 alpha-2 country code; did you mean 'NL' (Netherlands)?"
    )


# --- 3. template example rows ------------------------------------------------------------


def test_template_example_rows_left_in_are_warned_about(tmp_path: Path) -> None:
    from bhrscore.export.template import example_evidence, write_template

    path = write_template(tmp_path / "entry.xlsx")
    for engine in ("columnar", "records"):
        report = load(path, engine).report
        warnings = [p for p in report.warnings if p.code == "template-example"]
        assert [(w.sheet, w.row) for w in warnings] == [("Companies", 2), ("Evidence", 2)]
        # the template has 2 example companies (rows 2-3) and one example per kind
        n = len(example_evidence())
        assert "(2 rows: 2, 3)" in warnings[0].message
        rows = ", ".join(str(r) for r in range(2, 2 + n))
        assert f"({n} rows: {rows})" in warnings[1].message
        assert all("delete them before use" in w.message for w in warnings)


def test_an_empty_template_gives_no_example_warning(tmp_path: Path) -> None:
    from bhrscore.export.template import write_template

    path = write_template(tmp_path / "entry.xlsx", examples=False)
    report = load(path).report
    assert not [p for p in report.problems if p.code == "template-example"]


def test_one_example_row_copied_into_a_csv_is_named(tmp_path: Path) -> None:
    write_table(tmp_path / "companies.jsonl", [company()])
    example = record(id="e2", summary="EXAMPLE (fictional): a union leader was dismissed.")
    write_table(tmp_path / "evidence.csv", [record(id="e1"), example])
    (warning,) = [p for p in load(tmp_path).report.problems if p.code == "template-example"]
    assert warning.row == 3  # header on line 1, e1 on line 2
    assert "example evidence record is still in the data (1 row: 3); delete it" in (warning.message)


# --- 4. no companies file ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_evidence_file_alone_says_no_companies_file_was_read(tmp_path: Path, fmt: str) -> None:
    write_table(tmp_path / "companies.jsonl", [company()])
    evidence = write_table(tmp_path / f"evidence.{fmt}", [record()])
    for engine in ("columnar", "records"):
        report = load(evidence, engine).report
        (warning,) = [p for p in report.problems if p.code == "no-companies"]
        assert warning.severity == "warning"
        assert warning.file == str(tmp_path)
        assert f"give the bundle directory {str(tmp_path)!r} (it holds companies.jsonl)" in (
            warning.message
        )
        (error,) = report.errors
        assert error.code == "unknown-company"
        assert "no companies were read" in error.message


def test_a_directory_without_companies_names_the_files_looked_for(tmp_path: Path) -> None:
    write_table(tmp_path / "evidence.jsonl", [record()])
    with pytest.raises(EvidenceValidationError) as info:
        load_evidence(tmp_path)
    text = str(info.value)
    # the failure shows the warning that explains it
    assert (
        "no companies file was read: the bundle directory holds none of companies.json, "
        "companies.jsonl, companies.csv, companies.xlsx"
    ) in text


def test_cli_validate_prints_the_suggestions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_table(tmp_path / "companies.jsonl", [company()])
    write_table(tmp_path / "evidence.csv", [bad_row()])
    code, out, err = run(["validate", str(tmp_path)], capsys)
    assert code == 1
    assert "actoin: unknown column (did you mean 'action'" in out
    assert "date: expected a date as YYYY-MM-DD (got '23/11/2026')" in out
    assert "Traceback" not in out + err


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_date_of_the_right_form_that_does_not_exist(tmp_path: Path, fmt: str) -> None:
    write_table(tmp_path / "companies.jsonl", [company()])
    write_table(tmp_path / f"evidence.{fmt}", [record(date="2024-02-30")])
    date = by_field(load(tmp_path).report.problems)["date"]
    assert date.message == "no such day in the calendar; expected a date as YYYY-MM-DD"
    assert date.value == "2024-02-30"


def test_a_workbook_without_a_companies_sheet_says_no_companies_were_read(tmp_path: Path) -> None:
    path = write_table(tmp_path / "data.xlsx", [record()], sheet="Evidence")
    for engine in ("columnar", "records"):
        report = load(path, engine).report
        (warning,) = [p for p in report.problems if p.code == "no-companies"]
        assert warning.message.startswith("no companies were read: no companies file, and no ")
        assert "'companies' list in" in warning.message
        assert [p.code for p in report.errors] == ["unknown-company"]


def test_an_empty_companies_file_gets_no_no_companies_warning(tmp_path: Path) -> None:
    (tmp_path / "companies.jsonl").write_text("", encoding="utf-8")
    write_table(tmp_path / "evidence.jsonl", [record(company_id=None, group={"description": "x"})])
    report = load(tmp_path).report
    assert not [p for p in report.problems if p.code == "no-companies"]
