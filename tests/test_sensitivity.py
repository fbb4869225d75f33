"""Sensitivity analysis on fictional synthetic data with the default rubric."""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bhrscore.analysis.sensitivity import (
    COMPANY_COLUMNS,
    GROUP_SIGN_COLUMNS,
    RUN_COLUMNS,
    SensitivityError,
    draw_weights,
    rubric_with_weights,
    sensitivity,
)
from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.evidence.frame import Frames
from bhrscore.rubric.engine import score
from bhrscore.rubric.model import Rubric, load_rubric
from bhrscore.synthetic import DEFAULT_AS_OF, synthetic_frames

RUBRIC = Path(__file__).resolve().parents[1] / "rubrics" / "labour-rights.yaml"


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(RUBRIC)


@pytest.fixture(scope="module")
def frames() -> Frames:
    return synthetic_frames(80, 2400, seed=3, origin_effect=0.8)


def test_zero_perturbation_reproduces_the_base_ranking(rubric: Rubric, frames: Frames) -> None:
    result = sensitivity(frames, rubric, DEFAULT_AS_OF, n=5, concentration=math.inf)
    card = score(frames, rubric, DEFAULT_AS_OF)
    base = card.companies.set_index("company_id")["rank"]
    ranks = result.companies.set_index("company_id")
    assert (ranks["base_rank"] == base.reindex(ranks.index)).all()
    # every weight run has exactly the base ranking: no spread at all
    assert (ranks["rank_min"] == ranks["base_rank"]).all()
    assert (ranks["rank_max"] == ranks["base_rank"]).all()
    weights = result.runs[result.runs["scenario"].isin(["base", "weights"])]
    assert (weights["spearman"] == 1.0).all()
    assert (weights["max_abs_rank_change"] == 0).all()
    assert list(result.companies.columns) == list(COMPANY_COLUMNS)
    assert list(result.runs.columns) == list(RUN_COLUMNS)
    assert list(result.groups.columns) == list(GROUP_SIGN_COLUMNS)


def test_fast_reaggregation_matches_engine_rescoring(rubric: Rubric, frames: Frames) -> None:
    fast = sensitivity(frames, rubric, DEFAULT_AS_OF, n=3, seed=2, policies=False)
    slow = sensitivity(frames, rubric, DEFAULT_AS_OF, n=3, seed=2, policies=False, method="engine")
    assert fast.options["method"] == "reaggregate"
    assert slow.options["method"] == "engine"
    np.testing.assert_allclose(fast.totals.to_numpy(), slow.totals.to_numpy(), atol=1e-9)


def test_deterministic_for_a_seed(rubric: Rubric, frames: Frames) -> None:
    card = score(frames, rubric, DEFAULT_AS_OF)
    one = sensitivity(frames, rubric, DEFAULT_AS_OF, n=20, seed=7, base=card, policies=False)
    two = sensitivity(frames, rubric, DEFAULT_AS_OF, n=20, seed=7, base=card, policies=False)
    pd.testing.assert_frame_equal(one.companies, two.companies)
    pd.testing.assert_frame_equal(one.runs, two.runs)
    other = sensitivity(frames, rubric, DEFAULT_AS_OF, n=20, seed=8, base=card, policies=False)
    assert not one.totals.equals(other.totals)


def test_perturbations_move_ranks_and_policies_are_scored(rubric: Rubric, frames: Frames) -> None:
    result = sensitivity(frames, rubric, DEFAULT_AS_OF, n=30, seed=1, concentration=20)
    ranks = result.companies
    assert (ranks["rank_low"] <= ranks["median_rank"]).all()
    assert (ranks["median_rank"] <= ranks["rank_high"]).all()
    assert (ranks["rank_max"] > ranks["rank_min"]).any()  # some rank moved
    runs = result.runs.set_index("scenario")
    assert runs.loc["missing", "label"] == "missing: exclude"  # the rubric's policy is zero
    assert runs.loc["aggregation", "label"] == "aggregation: geometric"
    spearman = result.runs.loc[result.runs["scenario"] == "weights", "spearman"]
    assert spearman.between(0.5, 1.0).all()  # perturbed, yet still close to the base ranking


def test_planted_origin_gap_keeps_its_sign_under_weights(rubric: Rubric, frames: Frames) -> None:
    result = sensitivity(frames, rubric, DEFAULT_AS_OF, n=40, seed=1, policies=False)
    china = result.groups[(result.groups["group_a"] == "china")]
    assert len(china) == 3  # china vs domestic, other, western
    assert (china["base_diff"] < 0).all()
    assert (china["same_sign_share"] == 1.0).all()


