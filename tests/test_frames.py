"""Typed frames, derived columns and the order-independent content hash."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.evidence.frame import company_dtypes, evidence_dtypes
from bhrscore.evidence.load import load_evidence
from bhrscore.evidence.model import Company
from bhrscore.evidence.registry import evidence_kinds
from tests.conftest import company, record


def test_frames_have_documented_dtypes(bundle: Any) -> None:
    ev = load_evidence(
        bundle(evidence=[record(id="a"), record("wage", id="b"), record("statement", id="c")])
    )
    frames = ev.frames()
    assert list(frames.evidence.columns) == list(evidence_dtypes())
    assert list(frames.companies.columns) == list(company_dtypes())
    e = frames.evidence.set_index("id")
    assert isinstance(e["status"].dtype, pd.CategoricalDtype)
    assert set(e["status"].cat.categories) == {
        "alleged",
        "corroborated",
        "verified",
        "disputed",
        "retracted",
    }
    assert e["date"].dtype == "datetime64[ns]"
    assert e.loc["b", "benchmark_ratio"] == 0.5  # 150000 / 300000
    assert pd.isna(e.loc["a", "benchmark_ratio"])
    assert e.loc["c", "topics"] == ("freedom_of_association", "non_retaliation")
    assert e.loc["a", "source_url"] == "https://example.org/report"
    assert e.loc["a", "effective_date"] == pd.Timestamp("2024-02-01")


def test_ultimate_parent_and_origin_through_three_levels() -> None:
    cos = [
        Company.model_validate(c)
        for c in (
            company("top", hq_country="CN"),
            company("mid", hq_country="HK", parent_id="top"),
            company("low", hq_country="KZ", parent_id="mid"),
            company("own", hq_country="KZ", parent_id="mid", origin_country="RU"),
            company("holding", hq_country="CY", origin_country="CN"),
            company("via-holding", hq_country="KZ", parent_id="holding"),
            company("unknown", hq_country=None),
        )
    ]
    frame = EvidenceSet(tuple(cos), ()).frames().companies.set_index("id")
    assert frame.loc["low", "ultimate_parent_id"] == "top"
    assert frame.loc["low", "parent_depth"] == 2
    assert frame.loc["low", "origin_country"] == "CN"  # the ultimate parent's HQ
    assert frame.loc["own", "origin_country"] == "RU"  # explicit origin wins
    assert frame.loc["top", "parent_depth"] == 0
    assert frame.loc["via-holding", "origin_country"] == "CN"  # an ancestor's explicit origin
    assert pd.isna(frame.loc["unknown", "origin_country"])


def test_content_hash_ignores_row_order_but_not_content() -> None:
    kinds = evidence_kinds()
    recs = [kinds["retaliation"].model_validate(record(id=i)) for i in ("a", "b", "c")]
    cos = (Company.model_validate(company()),)
    h1 = EvidenceSet(cos, tuple(recs)).content_hash()
    h2 = EvidenceSet(cos, tuple(reversed(recs))).content_hash()
    changed = [*recs[:2], kinds["retaliation"].model_validate(record(id="c", status="verified"))]
    assert h1 == h2
    assert h1 != EvidenceSet(cos, tuple(changed)).content_hash()


def test_empty_evidence_set_has_typed_empty_frames() -> None:
    frames = EvidenceSet((), ()).frames()
    assert len(frames.evidence) == 0
    assert frames.evidence["effective_date"].dtype == "datetime64[ns]"
    assert dt.date(2020, 1, 1)  # frames need no clock
