"""Comparisons by origin, sector and host country, with uncertainty; sensitivity analysis.

See ``docs/analysis.md``. Public names:

- :func:`compare` -> :class:`Comparison` (score-card scores by group, bootstrap intervals,
  pairwise permutation tests, small-group warnings);
- :func:`compare_evidence` -> :class:`EvidenceComparison` (evidence rates by group, with
  group-level testimony listed separately);
- :func:`sensitivity` -> :class:`Sensitivity` (rank stability under weight perturbations and
  alternative policies);
- :func:`load_origin_groups`, :class:`OriginGroups` (the origin grouping).
"""

from .compare import CompareError, Comparison, compare
from .evidence_compare import EvidenceComparison, compare_evidence
from .origin import OriginGroups, OriginGroupsError, company_origin, load_origin_groups
from .sensitivity import Sensitivity, SensitivityError, sensitivity

__all__ = [
    "CompareError",
    "Comparison",
    "EvidenceComparison",
    "OriginGroups",
    "OriginGroupsError",
    "Sensitivity",
    "SensitivityError",
    "company_origin",
    "compare",
    "compare_evidence",
    "load_origin_groups",
    "sensitivity",
]
