"""The briefing as registered sheets: choosing, omitting, reordering and adding sheets; the
chart found by name; one immutable set of inputs with redaction counted before any sheet."""

from __future__ import annotations

import dataclasses
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from bhrscore import BriefingInputs, SheetEntry, briefing_sheet, prepare_briefing, write_briefing
from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.evidence.report import Problem, ValidationReport
from bhrscore.export.book import Sheet, Table, TableColumn
from bhrscore.export.briefing import BRIEFING_SHEETS, SHEET_NAMES, default_sheets
from bhrscore.rubric.scorecard import ScoreCard

from .test_briefing import make_card, make_evidence, table

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


@pytest.fixture(scope="module")
def card() -> ScoreCard:
    return make_card()


@pytest.fixture(scope="module")
def evidence() -> EvidenceSet:
    return make_evidence()


def _text(ws: Any) -> str:
    return " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)


def _notes_sheet(inputs: BriefingInputs) -> Sheet:
    """A plug-in sheet: one line from the shared inputs and a small table."""
    ids = inputs.companies["company_id"].astype("string")
    return Sheet(
        "Notes",
        "Analyst notes",
        [
            f"{inputs.evidence_total} records; {inputs.redacted_records} redacted",
            Table([TableColumn.from_series("Company id", ids)], main=True),
        ],
    )


def test_default_sheets_are_the_built_ins_in_order() -> None:
    # the Trend sheet (order 15) is registered too; it is written only when a trend is given
    expected = (SHEET_NAMES[0], "Trend", *SHEET_NAMES[1:])
    assert tuple(e.name for e in default_sheets()) == expected
    assert [e.order for e in default_sheets()] == [10, 15, 20, 30, 40, 50, 60, 70, 80]


def test_omit_and_reorder_sheets(tmp_path: Path, card: ScoreCard, evidence: EvidenceSet) -> None:
    path = tmp_path / "some.xlsx"
    result = write_briefing(card, path, evidence=evidence, sheets=["Evidence", "Summary"])
    assert result.sheets == ("Evidence", "Summary")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Evidence", "Summary"]
    # the chart draws from By origin, which is not in this workbook: no chart, no dangling ref
    assert wb["Summary"]._charts == []
    _, _, rows = table(wb["Evidence"], "Evidence id")
    assert [r[0] for r in rows] == ["e-alpha-1", "e-beta-3", "e-gamma-1", "e-group-1"]


