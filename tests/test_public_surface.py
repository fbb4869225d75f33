"""The public surface is what ``bhrscore.__all__`` lists, and nothing changes it by accident.

Only these names are public; every module below ``bhrscore`` is internal (see
docs/contributing.md). Adding or removing a name means editing this list on purpose.
"""

from __future__ import annotations

import bhrscore

PUBLIC = [
    "Assessment",
    "AssessmentRun",
    "BriefingInputs",
    "BriefingResult",
    "Company",
    "CompanyResponse",
    "Comparison",
    "DEFAULT_AS_OF",
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
    "PUBLISHED_COLUMNS",
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


def test_all_is_pinned() -> None:
    assert sorted(bhrscore.__all__) == PUBLIC
    assert len(set(bhrscore.__all__)) == len(bhrscore.__all__)


def test_every_public_name_resolves_and_says_what_it_is() -> None:
    undocumented = []
    for name in PUBLIC:
        value = getattr(bhrscore, name)  # AttributeError if the lazy table is wrong
        if name == "__version__" or name.isupper():  # data: a string, a date, a tuple
            continue
        if not (getattr(value, "__doc__", None) or "").strip():
            undocumented.append(name)
    assert undocumented == []


def test_dir_lists_the_public_names() -> None:
    assert set(PUBLIC) <= set(dir(bhrscore))
