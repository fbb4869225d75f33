"""A minimal bhrscore plug-in (fictional, for documentation and tests).

It brings, in one module:

- the evidence kind ``harassment``: workplace harassment complaints at a company, with how
  many were resolved; a cross-field rule (``resolved <= complaints``) with its vectorised
  twin; the derived column ``share_resolved``; an example row for the entry template; and a
  generator for ``bhrscore.synthetic``;
- the briefing sheet ``Harassment`` (after the built-in sheets): records and complaints per
  company.

Installed (``pip install examples/plugin-example``), it is found through the
``bhrscore.plugins`` entry point declared in ``pyproject.toml``: rubrics can select
``kind: harassment`` and measure ``share_resolved``, and ``bhrscore validate``, ``score`` and
``brief`` accept and show its records. Everything is imported from ``bhrscore`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from pydantic import NonNegativeInt, PositiveInt, model_validator

from bhrscore import (
    BriefingInputs,
    DerivedColumn,
    EvidenceBase,
    FrameCheck,
    Sheet,
    Table,
    TableColumn,
    briefing_sheet,
    evidence_kind,
)


@evidence_kind("harassment")
class Harassment(EvidenceBase):
    """Workplace harassment complaints at a company and how many were resolved."""

    kind: Literal["harassment"] = "harassment"
    complaints: PositiveInt
    resolved: NonNegativeInt | None = None

    @model_validator(mode="after")
    def _resolved_at_most_complaints(self) -> Harassment:
        if self.resolved is not None and self.resolved > self.complaints:
            raise ValueError("resolved complaints cannot exceed complaints")
        return self

    @classmethod
    def frame_checks(cls) -> tuple[FrameCheck, ...]:
        return (
            FrameCheck(
                "resolved complaints cannot exceed complaints",
                lambda v: v["resolved"] > v["complaints"],
            ),
        )

    @classmethod
    def derived_columns(cls) -> tuple[DerivedColumn, ...]:
        return (
            DerivedColumn(
                "share_resolved",
                "Float64",
                lambda v: v["resolved"] / v["complaints"],
                "resolved complaints / complaints (1.0 = all resolved)",
            ),
        )

    @classmethod
    def example(cls) -> dict[str, Any]:
        return {
            "date": "2025-02-10",
            "summary": "EXAMPLE (fictional): 12 harassment complaints, 3 resolved.",
            "complaints": 12,
            "resolved": 3,
        }

    @classmethod
    def synthesize(cls, rng: np.random.Generator, n: int) -> Mapping[str, Any]:
        complaints = rng.integers(1, 40, size=n)
        return {"complaints": complaints, "resolved": rng.integers(0, complaints + 1)}


@briefing_sheet("Harassment", order=85)
def harassment_sheet(inputs: BriefingInputs) -> Sheet:
    """Harassment records and complaints per company (counts only: no evidence text)."""
    records = inputs.records
    if records is None or "complaints" not in records:
        return Sheet("Harassment", "Harassment complaints", ["No evidence was given."])
    mine = records[records["kind"] == "harassment"]
    per = (
        mine.groupby("company_id", observed=True)
        .agg(records=("id", "size"), complaints=("complaints", "sum"))
        .reset_index()
        .sort_values("company_id")
    )
    return Sheet(
        "Harassment",
        "Harassment complaints",
        [
            f"{len(mine)} harassment record(s) (plug-in kind from bhrscore-example-plugin).",
            Table(
                [
                    TableColumn.from_series("Company id", per["company_id"].astype("string")),
                    TableColumn.from_series("Records", per["records"], "integer"),
                    TableColumn.from_series("Complaints", per["complaints"], "integer"),
                ],
                main=True,
            ),
        ],
    )
