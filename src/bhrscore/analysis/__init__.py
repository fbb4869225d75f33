"""Comparisons by origin, sector and host country, with uncertainty; sensitivity analysis.

See ``docs/analysis.md``. Public names:

- :func:`compare` -> :class:`Comparison` (score-card scores by group, bootstrap intervals,
  pairwise permutation tests, small-group warnings);
- :func:`compare_evidence` -> :class:`EvidenceComparison` (evidence rates by group, with
  group-level testimony listed separately);
- :func:`sensitivity` -> :class:`Sensitivity` (rank stability under weight perturbations and
  alternative policies);
- :func:`load_origin_groups`, :class:`OriginGroups` (the origin grouping).

The evidence comparison and the sensitivity analysis are imported on first use (PEP 562):
``bhrscore brief`` compares score cards only and need not pay for them.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from .compare import CompareError, Comparison, compare
from .origin import OriginGroups, OriginGroupsError, company_origin, load_origin_groups

if TYPE_CHECKING:
    from .evidence_compare import EvidenceComparison, compare_evidence
    from .sensitivity import Sensitivity, SensitivityError, sensitivity

#: public name -> module (in this package) that defines it, imported on first use
_LAZY = {
    "EvidenceComparison": "evidence_compare",
    "compare_evidence": "evidence_compare",
    "Sensitivity": "sensitivity",
    "SensitivityError": "sensitivity",
    "sensitivity": "sensitivity",
}

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """This package's module type: importing the submodule ``sensitivity`` does not replace
    the function of that name (the import system sets a package's attribute to each submodule
    it loads; :func:`__getattr__` then gives the function, as the eager import did)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
