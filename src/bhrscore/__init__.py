"""bhrscore: corporate accountability scoring on labour rights.

The public API follows the pipeline: load and validate evidence, score it with a rubric,
compare groups, export.

>>> import datetime as dt
>>> from bhrscore import load_evidence, load_rubric, score, compare, write_briefing
>>> evidence = load_evidence("examples/kazakhstan")  # doctest: +SKIP
>>> rubric = load_rubric("rubrics/labour-rights.yaml")  # doctest: +SKIP
>>> card = score(evidence, rubric, as_of=dt.date(2026, 11, 23))  # doctest: +SKIP
>>> print(card.explain("wagenborg"))  # doctest: +SKIP
>>> by_origin = compare(card, by="origin_group")  # doctest: +SKIP
>>> write_briefing(card, "briefing.xlsx", evidence=evidence)  # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .analysis import (
    Comparison,
    EvidenceComparison,
    OriginGroups,
    Sensitivity,
    compare,
    compare_evidence,
    load_origin_groups,
    sensitivity,
)
from .evidence.evidence_set import EvidenceSet
from .evidence.frame import Frames
from .evidence.frame_check import check_frames
from .evidence.hooks import DerivedColumn, FrameCheck, VectorCheck
from .evidence.kinds import Assessment, Retaliation, Statement, UnionDialogue, Wage
from .evidence.load import load_evidence
from .evidence.model import Company, CompanyResponse, EvidenceBase, GroupSubject, Source
from .evidence.read import Limits
from .evidence.registry import evidence_kind, evidence_kinds
from .evidence.report import EvidenceValidationError, Problem, ValidationReport
from .evidence.write import write_evidence
from .export import write_briefing, write_template
from .export.tables import write_scorecard
from .rubric import (
    Rubric,
    RubricError,
    ScoreCard,
    aggregate,
    default_rubric,
    load_rubric,
    rule_type,
    scale_type,
    score,
)
from .synthetic import synthetic_evidence, synthetic_frames

try:
    __version__ = _version("bhrscore")  # one source of truth: pyproject.toml
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Assessment",
    "Company",
    "CompanyResponse",
    "Comparison",
    "DerivedColumn",
    "EvidenceBase",
    "EvidenceComparison",
    "EvidenceSet",
    "EvidenceValidationError",
    "FrameCheck",
    "Frames",
    "GroupSubject",
    "Limits",
    "OriginGroups",
    "Problem",
    "Retaliation",
    "Rubric",
    "RubricError",
    "ScoreCard",
    "Sensitivity",
    "Source",
    "Statement",
    "UnionDialogue",
    "ValidationReport",
    "VectorCheck",
    "Wage",
    "__version__",
    "aggregate",
    "check_frames",
    "compare",
    "compare_evidence",
    "default_rubric",
    "evidence_kind",
    "evidence_kinds",
    "load_evidence",
    "load_origin_groups",
    "load_rubric",
    "rule_type",
    "scale_type",
    "score",
    "sensitivity",
    "synthetic_evidence",
    "synthetic_frames",
    "write_briefing",
    "write_evidence",
    "write_scorecard",
    "write_template",
]
