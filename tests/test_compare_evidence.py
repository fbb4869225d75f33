"""Evidence-level comparison by origin group (fictional companies)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from bhrscore.analysis.evidence_compare import EVIDENCE_GROUP_COLUMNS, compare_evidence
from bhrscore.evidence.load import load_evidence
from bhrscore.synthetic import synthetic_frames

from .conftest import company, record


def _evidence(bundle: Callable[..., Path]):  # type: ignore[no-untyped-def]
    companies = [
        company("cn1", hq_country="CN"),
        company("cn2", hq_country="CN"),
        company("kz1", hq_country="KZ"),
        company("us1", hq_country="US", host_countries=["KZ", "GE"]),
    ]
    responded = {"company_response": {"status": "responded"}}
    evidence = [
        # cn1: verified retaliation (no response), a refusal to meet
        record(
            "retaliation",
            "e1",
            company_id="cn1",
            status="verified",
            company_response={"status": "no_response"},
        ),
        record("union_dialogue", "e2", company_id="cn1", event="refusal_to_meet"),
        # cn2: alleged retaliation only (not counted: the default counts verified), wage 0.5
        record("retaliation", "e3", company_id="cn2", **responded),
        record("wage", "e4", company_id="cn2"),  # 150000 / 300000 = 0.5
        # kz1: wage at 1.2x the benchmark, a strike (not dialogue sought), a meeting
        record("wage", "e5", company_id="kz1", amount=360000),
        record("union_dialogue", "e6", company_id="kz1", event="strike"),
        record(
            "union_dialogue",
            "e7",
            company_id="kz1",
            event="meeting",
            company_response={"status": "invited"},
        ),  # still open: not counted
        # us1 in KZ: a meeting; in GE: a refusal -- us1 is western in both
        record("union_dialogue", "e8", company_id="us1", event="meeting", **responded),
        record("union_dialogue", "e9", company_id="us1", event="request_ignored", country="GE"),
        # a retracted record counts for nothing
        record("retaliation", "e10", company_id="kz1", status="retracted"),
        # group-level testimony about Chinese companies: listed, never counted as a company
        record(
            "wage",
            "t1",
            company_id=None,
            group={"description": "Chinese companies", "origin_group": "china"},
        ),
    ]
    return load_evidence(bundle(companies, evidence))


def test_rates_by_origin_group_by_hand(bundle: Callable[..., Path]) -> None:
    result = compare_evidence(_evidence(bundle), min_n=2)
    groups = result.groups.set_index("group")
    assert list(result.groups.columns) == ["origin_group", *EVIDENCE_GROUP_COLUMNS]
    china = groups.loc["china"]
    assert china["companies"] == 2  # cn1, cn2 -- the testimony is not a company
    assert (china["companies_with_retaliation"], china["retaliation_share"]) == (1, 0.5)
    assert china["wage_ratio_median"] == pytest.approx(0.5)  # cn2 only
    assert (china["dialogue_refusals"], china["dialogue_records"]) == (1, 1)
    # e1 no_response, e3 responded: 1 of 2 settled approaches answered
    assert (china["responses"], china["allegations_settled"], china["response_rate"]) == (1, 2, 0.5)
    assert china["testimony_records"] == 1
    assert china["retaliation_share_ci_low"] < 0.5 < china["retaliation_share_ci_high"]
    domestic = groups.loc["domestic"]
    assert domestic["companies"] == 1
    assert domestic["retaliation_share"] == 0.0  # the retracted record is ignored
    assert domestic["wage_ratio_median"] == pytest.approx(1.2)
    assert (domestic["dialogue_refusals"], domestic["dialogue_records"]) == (0, 1)  # no strike
    assert domestic["allegations_settled"] == 0  # "invited" is still open
    assert domestic["small_group"]
    western = groups.loc["western"]
    assert (western["dialogue_refusals"], western["dialogue_records"]) == (1, 2)
    assert western["response_rate"] == 1.0


def test_testimony_is_listed_separately(bundle: Callable[..., Path]) -> None:
    result = compare_evidence(_evidence(bundle))
    assert result.testimony["id"].tolist() == ["t1"]
    assert result.testimony["origin_group"].tolist() == ["china"]
    # other groupings do not count testimony at all
    by_host = compare_evidence(_evidence(bundle), by="host_country").groups.set_index("group")
    assert by_host["testimony_records"].sum() == 0
    assert by_host.loc["GE", "companies"] == 1  # us1's refusal in Georgia
    assert by_host.loc["KZ", "companies"] == 4


def test_verified_or_corroborated_retaliation_option(bundle: Callable[..., Path]) -> None:
    result = compare_evidence(_evidence(bundle), retaliation_statuses=("verified", "alleged"))
    assert result.groups.set_index("group").loc["china", "companies_with_retaliation"] == 2


def test_planted_origin_effect_shows_in_evidence_rates() -> None:
    frames = synthetic_frames(200, 5000, seed=5, origin_effect=0.8)
    groups = compare_evidence(frames).groups.set_index("group")
    others = groups.drop(index=["china"])
    others = others[others["companies"] >= 20]
    # CN-origin companies: lower wage ratios (x0.6 at e=0.8), more refusals (0.52 vs 0.20),
    # more retaliation records (x2.6 weight) -- each below every other sizeable group
    assert (groups.loc["china", "wage_ratio_median"] < others["wage_ratio_median"]).all()
    assert (groups.loc["china", "refusal_rate"] > others["refusal_rate"]).all()
    assert (groups.loc["china", "retaliation_share"] > others["retaliation_share"]).all()


def _attribution_bundle(bundle: Callable[..., Path]) -> Path:
    companies = [company(f"cn{i}", hq_country="CN") for i in range(1, 6)]
    verified = {"status": "verified"}
    evidence = [
        # cn1: a verified arrest by the state, no company involvement: not the company's act
        record(
            "retaliation",
            "s1",
            company_id="cn1",
            actor="state",
            company_involvement=None,
            **verified,
        ),
        # cn2: the company's security contractor: attributable without an involvement
        record(
            "retaliation",
            "s2",
            company_id="cn2",
            actor="security_contractor",
            company_involvement=None,
            **verified,
        ),
        # cn3: the state acted, but the company contributed (UNGP): attributable
        record(
            "retaliation",
            "s3",
            company_id="cn3",
            actor="state",
            company_involvement="contributed",
            **verified,
        ),
        # cn4: actor unknown, involvement not recorded: not attributable
        record(
            "retaliation",
            "s4",
            company_id="cn4",
            actor="unknown",
            company_involvement=None,
            **verified,
        ),
        # cn5: the company itself, in 2010 (before a 2015 window start)
        record("retaliation", "s5", company_id="cn5", date="2010-05-01", **verified),
    ]
    return bundle(companies, evidence)


def test_retaliation_share_counts_company_attributable_records(
    bundle: Callable[..., Path],
) -> None:
    evidence = load_evidence(_attribution_bundle(bundle))
    china = compare_evidence(evidence).groups.set_index("group").loc["china"]
    # attributable: cn2 (security contractor), cn3 (involvement), cn5 (company) -> 3 of 5
    assert (china["companies_with_retaliation"], china["companies"]) == (3, 5)
    everyone = compare_evidence(evidence, attributable_only=False).groups.set_index("group")
    assert everyone.loc["china", "companies_with_retaliation"] == 5  # every actor counts
    windowed = compare_evidence(evidence, since=dt.date(2015, 1, 1))
    china = windowed.groups.set_index("group").loc["china"]
    # cn5's only record is before the window: cn5 has no evidence left -> 2 of 4
    assert (china["companies_with_retaliation"], china["companies"]) == (2, 4)
    assert windowed.options["since"] == "2015-01-01"
    assert windowed.options["attributable_only"] is True


def test_sectors_group_by_isic_division(bundle: Callable[..., Path]) -> None:
    path = bundle(
        [
            company("tel", sectors=["61"]),
            company("info", sectors=["63"]),
            company("oil", sectors=["oil-gas", "06", "J"]),
        ],
        [
            record("union_dialogue", "e1", company_id="tel", event="refusal_to_meet"),
            record("union_dialogue", "e2", company_id="info", event="meeting"),
            record("union_dialogue", "e3", company_id="oil", event="refusal_to_meet"),
        ],
    )
    result = compare_evidence(load_evidence(path), by="sector")
    groups = result.groups.set_index("group")
    # 61 and 63 stay apart; oil-gas and 06 are one division, where e3 counts once; "J" is
    # the section the oil company also lists.
    assert groups["dialogue_records"].to_dict() == {"06": 1, "61": 1, "63": 1, "J": 1}
    assert groups.loc["61", "refusal_rate"] == 1.0
    sections = compare_evidence(load_evidence(path), by="sector_section").groups
    # J: tel, info and oil (via J) -> 3 records, 2 refusals; B: oil -> 1 record
    counts = sections.set_index("group")[["dialogue_records", "dialogue_refusals"]]
    assert counts.to_dict("index") == {
        "B": {"dialogue_records": 1, "dialogue_refusals": 1},
        "J": {"dialogue_records": 3, "dialogue_refusals": 2},
    }
