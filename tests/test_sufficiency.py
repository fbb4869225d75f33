"""Evidence sufficiency: below the rubric's minimum coverage a company is shown, not ranked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bhrscore.analysis.sensitivity import sensitivity
from bhrscore.rubric import score
from bhrscore.rubric.sufficiency import ranks, sufficiency

from .rubric_support import AS_OF, evset, indicator, rec, rubric

COUNT = {"aggregate": "count", "scale": {"type": "linear", "lower": 0, "upper": 1}}


def _rubric(min_coverage: float) -> object:
    """Three themes of one indicator each: dialogue .5, wages .3, statements .2 (missing: zero)."""
    return rubric(
        [
            indicator("dialogue", {"select": {"kind": "union_dialogue"}, **COUNT}, 0.5),
            indicator("wages", {"select": {"kind": "wage"}, **COUNT}, 0.3),
            indicator("statements", {"select": {"kind": "statement"}, **COUNT}, 0.2),
        ],
        min_coverage=min_coverage,
    )


WAGE = {"amount": 100.0, "currency": "KZT", "pay_period": "month"}
POLICY = {"statement_type": "policy_commitment", "topics": ["living_wage"]}


def test_below_min_coverage_a_company_keeps_its_partial_total_but_has_no_rank() -> None:
    records = [
        # a: dialogue and wages -> coverage .8, total .5*100 + .3*100 + .2*0 = 80
        rec("union_dialogue", "d-a", "a", event="meeting"),
        rec("wage", "w-a", "a", **WAGE),
        # b: wages and statements -> coverage .5 (reaches .5), total .3*100 + .2*100 = 50
        rec("wage", "w-b", "b", **WAGE),
        rec("statement", "s-b", "b", **POLICY),
        # c: statements only -> coverage .2, total 20
        rec("statement", "s-c", "c", **POLICY),
    ]
    card = score(evset(records, ("a", "b", "c", "d")), _rubric(0.5), AS_OF)
    comp = card.companies.set_index("company_id")
    assert list(comp["total"]) == [80, 50, 20, 0]
    assert list(comp["rank"].astype("float64").fillna(-1)) == [1, 2, -1, -1]
    assert list(comp["sufficient"]) == [True, True, False, False]
    assert pd.isna(comp.loc["a", "insufficient_reason"])
    assert (
        comp.loc["c", "insufficient_reason"] == "coverage 20% < 50%: no evidence on dialogue, wages"
    )
    assert comp.loc["d", "insufficient_reason"] == (
        "coverage 0% < 50%: no evidence on dialogue, wages, statements"
    )
    assert card.meta.options["insufficient"] == 2
    assert "Insufficient evidence, not ranked: coverage 20% < 50%" in card.explain("c")
    assert "rank n/a of 4" in card.explain("c")


def test_without_min_coverage_every_company_with_a_total_is_ranked() -> None:
    records = [rec("statement", "s-c", "c", **POLICY)]
    card = score(evset(records, ("a", "c")), _rubric(0.0), AS_OF)
    comp = card.companies.set_index("company_id")
    assert list(comp["rank"]) == [2, 1]  # a: 0 (coverage 0), c: 20
    assert comp["sufficient"].all()


def test_reasons_name_missing_and_partly_covered_themes() -> None:
    cov = np.array([0.3, 0.499999, 0.6])
    themes = [("dialogue", np.array([0.0, 0.4, 1.0])), ("wages", np.array([0.6, 1.0, 0.0]))]
    ok, reason = sufficiency(cov, themes, 0.5)
    assert list(ok) == [False, False, True]
    assert reason[0] == "coverage 30% < 50%: no evidence on dialogue; partial on wages (60%)"
    # 49.9999% is shown rounded down, never as "50% < 50%"
    assert reason[1] == "coverage 49% < 50%: partial evidence on dialogue (40%)"
    assert pd.isna(reason[2])


def test_ranks_skip_insufficient_companies_and_share_ties() -> None:
    total = np.array([80.0, 90.0, 80.0, np.nan, 95.0])
    got = ranks(total, np.array([True, False, True, True, True]))
    assert str(got.dtype) == "Int64"
    assert list(got.astype("float64").fillna(-1)) == [2, -1, 2, -1, 1]


def test_sensitivity_ranks_no_insufficient_company() -> None:
    records = [
        rec("union_dialogue", "d-a", "a", event="meeting"),
        rec("wage", "w-a", "a", **WAGE),
        rec("union_dialogue", "d-b", "b", event="meeting"),
        rec("statement", "s-b", "b", **POLICY),
    ]
    # c has no evidence (coverage 0): it must not be ranked in any run
    result = sensitivity(evset(records, ("a", "b", "c")), _rubric(0.5), AS_OF, n=20, seed=1)
    comp = result.companies.set_index("company_id")
    assert pd.isna(comp.loc["c", "base_rank"])
    assert pd.isna(comp.loc["c", "rank_min"])
    assert pd.isna(comp.loc["c", "rank_max"])
    assert list(comp.loc[["a", "b"], "base_rank"]) == [1, 2]  # a 80, b 70


def test_reasons_worded_per_company_when_companies_share_a_combination() -> None:
    """Reasons are worded once per distinct combination of whole percents and spread back:
    each company still gets its own. min_coverage .5 (threshold 50%)."""
    coverage = np.array([0.2, 0.9, 0.2, 0.0, np.nan, 0.499, 0.2])
    themes = [
        # "dialogue": 0 / 1 / partial .4 (40%) / 0 / NaN (= 0) / partial .995 (99%) / 0
        ("dialogue", np.array([0.0, 1.0, 0.4, 0.0, np.nan, 0.995, 0.0])),
        # "wagés" (non-ASCII id): 1 / 1 / 0 / 0 / 0 / 1 / 1
        ("wagés", np.array([1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0])),
    ]
    sufficient, reason = sufficiency(coverage, themes, 0.5)
    assert sufficient.tolist() == [False, True, False, False, False, False, False]
    assert str(reason.dtype) == "string"
    assert reason.tolist() == [
        "coverage 20% < 50%: no evidence on dialogue",
        pd.NA,
        "coverage 20% < 50%: no evidence on wagés; partial on dialogue (40%)",
        "coverage 0% < 50%: no evidence on dialogue, wagés",
        "coverage 0% < 50%: no evidence on dialogue, wagés",
        # 0.499 -> 49% (rounded down); only a partial theme
        "coverage 49% < 50%: partial evidence on dialogue (99%)",
        "coverage 20% < 50%: no evidence on dialogue",
    ]


def test_sufficiency_of_no_companies_and_of_no_themes() -> None:
    sufficient, reason = sufficiency(np.array([]), [("dialogue", np.array([]))], 0.5)
    assert sufficient.tolist() == []
    assert reason.tolist() == []
    assert str(reason.dtype) == "string"
    # no themes: the reason is the coverage alone; 0.3 -> 30%, threshold 50%
    sufficient, reason = sufficiency(np.array([0.3, 0.6]), [], 0.5)
    assert sufficient.tolist() == [False, True]
    assert reason.tolist() == ["coverage 30% < 50%", pd.NA]
