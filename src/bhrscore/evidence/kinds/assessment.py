"""``assessment``: an analyst's answer to a disclosure-benchmark question.

This is how CHRB-, KnowTheChain- or Ranking Digital Rights-style benchmarks record data: one
answer per company and question, sourced to the disclosure it rests on.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from ..hooks import FrameCheck
from ..model import EvidenceBase, Slug
from ..registry import evidence_kind
from ..vocab import AssessmentAnswer


@evidence_kind("assessment")
class Assessment(EvidenceBase):
    """Exactly one of ``answer`` (yes/partial/no/not_found/not_applicable) or a numeric
    ``value`` answers the question ``question_id`` of the benchmark ``framework``."""

    kind: Literal["assessment"] = "assessment"
    framework: Slug | None = None
    question_id: Slug
    answer: AssessmentAnswer | None = None
    value: float | None = None

    @model_validator(mode="after")
    def _one_answer(self) -> Assessment:
        if (self.answer is None) == (self.value is None):
            raise ValueError("give exactly one of answer or value")
        return self

    @classmethod
    def frame_checks(cls) -> tuple[FrameCheck, ...]:
        return (
            FrameCheck(
                "give exactly one of answer or value",
                lambda v: v.has("answer") == v.has("value"),
            ),
        )

    @classmethod
    def example(cls) -> dict[str, Any]:
        """A fictional example row for the evidence-entry template."""
        return {
            "date": "2025-01-31",
            "status": "verified",
            "summary": "EXAMPLE (fictional): no grievance mechanism disclosed.",
            "framework": "example-benchmark",
            "question_id": "grievance-1",
            "answer": "not_found",
        }
