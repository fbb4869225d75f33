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
import math
from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
import pandas as pd
from pydantic import BeforeValidator, Field, SerializeAsAny

from ..evidence.registry import evidence_kinds
from ..registry import Registry
from .aggregates import AGGREGATES, Rows, aggregates
from .fields import Problem, fields_of, measure_problems, select_problems
from .replicates import Replicates
from .scales import Boolean, Identity, Linear, ScaleSpec, Thresholds, parse_scale
from .screening import (
    ScreenedCompanies,
    ScreeningNeed,
    ScreeningRows,
    screened_in,
    screening_rows,
)
from .selection import (
    Measured,
    Prepared,
    Selection,
    as_float,
    map_values,
    measure_rows,
    not_applicable_rows,
    select_rows,
)
from .spec import Decay, Exclude, Measure, Select, Spec, Window

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
      used rows is *missing* and the rubric's missing-data policy decides its score. Over
      bootstrap replicates (``ctx.replicates`` set) only which companies have used rows is
      read, so a rule may return any rows of those companies there.
    - ``unknown``: optional, True for companies whose score would rest on silence that no
      screening backs (e.g. ``say_do_gap``: a commitment, no contradiction, not screened);
      their score is NaN and they are not covered, whatever their used rows.
    """

    raw: np.ndarray
    score: np.ndarray
    used: Selection
    unknown: np.ndarray | None = None


@dataclass(frozen=True)
class SelectionCache:
    """Base (not replicate-stacked) selections and screening rows, by the identity of the
    spec that made them: the score card and its blocks of bootstrap replicates share them."""

    selections: dict[int, tuple[Select, Selection]] = field(default_factory=dict)
    screenings: dict[int, tuple[ScreeningNeed, ScreeningRows]] = field(default_factory=dict)
    #: measured base selections by the identities of (select, measure)
    measured: dict[tuple[int, int], tuple[Select, Measure, Selection, Measured]] = field(
        default_factory=dict
    )


@dataclass(frozen=True)
class RuleContext:
    """What a rule may read: the prepared evidence, ``as_of`` and the rubric policies.

    Rules see ``n`` companies with codes ``0 .. n - 1`` and must read company codes from
    their selections (``sel.company``), never from ``prepared.company``: when the score card's
    uncertainty is computed, ``replicates`` is set and :meth:`select` returns
    replicate-stacked selections (each row repeated by its bootstrap multiplicity, company
    code ``replicate * companies + company``; see :mod:`.replicates`), so that ``n`` is
    ``replicates x companies`` and every rule computes all replicates at once, unchanged.
    """

    prepared: Prepared
    as_of: dt.date
    window: Window | None
    decay: Decay | None
    replicates: Replicates | None = None
    cache: SelectionCache = field(default_factory=SelectionCache, compare=False, repr=False)
    #: replicate-stacked screenings of this context's block, by the identity of their need
    #: (indicators under one theme share their missing-data rule, hence its screening)
    stacked: dict[int, tuple[ScreeningNeed, ScreenedCompanies]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def companies(self) -> int:
        """The number of companies (without replicates)."""
        return self.prepared.n_companies

    @property
    def n(self) -> int:
        """The number of company codes: companies, times replicates when stacked."""
        count = self.replicates.count if self.replicates is not None else 1
        return self.prepared.n_companies * count

    def _base(self, select: Select) -> Selection:
        """The base (not stacked) selection of ``select``, made once per cache."""
        hit = self.cache.selections.get(id(select))
        if hit is not None and hit[0] is select:
            return hit[1]
        # the score card and its blocks of replicates share base selections
        base = select_rows(self.prepared, select, self.as_of, self.window, self.decay)
        self.cache.selections[id(select)] = (select, base)
        return base

    def select(self, select: Select) -> Selection:
        """Rows meeting ``select`` (window, decay and weights applied), stacked over the
        replicates when there are some."""
        base = self._base(select)
        if self.replicates is None:
            return base
        return self.replicates.expand(base, self.companies)

    def select_any(self, selects: list[Select]) -> Selection:
        """Rows meeting any of ``selects``: the :func:`_union` of their selections. Stacked
        over the replicates, it is the union of the base selections, stacked: a record's
        multiplicity in a replicate is the same in every selection, so each stacked row
        occurs as often, with the same largest weight, as in the union of the stacked
        selections (the same rows in the same order), at the cost of a union of base
        selections and one stacking."""
        if self.replicates is None:
            return _union([self.select(s) for s in selects], self)
        base = _union_of([self._base(s) for s in selects], self.companies)
        return self.replicates.expand(base, self.companies)

    def measured(self, select: Select, measure: Measure) -> tuple[Selection, Measured]:
        """:meth:`select` then :func:`~.selection.measure_rows`. A measure is a function of
        the record alone, so the base selection is measured once per cache and the values
        are carried over to the stacked rows: the same rows and values as measuring the
        stacked selection (stacking keeps row order), without reading the columns again
        for every block of replicates."""
        key = (id(select), id(measure))
        hit = self.cache.measured.get(key)
        if hit is not None and hit[0] is select and hit[1] is measure:
            base, values = hit[2], hit[3]
        else:
            base, values = measure_rows(self.prepared, self._base(select), measure)
            self.cache.measured[key] = (select, measure, base, values)
        if self.replicates is None:  # copies: what a rule gets is its own to change
            return base, Measured(values.value.copy(), values.applies.copy())
        stacked, pos = self.replicates.expand_positions(base, self.companies)
        return stacked, Measured(np.take(values.value, pos), np.take(values.applies, pos))

    def screened(self, need: ScreeningNeed) -> ScreenedCompanies:
        """Company codes screened for ``need`` (see :mod:`.screening`), with the rows behind
        it; stacked over the replicates when there are some, like :meth:`select`."""
        hit = self.cache.screenings.get(id(need))
        if hit is not None and hit[0] is need:
            found = hit[1]
        else:
            found = screening_rows(self.prepared, need, self.as_of, self.window, self.decay)
            self.cache.screenings[id(need)] = (need, found)
        if self.replicates is None:
            return screened_in(found, found.sel, self.n)
        done = self.stacked.get(id(need))
        if done is None or done[0] is not need:
            # the stacking says where each stacked row comes from: no search needed
            stacked, positions = self.replicates.expand_positions(found.sel, self.companies)
            done = (need, screened_in(found, stacked, self.n, positions))
            self.stacked[id(need)] = done
        # the mask is the caller's own to change; the rows are shared, like selections
        return ScreenedCompanies(done[1].mask.copy(), done[1].used)

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
        sel, measured = ctx.measured(self.select, self.measure)
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
        contra = ctx.select_any(self.contradictions)
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
        # bootstrap replicates keep scores only: of ``used`` they read which companies have
        # evidence, and those are the companies with claims (contradictions and screenings
        # are kept for them only), so the union of the stacked parts is not made there
        used = _union(parts, ctx) if ctx.replicates is None else claims
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


#: Answers of ``assessment`` records as disclosure benchmarks score them.
DEFAULT_ANSWERS: dict[str, float | Exclude] = {
    "yes": 100.0,
    "partial": 50.0,
    "no": 0.0,
    "not_found": 0.0,
    "not_applicable": "exclude",
}


class Element(Spec):
    """One element of an :class:`ElementsRule`: the value of the element field (e.g. the
    question id) that identifies its records, and its weight among the elements."""

    id: str = Field(min_length=1)
    title: str | None = None
    weight: Annotated[float, Field(ge=0, le=1)] | None = None


@rule_type("elements")
class ElementsRule(RuleSpec):
    """An indicator scored element by element, as KnowTheChain scores its indicators: each
    element is answered by the selected records whose ``element_field`` (default
    ``question_id``) is the element's id; its score is the ``aggregate`` (default
    ``latest``) of the answers mapped through ``answers`` (default yes 100, partial 50,
    no / not found 0, not applicable excluded), or of the numeric ``value_field`` when a
    record gives a number instead of an answer. The indicator's raw value is the weighted
    mean of the element scores: a not-applicable element leaves the denominator; an element
    without any answer scores 0 (``unanswered: zero``, "not disclosed") or leaves the
    denominator too (``unanswered: exclude``). A company without any answer to any element
    is missing (the missing-data policy decides); one whose answered elements are all not
    applicable (and whose unanswered ones are excluded) has no score: not applicable."""

    type: Literal["elements"] = "elements"
    select: Select
    element_field: str = "question_id"
    elements: list[Element] = Field(min_length=1)
    answer_field: str = "answer"
    answers: dict[str, float | Exclude] = Field(default_factory=lambda: dict(DEFAULT_ANSWERS))
    value_field: str | None = "value"
    unanswered: Literal["zero", "exclude"] = "zero"
    aggregate: str = "latest"
    scale: ScaleField = Field(default_factory=Identity)

    def element_weights(self) -> np.ndarray:
        given = [e.weight for e in self.elements]
        if all(w is None for w in given):
            return np.full(len(given), 1.0 / len(given))
        return np.array([0.0 if w is None else w for w in given], dtype=float)

    def compute(self, ctx: RuleContext) -> RuleResult:
        ids = pd.Index([e.id for e in self.elements])
        count = len(ids)
        sel = ctx.select(self.select)
        names = ctx.column(self.element_field, sel).astype("string")
        element = ids.get_indexer(pd.Index(names))
        sel = sel.take(element >= 0)
        element = element[element >= 0].astype(np.int64)
        value, applies = map_values(ctx.column(self.answer_field, sel), self.answers)
        if self.value_field is not None:
            number = as_float(ctx.column(self.value_field, sel))
            value = np.where(np.isnan(value) & applies, number, value)
        applies &= ~not_applicable_rows(ctx.prepared, sel.rows, Measure(constant=1.0))
        keep = ~np.isnan(value) | ~applies
        sel, element, value, applies = sel.take(keep), element[keep], value[keep], applies[keep]
        cells = ctx.n * count  # (company code, element) pairs
        rows = Rows(
            sel.company * count + element,
            value,
            sel.weight,
            ctx.prepared.day[sel.rows],
            cells,
            applies,
        )
        per_element = aggregates()[self.aggregate](rows).reshape(ctx.n, count)
        answered = (np.bincount(rows.company, minlength=cells) > 0).reshape(ctx.n, count)
        weights = self.element_weights()[None, :]
        scored = answered & ~np.isnan(per_element)
        counted = scored | (~answered if self.unanswered == "zero" else False)
        num = (weights * np.where(scored, per_element, 0.0)).sum(axis=1)
        den = (weights * counted).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = np.where(answered.any(axis=1) & (den > 0), num / den, np.nan)
        return RuleResult(raw=raw, score=self.scale.apply(raw), used=sel)

    def problems(self, path: str) -> Iterator[Problem]:
        yield from select_problems(self.select, f"{path}.select")
        yield from _aggregate_problems(self.aggregate, f"{path}.aggregate")
        yield from self.scale.problems(f"{path}.scale")
        kinds = self.select.kinds()
        if any(k not in evidence_kinds() for k in kinds):
            return
        fields = fields_of(kinds)
        element = fields.get(self.element_field)
        if element is None:
            yield (
                f"{path}.element_field",
                f"unknown field {self.element_field!r} for {'/'.join(kinds)}",
            )
        elif element.type not in ("text", "category"):
            yield f"{path}.element_field", f"{self.element_field} is not a text field"
        answer = fields.get(self.answer_field)
        if answer is None:
            yield (
                f"{path}.answer_field",
                f"unknown field {self.answer_field!r} for {'/'.join(kinds)}",
            )
        elif answer.values is not None:
            for key in self.answers:
                if key not in answer.values:
                    allowed = ", ".join(answer.values)
                    yield (
                        f"{path}.answers.{key}",
                        f"{key!r} is not a value of {answer.name} ({allowed})",
                    )
        if self.answers.get("not_applicable", "exclude") != "exclude":
            yield (
                f"{path}.answers.not_applicable",
                "an answer of not_applicable is always not applicable (out of the denominator)",
            )
        if self.value_field is not None:
            value = fields.get(self.value_field)
            if value is None or value.type != "number":
                yield (
                    f"{path}.value_field",
                    f"{self.value_field!r} is not a numeric field of {'/'.join(kinds)}"
                    " (value_field: null for none)",
                )
        seen: set[str] = set()
        for i, e in enumerate(self.elements):
            if e.id in seen:
                yield f"{path}.elements[{i}].id", f"duplicate element {e.id!r}"
            seen.add(e.id)
        given = [e.weight is not None for e in self.elements]
        if any(given) and not all(given):
            first = given.index(False)
            yield (
                f"{path}.elements[{first}].weight",
                "give a weight on every element or on none (equal shares)",
            )
        elif all(given):
            total = math.fsum(e.weight or 0.0 for e in self.elements)
            if abs(total - 1.0) > 1e-6:
                yield (
                    f"{path}.elements[0].weight",
                    f"element weights must sum to 1 (within 1e-06); they sum to {total:g}",
                )

    def describe(self) -> str:
        kinds = "/".join(self.select.kinds())
        return (
            f"{kinds}: {len(self.elements)} elements by {self.element_field}"
            f" ({self.aggregate} answer each, unanswered {self.unanswered}),"
            f" weighted mean, scale {self.scale.describe()}"
        )


def _union(parts: list[Selection], ctx: RuleContext) -> Selection:
    """Rows in any of ``parts``, in id order, each (row, company code) as often as in the
    part that holds it most often (once without replicates), with its largest weight.
    Selections come sorted by (row, company code): the parts' distinct runs are joined and
    put in order by a stable sort, which merges sorted runs (timsort) rather than sorting
    the whole."""
    return _union_of(parts, ctx.n)


def _union_of(parts: list[Selection], codes: int) -> Selection:
    """:func:`_union` of selections over ``codes`` company codes."""
    n = max(codes, 1)
    runs = []
    for p in parts:
        key = p.rows.astype(np.int64) * n + p.company
        weight = p.weight
        if len(key) > 1 and not bool(np.all(key[1:] >= key[:-1])):
            order = np.argsort(key, kind="stable")
            key, weight = key[order], weight[order]
        runs.append(_runs(key, weight))
    if not runs:
        empty = np.array([], dtype=np.int64)
        return Selection(empty, empty, np.array([], dtype=float))
    key, count, weight = runs[0]
    if len(runs) > 1:
        key = np.concatenate([r[0] for r in runs])
        order = np.argsort(key, kind="stable")  # sorted runs: timsort merges them
        key, count, weight = _runs(
            key[order],
            np.concatenate([r[2] for r in runs])[order],
            np.concatenate([r[1] for r in runs])[order],
        )
    if bool(np.all(count == 1)):
        rows, company = np.divmod(key, n)
        if any(weight is p.weight for p in parts):  # one sorted part: not its own array
            weight = weight.copy()
        return Selection(rows, company, weight)
    take = np.repeat(np.arange(len(key)), count)
    rows, company = np.divmod(key[take], n)
    return Selection(rows, company, weight[take])


def _runs(
    key: np.ndarray, weight: np.ndarray, count: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct values of a sorted ``key``, how often each occurs (or the largest of their
    ``count``), and its largest weight."""
    if len(key) == 0:
        return key, np.array([], dtype=np.int64), weight
    same = key[1:] == key[:-1]
    if not same.any():  # no repeats (always so without replicates)
        return key, np.ones(len(key), dtype=np.int64) if count is None else count, weight
    start = np.flatnonzero(np.r_[True, ~same])
    count = np.diff(np.r_[start, len(key)]) if count is None else _run_max(count, start, same)
    return key[start], count, _run_max(weight, start, same)


def _run_max(values: np.ndarray, start: np.ndarray, same: np.ndarray) -> np.ndarray:
    """The largest of ``values`` in each run (runs begin at ``start``; ``same``: element
    ``i + 1`` is in the run of element ``i``). Runs that never rise (a stacked row's copies
    share one weight) take their first value, with no reduction."""
    if not bool(np.any((values[1:] > values[:-1]) & same)):
        first: np.ndarray = values[start]
        return first
    most: np.ndarray = np.maximum.reduceat(values, start)
    return most


RuleField = Annotated[
    SerializeAsAny[EvidenceRule | SayDoGapRule | ElementsRule | RuleSpec],
    BeforeValidator(parse_rule),
]
