"""Cross-record validation: rules that need more than one record to decide.

Each rule is a function registered with :func:`cross_check`; it receives the records that
passed per-record validation and returns ``(table, index, problem)`` triples naming the
records it rejects. Company rules run first; evidence rules see only accepted companies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .model import Company, EvidenceBase
from .parse import Located
from .report import Problem

Finding = tuple[Literal["companies", "evidence"], int, Problem]


@dataclass(frozen=True)
class CheckContext:
    companies: Sequence[Located[Company]]
    evidence: Sequence[Located[EvidenceBase]]
    as_of: dt.date | None
    rejected_company_ids: frozenset[str] = frozenset()


CheckFn = Callable[[CheckContext], list[Finding]]
COMPANY_CHECKS: dict[str, CheckFn] = {}
EVIDENCE_CHECKS: dict[str, CheckFn] = {}


def cross_check(name: str, table: Literal["companies", "evidence"]) -> Callable[[CheckFn], CheckFn]:
    """Register a cross-record rule for ``table``."""

    def register(fn: CheckFn) -> CheckFn:
        (COMPANY_CHECKS if table == "companies" else EVIDENCE_CHECKS)[name] = fn
        return fn

    return register


def _duplicates(
    table: Literal["companies", "evidence"], items: Sequence[Located[Any]]
) -> list[Finding]:
    first: dict[str, Located[Any]] = {}
    out: list[Finding] = []
    for i, item in enumerate(items):
        key = item.model.id
        if key in first:
            out.append(
                (
                    table,
                    i,
                    item.problem(
                        "duplicate-id",
                        f"id is already used at {first[key].problem('', '').where}",
                        "id",
                        key,
                    ),
                )
            )
        else:
            first[key] = item
    return out


@cross_check("duplicate-company-id", "companies")
def duplicate_company_ids(ctx: CheckContext) -> list[Finding]:
    return _duplicates("companies", ctx.companies)


@cross_check("parent", "companies")
def unknown_or_cyclic_parent(ctx: CheckContext) -> list[Finding]:
    """Parents must exist, and following parent_id must end at a company without parent."""
    parent = {c.model.id: c.model.parent_id for c in ctx.companies}
    out: list[Finding] = []
    for i, item in enumerate(ctx.companies):
        pid = item.model.parent_id
        if pid is None:
            continue
        if pid not in parent:
            out.append(
                (
                    "companies",
                    i,
                    item.problem(
                        "unknown-parent",
                        "parent company is not in the companies file",
                        "parent_id",
                        pid,
                    ),
                )
            )
            continue
        seen = [item.model.id]
        node: str | None = pid
        while node is not None and node in parent and node not in seen:
            seen.append(node)
            node = parent[node]
        if node is not None and node in seen:
            cycle = " -> ".join([*seen[seen.index(node) :], node])
            out.append(
                (
                    "companies",
                    i,
                    item.problem(
                        "parent-cycle", f"parent chain is a cycle: {cycle}", "parent_id", pid
                    ),
                )
            )
    return out


@cross_check("duplicate-evidence-id", "evidence")
def duplicate_evidence_ids(ctx: CheckContext) -> list[Finding]:
    return _duplicates("evidence", ctx.evidence)


@cross_check("company", "evidence")
def unknown_company(ctx: CheckContext) -> list[Finding]:
    known = {c.model.id for c in ctx.companies}
    out: list[Finding] = []
    for i, item in enumerate(ctx.evidence):
        cid = item.model.company_id
        if cid is None or cid in known:
            continue
        why = (
            "names a company that was rejected (see the companies' problems)"
            if cid in ctx.rejected_company_ids
            else "names a company that is not in the companies file"
        )
        out.append(("evidence", i, item.problem("unknown-company", why, "company_id", cid)))
    return out


@cross_check("after-as-of", "evidence")
def after_as_of(ctx: CheckContext) -> list[Finding]:
    """No date in a record may lie after the assessment date."""
    if ctx.as_of is None:
        return []
    out: list[Finding] = []
    for i, item in enumerate(ctx.evidence):
        e = item.model
        dates: list[tuple[str, dt.date | None]] = [("date", e.date)]
        if e.period is not None:
            dates += [("period.start", e.period.start), ("period.end", e.period.end)]
        dates += [(f"sources.{j}.published", s.published) for j, s in enumerate(e.sources)]
        if e.company_response is not None:
            dates.append(("company_response.date", e.company_response.date))
        for field, value in dates:
            if value is not None and value > ctx.as_of:
                out.append(
                    (
                        "evidence",
                        i,
                        item.problem(
                            "after-as-of",
                            f"date is after the as-of date {ctx.as_of}",
                            field,
                            value.isoformat(),
                        ),
                    )
                )
    return out
