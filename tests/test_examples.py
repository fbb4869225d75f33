"""The sourced Kazakhstan example: valid, loadable, sourced, and careful with named persons."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.evidence.load import load_evidence
from bhrscore.evidence.model import Company, EvidenceBase
from bhrscore.evidence.registry import evidence_kinds

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kazakhstan"
LATEST = dt.date(2026, 11, 23)


def _lines(name: str) -> list[dict[str, Any]]:
    text = (EXAMPLE / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def companies() -> list[Company]:
    return [Company.model_validate(c) for c in _lines("companies.jsonl")]


@pytest.fixture(scope="module")
def evidence() -> list[EvidenceBase]:
    return [evidence_kinds()[e["kind"]].model_validate(e) for e in _lines("evidence.jsonl")]


def test_example_loads_without_problems_as_of_the_cutoff() -> None:
    loaded = load_evidence(EXAMPLE, as_of=LATEST)
    assert loaded.report.ok
    assert len(loaded.companies) == len(_lines("companies.jsonl"))
    assert len(loaded) == len(_lines("evidence.jsonl"))


def test_ids_are_unique_and_company_references_resolve(
    companies: list[Company], evidence: list[EvidenceBase]
) -> None:
    company_ids = [c.id for c in companies]
    evidence_ids = [e.id for e in evidence]
    assert len(set(company_ids)) == len(company_ids)
    assert len(set(evidence_ids)) == len(evidence_ids)
    for record in evidence:
        if record.group is None:
            assert record.company_id in company_ids, record.id


def test_every_record_is_fully_sourced_and_not_later_than_the_cutoff(
    companies: list[Company], evidence: list[EvidenceBase]
) -> None:
    items: list[Company | EvidenceBase] = [*companies, *evidence]
    for item in items:
        assert item.sources, item.id
        for source in item.sources:
            assert source.url.startswith("https://"), item.id
            assert "example.org" not in source.url  # real records cite real sources
            assert source.title, item.id
            assert source.publisher, item.id
    for record in evidence:
        assert record.latest_date() <= LATEST, record.id


def test_status_is_alleged_unless_the_source_states_a_fact(evidence: list[EvidenceBase]) -> None:
    assert {e.status.value for e in evidence} <= {"alleged", "verified"}
    for record in evidence:
        if record.status.value == "verified":  # only facts reported as such by an NGO report
            assert record.sources[0].type.value == "ngo_report", record.id


def test_named_persons_are_listed_and_sensitive(evidence: list[EvidenceBase]) -> None:
    everyone = {p for e in evidence for p in e.persons}
    assert {"Irina Umbetova", "Mukhtar Umbetov", "Amin Yeleusinov"} <= everyone
    for record in evidence:
        if record.persons:
            assert record.sensitive, record.id
        # Anyone named anywhere in the example is listed wherever the summary names them.
        for person in everyone:
            if person in record.summary:
                assert person in record.persons, (record.id, person)


def test_group_testimony_names_no_company(evidence: list[EvidenceBase]) -> None:
    groups = [e for e in evidence if e.group is not None]
    assert groups
    assert all(e.company_id is None for e in groups)
    origin_groups = {e.group.origin_group for e in groups if e.group is not None}
    assert {"western", "domestic", "china"} <= origin_groups


def test_frames_derive_origin_only_from_stated_headquarters(
    companies: list[Company], evidence: list[EvidenceBase]
) -> None:
    frames = EvidenceSet(tuple(companies), tuple(evidence)).frames()
    origin = frames.companies.set_index("id")["origin_country"]
    assert origin["wagenborg"] == "NL"  # "a Dutch shipping and oil support company"
    assert origin.isna()["occ"]  # no source states where OCC is headquartered


def test_readme_documents_every_record(
    companies: list[Company], evidence: list[EvidenceBase]
) -> None:
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    assert "## Why group-level testimony" in readme
    items: list[Company | EvidenceBase] = [*companies, *evidence]
    for item in items:
        assert f"`{item.id}`" in readme, item.id
    for url in {s.url for item in items for s in item.sources}:
        assert url in readme, url