def test_drawn_weights_are_dirichlet_around_the_rubric(rubric: Rubric) -> None:
    draws = draw_weights(rubric, 2000, 50.0, seed=0)
    top = draws["total"]
    w = np.array([n.weight for n in rubric.tree], dtype=float)
    np.testing.assert_allclose(top.sum(axis=1), 1.0)
    # mean = the rubric's weights; sd of the mean <= sqrt(.25/51)/sqrt(2000) ~ 0.0016
    np.testing.assert_allclose(top.mean(axis=0), w, atol=0.01)
    # sd of one weight = sqrt(w (1 - w) / (concentration + 1)), estimated within 10 %
    np.testing.assert_allclose(top.std(axis=0), np.sqrt(w * (1 - w) / 51), rtol=0.1)
    perturbed = rubric_with_weights(rubric, draws, 0)
    Rubric.model_validate(perturbed.model_dump())  # still a valid rubric
    assert [n.weight for n in perturbed.tree] == pytest.approx(list(top[0]))


def test_bad_options(rubric: Rubric, frames: Frames) -> None:
    with pytest.raises(SensitivityError, match="concentration"):
        sensitivity(frames, rubric, DEFAULT_AS_OF, n=2, concentration=0)
    with pytest.raises(SensitivityError, match="n must"):
        sensitivity(frames, rubric, DEFAULT_AS_OF, n=-1)


@pytest.mark.parametrize("how", ["arithmetic", "geometric", "minimum"])
def test_reaggregation_matches_the_engine_rule(how: str) -> None:
    from bhrscore.analysis.sensitivity import _aggregate
    from bhrscore.rubric.engine import aggregate_children

    rng = np.random.default_rng(0)
    scores = rng.uniform(0, 100, size=(4, 50))
    scores[rng.random((4, 50)) < 0.2] = np.nan  # excluded
    scores[rng.random((4, 50)) < 0.1] = 0.0
    scores[:, 0] = np.nan  # a company with nothing at all
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    want = aggregate_children(scores, weights, how)
    # children given as shared rows (1-D) and as runs x companies (2-D) agree with the engine
    for kids in ([scores[i] for i in range(4)], [scores[i][None, :] for i in range(4)]):
        got = _aggregate(kids, weights[None, :], how)[0]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


# --- degenerate policy alternatives ----------------------------------------------------------

RECOGNITION = {
    "select": {"kind": "union_dialogue", "where": {"event": "recognition"}},
    "aggregate": "any",
    "scale": {"type": "linear", "lower": 0, "upper": 1},
}
REPRISALS = {
    "select": {"kind": "retaliation"},
    "aggregate": "count",
    "scale": {"type": "linear", "lower": 0, "upper": 2, "invert": True},
}


def _three_companies() -> tuple[Rubric, EvidenceSet]:
    """recog (weight .6; missing -> 0) and reprisals (weight .4; missing -> 100, "no reprisal
    recorded"): a = 50, 50; b = nothing at all; c = 100 and two verified reprisals (0)."""
    from .rubric_support import evset, indicator, rec
    from .rubric_support import rubric as make_rubric

    tree = [
        indicator("recog", RECOGNITION, 0.6),
        indicator("reprisals", REPRISALS, 0.4, missing=100),
    ]
    reprisal = {"action": "threat", "target_role": "worker"}
    records = [
        rec("union_dialogue", "a1", "a", event="recognition", status="alleged"),  # any .5 -> 50
        rec("retaliation", "a2", "a", **reprisal),  # count 1 -> 50
        rec("union_dialogue", "c1", "c", event="recognition"),  # verified: any 1 -> 100
        rec("retaliation", "c2", "c", **reprisal),
        rec("retaliation", "c3", "c", **reprisal),  # count 2 -> 0
    ]
    return make_rubric(tree, missing="zero"), evset(records, ("a", "b", "c"))


def test_geometric_alternative_floors_indicators_at_one() -> None:
    from .rubric_support import AS_OF

    rubric3, evidence = _three_companies()
    result = sensitivity(evidence, rubric3, AS_OF, n=0, by="hq_country")
    runs = result.runs.set_index("scenario")
    totals = result.totals[int(runs.loc["aggregation", "run"])]
    # base (arithmetic): a = .6*50 + .4*50 = 50; b = .6*0 + .4*100 = 40; c = .6*100 + .4*0 = 60
    assert result.totals[0].to_dict() == pytest.approx({"a": 50.0, "b": 40.0, "c": 60.0})
    # geometric with indicators floored at 1: a = 50^.6 * 50^.4 = 50;
    # b = 1^.6 * 100^.4 = 10^0.8 = 6.3096; c = 100^.6 * 1^.4 = 10^1.2 = 15.8489
    # (without the floor b and c would both be 0: two of three companies at one value)
    assert totals.to_dict() == pytest.approx({"a": 50.0, "b": 10**0.8, "c": 10**1.2})
    assert result.options["geometric_floor"] == 1.0
    assert not runs.loc["aggregation", "degenerate"]
    ranks = result.companies.set_index("company_id")
    assert ranks["rank_aggregation"].to_dict() == {"a": 1, "b": 3, "c": 2}


