"""Rule building blocks: scales, aggregates, measures, conditions, windows, decay, weights,
and user-registered rule and scale types. Expected numbers are worked out in the comments."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pandas as pd
import pytest

from bhrscore.rubric import RuleContext, RuleResult, RuleSpec, Select, rule_type, score
from bhrscore.rubric.aggregates import aggregates
from bhrscore.rubric.scales import Boolean, Identity, Linear, ScaleSpec, Thresholds, scale_type

from .rubric_support import AS_OF, evset, ind_score, one, rec

DIALOGUE = {"kind": "union_dialogue"}
EVENT_MAP = {"field": "event", "values": {"recognition": 100, "meeting": 50, "refusal_to_meet": 0}}


# --- scales ---------------------------------------------------------------------------------


def test_identity_scale_clips_to_0_100() -> None:
    out = Identity().apply(np.array([-5.0, 42.0, 130.0, np.nan]))
    assert out[:3].tolist() == [0.0, 42.0, 100.0]
    assert np.isnan(out[3])


def test_boolean_scale_with_threshold_and_scores() -> None:
    scale = Boolean(above=0.5, true_score=80, false_score=10)
    out = scale.apply(np.array([0.5, 0.51, np.nan]))
    assert out[:2].tolist() == [10.0, 80.0]  # 0.5 is not above 0.5
    assert np.isnan(out[2])


def test_linear_scale_between_bounds_and_inverted() -> None:
    scale = Linear(lower=0.5, upper=1.0)
    # 0.75 is halfway -> 50; below the lower bound 0; above the upper bound 100
    assert scale.apply(np.array([0.75, 0.2, 1.5])).tolist() == [50.0, 0.0, 100.0]
    inv = Linear(lower=0, upper=2, invert=True)
    assert inv.apply(np.array([0.5])).tolist() == [75.0]  # 100 - 100*0.5/2


def test_linear_scale_rejects_empty_range() -> None:
    with pytest.raises(ValueError, match="greater than lower"):
        Linear(lower=1, upper=1)


def test_thresholds_scale_steps() -> None:
    scale = Thresholds(steps=[{"at": 1, "score": 50}, {"at": 3, "score": 100}], below=10)
    out = scale.apply(np.array([0.0, 1.0, 2.9, 3.0, 7.0]))
    assert out.tolist() == [10.0, 50.0, 50.0, 100.0, 100.0]


def test_thresholds_must_increase() -> None:
    with pytest.raises(ValueError, match="increasing"):
        Thresholds(steps=[{"at": 2, "score": 0}, {"at": 1, "score": 1}])


# --- aggregates, via the engine -------------------------------------------------------------


def _three_events() -> list:
    # a: recognition (verified, w 1), meeting (alleged, w .5), refusal (corroborated, w .75)
    return [
        rec("union_dialogue", "e1", event="recognition"),
        rec("union_dialogue", "e2", event="meeting", status="alleged", date="2025-12-01"),
        rec(
            "union_dialogue",
            "e3",
            event="refusal_to_meet",
            status="corroborated",
            date="2025-06-01",
        ),
    ]


@pytest.mark.parametrize(
    ("agg", "expected"),
    [
        ("mean", (100 * 1 + 50 * 0.5 + 0 * 0.75) / 2.25),  # weighted mean = 125/2.25 = 55.56
        ("sum", 100 * 1 + 50 * 0.5 + 0 * 0.75),  # 125 -> clipped to 100 by identity
        ("min", 0.0),
        ("max", 100.0),
        ("latest", 100.0),  # e1 is dated 2026-01-01, the latest
        ("count", 1 + 0.5 + 0.75),  # 2.25 (weighted count), identity scale
        ("any", 1.0),  # largest weight among non-zero values (e1: 1)
    ],
)
def test_aggregates(agg: str, expected: float) -> None:
    r = one(
        {"select": DIALOGUE, "measure": EVENT_MAP, "aggregate": agg, "scale": {"type": "identity"}}
    )
    card = score(evset(_three_events()), r, AS_OF)
    assert ind_score(card, "a") == pytest.approx(min(expected, 100.0))


def test_any_is_zero_when_all_values_are_zero() -> None:
    r = one(
        {"select": DIALOGUE, "measure": EVENT_MAP, "aggregate": "any", "scale": {"type": "boolean"}}
    )
    card = score(evset([rec("union_dialogue", "e1", event="refusal_to_meet")]), r, AS_OF)
    assert ind_score(card, "a") == 0.0  # the record exists but its value is 0


def test_latest_breaks_date_ties_by_weight_then_id() -> None:
    records = [
        rec("union_dialogue", "e1", event="recognition", status="alleged"),
        rec("union_dialogue", "e2", event="meeting"),  # same date, heavier -> wins
        rec("union_dialogue", "e9", event="refusal_to_meet", company_id="b"),
        rec(
            "union_dialogue", "e8", event="recognition", company_id="b"
        ),  # same weight: larger id e9 wins
    ]
    r = one(
        {
            "select": DIALOGUE,
            "measure": EVENT_MAP,
            "aggregate": "latest",
            "scale": {"type": "identity"},
        }
    )
    card = score(evset(records), r, AS_OF)
    assert ind_score(card, "a") == 50.0
    assert ind_score(card, "b") == 0.0


def test_unknown_aggregate_is_a_rubric_error() -> None:
    with pytest.raises(ValueError, match="unknown aggregate 'median'"):
        one({"select": DIALOGUE, "aggregate": "median", "scale": {"type": "identity"}})


# --- measures -------------------------------------------------------------------------------


def test_constant_measure_is_the_default() -> None:
    r = one({"select": DIALOGUE, "aggregate": "sum", "scale": {"type": "identity"}})
    card = score(evset(_three_events()), r, AS_OF)
    assert ind_score(card, "a") == pytest.approx(2.25)  # sum of weights x 1


def test_field_measure_uses_derived_benchmark_ratio() -> None:
    w = rec(
        "wage",
        "w1",
        amount=90,
        currency="KZT",
        pay_period="month",
        benchmark={"type": "living_wage", "amount": 120},
    )
    r = one(
        {
            "select": {"kind": "wage"},
            "measure": {"field": "benchmark_ratio"},
            "aggregate": "mean",
            "scale": {"type": "linear", "lower": 0.5, "upper": 1.0},
        }
    )
    card = score(evset([w]), r, AS_OF)
    assert ind_score(card, "a") == pytest.approx(50.0)  # 90/120 = .75 -> halfway


def test_records_without_a_value_are_not_evidence() -> None:
    # a wage without a benchmark has no ratio: not used, so the indicator is missing
    w = rec("wage", "w1", relative_to_peers="lowest")
    r = one(
        {
            "select": {"kind": "wage"},
            "measure": "benchmark_ratio",
            "aggregate": "mean",
            "scale": {"type": "identity"},
        }
    )
    card = score(evset([w]), r, AS_OF)
    row = card.indicators[card.indicators.company_id == "a"].iloc[0]
    assert bool(row["missing"]) is True
    assert row["evidence_count"] == 0


def test_map_default_fills_empty_values() -> None:
    r1 = rec("retaliation", "r1", action="dismissal", target_role="worker", remedy="reinstated")
    r2 = rec("retaliation", "r2", action="dismissal", target_role="worker")  # no remedy: default 0
    r = one(
        {
            "select": {"kind": "retaliation"},
            "measure": {"field": "remedy", "values": {"reinstated": 100}, "default": 0},
            "aggregate": "mean",
            "scale": {"type": "identity"},
        }
    )
    assert ind_score(score(evset([r1, r2]), r, AS_OF), "a") == 50.0  # (100 + 0) / 2


def test_excluded_values_make_the_indicator_not_applicable() -> None:
    a = rec("assessment", "q1", question_id="Q1", answer="not_applicable")
    r = one(
        {
            "select": {"kind": "assessment"},
            "measure": {"field": "answer", "values": {"yes": 100, "not_applicable": "exclude"}},
            "aggregate": "latest",
            "scale": {"type": "identity"},
        },
        missing="zero",
    )
    card = score(evset([a]), r, AS_OF)
    row = card.indicators[card.indicators.company_id == "a"].iloc[0]
    assert pd.isna(row["score"])  # excluded despite missing=zero
    assert not bool(row["missing"])
    assert row["evidence_ids"] == ("q1",)
    assert ind_score(card, "b") == 0.0  # no answer at all: policy zero


# --- conditions -----------------------------------------------------------------------------


def _where(where: object) -> float | None:
    records = [
        rec(
            "retaliation",
            "r1",
            action="dismissal",
            target_role="union_leader",
            targets=3,
            company_involvement="caused",
            date="2025-03-01",
        ),
        rec(
            "retaliation", "r2", action="threat", target_role="worker", targets=1, date="2024-03-01"
        ),
        rec(
            "statement",
            "s1",
            statement_type="policy_commitment",
            topics=["freedom_of_association", "living_wage"],
        ),
    ]
    kind = "statement" if "topics" in str(where) else "retaliation"
    r = one(
        {
            "select": {"kind": kind, "where": where},
            "aggregate": "count",
            "scale": {"type": "identity"},
        }
    )
    return ind_score(score(evset(records), r, AS_OF), "a")


@pytest.mark.parametrize(
    ("where", "count"),
    [
        ({"action": "dismissal"}, 1),  # shorthand eq
        ({"action": ["dismissal", "threat"]}, 2),  # shorthand in
        ({"action": {"ne": "dismissal"}}, 1),
        ({"action": {"not_in": ["dismissal"]}}, 1),
        ({"company_involvement": {"not_in": ["contributed"]}}, 1),  # r2 has none: fails
        ({"company_involvement": {"present": False}}, 1),
        ({"targets": {"ge": 3}}, 1),
        ({"targets": {"gt": 1, "le": 3}}, 1),
        ({"targets": {"lt": 3}}, 1),
        ({"date": {"ge": dt.date(2025, 1, 1)}}, 1),
        ([{"action": "threat"}, {"targets": {"ge": 3}}], 2),  # any of the clauses
        ({"topics": {"contains": ["living_wage", "defenders"]}}, 1),
        ({"topics": {"contains_all": ["living_wage", "defenders"]}}, 0),
        ({"topics": {"contains_all": ["living_wage", "freedom_of_association"]}}, 1),
        ({"topics": {"present": True}}, 1),
    ],
)
def test_conditions(where: object, count: int) -> None:
    assert _where(where) == float(count)


# --- window, decay, status and reliability weights ------------------------------------------


def _count(records: list, **policies: object) -> float | None:
    r = one(
        {"select": {"kind": "retaliation"}, "aggregate": "count", "scale": {"type": "identity"}},
        **policies,
    )
    return ind_score(score(evset(records), r, AS_OF), "a")


def _ret(id: str, **fields: object):
    return rec("retaliation", id, action="threat", target_role="worker", **fields)


def test_window_includes_its_first_day_and_as_of() -> None:
    # 2 years before 2026-01-01 starts on 2024-01-01 (inside); 2023-12-31 is outside
    records = [
        _ret("r1", date="2024-01-01"),
        _ret("r2", date="2023-12-31"),
        _ret("r3", date="2026-01-01"),
    ]
    assert _count(records, window={"years": 2}) == 2.0
    assert _count(records, window={"days": 731}) == 2.0  # 2024-01-01 + 731 days = 2026-01-01


def test_records_after_as_of_are_never_scored() -> None:
    assert _count([_ret("r1", date="2026-01-02")]) is not None  # missing -> policy zero
    assert _count([_ret("r1", date="2026-01-02")]) == 0.0


def test_window_on_29_february() -> None:
    r = one(
        {"select": {"kind": "retaliation"}, "aggregate": "count", "scale": {"type": "identity"}},
        window={"years": 1},
    )
    # as_of 2028-02-29 minus one year -> 2027-02-28 (first day inside)
    records = [_ret("r1", date="2027-02-28"), _ret("r2", date="2027-02-27")]
    card = score(evset(records), r, dt.date(2028, 2, 29))
    assert ind_score(card, "a") == 1.0


def test_decay_halves_weight_per_half_life() -> None:
    # 2022-01-01 -> 2026-01-01 = 1461 days = 4 x 365.25: two half-lives of 2 years -> .25
    assert _count([_ret("r1", date="2022-01-01")], decay={"half_life_years": 2}) == pytest.approx(
        0.25
    )
    assert _count([_ret("r1")], decay={"half_life_years": 2}) == pytest.approx(1.0)  # age 0


def test_selection_can_switch_off_window_and_decay() -> None:
    r = one(
        {
            "select": {"kind": "retaliation", "window": "none", "decay": "none"},
            "aggregate": "count",
            "scale": {"type": "identity"},
        },
        window={"years": 1},
        decay={"half_life_years": 1},
    )
    card = score(evset([_ret("r1", date="2016-01-01")]), r, AS_OF)
    assert ind_score(card, "a") == 1.0  # ten years old, full weight


@pytest.mark.parametrize(
    ("status", "reliability", "weight"),
    [
        ("verified", "high", 1.0),
        ("corroborated", "high", 0.75),
        ("alleged", "medium", 0.5 * 0.8),
        ("disputed", "low", 0.25 * 0.5),
    ],
)
def test_status_and_reliability_weights(status: str, reliability: str, weight: float) -> None:
    assert _count([_ret("r1", status=status, reliability=reliability)]) == pytest.approx(weight)


def test_retracted_records_are_not_evidence() -> None:
    r = one(
        {"select": {"kind": "retaliation"}, "aggregate": "count", "scale": {"type": "identity"}},
        missing="exclude",
    )
    card = score(evset([_ret("r1", status="retracted")]), r, AS_OF)
    assert ind_score(card, "a") is None  # missing, excluded
    assert card.indicators.iloc[0]["evidence_ids"] == ()


def test_custom_status_weights() -> None:
    weights = {"verified": 1, "corroborated": 0.9, "alleged": 0.2, "disputed": 0, "retracted": 0}
    assert _count([_ret("r1", status="alleged")], status_weights=weights) == pytest.approx(0.2)


# --- user-registered rule and scale types ---------------------------------------------------


@rule_type("share_verified_test")
class ShareVerified(RuleSpec):
    """Share of the selected records that are verified, as a score."""

    type: Literal["share_verified_test"] = "share_verified_test"
    select: Select

    def compute(self, ctx: RuleContext) -> RuleResult:
        sel = ctx.select(self.select)
        verified = (ctx.column("status", sel) == "verified").to_numpy(dtype=float)
        rows = ctx.rows(sel, verified)
        # unweighted share: sum of indicator / count, via the registered aggregates
        share = aggregates()["mean"](
            rows.__class__(rows.company, rows.value, np.ones(len(sel)), rows.day, rows.n)
        )
        return RuleResult(raw=share, score=100 * share, used=sel)


@scale_type("halve_test")
class Halve(ScaleSpec):
    type: Literal["halve_test"] = "halve_test"

    def to_score(self, raw: np.ndarray) -> np.ndarray:
        return raw / 2


def test_user_rule_type() -> None:
    records = [_ret("r1"), _ret("r2", status="alleged"), _ret("r3", status="alleged"), _ret("r4")]
    r = one({"type": "share_verified_test", "select": {"kind": "retaliation"}})
    card = score(evset(records), r, AS_OF)
    assert ind_score(card, "a") == 50.0  # 2 of 4 verified
    assert card.indicators.iloc[0]["evidence_ids"] == ("r1", "r2", "r3", "r4")


def test_user_scale_type() -> None:
    r = one(
        {
            "select": DIALOGUE,
            "measure": EVENT_MAP,
            "aggregate": "max",
            "scale": {"type": "halve_test"},
        }
    )
    card = score(evset(_three_events()), r, AS_OF)
    assert ind_score(card, "a") == 50.0  # max 100 / 2


def test_rule_type_must_declare_its_type() -> None:
    with pytest.raises(TypeError, match="must declare type"):

        @rule_type("mismatch_test")
        class Bad(RuleSpec):
            type: Literal["other"] = "other"


def test_latest_is_not_applicable_when_the_newest_record_is_excluded() -> None:
    # a: "no" (0) in 2024, then "not_applicable" (exclude) in 2025: the newer answer wins, so
    # the indicator is excluded (NaN), not 0. b: the reverse order: the newer "yes" = 100.
    records = [
        rec("assessment", "a-old", question_id="Q1", answer="no", date="2024-06-30"),
        rec("assessment", "a-new", question_id="Q1", answer="not_applicable", date="2025-06-30"),
        rec(
            "assessment", "b-old", "b", question_id="Q1", answer="not_applicable", date="2024-06-30"
        ),
        rec("assessment", "b-new", "b", question_id="Q1", answer="yes", date="2025-06-30"),
    ]
    rule = {
        "select": {"kind": "assessment"},
        "measure": {
            "field": "answer",
            "values": {"yes": 100, "no": 0, "not_applicable": "exclude"},
        },
        "aggregate": "latest",
        "scale": {"type": "identity"},
    }
    card = score(evset(records), one(rule, missing="zero"), AS_OF)
    row = card.indicators.set_index("company_id").loc["a"]
    assert pd.isna(row["score"])
    assert pd.isna(row["raw_value"])
    assert row["evidence_ids"] == ("a-new", "a-old")
    assert ind_score(card, "b") == 100.0
    # other aggregates still leave excluded rows out: mean over a's applicable rows = 0
    mean = one({**rule, "aggregate": "mean"}, missing="zero")
    assert ind_score(score(evset(records), mean, AS_OF), "a") == 0.0
