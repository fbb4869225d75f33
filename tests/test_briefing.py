"""The investor briefing workbook, read back with openpyxl.

The score card here is built by hand (three companies, two themes, three indicators) so that
every value on the sheets can be checked against numbers worked out below, independently of
the scoring engine.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.evidence.model import Company
from bhrscore.evidence.registry import evidence_kinds
from bhrscore.evidence.report import Problem, ValidationReport
from bhrscore.export import book
from bhrscore.export.briefing import SHEET_NAMES, companion_path, write_briefing
from bhrscore.export.cells import REDACTED
from bhrscore.rubric.model import Rubric
from bhrscore.rubric.scorecard import (
    INDICATOR_COLUMNS,
    NODE_COLUMNS,
    PENALTY_COLUMNS,
    ScoreCard,
    ScoreMeta,
)

# openpyxl does not read the data-bar extension XlsxWriter writes (Excel 2010+); harmless.
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
AS_OF = dt.date(2025, 6, 30)
PAYLOAD = '=HYPERLINK("http://x","click")'
RULE = {
    "select": {"kind": "union_dialogue"},
    "aggregate": "any",
    "scale": {"type": "linear", "lower": 0, "upper": 1},
}
RUBRIC = {
    "id": "mini",
    "version": "1.0.0",
    "title": "Mini rubric",
    "tree": [
        {
            "id": "dialogue",
            "title": "Dialogue",
            "weight": 0.5,
            "children": [
                {
                    "id": "dialogue-record",
                    "title": "Dialogue record",
                    "rationale": "Talks.",
                    "rule": RULE,
                },
            ],
        },
        {
            "id": "wages",
            "title": "Wages",
            "weight": 0.5,
            "children": [
                {
                    "id": "living-wage",
                    "title": "Living wage",
                    "weight": 0.5,
                    "rationale": "Pay.",
                    "rule": RULE,
                },
                {
                    "id": "arrears",
                    "title": "Arrears",
                    "weight": 0.5,
                    "rationale": "Arrears.",
                    "rule": RULE,
                },
            ],
        },
    ],
    "penalties": [
        {"id": "reprisal", "title": "Reprisal", "select": {"kind": "retaliation"}, "cap": 40},
    ],
}

# Hand-worked scores (theme = mean of its indicators with equal weights 0.5/0.5; total = mean
# of the two themes with weights 0.5/0.5):
#   alpha: dialogue 80; wages (50 + 70) / 2 = 60; total (80 + 60) / 2 = 70        -> rank 1
#   beta:  dialogue 50; wages (60 + 60) / 2 = 60; before penalties (50 + 60) / 2 = 55,
#          capped at 40 by "reprisal"                                            -> rank 2
#   gamma: dialogue 20; wages (100 + 20) / 2 = 60; total (20 + 60) / 2 = 40        -> rank 2
# beta and gamma tie at 40 and share rank 2; ties are listed by company id.
SCORES = {
    "c-alpha": {"dialogue-record": 80.0, "living-wage": 50.0, "arrears": 70.0},
    "c-beta": {"dialogue-record": 50.0, "living-wage": 60.0, "arrears": 60.0},
    "c-gamma": {"dialogue-record": 20.0, "living-wage": 100.0, "arrears": 20.0},
}
THEMES = {
    "c-alpha": {"dialogue": 80.0, "wages": 60.0},
    "c-beta": {"dialogue": 50.0, "wages": 60.0},
    "c-gamma": {"dialogue": 20.0, "wages": 60.0},
}
TOTALS = {"c-alpha": (70.0, 70.0, 1), "c-beta": (40.0, 55.0, 2), "c-gamma": (40.0, 40.0, 2)}
NAMES = {
    "c-alpha": "Alpha Fictional Drilling",
    "c-beta": PAYLOAD,  # a formula-like company name
    "c-gamma": "Gamma Fictional Services",
}
THEME_OF = {"dialogue-record": "dialogue", "living-wage": "wages", "arrears": "wages"}
WEIGHT_OF = {"dialogue-record": 1.0, "living-wage": 0.5, "arrears": 0.5}
COUNTS = {"dialogue-record": 2, "living-wage": 1, "arrears": 1}


def make_card() -> ScoreCard:
    rubric = Rubric.model_validate(RUBRIC)
    ids = list(SCORES)
    companies = pd.DataFrame(
        {
            "company_id": pd.array(ids, dtype="string"),
            "name": pd.array([NAMES[c] for c in ids], dtype="string"),
            "total": pd.array([TOTALS[c][0] for c in ids], dtype="Float64"),
            "total_before_penalties": pd.array([TOTALS[c][1] for c in ids], dtype="Float64"),
            "coverage": pd.array([1.0, 1.0, 0.5], dtype="Float64"),
            "rank": pd.array([TOTALS[c][2] for c in ids], dtype="Int64"),
            "theme:dialogue": pd.array([THEMES[c]["dialogue"] for c in ids], dtype="Float64"),
            "theme:wages": pd.array([THEMES[c]["wages"] for c in ids], dtype="Float64"),
            "hq_country": pd.array(["NL", "CN", "KZ"], dtype="string"),
            "origin_country": pd.array(["NL", "CN", "KZ"], dtype="string"),
            "ultimate_parent_id": pd.array(ids, dtype="string"),
            "ownership": pd.array(["listed", "state", "private"], dtype="string"),
            "sectors": [("oil-gas",), ("oil-gas", "construction"), ()],
            "host_countries": [("KZ",), ("KZ",), ("KZ",)],
        }
    )
    node_rows = []
    for c in ids:
        node_rows.append((c, "total", None, 0, TOTALS[c][0], TOTALS[c][1], 1.0, None, None))
        for theme in ("dialogue", "wages"):
            score = THEMES[c][theme]
            node_rows.append((c, theme, "total", 1, score, score, 1.0, None, None))
    nodes = pd.DataFrame(node_rows, columns=list(NODE_COLUMNS)).astype(NODE_COLUMNS)
    ind_rows = []
    for c in ids:
        for ind, value in SCORES[c].items():
            n = COUNTS[ind]
            ev_ids = tuple(f"{c}-{ind}-{k}" for k in range(n))
            ind_rows.append(
                (
                    c,
                    ind,
                    THEME_OF[ind],
                    value,
                    value / 100,
                    n,
                    ev_ids,
                    f"alleged:{n}",
                    WEIGHT_OF[ind],
                    False,
                    "evidence",
                )
            )
    indicators = pd.DataFrame(ind_rows, columns=list(INDICATOR_COLUMNS)).astype(
        {k: v for k, v in INDICATOR_COLUMNS.items() if v != "object"}
    )
    penalties = pd.DataFrame(
        [("c-beta", "reprisal", "total", 0.0, 40.0, ("e-beta-3",))], columns=list(PENALTY_COLUMNS)
    ).astype({k: v for k, v in PENALTY_COLUMNS.items() if v != "object"})
    meta = ScoreMeta("mini", "1.0.0", rubric.content_hash(), "evidencehash123", AS_OF, "0.1.0")
    return ScoreCard(companies, nodes, indicators, penalties, meta, rubric)


SOURCE = {"url": "https://example.org/report-1", "title": "Fictional report", "type": "news"}


def make_evidence() -> EvidenceSet:
    companies = tuple(
        Company.model_validate({"id": c, "name": NAMES[c], "hq_country": "NL"}) for c in SCORES
    )
    kinds = evidence_kinds()
    records = [
        kinds["union_dialogue"].model_validate(
            {
                "kind": "union_dialogue",
                "id": "e-alpha-1",
                "company_id": "c-alpha",
                "date": "2025-01-10",
                "country": "KZ",
                "status": "verified",
                "summary": "Alpha met the union.",
                "sources": [SOURCE],
                "event": "meeting",
            }
        ),
        kinds["retaliation"].model_validate(
            {
                "kind": "retaliation",
                "id": "e-beta-3",
                "company_id": "c-beta",
                "date": "2025-02-01",
                "country": "KZ",
                "status": "alleged",
                "summary": "Jane Example, a union leader, was fired; jane example appealed.",
                "sources": [
                    {
                        **SOURCE,
                        "url": "https://example.org/report-2",
                        "title": "Report on Jane Example",
                    }
                ],
                "action": "dismissal",
                "target_role": "union_leader",
                "sensitive": True,
                "persons": ["Jane Example"],
            }
        ),
        kinds["wage"].model_validate(
            {
                "kind": "wage",
                "id": "e-gamma-1",
                "company_id": "c-gamma",
                "date": "2025-03-01",
                "country": "KZ",
                "status": "corroborated",
                "summary": PAYLOAD,
                "sources": [{**SOURCE, "title": "+SUM(1,2)"}],
                "relative_to_peers": "below",
            }
        ),
        kinds["statement"].model_validate(
            {
                "kind": "statement",
                "id": "e-group-1",
                "group": {"description": "@Chinese firms"},
                "date": "2025-04-01",
                "country": "KZ",
                "status": "alleged",
                "summary": "-1+2 testimony",
                "sources": [SOURCE],
                "statement_type": "public_statement",
            }
        ),
    ]
    return EvidenceSet(companies, tuple(records))


@pytest.fixture(scope="module")
def card() -> ScoreCard:
    return make_card()


@pytest.fixture(scope="module")
def evidence() -> EvidenceSet:
    return make_evidence()


@pytest.fixture(scope="module")
def written(
    tmp_path_factory: pytest.TempPathFactory, card: ScoreCard, evidence: EvidenceSet
) -> Path:
    path = tmp_path_factory.mktemp("brief") / "briefing.xlsx"
    report = ValidationReport()
    report.add(
        [
            Problem(
                "bundle/evidence.csv",
                "bad date",
                "date",
                row=7,
                sheet=None,
                field="date",
                value=PAYLOAD,
            )
        ]
    )
    write_briefing(card, path, evidence=evidence, report=report)
    return path


def load(path: Path) -> Any:
    return openpyxl.load_workbook(path)


def table(ws: Any, first_header: str) -> tuple[int, list[str], list[list[Any]]]:
    """(header row, headers, data rows) of the table whose header starts with
    ``first_header`` in column A."""
    for row in range(1, ws.max_row + 1):
        if ws.cell(row, 1).value == first_header:
            headers = []
            col = 1
            while ws.cell(row, col).value is not None:
                headers.append(ws.cell(row, col).value)
                col += 1
            data = []
            r = row + 1
            while any(ws.cell(r, c).value is not None for c in range(1, len(headers) + 1)):
                data.append([ws.cell(r, c).value for c in range(1, len(headers) + 1)])
                r += 1
            return row, headers, data
    raise AssertionError(f"no table headed {first_header!r} on {ws.title}")


def test_sheet_names(written: Path) -> None:
    assert load(written).sheetnames == list(SHEET_NAMES)


def test_summary_ranking_equals_the_score_card(written: Path) -> None:
    ws = load(written)["Summary"]
    head, headers, rows = table(ws, "Rank")
    assert headers == [
        "Rank",
        "Rank range",
        "Company",
        "Company id",
        "Origin group",
        "Origin country",
        "Sector",
        "Total",
        "Total low",
        "Total high",
        "Dialogue",
        "Wages",
        "Coverage",
        "Total before penalties",
        "Not ranked because",
    ]
    at = {h: i for i, h in enumerate(headers)}
    assert [r[at["Company id"]] for r in rows] == ["c-alpha", "c-beta", "c-gamma"]
    for r in rows:
        cid = r[at["Company id"]]
        assert r[at["Rank"]] == TOTALS[cid][2]
        assert r[at["Company"]] == NAMES[cid]
        assert r[at["Total"]] == TOTALS[cid][0]
        assert r[at["Dialogue"]] == THEMES[cid]["dialogue"]
        assert r[at["Wages"]] == THEMES[cid]["wages"]
        assert r[at["Total before penalties"]] == TOTALS[cid][1]
    assert rows[1][at["Sector"]] == "construction, oil-gas"
    assert rows[0][at["Origin group"]] == "western"
    assert rows[1][at["Origin group"]] == "china"
    assert rows[2][at["Origin group"]] == "domestic"
    # header text: rubric, as-of and evidence hash
    top = " ".join(str(ws.cell(r, 1).value) for r in range(1, head))
    assert "mini" in top
    assert "1.0.0" in top
    assert AS_OF.isoformat() in top
    assert "evidencehash" in top  # shortened to 12 characters; in full on Method
    assert "evidencehash123" not in top
    assert ws.freeze_panes == f"E{head + 1}"
    assert ws.auto_filter.ref == f"A{head}:O{head + 3}"


def test_summary_colour_scales_cover_the_score_columns(written: Path) -> None:
    ws = load(written)["Summary"]
    head, _, _ = table(ws, "Rank")
    ranges = {str(cf.sqref) for cf in ws.conditional_formatting}
    for letter in "HKL":  # Total, Dialogue, Wages
        assert f"{letter}{head + 1}:{letter}{head + 3}" in ranges
    rules = {str(cf.sqref): cf.rules[0] for cf in ws.conditional_formatting}
    scale = rules[f"H{head + 1}:H{head + 3}"].colorScale
    assert [float(v.val) for v in scale.cfvo] == [0, 50, 100]


def test_summary_has_a_chart_of_scores_by_origin_group(written: Path) -> None:
    wb = load(written)
    assert len(wb["Summary"]._charts) == 1
    _, headers, rows = table(wb["By origin"], "Group")
    # descriptive table (no comparisons given): one company per group
    assert headers[:4] == ["Group", "Companies", "Scored", "Mean"]
    assert {r[0]: r[3] for r in rows} == {"china": 40.0, "domestic": 40.0, "western": 70.0}


def test_by_sector_counts_a_company_in_each_of_its_sectors(written: Path) -> None:
    _, _, rows = table(load(written)["By sector"], "Group")
    # oil-gas: alpha 70 and beta 40 -> mean 55; construction: beta 40; gamma has no sector
    assert {r[0]: (r[1], r[3]) for r in rows} == {
        "construction": (1, 40.0),
        "oil-gas": (2, 55.0),
        "unknown": (1, 40.0),
    }


def test_indicator_matrix_has_scores_and_evidence_counts(written: Path) -> None:
    _, headers, rows = table(load(written)["Indicators"], "Rank")
    # indicator titles as headers (ids in the table below the matrix), n beside each
    assert headers[3:] == ["Dialogue record", "n", "Living wage", "n", "Arrears", "n"]
    for r in rows:
        cid = r[1]
        assert r[3::2] == [SCORES[cid][i] for i in ("dialogue-record", "living-wage", "arrears")]
        assert r[4::2] == [2, 1, 1]


def test_companies_sheet_lists_indicators_and_penalties(written: Path) -> None:
    _, headers, rows = table(load(written)["Companies"], "Rank")
    col = {h: i for i, h in enumerate(headers)}
    beta = [r for r in rows if r[col["Company id"]] == "c-beta"]
    levels = [(r[col["Level"]], r[col["Item"]]) for r in beta]
    assert levels == [
        ("total", "total"),
        ("theme", "dialogue"),
        ("indicator", "dialogue-record"),
        ("theme", "wages"),
        ("indicator", "living-wage"),
        ("indicator", "arrears"),
        ("penalty", "reprisal"),
    ]
    penalty = beta[-1]
    assert penalty[col["Cap"]] == 40.0
    assert penalty[col["Evidence ids"]] == "e-beta-3"
    living = beta[4]
    assert living[col["Score"]] == 60.0
    assert living[col["Weight"]] == 0.5
    assert living[col["Evidence"]] == 1


def test_evidence_trail_links_filter_and_freeze(written: Path) -> None:
    ws = load(written)["Evidence"]
    head, headers, rows = table(ws, "Evidence id")
    assert headers == [
        "Evidence id",
        "Company id",
        "Company / group",
        "Kind",
        "Date",
        "Period",
        "Status",
        "Reliability",
        "Country",
        "Summary",
        "Source",
        "Link",
        "Persons",
    ]
    assert [r[0] for r in rows] == ["e-alpha-1", "e-beta-3", "e-gamma-1", "e-group-1"]
    link_col = headers.index("Link") + 1
    assert ws.cell(head + 1, link_col).hyperlink.target == "https://example.org/report-1"
    assert ws.cell(head + 2, link_col).hyperlink.target == "https://example.org/report-2"
    assert rows[0][4] == dt.datetime(2025, 1, 10)
    assert rows[3][2] == "Group: @Chinese firms"
    assert ws.auto_filter.ref == f"A{head}:M{head + 4}"
    assert ws.freeze_panes == f"B{head + 1}"


def test_formula_payloads_come_back_as_plain_text(written: Path) -> None:
    with zipfile.ZipFile(written) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            assert "<f>" not in zf.read(name).decode()  # not a single formula in the workbook
    wb = load(written)
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.lstrip()[:1] in ("=", "+", "-", "@"):
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
                    seen.add(cell.value)
    # company name, summary, source title, validation value
    assert {PAYLOAD, "+SUM(1,2)", "-1+2 testimony"} <= seen
    _, _, findings = table(wb["Data quality"], "Severity")
    assert findings[0][-1] == PAYLOAD


def test_persons_are_redacted_by_default(written: Path) -> None:
    wb = load(written)
    _, headers, rows = table(wb["Evidence"], "Evidence id")
    beta = rows[1]
    assert beta[headers.index("Summary")] == (
        f"{REDACTED}, a union leader, was fired; {REDACTED} appealed."
    )
    assert beta[headers.index("Source")] == f"Report on {REDACTED}"
    assert beta[headers.index("Persons")] == "[redacted: 1 person]"
    text = " ".join(
        str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value
    )
    assert "jane example" not in text.lower()
    method = " ".join(str(c.value) for row in wb["Method"].iter_rows() for c in row if c.value)
    # e-beta-3: summary (one cell, two mentions), source title and persons -> 3 cells, 1 record
    assert "(1 records and 3 cells affected)" in method


def test_include_personal_data_shows_names(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    path = tmp_path / "named.xlsx"
    result = write_briefing(card, path, evidence=evidence, include_personal_data=True)
    assert result.redacted_records == 0
    wb = load(path)
    _, headers, rows = table(wb["Evidence"], "Evidence id")
    assert rows[1][headers.index("Summary")].startswith("Jane Example, a union leader")
    assert rows[1][headers.index("Persons")] == "Jane Example"
    method = " ".join(str(c.value) for row in wb["Method"].iter_rows() for c in row if c.value)
    assert "INCLUDED" in method


def test_method_sheet_documents_rubric_weights_and_hashes(written: Path, card: ScoreCard) -> None:
    ws = load(written)["Method"]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert card.meta.rubric_hash in text
    assert "evidencehash123" in text
    _, headers, rows = table(ws, "Level")
    col = {h: i for i, h in enumerate(headers)}
    by_id = {r[col["Id"]]: r for r in rows}
    # living-wage: 0.5 of wages, which is 0.5 of the total -> nominal share 0.25
    assert by_id["living-wage"][col["Weight in parent"]] == 0.5
    assert by_id["living-wage"][col["Nominal share of total"]] == 0.25
    assert by_id["living-wage"][col["Rationale"]] == "Pay."
    _, _, penalties = table(ws, "Penalty")
    # penalty, id, title, applies to, combine, points, cap (in the tree's columns)
    assert [penalties[0][i] for i in (1, 2, 3, 5, 6)] == [
        "reprisal",
        "Reprisal",
        "total",
        None,
        40.0,
    ]


def test_data_quality_counts_and_coverage(written: Path) -> None:
    wb = load(written)
    _, headers, rows = table(wb["Data quality"], "Kind")
    counts = {r[0]: dict(zip(headers, r, strict=True)) for r in rows}
    assert counts["retaliation"]["alleged"] == 1
    assert counts["retaliation"]["all"] == 1
    assert counts["wage"]["corroborated"] == 1
    _, cov_headers, cov = table(wb["Data quality"], "Rank")
    assert cov_headers[3] == "Total coverage"
    assert [r[3] for r in cov] == [1.0, 1.0, 0.5]
    assert [r[-1] for r in cov] == [1, 1, 1]  # evidence records per company


def test_same_inputs_give_identical_bytes(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_briefing(card, a, evidence=evidence)
    write_briefing(card, b, evidence=evidence)
    assert a.read_bytes() == b.read_bytes()
    props = load(a).properties
    assert props.created == dt.datetime(2025, 6, 30)


def test_failure_mid_write_leaves_no_file(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out" / "briefing.xlsx"
    calls = {"n": 0}
    real = book._write_table

    def failing(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("disk on fire")
        real(*args, **kwargs)

    monkeypatch.setattr(book, "_write_table", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_briefing(card, target, evidence=evidence)
    assert calls["n"] == 4
    assert list(target.parent.iterdir()) == []  # neither the target nor a temporary file

    target.write_bytes(b"previous briefing")
    calls["n"] = 0
    with pytest.raises(RuntimeError):
        write_briefing(card, target, evidence=evidence)
    assert target.read_bytes() == b"previous briefing"  # the old file is left as it was


def test_evidence_beyond_the_row_limit_goes_to_a_companion_csv(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    path = tmp_path / "big.xlsx"
    result = write_briefing(card, path, evidence=evidence, evidence_row_limit=2)
    assert result.companion == companion_path(path) == tmp_path / "big.evidence.csv"
    assert (result.evidence_rows, result.evidence_total) == (2, 4)
    wb = load(path)
    _, _, rows = table(wb["Evidence"], "Evidence id")
    assert len(rows) == 2
    notes = " ".join(str(wb["Evidence"].cell(r, 1).value) for r in range(1, 5))
    assert "big.evidence.csv" in notes
    summary = " ".join(str(wb["Summary"].cell(r, 1).value) for r in range(1, 10))
    assert "big.evidence.csv" in summary
    csv = pd.read_csv(result.companion, dtype=str, keep_default_na=False)
    assert csv["Evidence id"].tolist() == ["e-alpha-1", "e-beta-3", "e-gamma-1", "e-group-1"]
    assert csv["Summary"].iloc[2] == "'" + PAYLOAD  # CSV has no cell types: apostrophe
    assert "jane example" not in csv.to_csv().lower()


def test_unsafe_links_are_written_as_text(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    frame = evidence.frames().evidence.copy()
    frame["source_url"] = pd.array(
        ["javascript:alert(1)", '=HYPERLINK("http://x")', "https://example.org/ok", None],
        dtype="string",
    )
    path = tmp_path / "links.xlsx"
    write_briefing(card, path, evidence=frame)
    ws = load(path)["Evidence"]
    head, headers, rows = table(ws, "Evidence id")
    link = headers.index("Link") + 1
    by_id = {r[0]: head + 1 + i for i, r in enumerate(rows)}
    js = ws.cell(by_id["e-alpha-1"], link)
    assert js.hyperlink is None
    assert js.value == "javascript:alert(1)"
    formula = ws.cell(by_id["e-beta-3"], link)
    assert formula.hyperlink is None
    assert formula.data_type == "s"
    assert formula.quotePrefix
    assert ws.cell(by_id["e-gamma-1"], link).hyperlink.target == "https://example.org/ok"


def test_leading_whitespace_and_control_payloads(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    frame = evidence.frames().evidence.copy()
    payloads = ["  =1+1", "\t=1+1", "\r+1", "\uff1dSUM(1)"]
    frame["summary"] = pd.array(payloads, dtype="string")
    path = tmp_path / "ws.xlsx"
    write_briefing(card, path, evidence=frame)
    ws = load(path)["Evidence"]
    head, headers, rows = table(ws, "Evidence id")
    col = headers.index("Summary") + 1
    cells = [ws.cell(head + 1 + i, col) for i in range(4)]
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    by_id = {r[0]: r[col - 1] for r in rows}
    assert by_id["e-alpha-1"] == "  =1+1"
    assert by_id["e-beta-3"] == "\t=1+1"
    assert by_id["e-gamma-1"] == "\n+1"  # carriage return stored as a line feed


def _with_records(evidence: EvidenceSet, *extra: dict[str, Any]) -> EvidenceSet:
    kinds = evidence_kinds()
    records = tuple(kinds[r["kind"]].model_validate(r) for r in extra)
    return EvidenceSet(evidence.companies, evidence.evidence + records)


def test_protected_names_are_redacted_in_every_record(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    # Jane Example is listed only on the sensitive e-beta-3; these records name her without
    # listing her (one is not sensitive at all), with other spacing and letter case.
    ev = _with_records(
        evidence,
        {
            "kind": "union_dialogue",
            "id": "e-alpha-2",
            "company_id": "c-alpha",
            "date": "2025-01-11",
            "country": "KZ",
            "status": "verified",
            "summary": "Alpha met JANE\u00a0EXAMPLE; Janeexample and Jane Examples are others.",
            "sources": [{**SOURCE, "title": "Interview: jane  example, union"}],
            "event": "meeting",
        },
        {
            "kind": "statement",
            "id": "e-group-2",
            "group": {"description": "Workers with Jane\nExample"},
            "date": "2025-04-02",
            "country": "KZ",
            "status": "alleged",
            "summary": "Testimony.",
            "sources": [SOURCE],
            "statement_type": "public_statement",
        },
    )
    path = tmp_path / "cross.xlsx"
    result = write_briefing(card, path, evidence=ev)
    wb = load(path)
    _, headers, rows = table(wb["Evidence"], "Evidence id")
    by_id = {r[0]: dict(zip(headers, r, strict=True)) for r in rows}
    assert by_id["e-alpha-2"]["Summary"] == (
        f"Alpha met {REDACTED}; Janeexample and Jane Examples are others."
    )
    assert by_id["e-alpha-2"]["Source"] == f"Interview: {REDACTED}, union"
    assert by_id["e-group-2"]["Company / group"] == f"Group: Workers with {REDACTED}"
    text = " ".join(
        str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value
    )
    assert re.search(r"jane\s+example(?!s)", text, re.IGNORECASE) is None
    # e-beta-3 (3 cells), e-alpha-2 (summary, source), e-group-2 (description) -> 3 records
    assert (result.redacted_records, result.redacted_cells) == (3, 6)


def test_a_long_astral_url_is_written_as_text(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    # 20 + 1,100 code points, but 2,220 UTF-16 units: over Excel's 2,079, XlsxWriter refuses it
    long_url = "https://example.org/" + "\U0001f600" * 1_100
    frame = evidence.frames().evidence.copy()
    frame["source_url"] = pd.array([long_url, "https://example.org/ok", None, None], dtype="string")
    path = tmp_path / "emoji.xlsx"
    write_briefing(card, path, evidence=frame)
    ws = load(path)["Evidence"]
    head, headers, rows = table(ws, "Evidence id")
    link = headers.index("Link") + 1
    by_id = {r[0]: head + 1 + i for i, r in enumerate(rows)}
    cell = ws.cell(by_id["e-alpha-1"], link)
    assert cell.value == long_url  # shown as text, not lost
    assert cell.hyperlink is None
    assert ws.cell(by_id["e-beta-3"], link).hyperlink is not None


@pytest.mark.parametrize("second", ["none", "csv", "parquet"])
@pytest.mark.parametrize("first", ["csv", "parquet"])
def test_companion_files_of_earlier_runs_are_removed(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet, first: str, second: str
) -> None:
    path = tmp_path / "b.xlsx"
    old = write_briefing(
        card,
        path,
        evidence=evidence,
        evidence_row_limit=2,
        overflow_format=first,  # type: ignore[arg-type]
        include_personal_data=True,  # an earlier run that showed names
    )
    assert old.companion is not None
    assert old.companion.exists()
    if second == "none":
        new = write_briefing(card, path, evidence=evidence)
    else:
        new = write_briefing(
            card,
            path,
            evidence=evidence,
            evidence_row_limit=2,
            overflow_format=second,  # type: ignore[arg-type]
        )
    kept = [] if new.companion is None else [new.companion.name]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["b.xlsx", *kept])
