"""Helpers for rubric and engine tests: fictional companies, records and small rubrics."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.evidence.model import Company, EvidenceBase
from bhrscore.evidence.registry import evidence_kinds
from bhrscore.rubric.model import Rubric, parse_rubric

AS_OF = dt.date(2026, 1, 1)
BASE: dict[str, Any] = {
    "country": "KZ",
    "summary": "Fictional record.",
    "sources": [{"url": "https://example.org/fictional", "title": "Fictional source"}],
    "status": "verified",
    "reliability": "high",
    "date": "2026-01-01",
}


def rec(kind: str, id: str, company_id: str | None = "a", **fields: Any) -> EvidenceBase:
    data = {**BASE, "kind": kind, "id": id, **fields}
    if company_id is not None:
        data["company_id"] = company_id
    return evidence_kinds()[kind].model_validate(data)


def evset(records: list[EvidenceBase], companies: tuple[str, ...] = ("a", "b")) -> EvidenceSet:
    comps = tuple(Company(id=c, name=f"Fictional {c.upper()}") for c in companies)
    return EvidenceSet(companies=comps, evidence=tuple(records))


def indicator(
    id: str, rule: dict[str, Any], weight: float | None = None, **extra: Any
) -> dict[str, Any]:
    node: dict[str, Any] = {"id": id, "title": id, "rationale": "test", "rule": rule, **extra}
    if weight is not None:
        node["weight"] = weight
    return node


def rubric(
    tree: list[dict[str, Any]], penalties: list[dict[str, Any]] | None = None, **policies: Any
) -> Rubric:
    data: dict[str, Any] = {"id": "t", "version": "1.0.0", "title": "Test", "tree": tree}
    if policies:
        data["policies"] = policies
    if penalties:
        data["penalties"] = penalties
    return parse_rubric(data)


def one(rule: dict[str, Any], **policies: Any) -> Rubric:
    """A rubric with a single top-level indicator ``x``."""
    return rubric([indicator("x", rule)], **policies)


def ind_score(card: Any, company: str, indicator_id: str = "x") -> float | None:
    t = card.indicators
    v = t[(t.company_id == company) & (t.indicator_id == indicator_id)]["score"].iloc[0]
    return None if pd.isna(v) else float(v)


def node_score(card: Any, company: str, node_id: str = "total") -> float | None:
    t = card.nodes
    v = t[(t.company_id == company) & (t.node_id == node_id)]["score"].iloc[0]
    return None if pd.isna(v) else float(v)
