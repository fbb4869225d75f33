"""The record-by-record reference path (``load_evidence(..., engine="records")``).

Every record goes through pydantic and every cross-record rule is a plain Python loop over
models. It is slow and simple on purpose: the property tests check that the columnar path
(:mod:`.columnar`, :mod:`.checks`) accepts the same records with the same values and reports
the same problems.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from .checks import (
    MAX_ROWS_NAMED,
    TEMPLATE_MARKERS,
    TableName,
    template_example_warning,
    unknown_company_message,
)
from .evidence_set import EvidenceSet
from .model import Company, EvidenceBase
from .parse import Located, parse_record
from .read import Batch
from .report import EvidenceValidationError, Problem, Rejected, ValidationReport

Finding = tuple[str, int, Problem]


def _duplicates(table: str, items: Sequence[Located[Any]]) -> list[Finding]:
    first: dict[str, Located[Any]] = {}
    out: list[Finding] = []
    for i, item in enumerate(items):
        key = item.model.id
        if key in first:
            where = first[key].problem("", "").where
            out.append(
                (
                    table,
                    i,
                    item.problem("duplicate-id", f"id is already used at {where}", "id", key),
                )
            )
        else:
            first[key] = item
    return out


def _parents(companies: Sequence[Located[Company]]) -> list[Finding]:
    parent = {c.model.id: c.model.parent_id for c in companies}
    out: list[Finding] = []
    for i, item in enumerate(companies):
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


def _unknown_company(
    companies: Sequence[Located[Company]],
    evidence: Sequence[Located[EvidenceBase]],
    rejected: frozenset[str],
    companies_read: int,
) -> list[Finding]:
    known = {c.model.id for c in companies}
    out: list[Finding] = []
    for i, item in enumerate(evidence):
        cid = item.model.company_id
        if cid is None or cid in known:
            continue
        why = unknown_company_message(cid in rejected, bool(companies_read))
        out.append(("evidence", i, item.problem("unknown-company", why, "company_id", cid)))
    return out


def _after_as_of(evidence: Sequence[Located[EvidenceBase]], as_of: dt.date) -> Problem | None:
    late = [e for e in evidence if e.model.latest_date() > as_of]
    if not late:
        return None
    n = len(late)
    message = (
        f"{n:,} record{'s' if n != 1 else ''} mention a date after the as-of "
        f"date {as_of} (first: id {late[0].model.id!r}); "
        f"such records are kept, and scores as of {as_of} leave out what was not known by then"
    )
    located = late[0].problem("after-as-of", message)
    return Problem(
        file=located.file,
        message=message,
        code="after-as-of",
        row=located.row,
        sheet=located.sheet,
        pointer=located.pointer,
        severity="warning",
    )


def _template_examples(table: TableName, items: Sequence[Located[Any]]) -> list[Problem]:
    column, marker = TEMPLATE_MARKERS[table]
    found = [i for i in items if marker in (getattr(i.model, column, None) or "")]
    if not found:
        return []
    where = [i.problem("", "").where for i in found[:MAX_ROWS_NAMED]]
    return [template_example_warning(table, len(found), where, found[0].problem("", ""))]


def validate_records(
    batches: list[Batch], report: ValidationReport, *, strict: bool, as_of: dt.date | None
) -> EvidenceSet:
    """Validate every record of ``batches`` with pydantic and the loop-based rules."""
    raws = [b.raw(i) for b in batches for i in range(b.n)]
    record_problems: dict[int, list[Problem]] = {}
    companies: list[Located[Company]] = []
    company_idx: list[int] = []
    evidence: list[Located[EvidenceBase]] = []
    evidence_idx: list[int] = []
    for idx, raw in enumerate(raws):
        report.read[raw.table] += 1
        model, errs = parse_record(raw)
        if isinstance(model, Company):
            companies.append(Located(model, raw))
            company_idx.append(idx)
        elif isinstance(model, EvidenceBase):
            evidence.append(Located(model, raw))
            evidence_idx.append(idx)
        if errs:
            record_problems[idx] = errs
    bad_companies: set[int] = set()
    for _t, i, found in _duplicates("companies", companies) + _parents(companies):
        record_problems.setdefault(company_idx[i], []).append(found)
        bad_companies.add(i)
    kept_companies = [c for i, c in enumerate(companies) if i not in bad_companies]
    rejected = frozenset(c.model.id for i, c in enumerate(companies) if i in bad_companies)
    bad_evidence: set[int] = set()
    findings = _duplicates("evidence", evidence) + _unknown_company(
        kept_companies, evidence, rejected, report.read["companies"]
    )
    for _t, i, found in sorted(findings, key=lambda f: 0 if f[2].code == "duplicate-id" else 1):
        record_problems.setdefault(evidence_idx[i], []).append(found)
        bad_evidence.add(i)
    kept_evidence = [e for i, e in enumerate(evidence) if i not in bad_evidence]
    for idx in sorted(record_problems):
        raw = raws[idx]
        report.rejected.append(
            Rejected(
                raw.file,
                raw.data,
                tuple(record_problems[idx]),
                raw.row,
                raw.sheet,
                raw.pointer,
                raw.table,
            )
        )
        report.add(record_problems[idx])
    report.add(_template_examples("companies", companies))
    report.add(_template_examples("evidence", evidence))
    if as_of is not None and (warning := _after_as_of(evidence, as_of)) is not None:
        report.add([warning])
    from .load import unique

    report.problems = unique(report.problems)
    report.valid["companies"] = len(kept_companies)
    report.valid["evidence"] = len(kept_evidence)
    for table in ("companies", "evidence"):
        assert report.valid[table] + report.rejected_count(table) == report.read[table]
    if strict and not report.ok:
        raise EvidenceValidationError(report)
    return EvidenceSet(
        tuple(c.model for c in kept_companies), tuple(e.model for e in kept_evidence), report
    )
