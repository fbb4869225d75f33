"""``retaliation``: reprisals against workers, union leaders, defenders and their families."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..model import EvidenceBase
from ..registry import evidence_kind
from ..vocab import Actor, Involvement, Remedy, RetaliationAction, TargetRole, Trigger


@evidence_kind("retaliation")
class Retaliation(EvidenceBase):
    """An act of reprisal, who did it, the company's involvement in UNGP terms, what
    triggered it and what remedy followed."""

    kind: Literal["retaliation"] = "retaliation"
    action: RetaliationAction
    target_role: TargetRole
    targets: int = Field(default=1, ge=1, description="Number of people targeted")
    actor: Actor = Actor.UNKNOWN
    company_involvement: Involvement | None = None
    trigger: Trigger | None = None
    remedy: Remedy | None = None

    @classmethod
    def example(cls) -> dict[str, Any]:
        """A fictional example row for the evidence-entry template."""
        return {
            "date": "2025-02-20",
            "summary": "EXAMPLE (fictional): a union leader was dismissed after a strike.",
            "action": "dismissal",
            "target_role": "union_leader",
            "targets": 1,
            "actor": "company",
            "company_involvement": "caused",
            "trigger": "strike",
            "remedy": "none",
            "sensitive": True,
            "persons": ["Example Person"],
            "company_response": {"status": "no_response"},
        }
