"""An :class:`EvidenceSet`: validated companies and evidence, plus the report of loading."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from .frame import Frames, company_frame, evidence_frame
from .model import Company, EvidenceBase
from .report import ValidationReport


@dataclass(frozen=True)
class EvidenceSet:
    """Companies and evidence that passed validation.

    >>> from bhrscore import load_evidence
    >>> evidence = load_evidence("examples/kazakhstan")  # doctest: +SKIP
    >>> frames = evidence.frames()  # doctest: +SKIP
    >>> frames.companies, frames.evidence  # doctest: +SKIP
    """

    companies: tuple[Company, ...]
    evidence: tuple[EvidenceBase, ...]
    report: ValidationReport = field(default_factory=ValidationReport, compare=False)

    @cached_property
    def _frames(self) -> Frames:
        return Frames(company_frame(self.companies), evidence_frame(self.evidence))

    def frames(self) -> Frames:
        """Typed companies and evidence DataFrames (computed once, then cached)."""
        return self._frames

    def content_hash(self) -> str:
        """Order-independent hash of the contents, recorded in every score card."""
        return self.frames().content_hash()

    def company(self, company_id: str) -> Company:
        for company in self.companies:
            if company.id == company_id:
                return company
        raise KeyError(company_id)

    def counts(self) -> dict[str, Counter[str]]:
        """Evidence counts per kind and per status."""
        return {
            "kind": Counter(e.kind for e in self.evidence),
            "status": Counter(e.status.value for e in self.evidence),
        }

    def __len__(self) -> int:
        return len(self.evidence)
