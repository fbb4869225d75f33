"""bhrscore: corporate accountability scoring on labour rights.

The public API, by pipeline stage:

>>> import datetime as dt
>>> from bhrscore import load_evidence, load_rubric, score, compare, write_briefing
>>> evidence = load_evidence("examples/kazakhstan")  # doctest: +SKIP
>>> card = score(evidence, load_rubric("rubrics/labour-rights.yaml"), as_of=dt.date(2026, 11, 23))  # doctest: +SKIP
>>> write_briefing(card, "briefing.xlsx", evidence=evidence)  # doctest: +SKIP
"""

from .evidence.evidence_set import EvidenceSet
from .evidence.frame import Frames
from .evidence.kinds import Assessment, Retaliation, Statement, UnionDialogue, Wage
from .evidence.load import load_evidence
from .evidence.model import Company, CompanyResponse, EvidenceBase, GroupSubject, Source
from .evidence.read import Limits
from .evidence.registry import evidence_kind, evidence_kinds
from .evidence.report import EvidenceValidationError, Problem, ValidationReport
from .evidence.write import write_evidence
from .synthetic import synthetic_evidence, synthetic_frames

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "Company",
    "CompanyResponse",
    "EvidenceBase",
    "EvidenceSet",
    "EvidenceValidationError",
    "Frames",
    "GroupSubject",
    "Limits",
    "Problem",
    "Retaliation",
    "Source",
    "Statement",
    "UnionDialogue",
    "ValidationReport",
    "Wage",
    "__version__",
    "evidence_kind",
    "evidence_kinds",
    "load_evidence",
    "synthetic_evidence",
    "synthetic_frames",
    "write_evidence",
]
