"""Text that turns formula-like once a reader drops control or invisible characters
("\\x00=1+1") is neutralised like any other formula-like text, in CSV and in workbooks."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from bhrscore.export.briefing import write_briefing
from bhrscore.export.cells import csv_safe, formula_like_mask, is_formula_like
from bhrscore.export.tables import csv_text, write_scorecard
from bhrscore.rubric.scorecard import ScoreCard

from .test_briefing import make_card, make_evidence, table

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
HIDDEN = ["\x00=1+1", " \x00+SUM(1)", "\u200b@cmd", "\ufeff-1", "\x00\x7f\t=2", "\u202e=3"]
HARMLESS = ["\x00abc", "a\x00=b", "\u200bword", "1=1"]


def test_hidden_characters_before_a_trigger_are_formula_like() -> None:
    assert [is_formula_like(t) for t in HIDDEN] == [True] * len(HIDDEN)
    assert [is_formula_like(t) for t in HARMLESS] == [False] * len(HARMLESS)
    mask = formula_like_mask(pd.Series(HIDDEN + HARMLESS, dtype="string"))
    assert mask.tolist() == [True] * len(HIDDEN) + [False] * len(HARMLESS)
    assert csv_safe("\x00=1+1") == "'\x00=1+1"


def _csv_cells(text: str) -> list[str]:
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return frame.iloc[:, 0].tolist()


def test_csv_text_prefixes_nul_led_formulas() -> None:
    text = csv_text(pd.DataFrame({"a": pd.array(HIDDEN + HARMLESS, dtype="string")}))
    assert _csv_cells(text) == ["'" + t for t in HIDDEN] + HARMLESS


def test_score_card_csv_prefixes_a_nul_led_company_name(tmp_path: Path) -> None:
    card = make_card()
    companies = card.companies.copy()
    companies["name"] = pd.array(["\x00=1+1", "\u200b@cmd", "Plain"], dtype="string")
    card = dataclasses.replace(card, companies=companies)
    paths = write_scorecard(card, tmp_path / "card")
    names = pd.read_csv(paths[0], dtype=str, keep_default_na=False)["name"].tolist()
    assert names == ["'\x00=1+1", "'\u200b@cmd", "Plain"]


@pytest.fixture(scope="module")
def nul_evidence() -> pd.DataFrame:
    frame = make_evidence().frames().evidence.copy()
    frame["summary"] = pd.array(["\x00=1+1", "\u200b+1", "plain", "\x00abc"], dtype="string")
    return frame


def test_companion_csv_prefixes_nul_led_summaries(
    tmp_path: Path, nul_evidence: pd.DataFrame
) -> None:
    card: ScoreCard = make_card()
    result = write_briefing(card, tmp_path / "b.xlsx", evidence=nul_evidence, evidence_row_limit=1)
    assert result.companion is not None
    companion = pd.read_csv(result.companion, dtype=str, keep_default_na=False)
    by_id = dict(zip(companion["Evidence id"], companion["Summary"], strict=True))
    assert by_id == {
        "e-alpha-1": "'\x00=1+1",
        "e-beta-3": "'\u200b+1",
        "e-gamma-1": "plain",
        "e-group-1": "\x00abc",
    }


def test_workbook_quote_prefixes_text_after_an_invisible_character(
    tmp_path: Path, nul_evidence: pd.DataFrame
) -> None:
    path = tmp_path / "w.xlsx"
    write_briefing(make_card(), path, evidence=nul_evidence)
    ws = openpyxl.load_workbook(path)["Evidence"]
    head, headers, rows = table(ws, "Evidence id")
    col = headers.index("Summary") + 1
    cells = {r[0]: ws.cell(head + 1 + i, col) for i, r in enumerate(rows)}
    assert cells["e-alpha-1"].value == "=1+1"  # NUL cannot be stored in XML: dropped
    assert cells["e-alpha-1"].quotePrefix
    assert cells["e-beta-3"].value == "\u200b+1"
    assert cells["e-beta-3"].quotePrefix
    assert not cells["e-gamma-1"].quotePrefix
