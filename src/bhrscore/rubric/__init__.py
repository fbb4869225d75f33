"""Rubrics: declarative, versioned scoring of evidence (see ``docs/rubrics.md``)."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from .aggregates import Rows, aggregate, aggregates
from .engine import score
from .model import (
    Node,
    Penalty,
    Policies,
    Rubric,
    RubricError,
    WhenCase,
    load_rubric,
    parse_rubric,
)
from .node_aggregations import NodeInput, node_aggregation, node_aggregations
from .rules import (
    ElementsRule,
    EvidenceRule,
    RuleContext,
    RuleResult,
    RuleSpec,
    SayDoGapRule,
    rule_type,
    rule_types,
)
from .scales import ScaleSpec, scale_type, scale_types
from .scorecard import ScoreCard, ScoreMeta
from .selection import Selection
from .spec import Condition, Decay, Measure, Select, Window
from .tree import aggregate_tree
from .uncertainty import Uncertainty

DEFAULT_RUBRIC = "labour-rights.yaml"


def default_rubric_path() -> Path:
    """Path of the packaged default rubric (``labour-rights.yaml``)."""
    with as_file(files("bhrscore") / "data" / DEFAULT_RUBRIC) as path:
        return Path(path)


def default_rubric() -> Rubric:
    """The packaged labour-rights rubric."""
    return load_rubric(default_rubric_path())


__all__ = [
    "Condition",
    "Decay",
    "ElementsRule",
    "EvidenceRule",
    "Measure",
    "Node",
    "NodeInput",
    "Penalty",
    "Policies",
    "Rows",
    "Rubric",
    "RubricError",
    "RuleContext",
    "RuleResult",
    "RuleSpec",
    "SayDoGapRule",
    "ScaleSpec",
    "ScoreCard",
    "ScoreMeta",
    "Select",
    "Selection",
    "Uncertainty",
    "WhenCase",
    "Window",
    "aggregate",
    "aggregate_tree",
    "aggregates",
    "default_rubric",
    "default_rubric_path",
    "load_rubric",
    "node_aggregation",
    "node_aggregations",
    "parse_rubric",
    "rule_type",
    "rule_types",
    "scale_type",
    "scale_types",
    "score",
]
