"""Sector codes and screenings take the columnar fast path (their twins), and pydantic still
decides, and words, everything the twins cannot vouch for."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import pytest
from pydantic import BeforeValidator, Field

from bhrscore import EvidenceSet, TextUnchanged, load_rubric, score
from bhrscore.evidence import load as load_module
from bhrscore.evidence.frame import Frames
from bhrscore.evidence.frame_check import check_frames
from bhrscore.evidence.frame_schema import company_schema, evidence_schema
from bhrscore.evidence.load import load_evidence
from bhrscore.evidence.model import EvidenceBase
from bhrscore.evidence.registry import KINDS, evidence_kind
from tests.conftest import company, record, write_jsonl
from tests.test_columnar_equivalence import assert_same

RUBRIC = Path(__file__).resolve().parents[1] / "rubrics" / "labour-rights.yaml"
VOCABULARY = "sectors:\n  telecom-mobile: {title: Mobile telecommunications, isic: '61'}\n"


@pytest.fixture
def pydantic_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the records the columnar loader sends to pydantic."""
    calls: list[str] = []
    parse_record = load_module.parse_record

    def spy(parse: Any) -> Any:
        def counted(raw: Any) -> Any:
            calls.append(str(raw.data.get("id")))
            return parse(raw)

        return counted

    monkeypatch.setattr(load_module, "parse_record", spy(parse_record))
    return calls


def group_record(id: str, sector: Any) -> dict[str, Any]:
    """Group-level testimony about companies of ``sector``."""
    group = {"description": "Fictional group", "sector": sector}
    return record(id=id, company_id=None, group=group)


# --- sector codes ---------------------------------------------------------------------------


def test_sector_codes_have_twins_in_the_frame_schema() -> None:
    sectors = company_schema().leaves["sectors"]
    group_sector = evidence_schema().leaves["group.sector"]
    for leaf in (sectors, group_sector):
        assert leaf.decidable  # the BeforeValidator is marked TextUnchanged
        assert [c.description for c in leaf.checks] == ["sector code"]
        assert leaf.pattern is not None  # read through the BeforeValidator
        assert leaf.strip
    assert sectors.many


