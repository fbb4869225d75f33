"""The sourced Kazakhstan example: valid, loadable, sourced, and careful with named persons."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bhrscore.analysis import load_origin_groups
from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.evidence.load import load_evidence
from bhrscore.evidence.model import Company, EvidenceBase
from bhrscore.evidence.registry import evidence_kinds

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kazakhstan"
LATEST = dt.date(2026, 11, 23)
# Null findings (screening records), read by the loader like any evidence file.
SCREENING = "evidence-screening.jsonl"
SCREENING_TOPICS = {
    "union_dialogue",
    "wages",
    "wage_arrears",
    "retaliation",
    "statements",
    "allegations",
}


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
    assert len(loaded) == len(_lines("evidence.jsonl")) + len(_lines(SCREENING))


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
            # URLs are kept exactly as the search returned them, some of them plain http.
            assert source.url.startswith(("https://", "http://")), item.id
            assert "example.org" not in source.url  # real records cite real sources
            assert source.title, item.id
            assert source.publisher, item.id
    for record in evidence:
        assert record.latest_date() <= LATEST, record.id


def test_status_is_alleged_unless_the_readme_explains_otherwise(
    evidence: list[EvidenceBase],
) -> None:
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    assert {e.status.value for e in evidence} <= {"alleged", "corroborated", "verified", "disputed"}
    assert Counter(e.status.value for e in evidence)["alleged"] > len(evidence) / 3
    for record in evidence:
        # Every record has a heading "### `id`: title (kind, status)" and every status other
        # than alleged is explained under it ("Status: `verified`: why").
        pattern = rf"^### `{re.escape(record.id)}`: .*\(([a-z_]+), ([a-z]+)\)$"
        heading = re.search(pattern, readme, re.M)
        assert heading, record.id
        assert heading.groups() == (record.kind, record.status.value), record.id
        if record.status.value != "alleged":
            section = readme[heading.end() :].split("\n### ", 1)[0]
            assert f"Status: `{record.status.value}`" in section, record.id
        if record.status.value == "verified" and record.kind != "statement":
            # Facts rest on a source that can establish them: an NGO report stating the fact,
            # the company's own publication, or news of a court ruling or company announcement.
            types = {s.type.value for s in record.sources}
            assert types & {"ngo_report", "company", "court", "news", "union"}, record.id
        if record.kind == "statement":
            assert any(s.type.value == "company" for s in record.sources), record.id


def test_named_persons_are_listed_and_sensitive(evidence: list[EvidenceBase]) -> None:
    everyone = {p for e in evidence for p in e.persons}
    assert {"Irina Umbetova", "Mukhtar Umbetov", "Amin Yeleusinov", "Natalia Sokolova"} <= everyone
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
    # Parents as sources state them: OzenMunaiGas -> KMG EP (KZ); KMK Munai -> CNPC-AMG -> CNPC
    # (CN); Ersai -> Saipem -> Eni (IT). "Chinese owned" companies without a named parent carry
    # an explicit origin_country.
    assert origin["ozenmunaigas"] == "KZ"
    assert origin["kmk-munai"] == "CN"
    assert origin["ersai-caspian-contractor"] == "IT"
    assert origin["great-wall-aktau"] == "CN"
    # A 50/50 joint venture of KMG EP and China's CITIC: no source makes either its parent.
    assert origin.isna()["karazhanbasmunai"]


def test_readme_documents_every_record(
    companies: list[Company], evidence: list[EvidenceBase]
) -> None:
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    assert "## Why group-level testimony" in readme
    assert "## What the data can and cannot show" in readme
    items: list[Company | EvidenceBase] = [*companies, *evidence]
    for item in items:
        assert f"`{item.id}`" in readme, item.id
    for url in {s.url for item in items for s in item.sources}:
        assert url in readme, url


def _origin_groups_in_kazakhstan(companies: list[Company]) -> pd.Series:
    frames = EvidenceSet(tuple(companies), ()).frames()
    origin = frames.companies.set_index("id")["origin_country"].astype("string")
    host = pd.Series("KZ", index=origin.index, dtype="string")
    return pd.Series(load_origin_groups().assign(origin, host).to_numpy(), index=origin.index)


def test_enough_companies_in_enough_origin_groups_to_compare(
    companies: list[Company], evidence: list[EvidenceBase]
) -> None:
    assert len(companies) >= 10
    groups = _origin_groups_in_kazakhstan(companies)
    known = groups[groups != "unknown"]
    sizes = known.value_counts()
    assert (sizes >= 2).sum() >= 3, sizes.to_dict()
    assert {"domestic", "china", "western"} <= set(sizes[sizes >= 2].index)
    # Not just parents: each of the three groups has at least two companies with their own
    # company-level evidence.
    with_evidence = {e.company_id for e in evidence if e.company_id is not None}
    for group in ("domestic", "china", "western"):
        members = set(groups[groups == group].index)
        assert len(members & with_evidence) >= 2, group


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def test_no_identifier_tag_or_file_name_contains_a_persons_name(
    companies: list[Company], evidence: list[EvidenceBase]
) -> None:
    screening = _lines(SCREENING)
    people = {p for e in evidence for p in e.persons} | {
        p for s in screening for p in s.get("persons", [])
    }
    assert people
    labels = [c.id for c in companies]
    labels += [e.id for e in evidence] + [t for e in evidence for t in e.tags]
    labels += [s["id"] for s in screening] + [t for s in screening for t in s.get("tags", [])]
    labels += [str(p.relative_to(EXAMPLE)) for p in EXAMPLE.rglob("*")]
    for person in people:
        full = _slug(person)
        parts = [part for part in full.split("-") if len(part) >= 3]
        forms = {full, full.replace("-", ""), full.replace("-", "_"), *parts}
        for label in labels:
            squashed = _slug(label)
            for form in forms:
                assert form not in squashed, (label, person)
                assert form not in squashed.replace("-", ""), (label, person)


def test_screening_records_are_sourced_dated_and_documented(
    companies: list[Company], evidence: list[EvidenceBase]
) -> None:
    screening = _lines(SCREENING)
    assert screening
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    company_ids = {c.id for c in companies}
    evidence_ids = {e.id for e in evidence}
    cited = {s.url for e in evidence for s in e.sources} | {
        s.url for c in companies for s in c.sources
    }
    for row in screening:
        assert row["kind"] == "screening"
        assert row["id"] not in evidence_ids
        assert row["company_id"] in company_ids
        assert row["country"] == "KZ"
        assert row["date"] == LATEST.isoformat()  # screened as of the example's cut-off
        start = dt.date.fromisoformat(row["period"]["start"])
        end = dt.date.fromisoformat(row["period"]["end"])
        assert start <= end <= LATEST
        assert row["topics"]
        assert set(row["topics"]) <= SCREENING_TOPICS
        assert row["summary"]
        assert row["status"] == "alleged"  # one or two news pages: a cursory look
        assert row["sources"]
        for source in row["sources"]:
            assert source["url"].startswith(("https://", "http://"))
            assert source["title"]
            assert source["url"] in cited  # only sources also read for the evidence
            assert source["url"] in readme
        assert f"`{row['id']}`" in readme
        assert not row.get("persons")
