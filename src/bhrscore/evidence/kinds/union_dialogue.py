"""``union_dialogue``: what happened between a company and a union."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..model import EvidenceBase, Model, Text
from ..registry import evidence_kind
from ..vocab import DialogueEvent, DialogueOutcome, UnionStatus


class TradeUnion(Model):
    """The union involved."""

    name: Text | None = None
    status: UnionStatus = UnionStatus.UNKNOWN


@evidence_kind("union_dialogue")
class UnionDialogue(EvidenceBase):
    """Recognition, agreements, meetings, ignored requests, refusals, strikes and lockouts."""

    kind: Literal["union_dialogue"] = "union_dialogue"
    union: TradeUnion = Field(default_factory=TradeUnion)
    event: DialogueEvent
    outcome: DialogueOutcome | None = None
    workers_covered: int | None = Field(default=None, ge=0)

    @classmethod
    def example(cls) -> dict[str, Any]:
        """A fictional example row for the evidence-entry template."""
        return {
            "date": "2025-03-01",
            "summary": "EXAMPLE (fictional): the union's request for talks went unanswered.",
            "union": {"name": "Example Workers' Union", "status": "independent"},
            "event": "request_ignored",
            "outcome": "pending",
            "workers_covered": 400,
        }
