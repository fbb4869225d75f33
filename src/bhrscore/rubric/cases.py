"""Golden cases: small evidence sets with hand-computed expected scores.

A case file ``NAME.cases.yaml`` sits beside the rubric ``NAME.yaml`` (or names it with
``rubric:``). Records have the same JSON shape as evidence files; ``defaults`` (file- and
case-level) are merged into every record so cases stay short::

    rubric: labour-rights.yaml
    as_of: 2026-01-01
    defaults: {country: KZ, summary: Test., status: verified, reliability: high,
               date: 2026-01-01, sources: [{url: "https://example.org", title: Test}]}
    companies: [{id: acme, name: Acme}]
    cases:
      - name: one-recognition
        evidence:
          - {kind: union_dialogue, id: e1, company_id: acme, event: recognition}
        expect:
          # dialogue = .6*100 + .4*0 (no independent union) = 60; without evidence wages 25,
          # retaliation 100, statements 25; say-do-gap excluded (no commitment):
          # total = (.25*60 + .25*25 + .3*100 + .1*25) / .9 = 53.75 / .9 = 59.7222
          acme: {dialogue-record: 100, total: 59.72}

``expect`` maps company ids to ``{node or indicator id or total: score}`` (``null`` = no
score), plus optional ``coverage`` (of the total, 0-1) and ``penalties``
(``{penalty_id: points subtracted, or the cap}``; ``{}`` = none). Every case and every company
it names must expect at least one value. Scores match within ``tolerance`` (default 0.01).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import Field, ValidationError, field_validator

from ..evidence.evidence_set import EvidenceSet
from ..evidence.model import Company, EvidenceBase
from ..evidence.registry import evidence_kinds
from .engine import score
from .model import Rubric, RubricError, format_loc, load_rubric, read_data
from .scorecard import ScoreCard
from .spec import Spec

CASE_SUFFIXES = (".cases.yaml", ".cases.yml", ".cases.json")
DEFAULT_TOLERANCE = 0.01

Expected = dict[str, float | dict[str, float | None] | None]


class Case(Spec):
    name: str = Field(min_length=1)
    description: str | None = None
    as_of: dt.date | None = None
    defaults: dict[str, Any] = Field(default_factory=dict)
    companies: list[dict[str, Any]] = Field(default_factory=list)
    evidence: list[dict[str, Any]] = Field(default_factory=list)
    expect: dict[str, Expected]
    tolerance: float = Field(default=DEFAULT_TOLERANCE, ge=0)

    @field_validator("expect")
    @classmethod
    def _something_expected(cls, expect: dict[str, Expected]) -> dict[str, Expected]:
        # A case that expects nothing always passes: it would test nothing.
        if not expect:
            raise ValueError("expect nothing: give {company_id: {node_or_indicator_id: score}}")
        empty = [company for company, values in expect.items() if not values]
        if empty:
            raise ValueError(
                f"nothing expected for {', '.join(map(repr, empty))}: give at least one"
                " node or indicator score, total, coverage or penalties"
            )
        return expect


class CaseFile(Spec):
    rubric: str | None = None
    as_of: dt.date | None = None
    defaults: dict[str, Any] = Field(default_factory=dict)
    companies: list[dict[str, Any]] = Field(default_factory=list)
    cases: list[Case] = Field(min_length=1)


class CaseFileError(ValueError):
    """A case file that cannot be read; lines read ``file: path: message``."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(
            "\n".join(f"{file}: {p}: {m}" if p else f"{file}: {m}" for p, m in problems)
        )


@dataclass(frozen=True)
class Mismatch:
    company_id: str
    key: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        diff = ""
        if isinstance(self.expected, int | float) and isinstance(self.actual, int | float):
            diff = f" (off by {self.actual - self.expected:+.4g})"
        return (
            f"{self.company_id} {self.key}: expected {_fmt(self.expected)},"
            f" got {_fmt(self.actual)}{diff}"
        )


@dataclass
class CaseResult:
    file: str
    name: str
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.mismatches

    def report(self) -> str:
        head = f"{self.file}::{self.name}: {'ok' if self.ok else 'FAILED'}"
        lines = [head]
        if self.error:
            lines.append(f"  {self.error}")
        lines += [f"  {m}" for m in self.mismatches]
        return "\n".join(lines)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def is_case_file(path: Path) -> bool:
    return path.name.endswith(CASE_SUFFIXES)


def rubric_path_for(case_path: Path, declared: str | None) -> Path:
    """The rubric a case file belongs to: ``rubric:`` relative to the case file, else the
    sibling with ``.cases`` removed from the name."""
    if declared:
        return case_path.parent / declared
    name = case_path.name
    for suffix in CASE_SUFFIXES:
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            for ext in (".yaml", ".yml", ".json"):
                candidate = case_path.parent / (base + ext)
                if candidate.exists():
                    return candidate
            return case_path.parent / (base + ".yaml")
    return case_path


def load_case_file(path: str | Path) -> CaseFile:
    p = Path(path)
    try:
        data = read_data(p)
    except RubricError as err:
        raise CaseFileError(str(path), err.problems) from None
    if not isinstance(data, dict):
        raise CaseFileError(str(path), [("", "a case file holds a mapping with 'cases'")])
    try:
        return CaseFile.model_validate(data)
    except ValidationError as err:
        raise CaseFileError(
            str(path),
            [
                (format_loc(tuple(e["loc"])), e["msg"].removeprefix("Value error, "))
                for e in err.errors()
            ],
        ) from None