def test_a_before_validator_without_the_mark_stays_undecidable() -> None:
    def shout(value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @evidence_kind("memo")
    class Memo(EvidenceBase):
        kind: Literal["memo"] = "memo"
        loud: Annotated[str, BeforeValidator(shout)] = Field(default="X")
        marked: Annotated[str, BeforeValidator(str), TextUnchanged()] = Field(default="x")
        count: Annotated[int, BeforeValidator(int), TextUnchanged()] = Field(default=0)

    try:
        leaves = evidence_schema().models["memo"].leaves
        assert not leaves["loud"].decidable  # may change text: pydantic decides
        assert leaves["marked"].decidable
        assert not leaves["count"].decidable  # the mark is for text fields only
    finally:
        KINDS.unregister("memo")
    with pytest.raises(TypeError, match="must follow a BeforeValidator"):

        class Bad(EvidenceBase):
            kind: Literal["bad"] = "bad"
            text: Annotated[str, TextUnchanged()] = "x"


def test_valid_sector_codes_take_the_fast_path(tmp_path: Path, pydantic_calls: list[str]) -> None:
    write_jsonl(
        tmp_path / "companies.jsonl",
        [
            company("acme", sectors=["J", "61", "oil-gas"]),  # section, division, alias
            company("beta", sectors=["telecom-mobile"]),  # the bundle's vocabulary.yaml
            company("gamma", sectors=[" 06 "]),  # padding: stripped on both paths
            company("delta", sectors=[6]),  # a number: pydantic makes it "06"
            company("eps", sectors=["j"]),  # not canonical: pydantic refuses it
        ],
    )
    write_jsonl(
        tmp_path / "evidence.jsonl",
        [group_record("t1", "61"), group_record("t2", 9), group_record("t3", "6l")],
    )
    (tmp_path / "vocabulary.yaml").write_text(VOCABULARY, encoding="utf-8")
    ev = load_evidence(tmp_path, strict=False)
    assert sorted(pydantic_calls) == ["delta", "eps", "t2", "t3"]
    sectors = ev.frames().companies.set_index("id")["sectors"]
    assert sectors.to_dict() == {
        "acme": ("J", "61", "oil-gas"),
        "beta": ("telecom-mobile",),
        "gamma": ("06",),
        "delta": ("06",),
    }
    assert ev.frames().evidence.set_index("id")["group.sector"].to_dict() == {
        "t1": "61",
        "t2": "09",
    }
    assert sorted((p.row, p.field, p.value) for p in ev.report.errors) == [
        (3, "group.sector", "6l"),
        (5, "sectors.0", "j"),
    ]
    assert "did you mean 'J'" in ev.report.errors[0].message
    assert ev.company("beta").sectors == ["telecom-mobile"]  # models built under the bundle's
    assert_same(tmp_path)


def test_bundle_codes_follow_the_set_into_check_frames(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "companies.jsonl", [company(sectors=["telecom-mobile"])])
    write_jsonl(tmp_path / "evidence.jsonl", [record(), group_record("t1", "telecom-mobile")])
    (tmp_path / "vocabulary.yaml").write_text(VOCABULARY, encoding="utf-8")
    loaded = load_evidence(tmp_path)
    assert "telecom-mobile" in loaded.sector_vocabulary
    rubric = load_rubric(RUBRIC)
    as_of = dt.date(2026, 1, 1)
    score(loaded, rubric, as_of)
    # a set rebuilt from the models is checked again, with the vocabulary it is given
    rebuilt = EvidenceSet(
        loaded.companies, loaded.evidence, sector_vocabulary=loaded.sector_vocabulary
    )
    score(rebuilt, rubric, as_of)
    # without it, the packaged codes are in effect: the bundle's code is named
    with pytest.raises(ValueError, match="column 'sectors' holds values that are not valid"):
        score(EvidenceSet(loaded.companies, loaded.evidence), rubric, as_of)


def test_check_frames_reads_lists_of_codes() -> None:
    from bhrscore import synthetic_frames

    frames = synthetic_frames(5, 40, seed=2)
    check_frames(Frames(frames.companies, frames.evidence))
    for column, value, shown in (
        ("sectors", ("06", "telecoms"), "'telecoms'"),
        ("host_countries", ("KZ", "XX"), "'XX'"),
    ):
        companies = frames.companies.copy()
        companies[column] = pd.Series([value] * len(companies), dtype=object)
        with pytest.raises(ValueError, match=f"column '{column}' holds .* codes: {shown}"):
            check_frames(Frames(companies, frames.evidence))


# --- screening ------------------------------------------------------------------------------


def test_screenings_take_the_fast_path_and_their_rule_has_a_twin(
    tmp_path: Path, pydantic_calls: list[str]
) -> None:
    assert evidence_schema().models["screening"].decidable
    write_jsonl(tmp_path / "companies.jsonl", [company()])
    write_jsonl(
        tmp_path / "evidence.jsonl",
        [
            record("screening", id="s-ok", topics=["retaliation", "wages"]),
            record(
                "screening",
                id="s-group",
                company_id=None,
                group={"description": "Fictional group"},
            ),
            record(
                "screening",
                id="s-response",
                company_response={"status": "responded", "date": "2024-03-01"},
            ),
            record("screening", id="s-empty", topics=[]),
            record("screening", id="s-bogus", topics=["wages", "bogus"]),
        ],
    )
    ev = load_evidence(tmp_path, strict=False)
    assert pydantic_calls == ["s-group", "s-response", "s-empty", "s-bogus"]
    assert ev.frames().evidence["id"].tolist() == ["s-ok"]
    assert ev.frames().evidence["topics"].tolist() == [("retaliation", "wages")]
    messages = {p.row: p.message for p in ev.report.errors}
    assert "a screening is of one company" in messages[2]
    assert "no company_response to record" in messages[3]
    assert sorted(messages) == [2, 3, 4, 5]
    assert_same(tmp_path)
