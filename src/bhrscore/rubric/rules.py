"""Rule types: how an indicator turns evidence into a 0-100 score per company.

A rule type is a pydantic model registered with :func:`rule_type`; its fields are what the
rubric file writes under ``rule:``, and its :meth:`RuleSpec.compute` returns scores for all
companies at once. Two types are built in:

- ``evidence`` (the default): select -> measure -> aggregate -> scale.
- ``say_do_gap``: companies with ``claims`` (e.g. policy commitments) scored on the
  ``contradictions`` (e.g. retaliation, refused dialogue) in the window.

Users add a type without touching the engine (see ``docs/rubrics.md``)::

    @rule_type("share_verified")
    class ShareVerified(RuleSpec):
        type: Literal["share_verified"] = "share_verified"
        select: Select

        def compute(self, ctx: RuleContext) -> RuleResult:
            sel = ctx.select(self.select)
            verified = ctx.column("status", sel) == "verified"
            rows = ctx.rows(sel, verified.astype(float))
            share = aggregates()["mean"](rows)
            return RuleResult(raw=share, score=100 * share, used=sel)
"""

from __future__ import annotations

import datetime as dt
from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
import pandas as pd
from pydantic import BeforeValidator, Field, SerializeAsAny

from ..registry import Registry
from .aggregates import AGGREGATES, Rows, aggregates
from .fields import Problem, measure_problems, select_problems
from .scales import Boolean, Identity, Linear, ScaleSpec, Thresholds, parse_scale
from .screening import ScreenedCompanies, ScreeningNeed, screened_companies
from .selection import Prepared, Selection, measure_rows, select_rows
from .spec import Decay, Measure, Select, Spec, Window

ScaleField = Annotated[
    SerializeAsAny[Identity | Boolean | Linear | Thresholds | ScaleSpec],
    BeforeValidator(parse_scale),
]


@dataclass(frozen=True)
class RuleResult:
    """What a rule returns, arrays over all companies (``ctx.n`` long, in company order):

    - ``raw``: the aggregated value before scaling (NaN when there is none)
    - ``score``: 0-100, NaN when the indicator does not apply or has no evidence
    - ``used``: the rows that count as the score's evidence (provenance); a company with no
      used rows is *missing* and the rubric's missing-data policy decides its score.
    - ``unknown``: optional, True for companies whose score would rest on silence that no
      screening backs (e.g. ``say_do_gap``: a commitment, no contradiction, not screened);
      their score is NaN and they are not covered, whatever their used rows.
    """

    raw: np.ndarray
    score: np.ndarray
    used: Selection
    unknown: np.ndarray | None = None


@dataclass(frozen=True)
class RuleContext:
    """What a rule may read: the prepared evidence, ``as_of`` and the rubric policies."""

    prepared: Prepared
    as_of: dt.date
    window: Window | None
    decay: Decay | None

    @property
    def n(self) -> int:
        return self.prepared.n_companies

    def select(self, select: Select) -> Selection:
        return select_rows(self.prepared, select, self.as_of, self.window, self.decay)

    def screened(self, need: ScreeningNeed) -> ScreenedCompanies:
        """Companies screened for ``need`` (see :mod:`.screening`), with the rows behind it."""
        return screened_companies(self.prepared, need, self.as_of, self.window, self.decay)

    def column(self, name: str, sel: Selection) -> pd.Series:
        """Values of one evidence column for the selected rows."""
        return self.prepared.column(name, sel.rows)

    def rows(
        self, sel: Selection, value: np.ndarray | pd.Series, applies: np.ndarray | None = None
    ) -> Rows:
        """Aggregation input for the selected rows with the given values (``applies``: False
        for rows whose measure is ``exclude``; None = all apply)."""
        return Rows(
            sel.company,
            np.asarray(value, dtype=float),
            sel.weight,
            self.prepared.day[sel.rows],
            self.n,
            applies,
        )


class RuleSpec(Spec):
    """Base of all rule types."""

    type: str

    @abstractmethod
    def compute(self, ctx: RuleContext) -> RuleResult:
        """Scores per company for this rule (see :class:`RuleResult`)."""

    def problems(self, path: str) -> Iterator[Problem]:
        """Semantic problems: unknown kinds, fields, values (with their YAML path)."""
        return iter(())

    def describe(self) -> str:
        """One line for explanations."""
        return self.type


RULES: Registry[type[RuleSpec]] = Registry("rule type", declared="type")
R = TypeVar("R", bound=type[RuleSpec])


def rule_type(name: str) -> Callable[[R], R]:
    """Register a rule class under ``name`` (the ``type`` written in rubric files)."""
    return RULES.register(name)  # type: ignore[return-value]


def rule_types() -> Mapping[str, type[RuleSpec]]:
    return RULES.view()


def parse_rule(value: Any) -> Any:
    """Pydantic before-validator: a mapping -> the registered rule model (``type`` defaults
    to ``evidence``)."""
    if isinstance(value, RuleSpec) or not isinstance(value, dict):
        return value
    name = value.get("type", "evidence")
    return RULES.lookup(name).model_validate({**value, "type": name})


