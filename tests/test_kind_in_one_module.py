"""A new evidence kind is one module: the fictional ``overtime`` kind below, declared only
here (model, validator twin, derived column, template example, synthetic generator), goes
through loading, frames, a rubric rule, the briefing, the template, the JSON Schema and the
synthetic generator with no edit anywhere else, and leaves no trace once unregistered."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pydantic import PositiveFloat, model_validator

from bhrscore import (
    DerivedColumn,
    EvidenceBase,
    FrameCheck,
    check_frames,
    evidence_kind,
    evidence_kinds,
    load_evidence,
    load_rubric,
    score,
    synthetic_frames,
    write_briefing,
    write_template,
)
from bhrscore.evidence.frame import evidence_dtypes
from bhrscore.evidence.registry import KINDS
from bhrscore.schema import render
from bhrscore.synthetic import frames_to_models

AS_OF = dt.date(2025, 6, 30)
SOURCE = {"url": "https://example.org/fictional/overtime", "title": "Fictional report"}

RUBRIC = """
id: overtime-test
version: 0.1.0
title: Working hours (fictional test rubric)
tree:
  - id: hours
    title: Hours within the legal limit
    rationale: Legal weekly limit divided by the hours worked.
    rule:
      select: {kind: overtime}
      measure: {field: within_limit}
      aggregate: mean
      scale: {type: linear, lower: 0.5, upper: 1.0}
"""


@pytest.fixture
def overtime() -> Iterator[type[EvidenceBase]]:
    """The kind, registered after the registry's caches are warm; unregistered afterwards."""
    evidence_dtypes()  # warm the caches first: they must follow the registry

    @evidence_kind("overtime")
    class Overtime(EvidenceBase):
        """Weekly working hours against the legal limit (fictional test kind)."""

        kind: Literal["overtime"] = "overtime"
        hours_per_week: PositiveFloat
        legal_limit: PositiveFloat

        @model_validator(mode="after")
        def _plausible(self) -> Overtime:
            if self.hours_per_week > 168:
                raise ValueError("a week has 168 hours")
            return self

        @classmethod
        def frame_checks(cls) -> tuple[FrameCheck, ...]:
            return (FrameCheck("a week has 168 hours", lambda v: v["hours_per_week"] > 168),)

        @classmethod
        def derived_columns(cls) -> tuple[DerivedColumn, ...]:
            return (
                DerivedColumn(
                    "within_limit",
                    "Float64",
                    lambda v: v["legal_limit"] / v["hours_per_week"],
                    "legal limit / hours worked (1.0 = at the limit)",
                ),
            )

        @classmethod
        def example(cls) -> dict[str, Any]:
            return {
                "date": "2025-02-01",
                "summary": "EXAMPLE (fictional): 60-hour weeks on a drilling site.",
                "hours_per_week": 60,
                "legal_limit": 48,
            }

        @classmethod
        def synthesize(cls, rng: np.random.Generator, n: int) -> Mapping[str, Any]:
            return {
                "hours_per_week": np.round(rng.uniform(40.0, 70.0, size=n), 1),
                "legal_limit": np.full(n, 48.0),
            }

    try:
        yield Overtime
    finally:
        KINDS.unregister("overtime")


def _record(id: str, hours: float, **kw: Any) -> dict[str, Any]:
    return {
        "id": id,
        "kind": "overtime",
        "company_id": "acme",
        "date": "2025-03-01",
        "country": "KZ",
        "summary": "Fictional overtime report",
        "sources": [SOURCE],
        "status": "verified",
        "reliability": "high",
        "hours_per_week": hours,
        "legal_limit": 48,
    } | kw


