"""``statement``: policies, public statements, reports and responses to allegations."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..model import EvidenceBase
from ..registry import evidence_kind
from ..vocab import Standard, StatementTopic, StatementType, Strength


@evidence_kind("statement")
class Statement(EvidenceBase):
    """A company's published commitment or statement and what it covers."""

    kind: Literal["statement"] = "statement"
    statement_type: StatementType
    topics: list[StatementTopic] = Field(default_factory=list)
    standards: list[Standard] = Field(default_factory=list)
    strength: Strength | None = None

    @classmethod
    def example(cls) -> dict[str, Any]:
        """A fictional example row for the evidence-entry template."""
        return {
            "date": "2025-01-15",
            "status": "verified",
            "summary": "EXAMPLE (fictional): human rights policy commits to freedom of "
            "association.",
            "statement_type": "policy_commitment",
            "topics": ["freedom_of_association", "collective_bargaining"],
            "standards": ["ilo_c87", "ilo_c98"],
            "strength": "explicit",
        }