def _aggregate_problems(name: str, path: str) -> Iterator[Problem]:
    if name not in AGGREGATES:
        yield path, AGGREGATES.unknown(name)


@rule_type("evidence")
class EvidenceRule(RuleSpec):
    """select -> measure -> aggregate -> scale."""

    type: Literal["evidence"] = "evidence"
    select: Select
    measure: Measure = Field(default_factory=lambda: Measure(constant=1.0))
    aggregate: str
    scale: ScaleField

    def compute(self, ctx: RuleContext) -> RuleResult:
        sel = ctx.select(self.select)
        sel, measured = measure_rows(ctx.prepared, sel, self.measure)
        rows = ctx.rows(sel, measured.value, measured.applies)
        raw = aggregates()[self.aggregate](rows)
        return RuleResult(raw=raw, score=self.scale.apply(raw), used=sel)

    def problems(self, path: str) -> Iterator[Problem]:
        yield from select_problems(self.select, f"{path}.select")
        yield from measure_problems(self.measure, self.select.kinds(), f"{path}.measure")
        yield from _aggregate_problems(self.aggregate, f"{path}.aggregate")
        yield from self.scale.problems(f"{path}.scale")

    def describe(self) -> str:
        m = self.measure
        measure = (
            f"{m.constant:g}"
            if m.constant is not None
            else f"{m.field}" + (" mapped" * bool(m.values))
        )
        kinds = "/".join(self.select.kinds())
        return f"{kinds}: {self.aggregate} of {measure}, scale {self.scale.describe()}"


@rule_type("say_do_gap")
class SayDoGapRule(RuleSpec):
    """Companies with ``claims`` in the window (e.g. policy commitments) are scored on the
    ``contradictions`` in the window (each selection may be a different kind): the raw
    value is the ``aggregate`` (default ``any``: the largest weight) over the contradicting
    records, 0 when there are none, then scaled. Companies without claims are missing (no
    claim, no gap to measure). The evidence is the claims and the contradictions.

    With ``silence`` (topics, optional window), "no contradiction" counts only for companies
    screened for those topics (the screenings join the evidence); a company with claims, no
    contradiction and no such screening is *unknown* (no score, not covered)."""

    type: Literal["say_do_gap"] = "say_do_gap"
    claims: Select
    contradictions: list[Select] = Field(min_length=1)
    aggregate: str = "any"
    scale: ScaleField
    silence: ScreeningNeed | None = None

    def compute(self, ctx: RuleContext) -> RuleResult:
        claims = ctx.select(self.claims)
        has_claim = np.bincount(claims.company, minlength=ctx.n) > 0
        contra = _union([ctx.select(s) for s in self.contradictions], ctx)
        contra = contra.take(has_claim[contra.company])
        agg = aggregates()[self.aggregate](ctx.rows(contra, np.ones(len(contra))))
        raw = np.where(has_claim, np.nan_to_num(agg, nan=0.0), np.nan)
        parts = [claims, contra]
        unknown = None
        if self.silence is not None:
            silent = has_claim & (np.bincount(contra.company, minlength=ctx.n) == 0)
            screened = ctx.screened(self.silence)
            unknown = silent & ~screened.mask
            raw = np.where(unknown, np.nan, raw)
            parts.append(screened.used.take(silent[screened.used.company]))
        used = _union(parts, ctx)
        return RuleResult(raw=raw, score=self.scale.apply(raw), used=used, unknown=unknown)

    def problems(self, path: str) -> Iterator[Problem]:
        yield from select_problems(self.claims, f"{path}.claims")
        for i, s in enumerate(self.contradictions):
            yield from select_problems(s, f"{path}.contradictions[{i}]")
        yield from _aggregate_problems(self.aggregate, f"{path}.aggregate")
        yield from self.scale.problems(f"{path}.scale")

    def describe(self) -> str:
        claims = "/".join(self.claims.kinds())
        contra = ", ".join("/".join(s.kinds()) for s in self.contradictions)
        scale = self.scale.describe()
        text = f"{claims} claims contradicted by {contra}: {self.aggregate}, scale {scale}"
        if self.silence is not None:
            topics = ", ".join(t.value for t in self.silence.topics)
            text += f"; no contradiction counts only if screened for {topics}"
        return text


def _union(parts: list[Selection], ctx: RuleContext) -> Selection:
    """Rows in any of ``parts``, in id order, each once (with its largest weight)."""
    rows = np.unique(np.concatenate([p.rows for p in parts])) if parts else np.array([], int)
    weight = np.zeros(len(rows))
    for p in parts:
        pos = np.searchsorted(rows, p.rows)
        weight[pos] = np.maximum(weight[pos], p.weight)
    return Selection(rows, ctx.prepared.company[rows], weight)


RuleField = Annotated[
    SerializeAsAny[EvidenceRule | SayDoGapRule | RuleSpec],
    BeforeValidator(parse_rule),
]