def _bundle(path: Path) -> Path:
    path.mkdir()
    company = {"id": "acme", "name": "Acme Fictional Drilling", "hq_country": "NL"}
    (path / "companies.jsonl").write_text(json.dumps(company) + "\n", encoding="utf-8")
    rows = [_record("o1", 60), _record("o2", 48), _record("too-long", 200)]
    (path / "evidence.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def test_a_kind_in_one_module_goes_through_the_whole_pipeline(
    tmp_path: Path, overtime: type[EvidenceBase]
) -> None:
    assert "overtime" in evidence_kinds()
    # load and frames: the derived column is there, the validator's twin refuses a row
    evidence = load_evidence(_bundle(tmp_path / "bundle"), strict=False)
    assert [(p.row, "168" in p.message) for p in evidence.report.errors] == [(3, True)]
    frame = evidence.frames().evidence.set_index("id")
    assert list(frame.index) == ["o1", "o2"]
    assert frame.loc["o1", "kind"] == "overtime"
    assert frame.loc["o1", "within_limit"] == pytest.approx(0.8)  # 48 / 60
    assert frame.loc["o2", "within_limit"] == pytest.approx(1.0)  # 48 / 48
    check_frames(evidence.frames())

    # a rubric rule on the derived column: mean(0.8, 1.0) = 0.9 (both verified, high, same
    # date: equal weights); linear 0.5..1.0 -> 100 * (0.9 - 0.5) / 0.5 = 80
    rubric_path = tmp_path / "overtime.yaml"
    rubric_path.write_text(RUBRIC, encoding="utf-8")
    card = score(evidence, load_rubric(rubric_path), AS_OF, uncertainty=False)
    total = card.companies.set_index("company_id").loc["acme", "total"]
    assert total == pytest.approx(80.0)

    # the briefing lists the records of the new kind on its Evidence sheet
    result = write_briefing(card, tmp_path / "briefing.xlsx", evidence=evidence)
    sheet = openpyxl.load_workbook(result.path)["Evidence"]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "o1" in cells
    assert "overtime" in cells

    # the template: the kind's columns, its example row and its name in the kind list
    template = openpyxl.load_workbook(write_template(tmp_path / "template.xlsx"))
    ev_sheet = template["Evidence"]
    header = [c.value for c in ev_sheet[1]]
    assert {"hours_per_week", "legal_limit"} <= set(header)
    assert "within_limit" not in header  # derived: never typed in
    kinds_column = header.index("kind")
    example_kinds = [row[kinds_column].value for row in ev_sheet.iter_rows(min_row=2)]
    assert "overtime" in example_kinds
    lists = template["Lists"]
    kind_list = [c.value for c in next(col for col in lists.columns if col[0].value == "kind")]
    assert "overtime" in kind_list

    # the JSON Schema of evidence names the kind and its fields
    schema = json.loads(render("evidence.schema.json"))
    text = json.dumps(schema)
    assert '"overtime"' in text
    assert "hours_per_week" in text

    # the synthetic generator draws records of the kind from its synthesize()
    frames = synthetic_frames(5, 400, seed=1)
    mine = frames.evidence[frames.evidence["kind"] == "overtime"]
    assert len(mine) > 0
    assert mine["hours_per_week"].between(40.0, 70.0).all()
    assert (mine["legal_limit"] == 48.0).all()
    expected = mine["legal_limit"] / mine["hours_per_week"]
    assert np.allclose(mine["within_limit"].to_numpy(float), expected.to_numpy(float))
    others = frames.evidence[frames.evidence["kind"] != "overtime"]
    assert others["hours_per_week"].isna().all()
    check_frames(frames)
    _, models = frames_to_models(frames)
    assert sum(isinstance(m, overtime) for m in models) == len(mine)


def test_unregistering_the_kind_leaves_no_trace(overtime: type[EvidenceBase]) -> None:
    # the caches have seen the kind ...
    assert "within_limit" in evidence_dtypes()
    assert '"overtime"' in render("evidence.schema.json")
    assert "overtime" in set(synthetic_frames(5, 400, seed=1).evidence["kind"].astype(str))
    # ... and follow its removal
    KINDS.unregister("overtime")
    assert "overtime" not in evidence_kinds()
    assert "within_limit" not in evidence_dtypes()
    assert "hours_per_week" not in evidence_dtypes()
    assert "overtime" not in list(evidence_dtypes()["kind"].categories)
    assert '"overtime"' not in render("evidence.schema.json")
    frames = synthetic_frames(5, 50, seed=1)
    assert "overtime" not in set(frames.evidence["kind"].astype(str))
    assert isinstance(frames.evidence, pd.DataFrame)