def test_omitting_one_sheet_keeps_the_others_in_order(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    path = tmp_path / "no-indicators.xlsx"
    chosen = [n for n in SHEET_NAMES if n != "Indicators"]
    write_briefing(card, path, evidence=evidence, sheets=chosen)
    assert openpyxl.load_workbook(path).sheetnames == chosen


def test_chart_is_attached_by_name_wherever_its_table_is(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    path = tmp_path / "moved.xlsx"
    order = ["Method", "By origin", "Summary"]
    write_briefing(card, path, evidence=evidence, sheets=order)
    wb = openpyxl.load_workbook(path)
    assert len(wb["Summary"]._charts) == 1
    head, headers, rows = table(wb["By origin"], "Group")
    with zipfile.ZipFile(path) as zf:
        chart = zf.read("xl/charts/chart1.xml").decode()
    # three origin groups in rows head+1..head+3; "Label" (group with n) is column H,
    # "Mean" column D
    assert headers[7] == "Label"
    assert headers[3] == "Mean"
    assert len(rows) == 3
    assert f"'By origin'!$H${head + 1}:$H${head + 3}" in chart
    assert f"'By origin'!$D${head + 1}:$D${head + 3}" in chart


def test_a_sheet_entry_can_be_added_for_one_briefing(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    path = tmp_path / "notes.xlsx"
    entry = SheetEntry("Notes", 85, _notes_sheet)
    write_briefing(card, path, evidence=evidence, sheets=[*SHEET_NAMES, entry])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [*SHEET_NAMES, "Notes"]
    # 4 records; e-beta-3 is the one record with a protected name
    assert "4 records; 1 redacted" in _text(wb["Notes"])
    _, _, rows = table(wb["Notes"], "Company id")
    assert [r[0] for r in rows] == ["c-alpha", "c-beta", "c-gamma"]  # rank order


def test_a_registered_plugin_sheet_appears_by_its_order(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    briefing_sheet("Notes", order=45)(_notes_sheet)
    try:
        assert "Notes" in BRIEFING_SHEETS
        path = tmp_path / "plugin.xlsx"
        result = write_briefing(card, path, evidence=evidence)
        # order 45: after Companies (40), before Indicators (50)
        expected = [*SHEET_NAMES[:4], "Notes", *SHEET_NAMES[4:]]
        assert list(result.sheets) == expected
        assert openpyxl.load_workbook(path).sheetnames == expected
        # and a registered name can be chosen like a built-in one
        only = write_briefing(card, tmp_path / "only.xlsx", evidence=evidence, sheets=["Notes"])
        assert only.sheets == ("Notes",)
    finally:
        BRIEFING_SHEETS.unregister("Notes")
    assert "Notes" not in BRIEFING_SHEETS


def test_unknown_sheet_name_lists_the_known_ones(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    path = tmp_path / "bad.xlsx"
    with pytest.raises(ValueError, match="unknown briefing sheet 'Sumary'") as err:
        write_briefing(card, path, evidence=evidence, sheets=["Sumary"])
    known = ", ".join((SHEET_NAMES[0], "Trend", *SHEET_NAMES[1:]))
    assert f"(known: {known})" in str(err.value)
    assert not path.exists()


@pytest.mark.parametrize(
    ("sheets", "message"),
    [
        (["Summary", "Summary"], "listed twice"),
        (["Summary", SheetEntry("summary", 1, _notes_sheet)], "listed twice"),
        ([], "at least one"),
        ([42], "sheet names or SheetEntry"),
    ],
)
def test_bad_sheet_choices_are_refused(card: ScoreCard, sheets: list[Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        prepare_briefing(card, sheets=sheets)


def test_bad_sheet_names_are_refused_when_the_entry_is_made() -> None:
    for name in ("", "x" * 32, "a/b", "[x]", "'quoted'", "History"):
        with pytest.raises(ValueError, match="sheet name"):
            SheetEntry(name, 1, _notes_sheet)


def test_a_builder_that_returns_no_sheet_is_named(card: ScoreCard) -> None:
    entry = SheetEntry("Broken", 1, lambda _inputs: "not a sheet")  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="'Broken'"):
        prepare_briefing(card, sheets=[entry])


def _report_naming_a_person() -> ValidationReport:
    report = ValidationReport()
    report.add(
        [
            Problem(
                "bundle/evidence.csv",
                "bad date",
                "date",
                row=9,
                sheet=None,
                field="date",
                value="Jane Example",
            )
        ]
    )
    return report


def test_inputs_are_immutable_and_redaction_is_counted_up_front(
    card: ScoreCard, evidence: EvidenceSet
) -> None:
    inputs = BriefingInputs.build(card, evidence=evidence, report=_report_naming_a_person())
    # e-beta-3: summary, source title and persons (3 cells, 1 record); the finding's value
    # names her too (1 cell): 1 record and 4 cells, known before any sheet is built
    assert (inputs.redacted_records, inputs.redacted_cells) == (1, 4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        inputs.include_personal_data = True  # type: ignore[misc]
    with pytest.raises(TypeError):
        inputs.labels["dialogue"] = "changed"  # type: ignore[index]
    assert inputs.trail is not None
    assert "Jane Example" not in inputs.trail.frame.to_string()
    assert inputs.findings is not None
    assert inputs.findings.frame["value"].tolist() == ["[redacted]"]


def test_sheets_do_not_depend_on_build_order_or_change_the_inputs(
    card: ScoreCard, evidence: EvidenceSet
) -> None:
    inputs = BriefingInputs.build(card, evidence=evidence, report=_report_naming_a_person())
    assert inputs.trail is not None
    before = (inputs.companies.copy(deep=True), inputs.trail.frame.copy(deep=True))
    entries = default_sheets()
    forward = [e.build(inputs) for e in entries]
    backward = [e.build(inputs) for e in reversed(entries)][::-1]
    assert forward == backward
    pd.testing.assert_frame_equal(inputs.companies, before[0])
    pd.testing.assert_frame_equal(inputs.trail.frame, before[1])


def test_every_sheet_quotes_the_same_redaction_counts(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    path = tmp_path / "counts.xlsx"
    result = write_briefing(card, path, evidence=evidence, report=_report_naming_a_person())
    assert (result.redacted_records, result.redacted_cells) == (1, 4)
    wb = openpyxl.load_workbook(path)
    quoted = {
        name: re.findall(r"\((\d+) records and (\d+) cells affected\)", _text(wb[name]))
        for name in ("Summary", "Evidence", "Method")
    }
    assert quoted == {name: [("1", "4")] for name in quoted}


@pytest.mark.parametrize("plain_string", [False, True])
def test_evidence_location_list_and_python_paths(plain_string: bool) -> None:
    """Where each Companies row's records are, from lists of ids (pyarrow path) or from a
    column that mixes a plain id with lists (Python path): the same answers."""
    from types import SimpleNamespace

    from bhrscore.export.briefing.companies import evidence_location

    trail = SimpleNamespace(
        frame=pd.DataFrame({"id": pd.Series(["e1", "e2", "e3"], dtype="string")})
    )
    # e1 and e2 are on the Evidence sheet (its first 2 rows), e3 only in the companion file
    inputs: Any = SimpleNamespace(trail=trail, evidence_rows=2, companion_name="b.evidence.csv")
    last: object = "e3" if plain_string else ("e3",)
    ids = pd.Series([("e1", "e2"), ("e1", "e3"), ("e9", "e1"), (), None, last], dtype=object)
    where = evidence_location(inputs, ids)
    assert where.tolist() == [
        "Evidence sheet",  # both on the sheet
        "b.evidence.csv",  # e3 is only in the companion
        "not in the evidence given",  # e9 is in no evidence given
        pd.NA,  # no evidence
        pd.NA,
        "b.evidence.csv",
    ]


@pytest.mark.parametrize("dtype", ["string", "Float64"])
def test_lookup_maps_like_series_map(dtype: str) -> None:
    """``columns.lookup`` (each distinct key looked up once) gives what ``Series.map`` gives:
    keys not in the mapping, missing keys and missing values are missing; non-ASCII keys."""
    from bhrscore.export.briefing.columns import lookup

    keys = pd.Series(
        ["a", None, "Zürich", "a", "zz", "b"], dtype="string", index=[9, 7, 5, 3, 1, 0]
    )
    mapping: dict[str, Any] = {"a": 1, "Zürich": 2.5, "b": None}
    if dtype == "string":
        mapping = {k: None if v is None else f"v{v}" for k, v in mapping.items()}
    got = lookup(keys, mapping, dtype)
    pd.testing.assert_series_equal(got, keys.map(mapping).astype(dtype))
    assert lookup(keys.iloc[:0], mapping, dtype).empty


def test_periods_come_from_each_ids_first_record() -> None:
    from types import SimpleNamespace

    from bhrscore.export.briefing.evidence import periods

    records = pd.DataFrame(
        {
            "id": pd.Series(["e1", "e2", "e1", "e3"], dtype="string"),
            "period.start": ["2021-01-01", None, "1999-01-01", "2022-05-01"],
            "period.end": ["2021-12-31", "2020-06-30", None, "2022-05-01"],
        }
    )
    inputs: Any = SimpleNamespace(records=records)
    ids = pd.Series(["e3", "e9", "e1", "e2"], dtype="string")
    # e3: one day; e9: no record; e1: its first record (not 1999); e2: only an end
    assert periods(inputs, ids).tolist() == [
        "2022-05-01",
        pd.NA,
        "2021-01-01 – 2021-12-31",
        "2020-06-30",
    ]


def test_origin_groups_of_companies_in_several_hosts_are_joined_in_order() -> None:
    """A company is in one origin group per host (CN capital is domestic in CN, china in KZ
    and DE): the briefing shows its distinct groups sorted and joined."""
    from bhrscore.analysis.origin import company_origin
    from bhrscore.export.briefing.inputs import _origin_groups

    companies = pd.DataFrame(
        {
            "company_id": pd.array(["c-multi", "c-one", "c-none", "c-two"], dtype="string"),
            "origin_country": pd.array(["CN", "NL", None, "RU"], dtype="string"),
            "host_countries": [("KZ", "CN", "DE"), ("KZ",), (), ("RU", "KZ")],
        }
    )
    mapped, _ = _origin_groups(companies, None, None, None)
    assert mapped.tolist()[:3] == ["china, domestic", "western", "unknown"]
    # the same as joining company_origin's rows company by company
    table = company_origin(companies, None, None, None)
    want = {
        cid: ", ".join(sorted(set(rows["origin_group"].astype(str))))
        for cid, rows in table.groupby("company_id")
    }
    assert mapped.tolist() == [want[c] for c in companies["company_id"]]
    assert str(mapped.dtype) == "string"


def test_indicator_grid_takes_each_cells_first_value_as_pivot_table_does() -> None:
    """The Indicators matrix is laid out without pivot_table: each (company, indicator)
    gets its first value that is not missing, as pivot_table(aggfunc="first") gives it, also
    with repeated pairs, unknown companies or indicators, missing ids and a company listed
    twice."""
    import numpy as np

    from bhrscore.export.briefing.indicators import _Grid

    rng = np.random.default_rng(5)
    n = 400
    company = pd.Series(rng.choice(["c1", "c2", "c3", "x9", None], n), dtype="string")
    indicator = pd.Series(rng.choice(["i1", "i2", "i3", "zz", None], n), dtype="string")
    score = pd.Series(np.where(rng.random(n) < 0.3, np.nan, rng.random(n) * 100))
    ids = pd.Series(["c2", "c1", "c4", "c2"], dtype="string")  # c4: no rows; c2 twice
    indicators = ["i3", "i1", "i2"]  # "zz" is not shown
    got = _Grid(company, ids, indicator, indicators).values(score)
    frame = pd.DataFrame({"c": company, "i": indicator, "s": score})
    wide = frame.pivot_table(index="c", columns="i", values="s", aggfunc="first")
    wide = wide.reindex(index=ids.to_numpy(), columns=indicators)
    expected = pd.Series(wide.to_numpy().T.reshape(-1), dtype="Float64")
    pd.testing.assert_series_equal(got, expected)
    # a cell whose first value is missing takes the next one given
    one = _Grid(
        pd.Series(["a", "a"], dtype="string"),
        pd.Series(["a"], dtype="string"),
        pd.Series(["i", "i"], dtype="string"),
        ["i"],
    )
    assert one.values(pd.Series([np.nan, 7.0])).tolist() == [7.0]
