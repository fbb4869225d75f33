"""bhrscore: corporate accountability scoring on labour rights.

The public API follows the pipeline: load and validate evidence, score it with a rubric,
compare groups, export. It is exactly the names in ``__all__``, importable from ``bhrscore``;
the modules below it are internal and may change. ``assess(evidence, rubric, as_of)`` carries
one set of inputs through every step. Installed plug-ins (entry-point group
``bhrscore.plugins``) are loaded on first use of any registry.

>>> import datetime as dt
>>> from bhrscore import load_evidence, load_rubric, score, compare, write_briefing
>>> evidence = load_evidence("examples/kazakhstan")  # doctest: +SKIP
>>> rubric = load_rubric("rubrics/labour-rights.yaml")  # doctest: +SKIP
>>> card = score(evidence, rubric, as_of=dt.date(2026, 11, 23))  # doctest: +SKIP
>>> print(card.explain("wagenborg"))  # doctest: +SKIP
>>> by_origin = compare(card, by="origin_group")  # doctest: +SKIP
>>> write_briefing(card, "briefing.xlsx", evidence=evidence)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .analysis import (
        Comparison,
        EvidenceComparison,
        OriginGroups,
        Sensitivity,
        compare_evidence,
        load_origin_groups,
    )
    from .analysis.compare import compare
    from .analysis.sensitivity import sensitivity
    from .backends import scoring_backend, scoring_backends
    from .backends.dataset import ParquetDataset, open_dataset, write_parquet_dataset
    from .evidence.evidence_set import EvidenceSet
    from .evidence.frame import Frames
    from .evidence.frame_check import check_frames
    from .evidence.hooks import DerivedColumn, FrameCheck, TextUnchanged, VectorCheck
    from .evidence.kinds import (
        Assessment,
        Retaliation,
        Screening,
        Statement,
        UnionDialogue,
        Wage,
    )
    from .evidence.load import load_evidence
    from .evidence.model import Company, CompanyResponse, EvidenceBase, GroupSubject, Source
    from .evidence.privacy import Privacy, RedactedEvidence, redact_evidence, redact_report
    from .evidence.read import Limits
    from .evidence.registry import evidence_kind, evidence_kinds
    from .evidence.report import EvidenceValidationError, Problem, ValidationReport
    from .evidence.sectors import (
        SectorVocabulary,
        default_sector_vocabulary,
        load_sector_vocabulary,
    )
    from .evidence.write import write_evidence
    from .export import (
        BriefingInputs,
        BriefingResult,
        SheetEntry,
        briefing_sheet,
        companion_path,
        prepare_briefing,
        write_briefing,
        write_template,
    )
    from .export.book import Sheet, Table, TableColumn
    from .export.tables import write_scorecard
    from .importers import (
        PUBLISHED_COLUMNS,
        Imported,
        Importer,
        ImporterError,
        ImportOptions,
        ImportProblemsError,
        import_bundle,
        importer,
        published_vs_scored,
        read_published,
    )
    from .importers.table import read_table, row_problems
    from .match import MismatchError
    from .plot import plot_coverage, plot_groups, plot_ranks, plot_trend
    from .plugins import PluginStatus, PluginWarning, load_plugins
    from .rubric import (
        NodeInput,
        Rows,
        Rubric,
        RubricError,
        RuleContext,
        RuleResult,
        RuleSpec,
        ScaleSpec,
        ScoreCard,
        Select,
        Uncertainty,
        aggregate,
        default_rubric,
        load_rubric,
        node_aggregation,
        rule_type,
        scale_type,
        score,
    )
    from .rubric.aggregates import aggregates
    from .rubric.explain import Explanation
    from .rubric.trend import trend
    from .run import AssessmentRun, assess
    from .synthetic import DEFAULT_AS_OF, synthetic_evidence, synthetic_frames

    __version__: str

#: public name -> module (relative to this package) that defines it. Imported on first use so
#: that ``import bhrscore.cli`` (and ``bhrscore --help``) does not pay for pandas and pydantic.
_EXPORTS: dict[str, str] = {
    "Assessment": ".evidence.kinds",
    "AssessmentRun": ".run",
    "ParquetDataset": ".backends.dataset",
    "open_dataset": ".backends.dataset",
    "scoring_backend": ".backends",
    "scoring_backends": ".backends",
    "write_parquet_dataset": ".backends.dataset",
    "BriefingInputs": ".export",
    "BriefingResult": ".export",
    "Company": ".evidence.model",
    "CompanyResponse": ".evidence.model",
    "Comparison": ".analysis",
    "DEFAULT_AS_OF": ".synthetic",
    "DerivedColumn": ".evidence.hooks",
    "EvidenceBase": ".evidence.model",
    "EvidenceComparison": ".analysis",
    "EvidenceSet": ".evidence.evidence_set",
    "EvidenceValidationError": ".evidence.report",
    "Explanation": ".rubric.explain",
    "FrameCheck": ".evidence.hooks",
    "Frames": ".evidence.frame",
    "GroupSubject": ".evidence.model",
    "ImportOptions": ".importers",
    "ImportProblemsError": ".importers",
    "Imported": ".importers",
    "Importer": ".importers",
    "ImporterError": ".importers",
    "Limits": ".evidence.read",
    "MismatchError": ".match",
    "NodeInput": ".rubric",
    "OriginGroups": ".analysis",
    "PUBLISHED_COLUMNS": ".importers",
    "PluginStatus": ".plugins",
    "PluginWarning": ".plugins",
    "Problem": ".evidence.report",
    "Retaliation": ".evidence.kinds",
    "Rows": ".rubric",
    "Rubric": ".rubric",
    "RubricError": ".rubric",
    "RuleContext": ".rubric",
    "RuleResult": ".rubric",
    "RuleSpec": ".rubric",
    "ScaleSpec": ".rubric",
    "ScoreCard": ".rubric",
    "Screening": ".evidence.kinds",
    "SectorVocabulary": ".evidence.sectors",
    "Select": ".rubric",
    "Sensitivity": ".analysis",
    "Sheet": ".export.book",
    "SheetEntry": ".export",
    "Source": ".evidence.model",
    "Statement": ".evidence.kinds",
    "Table": ".export.book",
    "TableColumn": ".export.book",
    "TextUnchanged": ".evidence.hooks",
    "Uncertainty": ".rubric",
    "UnionDialogue": ".evidence.kinds",
    "ValidationReport": ".evidence.report",
    "Privacy": ".evidence.privacy",
    "RedactedEvidence": ".evidence.privacy",
    "redact_evidence": ".evidence.privacy",
    "redact_report": ".evidence.privacy",
    "VectorCheck": ".evidence.hooks",
    "Wage": ".evidence.kinds",
    "aggregate": ".rubric",
    "aggregates": ".rubric.aggregates",
    "assess": ".run",
    "briefing_sheet": ".export",
    "check_frames": ".evidence.frame_check",
    "companion_path": ".export",
    "compare": ".analysis.compare",
    "compare_evidence": ".analysis",
    "default_rubric": ".rubric",
    "default_sector_vocabulary": ".evidence.sectors",
    "evidence_kind": ".evidence.registry",
    "evidence_kinds": ".evidence.registry",
    "import_bundle": ".importers",
    "importer": ".importers",
    "load_evidence": ".evidence.load",
    "load_origin_groups": ".analysis",
    "load_plugins": ".plugins",
    "load_rubric": ".rubric",
    "load_sector_vocabulary": ".evidence.sectors",
    "node_aggregation": ".rubric",
    "plot_coverage": ".plot",
    "plot_groups": ".plot",
    "plot_ranks": ".plot",
    "plot_trend": ".plot",
    "prepare_briefing": ".export",
    "published_vs_scored": ".importers",
    "read_published": ".importers",
    "read_table": ".importers.table",
    "row_problems": ".importers.table",
    "rule_type": ".rubric",
    "scale_type": ".rubric",
    "score": ".rubric",
    "sensitivity": ".analysis.sensitivity",
    "synthetic_evidence": ".synthetic",
    "synthetic_frames": ".synthetic",
    "trend": ".rubric.trend",
    "write_briefing": ".export",
    "write_evidence": ".evidence.write",
    "write_scorecard": ".export.tables",
    "write_template": ".export",
}


def __getattr__(name: str) -> Any:
    """Import a public name on first access (PEP 562)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value: Any = version("bhrscore")  # one source of truth: pyproject.toml
        except PackageNotFoundError:  # running from a source tree that was never installed
            value = "0+unknown"
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "DEFAULT_AS_OF",
    "PUBLISHED_COLUMNS",
    "Assessment",
    "AssessmentRun",
    "BriefingInputs",
    "BriefingResult",
    "Company",
    "CompanyResponse",
    "Comparison",
    "DerivedColumn",
    "EvidenceBase",
    "EvidenceComparison",
    "EvidenceSet",
    "EvidenceValidationError",
    "Explanation",
    "FrameCheck",
    "Frames",
    "GroupSubject",
    "ImportOptions",
    "ImportProblemsError",
    "Imported",
    "Importer",
    "ImporterError",
    "Limits",
    "MismatchError",
    "NodeInput",
    "OriginGroups",
    "ParquetDataset",
    "PluginStatus",
    "PluginWarning",
    "Privacy",
    "Problem",
    "RedactedEvidence",
    "Retaliation",
    "Rows",
    "Rubric",
    "RubricError",
    "RuleContext",
    "RuleResult",
    "RuleSpec",
    "ScaleSpec",
    "ScoreCard",
    "Screening",
    "SectorVocabulary",
    "Select",
    "Sensitivity",
    "Sheet",
    "SheetEntry",
    "Source",
    "Statement",
    "Table",
    "TableColumn",
    "TextUnchanged",
    "Uncertainty",
    "UnionDialogue",
    "ValidationReport",
    "VectorCheck",
    "Wage",
    "__version__",
    "aggregate",
    "aggregates",
    "assess",
    "briefing_sheet",
    "check_frames",
    "companion_path",
    "compare",
    "compare_evidence",
    "default_rubric",
    "default_sector_vocabulary",
    "evidence_kind",
    "evidence_kinds",
    "import_bundle",
    "importer",
    "load_evidence",
    "load_origin_groups",
    "load_plugins",
    "load_rubric",
    "load_sector_vocabulary",
    "node_aggregation",
    "open_dataset",
    "plot_coverage",
    "plot_groups",
    "plot_ranks",
    "plot_trend",
    "prepare_briefing",
    "published_vs_scored",
    "read_published",
    "read_table",
    "redact_evidence",
    "redact_report",
    "row_problems",
    "rule_type",
    "scale_type",
    "score",
    "scoring_backend",
    "scoring_backends",
    "sensitivity",
    "synthetic_evidence",
    "synthetic_frames",
    "trend",
    "write_briefing",
    "write_evidence",
    "write_parquet_dataset",
    "write_scorecard",
    "write_template",
]
