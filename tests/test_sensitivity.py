"""Sensitivity analysis on fictional synthetic data with the default rubric."""

from __future__ import annotations

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
