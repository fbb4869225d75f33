"""The briefing designed for reading and printing (issue 13) and the trust display (issue 9):
print setup, wrapped text, greyed insufficient companies, basis-aware indicator cells, outline
levels, periods, status colours, the chart's n and error bars, and the Trend sheet.

The score card is the hand-made one of ``test_briefing`` with three changes worked out here:
``c-gamma`` has insufficient evidence (no rank, a reason), ``c-beta``'s living-wage score was
filled in by the missing-data policy (0) and ``c-gamma``'s arrears score is unknown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from bhrscore.analysis.compare import compare
from bhrscore.cli import main
from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.evidence.write import write_evidence
from bhrscore.export import book
from bhrscore.export.book import Sheet, Table, TableColumn, render
from bhrscore.export.briefing import write_briefing
from bhrscore.rubric.model import load_rubric
from bhrscore.rubric.scorecard import ScoreCard
from bhrscore.rubric.trend import trend_cards, trend_frame
from bhrscore.synthetic import synthetic_evidence

from .test_briefing import _with_records, make_card, make_evidence, table

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
RUBRIC = Path(__file__).resolve().parents[1] / "rubrics" / "labour-rights.yaml"
REASON = "coverage 50% < 60%: no evidence on arrears"


def design_card() -> ScoreCard:
    card = make_card()
    c = card.companies.copy()
    # alpha 70 (interval 62.5-77.5, ranks 1-1), beta 40 (30-48, ranks 1-2), gamma
    # insufficient: its partial total 40 stays, but no rank, no rank interval
    c["rank"] = pd.array([1, 2, None], dtype="Int64")
    c["total_low"] = pd.array([62.5, 30.0, None], dtype="Float64")
    c["total_high"] = pd.array([77.5, 48.0, None], dtype="Float64")
    c["rank_low"] = pd.array([1, 1, None], dtype="Int64")
    c["rank_high"] = pd.array([1, 2, None], dtype="Int64")
    c["sufficient"] = pd.array([True, True, False], dtype="boolean")
    c["insufficient_reason"] = pd.array([None, None, REASON], dtype="string")
    ind = card.indicators.copy()
    policy = (ind["company_id"] == "c-beta") & (ind["indicator_id"] == "living-wage")
    unknown = (ind["company_id"] == "c-gamma") & (ind["indicator_id"] == "arrears")
    ind.loc[policy, "score"] = 0.0
    ind.loc[policy, "basis"] = "policy"
    ind.loc[unknown, "score"] = pd.NA
    ind.loc[unknown, "basis"] = "unknown"
    return dataclasses.replace(card, companies=c, indicators=ind)


def design_evidence() -> EvidenceSet:
    """The evidence of test_briefing plus one record with a period."""
    return _with_records(
        make_evidence(),
        {
            "kind": "union_dialogue",
            "id": "e-alpha-2",
            "company_id": "c-alpha",
            "period": {"start": "2024-01-01", "end": "2024-12-31"},
            "country": "KZ",
            "status": "disputed",
            "summary": "Alpha's talks with the union over a year.",
            "sources": [{"url": "https://example.org/r", "title": "Fictional", "type": "news"}],
            "event": "meeting",
        },
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("design") / "briefing.xlsx"
    write_briefing(design_card(), path, evidence=design_evidence())
    return path


@pytest.fixture(scope="module")
def wb(written: Path) -> Any:
    return openpyxl.load_workbook(written)


def _rules(ws: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for cf in ws.conditional_formatting:
        out.setdefault(str(cf.sqref), []).extend(cf.rules)
    return out


def test_every_sheet_prints_landscape_one_page_wide_without_gridlines(
    written: Path, wb: Any
) -> None:
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth in (None, 1), ws.title  # absent: 1 (the default)
        assert ws.page_setup.fitToHeight == 0, ws.title
        assert not ws.print_options.gridLines, ws.title
        # the main table's header repeats on each page (no comparisons here: the group
        # sheets hold their overview alone)
        assert ws.print_title_rows, ws.title
    with zipfile.ZipFile(written) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert 'gridLines="1"' not in zf.read(name).decode(), name


def test_main_tables_freeze_their_header_and_repeat_it(wb: Any) -> None:
    ws = wb["Companies"]
    head, headers, _ = table(ws, "Rank")
    assert ws.freeze_panes == f"D{head + 1}"
    assert ws.print_title_rows == f"${head}:${head}"
    assert headers[:6] == ["Rank", "Company id", "Company", "Level", "Title", "Item"]


def test_summary_shows_intervals_and_leaves_insufficient_companies_unranked(wb: Any) -> None:
    ws = wb["Summary"]
    _, headers, rows = table(ws, "Rank")
    at = {h: i for i, h in enumerate(headers)}
    by_id = {r[at["Company id"]]: r for r in rows}
    assert [r[at["Company id"]] for r in rows] == ["c-alpha", "c-beta", "c-gamma"]
    assert by_id["c-alpha"][at["Rank"]] == 1
    assert by_id["c-alpha"][at["Rank range"]] == "1"  # ranks 1 to 1
    assert by_id["c-beta"][at["Rank range"]] == "1–2"
    assert (by_id["c-beta"][at["Total low"]], by_id["c-beta"][at["Total high"]]) == (30.0, 48.0)
    gamma = by_id["c-gamma"]
    assert gamma[at["Rank"]] == "–"  # no rank: a dash, not a number
    assert gamma[at["Rank range"]] is None
    assert gamma[at["Total"]] == 40.0  # its partial total is still shown
    assert gamma[at["Not ranked because"]] == REASON
    assert by_id["c-alpha"][at["Not ranked because"]] is None


def test_insufficient_rows_are_grey_and_never_coloured(wb: Any) -> None:
    ws = wb["Summary"]
    head, headers, _ = table(ws, "Rank")
    rules = _rules(ws)
    total = openpyxl.utils.get_column_letter(headers.index("Total") + 1)
    last = openpyxl.utils.get_column_letter(len(headers))
    # the score scale covers alpha and beta (rows head+1, head+2), not gamma (head+3)
    assert f"{total}{head + 1}:{total}{head + 2}" in rules
    assert not any(
        rule.colorScale is not None
        for sqref, rs in rules.items()
        for rule in rs
        if f"{head + 3}" in sqref.split(":")[-1] and sqref.startswith(total)
    )
    grey = rules[f"A{head + 3}:{last}{head + 3}"]
    assert [r.type for r in grey] == ["expression"]
    assert grey[0].formula == ["TRUE"]
    assert grey[0].dxf.fill.fgColor.rgb.endswith("E7E6E6") or grey[0].dxf.fill.bgColor.rgb.endswith(
        "E7E6E6"
    )


def test_summary_hashes_are_short_and_method_has_them_in_full(wb: Any) -> None:
    summary = " ".join(str(c.value) for row in wb["Summary"].iter_rows() for c in row if c.value)
    method = " ".join(str(c.value) for row in wb["Method"].iter_rows() for c in row if c.value)
    card = make_card()
    assert card.meta.rubric_hash[:12] in summary
    assert card.meta.rubric_hash not in summary  # 64 characters only on Method
    assert card.meta.rubric_hash in method
    assert "evidencehash" in summary
    assert "evidencehash123" in method


def test_indicator_cells_show_what_the_score_rests_on(wb: Any) -> None:
    ws = wb["Indicators"]
    head, headers, rows = table(ws, "Rank")
    assert headers[3:] == ["Dialogue record", "n", "Living wage", "n", "Arrears", "n"]
    by_id = {r[1]: r for r in rows}
    assert by_id["c-alpha"][3] == 80.0  # evidence: a number, coloured by the scale
    assert by_id["c-beta"][5] == "0.0 (policy)"  # filled in by the policy: text
    assert by_id["c-gamma"][7] == "unknown"  # no score at all
    assert by_id["c-gamma"][0] == "–"
    r = head + 1 + [r[1] for r in rows].index("c-beta")
    policy_cell = ws.cell(r, 6)
    assert policy_cell.font.i  # muted: italic grey
    assert policy_cell.font.color.rgb.endswith("595959")
    assert not ws.cell(head + 1, 4).font.i
    # the ids are kept, in the table below the matrix
    _, key_headers, key = table(ws, "No.")
    assert key_headers == ["No.", "Id", "Indicator", "Theme"]
    assert [2, "living-wage", "Living wage", "Wages"] in key


def test_companies_sheet_groups_themes_and_indicators_in_an_outline(wb: Any) -> None:
    ws = wb["Companies"]
    head, headers, rows = table(ws, "Rank")
    at = {h: i for i, h in enumerate(headers)}
    levels = {"total": 0, "theme": 1, "penalty": 1, "indicator": 2}
    for k, row in enumerate(rows):
        assert ws.row_dimensions[head + 1 + k].outline_level == levels[row[at["Level"]]]
    assert ws.sheet_properties.outlinePr.summaryBelow is False  # totals above their details
    beta = [r for r in rows if r[at["Company id"]] == "c-beta"]
    living = next(r for r in beta if r[at["Item"]] == "living-wage")
    assert living[at["Score"]] == "0.0 (policy)"
    assert living[at["Basis"]] == "policy"
    assert living[at["Title"]].strip() == "Living wage"
    # the company's name on its total row only; ids on every row
    assert [r[at["Company"]] is not None for r in beta] == [True] + [False] * (len(beta) - 1)


def test_evidence_shows_periods_as_ranges_and_colours_statuses(wb: Any) -> None:
    ws = wb["Evidence"]
    head, headers, rows = table(ws, "Evidence id")
    at = {h: i for i, h in enumerate(headers)}
    by_id = {r[0]: r for r in rows}
    assert by_id["e-alpha-2"][at["Period"]] == "2024-01-01 – 2024-12-31"
    assert by_id["e-alpha-1"][at["Period"]] is None  # a date, no period
    status = openpyxl.utils.get_column_letter(at["Status"] + 1)
    rules = _rules(ws)[f"{status}{head + 1}:{status}{head + len(rows)}"]
    assert {r.formula[0] for r in rules} >= {'"alleged"', '"verified"', '"disputed"'}


def test_long_text_wraps_and_its_rows_grow(wb: Any) -> None:
    ws = wb["Method"]
    head, headers, rows = table(ws, "Level")
    col = headers.index("Rationale") + 1
    k = [r[headers.index("Id")] for r in rows].index("living-wage")
    assert ws.cell(head + 1 + k, col).value == "Pay."
    assert ws.cell(head + 1 + k, col).alignment.wrap_text
    # a note longer than the table is wide is merged across it, wrapped, on a taller row
    summary = wb["Summary"]
    merged = [str(m) for m in summary.merged_cells.ranges]
    assert merged  # the personal-data note and the legend
    first = summary[merged[0].split(":")[0]]
    assert first.alignment.wrap_text
    assert summary.row_dimensions[first.row].height > 15


def test_rubric_text_is_trimmed_on_method(tmp_path: Path) -> None:
    card = make_card()
    rubric = card.rubric.model_copy(deep=True)
    node = next(i.node for i in rubric.walk() if i.node.id == "living-wage")
    object.__setattr__(node, "rationale", "Pay at least\n  a living wage.\n")  # a YAML > block
    path = tmp_path / "b.xlsx"
    write_briefing(dataclasses.replace(card, rubric=rubric), path, sheets=["Method"])
    _, headers, rows = table(openpyxl.load_workbook(path)["Method"], "Level")
    by_id = {r[headers.index("Id")]: r for r in rows}
    assert by_id["living-wage"][headers.index("Rationale")] == "Pay at least a living wage."


def test_bulk_rows_with_heights_levels_and_notes_match_xlsxwriter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 40
    frame = pd.DataFrame(
        {
            "text": [("word " * (k % 7 * 9)).strip() or None for k in range(n)],
            "score": [None if k % 3 == 0 else float(k) for k in range(n)],
            "note": ["unknown" if k % 3 == 0 else None for k in range(n)],
        }
    )
    cols = [
        TableColumn.from_series("Text", frame["text"], width=30),
        TableColumn.from_series(
            "Score", frame["score"], "score", scale="score", notes=frame["note"]
        ),
    ]
    levels = [k % 3 for k in range(n)]
    muted = [k >= 30 for k in range(n)]
    sheets = [Sheet("S", "t", ["a note", Table(cols, main=True, levels=levels, muted=muted)])]
    render(sheets, tmp_path / "bulk.xlsx", created=dt.datetime(2026, 1, 1))
    monkeypatch.setattr(book, "BULK_MIN_ROWS", sys.maxsize)
    render(sheets, tmp_path / "cells.xlsx", created=dt.datetime(2026, 1, 1))
    assert (tmp_path / "bulk.xlsx").read_bytes() == (tmp_path / "cells.xlsx").read_bytes()
    ws = openpyxl.load_workbook(tmp_path / "bulk.xlsx")["S"]
    head = 4  # title, blank, note, blank, header (1-based row 5 is the first data row)
    assert ws.cell(head + 2, 2).value == "unknown"  # k = 0
    assert ws.cell(head + 3, 2).value == 1.0
    assert ws.row_dimensions[head + 3].outline_level == 1
    # k = 6: 6 * 9 = 54 words of 5 characters, 269 characters in a 30-wide column: at
    # (30 - 1) * 1.1 = 31.9 characters a line, ceil(269 / 31.9) = 9 lines of 15 points
    assert ws.row_dimensions[head + 8].height == 135


@pytest.fixture(scope="module")
def engine_briefing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    as_of = dt.date(2026, 1, 1)
    evidence = synthetic_evidence(12, 150, seed=3, as_of=as_of)
    rubric = load_rubric(RUBRIC)
    days = [dt.date(2023, 12, 31), as_of]
    cards = trend_cards(evidence, rubric, days)
    frame = trend_frame(cards, evidence.frames())
    comparison = compare(cards[-1], by="origin_group", resamples=200, permutations=200)
    path = tmp_path_factory.mktemp("engine") / "b.xlsx"
    write_briefing(
        cards[-1],
        path,
        evidence=evidence,
        comparisons={"origin_group": comparison},
        trend=frame,
    )
    return path, frame


def test_chart_labels_carry_n_and_error_bars_reference_cells(
    engine_briefing: tuple[Path, pd.DataFrame],
) -> None:
    path, _ = engine_briefing
    wb = openpyxl.load_workbook(path)
    head, headers, rows = table(wb["By origin"], "Group")
    # the comparison's tables follow the overview: its header is not repeated above them
    assert not wb["By origin"].print_title_rows
    at = {h: i for i, h in enumerate(headers)}
    for r in rows:  # "china (n=4)": the label is the group and its n
        assert r[at["Label"]] == f"{r[at['Group']]} (n={r[at['Companies']]})"
        if r[at["CI high"]] is not None:
            assert r[at["Interval above mean"]] == pytest.approx(r[at["CI high"]] - r[at["Mean"]])
            assert r[at["Interval below mean"]] == pytest.approx(r[at["Mean"]] - r[at["CI low"]])
    letter = {h: openpyxl.utils.get_column_letter(i + 1) for h, i in at.items()}
    span = f"${head + 1}:${letter['Label']}${head + len(rows)}"
    with zipfile.ZipFile(path) as zf:
        chart = zf.read("xl/charts/chart1.xml").decode()
    assert "<c:errBars>" in chart
    assert '<c:errValType val="cust"/>' in chart
    above, below = letter["Interval above mean"], letter["Interval below mean"]
    assert (
        f"<c:plus><c:numRef><c:f>'By origin'!${above}${head + 1}:${above}${head + len(rows)}"
        in chart
    )
    assert (
        f"<c:minus><c:numRef><c:f>'By origin'!${below}${head + 1}:${below}${head + len(rows)}"
        in chart
    )
    assert f"'By origin'!${letter['Label']}{span}" in chart  # categories: the labels with n
    assert "<c:numLit>" not in chart  # literal error values do not render in LibreOffice


def test_trend_sheet_matches_the_trend_frame(engine_briefing: tuple[Path, pd.DataFrame]) -> None:
    path, frame = engine_briefing
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["Summary", "Trend"]
    _, headers, rows = table(wb["Trend"], "Rank")
    at = {h: i for i, h in enumerate(headers)}
    assert len(rows) == frame["company_id"].nunique()
    for _, rec in frame.iterrows():
        day = rec["as_of"].date().isoformat()
        row = next(r for r in rows if r[at["Company id"]] == rec["company_id"])
        total = row[at[f"Total\n{day}"]]
        if bool(rec["sufficient"]):
            assert total == pytest.approx(float(rec["total"]))
            assert row[at[f"Rank\n{day}"]] == int(rec["rank"])
        else:  # shown, muted, never as a number the scale would colour; no rank
            assert total == f"({float(rec['total']):.1f})"
            assert row[at[f"Rank\n{day}"]] == "–"
        assert row[at[f"Coverage\n{day}"]] == pytest.approx(float(rec["coverage"]))
        assert row[at[f"Records known\n{day}"]] == int(rec["records_known"])
    # the other sheets show the last date
    summary = " ".join(str(c.value) for c in wb["Summary"]["A"] if c.value)
    assert "As of: 2026-01-01" in summary


def test_a_trend_must_end_at_the_cards_date(tmp_path: Path) -> None:
    as_of = dt.date(2026, 1, 1)
    evidence = synthetic_evidence(4, 30, seed=1, as_of=as_of)
    rubric = load_rubric(RUBRIC)
    cards = trend_cards(evidence, rubric, [dt.date(2024, 1, 1), as_of])
    frame = trend_frame(cards, evidence.frames())
    with pytest.raises(ValueError, match="last as-of date"):
        write_briefing(cards[0], tmp_path / "b.xlsx", trend=frame)
    with pytest.raises(ValueError, match="lacks the column"):
        write_briefing(cards[-1], tmp_path / "b.xlsx", trend=frame.drop(columns="coverage"))
    assert not (tmp_path / "b.xlsx").exists()
    # without a trend there is no Trend sheet
    result = write_briefing(cards[-1], tmp_path / "c.xlsx")
    assert "Trend" not in result.sheets


def test_same_inputs_with_a_trend_give_identical_bytes(
    tmp_path: Path, engine_briefing: tuple[Path, pd.DataFrame]
) -> None:
    _, frame = engine_briefing
    as_of = dt.date(2026, 1, 1)
    evidence = synthetic_evidence(12, 150, seed=3, as_of=as_of)
    card = trend_cards(evidence, load_rubric(RUBRIC), [as_of])[-1]
    write_briefing(card, tmp_path / "a.xlsx", evidence=evidence, trend=frame)
    write_briefing(card, tmp_path / "b.xlsx", evidence=evidence, trend=frame)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_brief_with_several_dates_writes_a_trend_sheet(tmp_path: Path) -> None:
    as_of = dt.date(2026, 1, 1)
    bundle = tmp_path / "bundle"
    write_evidence(synthetic_evidence(6, 40, seed=5, as_of=as_of), bundle, format="jsonl")
    out = tmp_path / "b.xlsx"
    args = ["brief", str(bundle), "--rubric", str(RUBRIC), "--out", str(out), "--quiet"]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--as-of", "2026-01-01,2024-06-30"])
    assert exit_info.value.code in (0, None)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[1] == "Trend"
    _, headers, _ = table(wb["Trend"], "Rank")
    assert "Total\n2024-06-30" in headers
    assert "Total\n2026-01-01" in headers
    with pytest.raises(SystemExit) as bad:
        main([*args, "--as-of", "2026-01-01,yesterday"])
    assert bad.value.code == 2


def test_period_days_by_pyarrow_are_what_strftime_gives() -> None:
    import numpy as np

    from bhrscore.export.briefing.evidence import _iso_days

    rng = np.random.default_rng(3)
    lo, hi = np.datetime64("1700-01-01", "s").astype(np.int64), np.datetime64("2250-01-01", "s")
    stamps = pd.Series(rng.integers(lo, hi.astype(np.int64), 2_000).astype("datetime64[s]"))
    stamps.iloc[::5] = pd.NaT  # (and times of day, before and after 1970)
    fast = _iso_days(stamps)
    assert fast is not None
    assert fast.tolist() == stamps.dt.strftime("%Y-%m-%d").astype("string").tolist()
    # time zones, and years that are not four digits long, are left to strftime
    assert _iso_days(stamps.dt.tz_localize("UTC")) is None
    early = pd.Series(pd.to_datetime(["0950-03-01"], format="%Y-%m-%d").astype("datetime64[s]"))
    assert _iso_days(early) is None
