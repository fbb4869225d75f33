"""The :class:`ScoreCard`: everything ``score`` computed, with provenance.

Tables are long DataFrames with fixed columns (documented below and in ``docs/scorecard.md``)
so that exports, comparisons and the briefing read one structure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from .model import Rubric

#: company x indicator: one row per pair, for every company in the evidence set.
INDICATOR_COLUMNS: dict[str, str] = {
    "company_id": "string",
    "indicator_id": "string",
    "theme_id": "string",  # top-level node the indicator sits under
    "score": "Float64",  # 0-100; <NA> when there is no evidence and the policy excludes it
    "raw_value": "Float64",  # the aggregated measure before scaling
    "evidence_count": "Int64",  # records selected (after window), before weighting
    "evidence_ids": "object",  # tuple[str, ...] sorted: the provenance of the score
    "status_mix": "string",  # e.g. "alleged:2|verified:1" (sorted by status)
    "weight": "Float64",  # the indicator's weight within its parent
    "missing": "boolean",  # True when no evidence was selected
    # What the score rests on (an open vocabulary; read it rather than ``score`` alone):
    #   scored          the evidence gives a score
    #   not_applicable  records say the indicator does not apply (e.g. an assessment answered
    #                   not_applicable): no score, left out of the denominator whatever the
    #                   missing-data policy, counted as covered; evidence_ids lists them
    #   missing         no record: the missing-data policy sets the score (0, a fixed score,
    #                   or none when excluded)
    "status": "string",
}

#: company x node (themes, sub-themes, the root "total"): one row per pair.
NODE_COLUMNS: dict[str, str] = {
    "company_id": "string",
    "node_id": "string",
    "parent_id": "string",  # <NA> for the root
    "depth": "Int64",  # root 0, themes 1, ...
    "score": "Float64",  # after penalties and caps on this node
    "score_before_penalties": "Float64",
    "coverage": "Float64",  # share of the node's indicator weight with evidence, 0-1
    "when": "string",  # id of the node's `when` case that set its weights (<NA>: its own)
    "when_evidence_ids": "object",  # tuple[str, ...]: the records that made that case apply
}

#: one row per penalty applied to a company.
PENALTY_COLUMNS: dict[str, str] = {
    "company_id": "string",
    "penalty_id": "string",
    "node_id": "string",  # node the penalty applies to ("total" for the root)
    "points": "Float64",  # points subtracted (0 when the penalty is a cap)
    "cap": "Float64",  # cap applied (<NA> when the penalty subtracts points)
    "evidence_ids": "object",  # tuple[str, ...] of records that triggered it
}


@dataclass(frozen=True)
class ScoreMeta:
    """Where a score card came from."""

    rubric_id: str
    rubric_version: str
    rubric_hash: str
    evidence_hash: str
    as_of: dt.date
    bhrscore_version: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoreCard:
    """Scores per company, node and indicator, with provenance.

    ``companies`` has one row per company: ``company_id``, ``name``, ``total``,
    ``total_before_penalties``, ``coverage``, ``rank`` (1 = best; ties share the lower rank),
    ``total_low`` / ``total_high`` (the interval of the total, Float64) and ``rank_low`` /
    ``rank_high`` (the rank interval, Int64; both from the bootstrap of
    :mod:`bhrscore.rubric.uncertainty`, described in ``meta.options["uncertainty"]``; NA
    when it is switched off, and the rank interval NA for companies without a rank), one
    ``theme:<id>`` column per top-level node, and the company attributes from the companies
    frame (``hq_country``, ``origin_country``, ``ultimate_parent_id``, ``ownership``,
    ``sectors``, ``host_countries``).
    """

    companies: pd.DataFrame
    nodes: pd.DataFrame
    indicators: pd.DataFrame
    penalties: pd.DataFrame
    meta: ScoreMeta
    rubric: Rubric

    def company_ids(self) -> list[str]:
        return [str(c) for c in self.companies["company_id"]]

    def explain(self, company_id: str) -> str:
        """A readable account of how ``company_id``'s total was reached: theme scores and
        weights, indicator scores with their evidence ids, penalties (see :mod:`.explain`)."""
        from .explain import explain

        return explain(self, company_id)
