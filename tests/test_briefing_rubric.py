"""The rubric names the briefing: titles, document properties and legends come from the
rubric given, never from fixed labour-rights wording."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bhrscore import score, synthetic_frames, write_briefing
from bhrscore.rubric.model import Rubric, load_rubric

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 1, 1)
RULE = {
    "select": {"kind": "statement"},
    "aggregate": "any",
    "scale": {"type": "boolean", "true_score": 100, "false_score": 0},
}
DIGITAL = {
    "id": "fictional-digital",
    "version": "2.0.0",
    "title": "Fictional digital-rights index",
    "description": "Privacy and\n  expression commitments (fictional).",
    "policies": {"missing": "exclude"},
    "tree": [
        {
            "id": "privacy",
            "title": "Privacy",
            "children": [
                {"id": "policy", "title": "Privacy policy", "rationale": "Policy.", "rule": RULE},
                {
                    "id": "breach",
                    "title": "No breach on record",
                    "rationale": "Silence is good news here.",
                    "missing": 100,
                    "rule": RULE,
                },
            ],
        },
        {
            "id": "expression",
            "title": "Expression",
            "missing": "zero",
            "children": [
                {"id": "notice", "title": "Takedown notices", "rationale": "N.", "rule": RULE},
            ],
        },
    ],
}


def _parts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n).decode("utf-8") for n in zf.namelist() if n.endswith(".xml")}


def _write(tmp_path: Path, rubric: Any, name: str) -> Path:
    frames = synthetic_frames(6, 60, seed=2, as_of=AS_OF)
    card = score(frames, rubric, AS_OF)
    path = tmp_path / name
    write_briefing(card, path, evidence=frames)
    return path


def test_a_disclosure_rubric_titles_its_briefing(tmp_path: Path) -> None:
    rubric = load_rubric(ROOT / "rubrics" / "disclosure-benchmark.yaml")
    path = _write(tmp_path, rubric, "disclosure.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb["Summary"]["A1"].value == f"Investor briefing: {rubric.title}"
    props = wb.properties
    assert props.title == f"Investor briefing: {rubric.title}"
    assert props.subject is not None
    assert props.subject.startswith(f"{rubric.title} (disclosure-benchmark 1.0.0)")
    assert props.keywords == "bhrscore, disclosure-benchmark, briefing"
    text = " ".join(_parts(path).values())
    assert "labour-rights accountability" not in text.lower()


def test_a_non_labour_rubric_leaves_no_labour_wording(tmp_path: Path) -> None:
    rubric = Rubric.model_validate(DIGITAL)
    path = _write(tmp_path, rubric, "digital.xlsx")
    parts = _parts(path)
    assert re.search("labou?r", " ".join(parts.values()), re.IGNORECASE) is None
    wb = openpyxl.load_workbook(path)
    assert wb["Summary"]["A1"].value == "Investor briefing: Fictional digital-rights index"
    summary = [str(c.value) for row in wb["Summary"].iter_rows(max_col=1) for c in row]
    # the description, on one line
    assert "About the rubric: Privacy and expression commitments (fictional)." in summary
    indicators = [str(c.value) for row in wb["Indicators"].iter_rows(max_col=1) for c in row]
    # policy exclude: "policy" inherits it; "breach" sets 100; "expression" sets zero for
    # "notice" -> one indicator each
    assert (
        "Without evidence (rubric policy missing: exclude): 1 indicator is left out (empty "
        "score; the weight goes to siblings with evidence); 1 indicator scores 100; "
        "1 indicator scores 0." in indicators
    )
