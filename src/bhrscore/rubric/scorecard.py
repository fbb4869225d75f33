"""The :class:`ScoreCard`: everything ``score`` computed, with provenance.

Tables are long DataFrames with fixed columns (documented below)
so that exports, comparisons and the briefing read one structure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from .explain import Explanation
    from .model import Rubric

#: company x indicator: one row per pair, for every company in the evidence set.
INDICATOR_COLUMNS: dict[str, str] = {
    "company_id": "string",
    "indicator_id": "string",
    "theme_id": "string",  # top-level node the indicator sits under
    "score": "Float64",  # 0-100; <NA> when not scored: basis excluded, not_applicable, unknown
    "raw_value": "Float64",  # the aggregated measure before scaling
    "evidence_count": "Int64",  # records selected (after window), before weighting
    "evidence_ids": "object",  # tuple[str, ...] sorted: the provenance of the score
    "status_mix": "string",  # e.g. "alleged:2|verified:1" (sorted by status)
    "weight": "Float64",  # the indicator's weight within its parent
    "missing": "boolean",  # True when no record (of the rule, or a screening) is behind it
    "basis": "string",  # what the score rests on: one of BASIS (read it, not score alone)
}

#: What an indicator's score rests on (the ``basis`` column of the indicators table), one
#: value per company and indicator:
#:
#: - ``evidence``: records the rule selected give the score;
#: - ``not_applicable``: records say the indicator does not apply (e.g. an assessment answered
#:   ``not_applicable``, or a measure's ``exclude`` value): no score, left out of the
#:   denominator whatever the missing-data policy, but *covered*; ``evidence_ids`` lists them;
#: - ``screening``: no incident recorded and a screening's null finding backs the silence:
#:   the missing rule's ``screened`` score; covered; ``evidence_ids`` lists the screenings;
#: - ``policy``: no record, a fixed score from the missing-data policy (``zero``, a number,
#:   or a screening rule's ``unscreened: zero``); not covered;
#: - ``excluded``: no record, left out by ``missing: exclude`` (no score); not covered;
#: - ``unknown``: silence that no screening backs (a silence-is-good-news indicator without
#:   records, or a ``say_do_gap`` commitment with no contradiction and no screening): no
#:   score and not covered, whatever the records read.
#:
#: ``missing`` is True exactly for ``policy``, ``excluded`` and ``unknown`` without records;
#: an indicator counts towards coverage for ``evidence``, ``not_applicable`` and
#: ``screening``. The bootstrap replicates of :mod:`.uncertainty` apply the same rules.
BASIS: tuple[str, ...] = (
    "evidence",
    "not_applicable",
    "screening",
    "policy",
    "excluded",
    "unknown",
)

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

#: one row per record no indicator, penalty or ``when`` case used (see :mod:`.unused`).
UNUSED_COLUMNS: dict[str, str] = {
    "company_id": "string",  # <NA> for group-level testimony
    "evidence_id": "string",
    "kind": "string",
    "date": "datetime64[ns]",  # the record's effective date
    "reason": "string",  # group_testimony, not_known, weight_zero, outside_window,
    # state_actor or no_rule (first that applies; see bhrscore.rubric.unused.REASONS)
    "detail": "string",  # the reason in words, with the dates or values behind it
}


def _empty_unused() -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series([], dtype=v) for k, v in UNUSED_COLUMNS.items()})


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
    ``total_before_penalties``, ``coverage`` (share of the total weight resting on evidence,
    0-1), ``rank`` (1 = best; ties share the lower rank; ``<NA>`` for a company without a
    total or with insufficient evidence), ``total_low`` / ``total_high`` (the interval of the
    total, Float64) and ``rank_low`` / ``rank_high`` (the rank interval, Int64; both from the
    bootstrap of :mod:`bhrscore.rubric.uncertainty`, described in
    ``meta.options["uncertainty"]``; NA when it is switched off, and the rank interval NA for
    companies without a rank), ``sufficient`` (boolean: coverage reaches the rubric's
    ``policies.min_coverage``; an insufficient company keeps its partial total and coverage
    but is not ranked, and comparisons leave it out of group means by default),
    ``insufficient_reason`` (e.g. ``coverage 12% < 50%: no evidence on retaliation, wages``;
    ``<NA>`` when sufficient), one ``theme:<id>`` column per top-level node, and the company
    attributes from the companies frame (``hq_country``, ``origin_country``,
    ``ultimate_parent_id``, ``ownership``, ``sectors``, ``host_countries``).

    ``indicators`` has one row per company and indicator (:data:`INDICATOR_COLUMNS`; what
    each score rests on is its ``basis``, :data:`BASIS`); ``nodes`` one per company and node
    (:data:`NODE_COLUMNS`), ``penalties`` one per penalty applied (:data:`PENALTY_COLUMNS`).

    ``unused`` lists every record no indicator, penalty or ``when`` case used, with the
    reason (:data:`UNUSED_COLUMNS`).
    """

    companies: pd.DataFrame
    nodes: pd.DataFrame
    indicators: pd.DataFrame
    penalties: pd.DataFrame
    meta: ScoreMeta
    rubric: Rubric
    #: computes :attr:`unused` on first use (scoring does not pay for it unless asked)
    unused_source: Callable[[], pd.DataFrame] | None = field(
        default=None, repr=False, compare=False
    )

    @cached_property
    def unused(self) -> pd.DataFrame:
        """Every record no indicator, penalty or ``when`` case used, with the reason
        (:data:`UNUSED_COLUMNS`; computed on first access, vectorised over all records)."""
        return self.unused_source() if self.unused_source is not None else _empty_unused()

    def company_ids(self) -> list[str]:
        return [str(c) for c in self.companies["company_id"]]

    def explain(self, company_id: str) -> Explanation:
        """A readable account of how ``company_id``'s total was reached: theme scores and
        weights, indicator scores with their evidence ids, penalties, sufficiency, and the
        company's records the score did not use, with the reason (see :mod:`.explain`; an
        :class:`~.explain.Explanation` is that text, with an HTML display in notebooks)."""
        from .explain import explain

        return explain(self, company_id)

    def __repr__(self) -> str:
        """A one-line summary (the tables are in ``companies``, ``nodes``, ...)."""
        meta = self.meta
        ranked = int(self.companies["rank"].notna().sum()) if "rank" in self.companies else 0
        return (
            f"<ScoreCard {meta.rubric_id} {meta.rubric_version} as of {meta.as_of.isoformat()}:"
            f" {len(self.companies)} companies, {ranked} ranked>"
        )

    def _repr_html_(self) -> str:
        """The companies table in notebooks (ranked first), with intervals, coverage and why
        a company is not ranked (see :mod:`bhrscore.display`)."""
        from ..display import scorecard_html

        return scorecard_html(self)
