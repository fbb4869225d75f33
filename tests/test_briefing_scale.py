"""Every record behind a score stays reachable: past the Evidence sheet's row cap all
records go to a companion file with the same ids, which the workbook names and links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from bhrscore import BriefingInputs, prepare_briefing, write_briefing
from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.export.briefing.trail import EVIDENCE_ROW_CAP, evidence_capacity
from bhrscore.rubric.scorecard import ScoreCard

from .test_briefing import make_card, make_evidence, table

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
TRAIL = ["e-alpha-1", "e-beta-3", "e-gamma-1", "e-group-1"]  # company, date, id order


@pytest.fixture(scope="module")
def card() -> ScoreCard:
    return make_card()


@pytest.fixture(scope="module")
def evidence() -> EvidenceSet:
    return make_evidence()


def _links(ws: Any) -> dict[str, str]:
    """Note text -> link target for every linked cell in column A."""
    return {
        str(c.value): c.hyperlink.target
        for row in ws.iter_rows(max_col=1)
        for c in row
        if c.hyperlink is not None
    }


def test_the_default_cap_and_none(card: ScoreCard, evidence: EvidenceSet) -> None:
    assert EVIDENCE_ROW_CAP == 10_000
    inputs = prepare_briefing(card, evidence=evidence).inputs
    assert inputs is not None
    assert inputs.evidence_limit == EVIDENCE_ROW_CAP
    assert not inputs.overflow
    everything = BriefingInputs.build(card, evidence=evidence, evidence_row_limit=None)
    # None: what a sheet holds below the title row, a blank row, two notes, a blank row
    # and the header: 1,048,576 - 5 - 1
    assert everything.evidence_limit == evidence_capacity() == 1_048_570


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_past_the_cap_the_companion_is_named_and_linked(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet, fmt: str
) -> None:
    path = tmp_path / "big.xlsx"
    result = write_briefing(
        card,
        path,
        evidence=evidence,
        evidence_row_limit=2,
        overflow_format=fmt,  # type: ignore[arg-type]
    )
    companion = tmp_path / f"big.evidence.{fmt}"
    assert result.companion == companion
    assert (result.evidence_rows, result.evidence_total) == (2, 4)
    wb = openpyxl.load_workbook(path)
    _, _, rows = table(wb["Evidence"], "Evidence id")
    assert [r[0] for r in rows] == TRAIL[:2]
    # every sheet that speaks of the evidence links to the companion by its bare name
    for sheet in ("Summary", "Evidence", "Companies", "Method"):
        links = _links(wb[sheet])
        assert list(links.values()) == [companion.name], sheet
        assert companion.name in next(iter(links))
    back = pd.read_csv(companion) if fmt == "csv" else pd.read_parquet(companion)
    assert back["Evidence id"].tolist() == TRAIL  # all records, same ids, same order
    assert list(back.columns)[:3] == ["Evidence id", "Company id", "Company / group"]


def test_companies_rows_say_where_their_evidence_is(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    path = tmp_path / "where.xlsx"
    write_briefing(card, path, evidence=evidence, evidence_row_limit=1)
    _, headers, rows = table(openpyxl.load_workbook(path)["Companies"], "Rank")
    assert headers[-1] == "Evidence in"
    col = {h: i for i, h in enumerate(headers)}
    by_item = {(r[col["Company id"]], r[col["Item"]]): r[-1] for r in rows}
    # the penalty cites e-beta-3, second in the trail: with one row on the sheet it is only
    # in the companion; the hand-made indicator ids (c-alpha-dialogue-record-0, ...) are in
    # no evidence given; totals and themes cite nothing
    assert by_item[("c-beta", "reprisal")] == "where.evidence.csv"
    assert by_item[("c-alpha", "dialogue-record")] == "not in the evidence given"
    assert by_item[("c-alpha", "total")] is None
    write_briefing(card, path, evidence=evidence, evidence_row_limit=2)
    _, headers, rows = table(openpyxl.load_workbook(path)["Companies"], "Rank")
    by_item = {(r[1], r[4]): r[-1] for r in rows}
    assert by_item[("c-beta", "reprisal")] == "Evidence sheet"


def test_without_overflow_nothing_links_to_a_companion(
    tmp_path: Path, card: ScoreCard, evidence: EvidenceSet
) -> None:
    path = tmp_path / "small.xlsx"
    result = write_briefing(card, path, evidence=evidence)
    assert result.companion is None
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        assert not any(".evidence." in t for t in _links(ws).values())
    _, headers, _ = table(wb["Companies"], "Rank")
    assert "Evidence in" not in headers
