"""Silence and screening: "nothing recorded" counts only where a screening backs it."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from bhrscore.rubric import score
from bhrscore.rubric.model import RubricError, parse_rubric

from .rubric_support import AS_OF, evset, ind_score, indicator, node_score, rec, rubric

# An indicator where silence is good news: the weighted count of reprisals, none = 100.
REPRISALS = {
    "select": {"kind": "retaliation"},
    "aggregate": "count",
    "scale": {"type": "linear", "lower": 0, "upper": 2, "invert": True},
}
DIALOGUE = {
    "select": {"kind": "union_dialogue"},
    "measure": {"field": "event", "values": {"recognition": 100, "refusal_to_meet": 0}},
    "aggregate": "mean",
    "scale": {"type": "identity"},
}
SCREENED = {"screened": 100, "topics": ["retaliation"], "window": {"years": 3}}
COMPANIES = ("a", "b", "c", "d", "e")


def _two(missing: Any) -> Any:
    """Two themes: dialogue (weight .5, missing zero) and retaliation (.5, ``missing``)."""
    return rubric(
        [
            indicator("dialogue", DIALOGUE, 0.5),
            indicator("reprisals", REPRISALS, 0.5, missing=missing),
        ]
    )


def _row(card: Any, company: str, indicator_id: str = "reprisals") -> pd.Series:
    t = card.indicators
    return t[(t.company_id == company) & (t.indicator_id == indicator_id)].iloc[0]


def _company(card: Any, company: str) -> pd.Series:
    return card.companies.set_index("company_id").loc[company]


def test_silence_counts_only_for_companies_screened_within_the_window() -> None:
    records = [rec("union_dialogue", f"d-{c}", c, event="recognition") for c in COMPANIES] + [
        # a: screened for retaliation on as_of; b: nothing; c: screened 4 years ago (the
        # window is 3 years); d: screened for another topic; e: screened, retracted
        rec("screening", "s-a", "a", topics=["retaliation"]),
        rec("screening", "s-c", "c", topics=["retaliation"], date="2022-01-01"),
        rec("screening", "s-d", "d", topics=["wage_arrears"]),
        rec("screening", "s-e", "e", topics=["retaliation"], status="retracted"),
    ]
    card = score(evset(records, COMPANIES), _two(SCREENED), AS_OF)
    # a: reprisals 100 (screened), total = .5*100 + .5*100 = 100, coverage 1
    assert ind_score(card, "a", "reprisals") == 100
    assert node_score(card, "a") == 100
    assert _company(card, "a")["coverage"] == 1
    row = _row(card, "a")
    assert (row["basis"], bool(row["missing"]), tuple(row["evidence_ids"])) == (
        "screening",
        False,
        ("s-a",),
    )
    assert row["evidence_count"] == 1
    assert row["status_mix"] == "verified:1"
    # b-e: reprisals unknown: no score, left out; total = dialogue alone = 100; coverage .5
    for c in "bcde":
        assert ind_score(card, c, "reprisals") is None, c
        assert node_score(card, c) == 100, c
        assert _company(card, c)["coverage"] == 0.5, c
        row = _row(card, c)
        assert row["basis"] == "unknown", c
        assert bool(row["missing"]), c
        assert tuple(row["evidence_ids"]) == (), c


def test_records_take_precedence_over_a_screening_and_keep_its_value_bounded() -> None:
    # a screened company with a verified reprisal is scored on the reprisal: 100 - 50 = 50;
    # the screening is not its evidence (it is listed as unused instead)
    records = [
        rec("screening", "s-a", "a", topics=["retaliation"]),
        rec("retaliation", "r-a", "a", action="dismissal", target_role="worker"),
    ]
    card = score(evset(records), _two(SCREENED), AS_OF)
    row = _row(card, "a")
    assert (ind_score(card, "a", "reprisals"), row["basis"]) == (50, "evidence")
    assert tuple(row["evidence_ids"]) == ("r-a",)
    unused = card.unused.set_index("evidence_id")
    assert unused.loc["s-a", "reason"] == "no_rule"
    assert "null finding for retaliation" in unused.loc["s-a", "detail"]


def test_a_screening_documents_a_null_finding_that_scores_zero() -> None:
    # dialogue: no record scores 0 either way; the screening makes the 0 covered
    silence_is_bad = {"screened": 0, "topics": ["union_dialogue"], "unscreened": "zero"}
    tree = [
        indicator("dialogue", DIALOGUE, 0.5, missing=silence_is_bad),
        indicator("reprisals", REPRISALS, 0.5, missing=SCREENED),
    ]
    records = [rec("screening", "s-a", "a", topics=["union_dialogue", "retaliation"])]
    card = score(evset(records), rubric(tree), AS_OF)
    assert [ind_score(card, c, "dialogue") for c in "ab"] == [0, 0]
    assert [_row(card, c, "dialogue")["basis"] for c in "ab"] == ["screening", "policy"]
    # a: (.5*0 + .5*100) = 50, coverage 1; b: dialogue 0, reprisals unknown: 0, coverage 0
    assert node_score(card, "a") == 50
    assert _company(card, "a")["coverage"] == 1
    assert node_score(card, "b") == 0
    assert _company(card, "b")["coverage"] == 0


def test_every_listed_topic_must_be_screened_by_some_record() -> None:
    need_both = {"screened": 100, "topics": ["retaliation", "allegations"]}
    records = [
        rec("screening", "s-a1", "a", topics=["retaliation"]),
        rec("screening", "s-a2", "a", topics=["allegations"], date="2025-06-30"),
        rec("screening", "s-b", "b", topics=["retaliation"]),
    ]
    card = score(evset(records), _two(need_both), AS_OF)
    assert ind_score(card, "a", "reprisals") == 100  # two records cover the two topics
    assert tuple(_row(card, "a")["evidence_ids"]) == ("s-a1", "s-a2")
    assert ind_score(card, "b", "reprisals") is None  # allegations not screened


def test_a_screening_speaks_for_the_end_of_the_period_it_covers() -> None:
    # screened in 2025 (date), covering 2019-2022: the period's end is before the 3-year
    # window (from 2023-01-01), so it backs no silence; period end on 2023-01-01 does
    records = [
        rec("screening", "s-a", "a", topics=["retaliation"], date="2025-06-01",
            period={"start": "2019-01-01", "end": "2022-12-31"}),
        rec("screening", "s-b", "b", topics=["retaliation"], date="2025-06-01",
            period={"start": "2019-01-01", "end": "2023-01-01"}),
    ]  # fmt: skip
    card = score(evset(records), _two(SCREENED), AS_OF)
    assert ind_score(card, "a", "reprisals") is None
    assert ind_score(card, "b", "reprisals") == 100


def test_a_screening_not_known_at_as_of_is_ignored() -> None:
    # screened after as_of: at 2026-01-01 nobody had looked yet
    records = [rec("screening", "s-a", "a", topics=["retaliation"], date="2026-03-01")]
    card = score(evset(records), _two(SCREENED), AS_OF)
    assert ind_score(card, "a", "reprisals") is None
    assert card.meta.options["records_after_as_of"] == 1
    unused = card.unused.set_index("evidence_id")
    assert unused.loc["s-a", "reason"] == "not_known"


def test_say_do_gap_silence_needs_a_screening_of_every_contradiction_topic() -> None:
    rule = {
        "type": "say_do_gap",
        "claims": {"kind": "statement"},
        "contradictions": [{"kind": "retaliation"}],
        "scale": {"type": "linear", "lower": 0, "upper": 1, "invert": True},
        "silence": {"topics": ["retaliation", "union_dialogue"]},
    }
    claim = {"statement_type": "policy_commitment", "topics": ["non_retaliation"]}
    records = [rec("statement", f"c-{c}", c, **claim) for c in "abc"] + [
        rec("screening", "s-a", "a", topics=["retaliation", "union_dialogue"]),
        rec("screening", "s-b", "b", topics=["retaliation"]),
        rec("retaliation", "r-c", "c", action="threat", target_role="worker"),
    ]
    card = score(evset(records, ("a", "b", "c", "d")), rubric([indicator("x", rule)]), AS_OF)
    # a: claim, no contradiction, screened for both -> raw 0 -> 100; the screening is evidence
    assert ind_score(card, "a") == 100
    assert tuple(_row(card, "a", "x")["evidence_ids"]) == ("c-a", "s-a")
    # b: union_dialogue not screened -> unknown: no score and not covered, claims still listed
    assert ind_score(card, "b") is None
    row = _row(card, "b", "x")
    assert row["basis"] == "unknown"
    assert tuple(row["evidence_ids"]) == ("c-b",)
    assert _company(card, "b")["coverage"] == 0
    # c: contradicted (verified threat, weight 1) -> 100 - 100 = 0; no screening needed
    assert ind_score(card, "c") == 0
    assert _company(card, "c")["coverage"] == 1
    # d: no claim -> missing (policy zero here) -> 0, not covered
    assert ind_score(card, "d") == 0
    assert _company(card, "d")["coverage"] == 0


@pytest.mark.parametrize(
    ("missing", "where", "message"),
    [
        ({"screened": 100, "topics": ["free_lunch"]}, "topics[0]", "'union_dialogue', 'wages'"),
        ({"screened": 100, "topics": []}, "topics", "at least 1"),
        ({"screened": 120, "topics": ["retaliation"]}, "screened", "100"),
        ({"screened": 100, "topics": ["retaliation"], "unscreened": 100}, "unscreened", ""),
    ],
)
def test_screening_rules_are_validated_with_their_yaml_path(
    missing: dict[str, Any], where: str, message: str
) -> None:
    data = {
        "id": "t",
        "version": "1.0.0",
        "title": "T",
        "tree": [
            {"id": "x", "title": "x", "rationale": "r", "rule": REPRISALS, "missing": missing}
        ],
    }
    with pytest.raises(RubricError) as info:
        parse_rubric(data, "t.yaml")
    text = str(info.value)
    assert f"t.yaml: tree[0].missing.{where}" in text, text
    assert message in text