def test_exclude_alternative_leaves_companies_without_evidence_unranked() -> None:
    from .rubric_support import AS_OF

    rubric3, evidence = _three_companies()
    result = sensitivity(evidence, rubric3, AS_OF, n=0, by="hq_country")
    runs = result.runs.set_index("scenario")
    totals = result.totals[int(runs.loc["missing", "run"])]
    # exclude: a = 50 (both indicators present); c = .6*100 + .4*0 = 60; b has coverage 0:
    # only its fixed "no reprisal recorded" 100 would remain, which must not rank it first
    assert totals["a"] == pytest.approx(50.0)
    assert totals["c"] == pytest.approx(60.0)
    assert math.isnan(totals["b"])
    ranks = result.companies.set_index("company_id")["rank_missing"]
    assert (ranks["c"], ranks["a"]) == (1, 2)
    assert ranks.isna()["b"]
    assert runs.loc["missing", "scored"] == 2


def test_degeneracy_flags_runs_with_most_companies_at_one_value() -> None:
    from bhrscore.analysis.sensitivity import degeneracy

    nan = float("nan")
    totals = pd.DataFrame(
        {
            0: [10.0, 20.0, 30.0, 40.0],  # all different
            1: [0.0, 0.0, 0.0, 5.0],  # 3 of 4 at 0 > half
            2: [0.0, 0.0, 7.0, 5.0],  # 2 of 4: exactly half, not more
            3: [9.0, 9.0, 9.0, 9.0],  # constant
            4: [1.0, nan, nan, nan],  # one company with a total: no ranking
            5: [1.0, 1.0 + 1e-12, 2.0, nan],  # equal to 1e-9: 2 of 3 scored
        }
    )
    flags = degeneracy(totals)
    assert flags["scored"].tolist() == [4, 4, 4, 4, 1, 3]
    assert flags["modal_share"].tolist() == pytest.approx([0.25, 0.75, 0.5, 1.0, 1.0, 2 / 3])
    assert flags["degenerate"].tolist() == [False, True, False, True, True, True]


def test_degenerate_run_is_left_out_of_sign_kept(
    rubric: Rubric, frames: Frames, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the package exports the function under the module's name: fetch the module itself
    module = importlib.import_module("bhrscore.analysis.sensitivity")
    # without the floor, geometric aggregation sends most companies to 0 (one indicator at 0
    # under missing: zero is enough): the run is degenerate and says nothing about the gap
    monkeypatch.setattr(module, "GEOMETRIC_FLOOR", 0.0)
    result = sensitivity(frames, rubric, DEFAULT_AS_OF, n=10, seed=1)
    runs = result.runs.set_index("scenario")
    assert runs.loc["aggregation", "degenerate"]
    assert runs.loc["aggregation", "modal_share"] > 0.5
    assert result.options["left_out"] == ["aggregation: geometric"]
    china = result.groups[result.groups["group_a"] == "china"].set_index("group_b")
    assert china.loc["domestic", "diff_aggregation"] == 0.0  # both groups' means are 0 there
    # the planted gap keeps its sign in every run that was judged
    assert china.loc["domestic", "same_sign_share"] == 1.0
    assert china.loc["domestic", "sign_kept"]


def test_floored_geometric_run_keeps_the_planted_gap(rubric: Rubric, frames: Frames) -> None:
    result = sensitivity(frames, rubric, DEFAULT_AS_OF, n=10, seed=1)
    runs = result.runs.set_index("scenario")
    assert not runs.loc["aggregation", "degenerate"]
    assert result.options["left_out"] == []
    china = result.groups[result.groups["group_a"] == "china"]
    assert len(china) == 3
    assert (china["diff_aggregation"] < 0).all()  # china scores lower, geometric or not
    assert china["sign_kept"].all()


def test_group_differences_leave_out_companies_with_insufficient_evidence() -> None:
    from bhrscore.evidence.model import Company

    from .rubric_support import AS_OF
    from .rubric_support import rubric as make_rubric

    rubric3, evidence = _three_companies()
    rubric3 = make_rubric(
        [node.model_dump(exclude_none=True) for node in rubric3.tree],
        missing="zero",
        min_coverage=0.5,
    )
    hq = {"a": "DE", "b": "DE", "c": "FR"}
    companies = tuple(
        Company(id=c.id, name=c.name, hq_country=hq[c.id]) for c in evidence.companies
    )
    evidence = EvidenceSet(companies=companies, evidence=evidence.evidence)
    result = sensitivity(evidence, rubric3, AS_OF, n=0, by="hq_country")
    # b has no evidence (coverage 0 < 0.5): unranked, and out of DE's mean, as in compare().
    # DE = {a} = 50 (not (50 + 40) / 2 = 45 with b); FR = {c} = 60; DE - FR = -10
    pair = result.groups.set_index(["group_a", "group_b"]).loc[("DE", "FR")]
    assert (pair["n_a"], pair["n_b"]) == (1, 1)
    assert pair["base_diff"] == pytest.approx(-10.0)
    assert result.companies.set_index("company_id")["base_rank"].isna()["b"]