def build_evidence(case_file: CaseFile, case: Case, where: str) -> EvidenceSet:
    """The case's companies and records validated through the evidence models."""
    problems: list[tuple[str, str]] = []
    companies: list[Company] = []
    all_companies = [*case_file.companies, *case.companies]
    for i, raw in enumerate(all_companies):
        try:
            companies.append(Company.model_validate(raw))
        except ValidationError as err:
            for e in err.errors():
                problems.append((f"{where}.companies[{i}]" + _sub(e["loc"]), e["msg"]))
    records: list[EvidenceBase] = []
    known_ids = {c.id for c in companies}
    for i, raw in enumerate(case.evidence):
        obj = {**case_file.defaults, **case.defaults, **raw}
        here = f"{where}.evidence[{i}]"
        kind = evidence_kinds().get(str(obj.get("kind")))
        if kind is None:
            problems.append((f"{here}.kind", f"unknown evidence kind {obj.get('kind')!r}"))
            continue
        try:
            record = kind.model_validate(obj)
        except ValidationError as err:
            for e in err.errors():
                problems.append((here + _sub(e["loc"]), e["msg"]))
            continue
        if record.company_id is not None and record.company_id not in known_ids:
            problems.append((f"{here}.company_id", f"no company {record.company_id!r} in the case"))
        records.append(record)
    if problems:
        raise ValueError("\n".join(f"{p}: {m}" for p, m in problems))
    return EvidenceSet(companies=tuple(companies), evidence=tuple(records))


def _sub(loc: Any) -> str:
    text = format_loc(tuple(loc))
    if not text:
        return ""
    return text if text.startswith("[") else "." + text


def _actual(card: ScoreCard, company_id: str, key: str) -> Any:
    nodes = card.nodes
    hit = nodes[(nodes["company_id"] == company_id) & (nodes["node_id"] == key)]
    if not hit.empty:
        return hit.iloc[0]["score"]
    inds = card.indicators
    hit = inds[(inds["company_id"] == company_id) & (inds["indicator_id"] == key)]
    if not hit.empty:
        return hit.iloc[0]["score"]
    raise KeyError(key)


def _same(expected: float | None, actual: Any, tolerance: float) -> bool:
    missing = (
        actual is None or actual is pd.NA or (isinstance(actual, float) and math.isnan(actual))
    )
    if expected is None:
        return bool(missing)
    return not missing and abs(float(actual) - expected) <= tolerance


def compare(card: ScoreCard, case: Case) -> list[Mismatch]:
    """Expected vs actual for every value the case names."""
    out: list[Mismatch] = []
    companies = set(card.company_ids())
    for company_id, expected in sorted(case.expect.items()):
        if company_id not in companies:
            out.append(Mismatch(company_id, "company", "scored", "not in the case"))
            continue
        for key, value in expected.items():
            if key == "penalties":
                out += _compare_penalties(card, company_id, value, case.tolerance)
                continue
            if isinstance(value, dict):
                out.append(Mismatch(company_id, key, "a number or null", value))
                continue
            if key == "coverage":
                row = card.companies[card.companies["company_id"] == company_id].iloc[0]
                actual: Any = row["coverage"]
            else:
                try:
                    actual = _actual(card, company_id, key)
                except KeyError:
                    out.append(Mismatch(company_id, key, value, "no such node or indicator"))
                    continue
            if not _same(value, actual, case.tolerance):
                got = None if actual is pd.NA else float(actual)
                out.append(Mismatch(company_id, key, value, got))
    return out


def _compare_penalties(
    card: ScoreCard, company_id: str, expected: Any, tolerance: float
) -> list[Mismatch]:
    pens = card.penalties[card.penalties["company_id"] == company_id]
    actual: dict[str, float] = {}
    for _, p in pens.iterrows():
        actual[str(p["penalty_id"])] = float(p["cap"] if not pd.isna(p["cap"]) else p["points"])
    out = []
    expected = expected if isinstance(expected, dict) else {}
    for pid in sorted(set(expected) | set(actual)):
        want, got = expected.get(pid), actual.get(pid)
        if want is None or got is None or abs(got - want) > tolerance:
            out.append(Mismatch(company_id, f"penalties.{pid}", want, got))
    return out


def run_case(case_file: CaseFile, index: int, rubric: Rubric, file: str = "<cases>") -> CaseResult:
    case = case_file.cases[index]
    result = CaseResult(file, case.name)
    as_of = case.as_of or case_file.as_of
    if as_of is None:
        result.error = f"cases[{index}]: give as_of (in the case or at the top of the file)"
        return result
    try:
        evidence = build_evidence(case_file, case, f"cases[{index}]")
        card = score(evidence, rubric, as_of, uncertainty=False)  # cases check scores only
    except ValueError as err:
        result.error = str(err)
        return result
    result.mismatches = compare(card, case)
    return result


def run_case_file(path: str | Path, rubric: Rubric | None = None) -> list[CaseResult]:
    """Run every case of a case file (its rubric is loaded unless given)."""
    p = Path(path)
    case_file = load_case_file(p)
    if rubric is None:
        rubric = load_rubric(rubric_path_for(p, case_file.rubric))
    return [run_case(case_file, i, rubric, str(path)) for i in range(len(case_file.cases))]
