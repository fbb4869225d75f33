"""Each evidence kind, vocabulary and per-record rule."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from pydantic import ValidationError

from bhrscore.evidence import vocab
from bhrscore.evidence.model import Company, EvidenceBase
from bhrscore.evidence.registry import evidence_kind, evidence_kinds
from tests.conftest import KIND_FIELDS, company, record


def parse(obj: dict[str, Any]) -> EvidenceBase:
    return evidence_kinds()[obj["kind"]].model_validate(obj)


@pytest.mark.parametrize("kind", list(KIND_FIELDS))
def test_each_kind_parses(kind: str) -> None:
    parsed = parse(record(kind))
    assert parsed.kind == kind
    assert parsed.sources[0].url == "https://example.org/report"


def test_registry_has_the_six_kinds_in_order() -> None:
    assert list(evidence_kinds()) == [
        "union_dialogue",
        "wage",
        "retaliation",
        "statement",
        "assessment",
        "screening",
    ]


VOCAB_FIELDS = [
    ("retaliation", "action", vocab.RetaliationAction),
    ("retaliation", "target_role", vocab.TargetRole),
    ("retaliation", "actor", vocab.Actor),
    ("retaliation", "company_involvement", vocab.Involvement),
    ("retaliation", "trigger", vocab.Trigger),
    ("retaliation", "remedy", vocab.Remedy),
    ("retaliation", "status", vocab.Status),
    ("retaliation", "reliability", vocab.Reliability),
    ("union_dialogue", "event", vocab.DialogueEvent),
    ("union_dialogue", "outcome", vocab.DialogueOutcome),
    ("wage", "pay_period", vocab.PayPeriod),
    ("wage", "relative_to_peers", vocab.PeerLevel),
    ("statement", "statement_type", vocab.StatementType),
    ("statement", "strength", vocab.Strength),
    ("assessment", "answer", vocab.AssessmentAnswer),
    ("screening", "status", vocab.Status),
]


@pytest.mark.parametrize(("kind", "field", "enum"), VOCAB_FIELDS)
def test_vocabularies_accept_members_and_reject_others(kind: str, field: str, enum: type) -> None:
    for member in enum:  # type: ignore[attr-defined]
        assert getattr(parse(record(kind, **{field: member.value})), field) == member
    with pytest.raises(ValidationError, match=field):
        parse(record(kind, **{field: "not-a-value"}))


def test_list_vocabularies_are_checked_item_by_item() -> None:
    with pytest.raises(ValidationError, match=r"topics\.1"):
        parse(record("statement", topics=["living_wage", "free_lunch"]))
    # screening topics are their own vocabulary: a statement topic is not one of them
    with pytest.raises(ValidationError, match=r"topics\.1"):
        parse(record("screening", topics=["retaliation", "living_wage"]))


def test_every_screening_topic_is_accepted() -> None:
    every = [t.value for t in vocab.ScreeningTopic]
    parsed = parse(record("screening", topics=every))
    assert [t.value for t in parsed.topics] == every  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"topics": []}, "topics"),
        ({"company_id": None, "group": {"description": "Fictional group"}}, "one company"),
        ({"company_response": {"status": "responded"}}, "no company_response"),
    ],
)
def test_a_screening_names_topics_and_one_company_and_has_no_response(
    change: dict[str, object], message: str
) -> None:
    data = record("screening", **change)
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(ValidationError, match=message):
        parse(data)


def test_country_and_currency_codes_come_from_iso_lists() -> None:
    assert parse(record(country="GE")).country == "GE"
    for bad in ("XX", "kz", "KAZ"):
        with pytest.raises(ValidationError, match="country"):
            parse(record(country=bad))
    with pytest.raises(ValidationError, match="ISO 4217"):
        parse(record("wage", currency="KZD"))


def test_wage_ratio_is_derived_not_typed() -> None:
    wage = parse(record("wage"))
    assert wage.benchmark_ratio == pytest.approx(150000 / 300000)  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="benchmark_ratio"):
        parse(record("wage", benchmark_ratio=0.5))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": None, "benchmark": None}, "at least one of amount"),
        ({"currency": None}, "currency"),
        ({"pay_period": None}, "pay_period"),
        ({"amount": 0}, "greater than 0"),
        ({"benchmark": {"type": "living_wage", "amount": -1}}, "greater than 0"),
        ({"amount": None, "relative_to_peers": "below"}, "benchmark needs the wage amount"),
    ],
)
def test_wage_consistency(changes: dict[str, Any], message: str) -> None:
    obj = {k: v for k, v in record("wage").items() if k not in changes or changes[k] is not None}
    obj.update({k: v for k, v in changes.items() if v is not None})
    with pytest.raises(ValidationError, match=message):
        parse(obj)


def test_empty_arrears_carry_nothing_and_are_rejected() -> None:
    obj = {k: v for k, v in record("wage").items() if k not in {"amount", "benchmark"}}
    with pytest.raises(ValidationError, match="arrears need at least one of"):
        parse(obj | {"arrears": {}})
    assert parse(obj | {"arrears": {"days": 60}}).arrears.days == 60  # type: ignore[attr-defined]


def test_wage_from_testimony_without_figures() -> None:
    obj = {
        k: v
        for k, v in record("wage").items()
        if k not in {"amount", "currency", "pay_period", "benchmark"}
    }
    wage = parse(obj | {"relative_to_peers": "lowest"})
    assert wage.benchmark_ratio is None  # type: ignore[attr-defined]


def test_assessment_takes_exactly_one_answer() -> None:
    assert parse(record("assessment", answer=None, value=3.5)).value == 3.5  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="exactly one of answer or value"):
        parse(record("assessment", value=2))
    obj = record("assessment")
    del obj["answer"]
    with pytest.raises(ValidationError, match="exactly one of answer or value"):
        parse(obj)


def test_subject_is_a_company_or_a_group_never_both() -> None:
    group = {"description": "Fictional group of oil companies", "origin_group": "china"}
    obj = record() | {"group": group}
    with pytest.raises(ValidationError, match="exactly one of company_id"):
        parse(obj)
    del obj["company_id"]
    assert parse(obj).group.origin_group == "china"  # type: ignore[union-attr]
    del obj["group"]
    with pytest.raises(ValidationError, match="exactly one of company_id"):
        parse(obj)


def test_date_or_period_and_period_order() -> None:
    obj = record()
    del obj["date"]
    with pytest.raises(ValidationError, match="date or a period"):
        parse(obj)
    ok = parse(obj | {"period": {"start": "2017-01-01", "end": "2017-01-31"}})
    assert ok.effective_date.isoformat() == "2017-01-31"
    with pytest.raises(ValidationError, match=r"ends .* before it starts"):
        parse(obj | {"period": {"start": "2017-02-01", "end": "2017-01-31"}})


@pytest.mark.parametrize(
    "source",
    [
        {"title": "No URL"},
        {"url": "https://example.org"},
        {"url": "ftp://example.org", "title": "t"},
        {"url": "https://example.org", "title": ""},
    ],
)
def test_sources_need_http_url_and_title(source: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="sources"):
        parse(record(sources=[source]))
    with pytest.raises(ValidationError, match="sources"):
        parse(record(sources=[]))


def test_unknown_fields_are_errors() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        parse(record(colour="red"))
    with pytest.raises(ValidationError, match="Extra inputs"):
        Company.model_validate(company(colour="red"))


def test_company_cannot_be_its_own_parent() -> None:
    with pytest.raises(ValidationError, match="own parent"):
        Company.model_validate(company(parent_id="acme"))


def test_a_sixth_kind_needs_only_its_module_and_registration() -> None:
    from bhrscore.evidence import registry
    from bhrscore.evidence.parse import parse_evidence
    from bhrscore.evidence.read import RawRecord

    @evidence_kind("grievance")
    class Grievance(EvidenceBase):
        kind: Literal["grievance"] = "grievance"
        channel: str

    try:
        raw = RawRecord(
            "evidence", record("retaliation") | {"kind": "grievance", "channel": "hotline"}, "f"
        )
        for key in KIND_FIELDS["retaliation"]:
            raw.data.pop(key)
        parsed, problems = parse_evidence(raw)
        assert problems == []
        assert isinstance(parsed, Grievance)
        assert parsed.channel == "hotline"
    finally:
        registry.KINDS.unregister("grievance")
