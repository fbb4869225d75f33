"""compare() on synthetic data with a planted origin effect, scored by the default rubric."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bhrscore.analysis.compare import compare
from bhrscore.analysis.evidence_compare import compare_evidence
from bhrscore.analysis.keys import GROUP_SEPARATOR, CompareError
from bhrscore.analysis.sensitivity import sensitivity
from bhrscore.rubric.engine import score
from bhrscore.rubric.model import load_rubric
from bhrscore.synthetic import DEFAULT_AS_OF, synthetic_frames

RUBRIC = Path(__file__).resolve().parents[1] / "rubrics" / "labour-rights.yaml"


def _compare(origin_effect: float, seed: int) -> tuple:  # type: ignore[type-arg]
    frames = synthetic_frames(240, 6000, seed=seed, origin_effect=origin_effect)
    card = score(frames, load_rubric(RUBRIC), DEFAULT_AS_OF)
    result = compare(card, by="origin_group", resamples=500, permutations=500, seed=1)
    return result.groups.set_index("group"), result.pairwise


def test_planted_effect_is_found_with_the_right_sign() -> None:
    groups, pairwise = _compare(0.8, seed=2)
    china = pairwise[(pairwise["group_a"] == "china") | (pairwise["group_b"] == "china")]
    assert len(china) == 3
    # China is the lower-scoring side of every pair it is in, significantly after Holm
    sign = china["diff"].where(china["group_a"] == "china", -china["diff"])
    assert (sign < 0).all()
    assert china["significant"].all()
    assert (groups.loc["china", "ci_high"] < groups.drop(index="china")["ci_low"]).all()


def test_no_effect_no_significant_pair() -> None:
    # e = 0: all origins drawn alike. Holm keeps the family-wise error at 5 %, so for this
    # seed no pair should be flagged.
    _, pairwise = _compare(0.0, seed=2)
    assert not pairwise["significant"].any()


@pytest.mark.parametrize("analysis", ["compare", "compare_evidence", "sensitivity"])
def test_every_analysis_checks_keys_the_same_way(analysis: str) -> None:
    frames = synthetic_frames(20, 300, seed=1)
    rubric = load_rubric(RUBRIC)
    card = score(frames, rubric, DEFAULT_AS_OF)
    run: dict[str, Callable[[Any], object]] = {
        "compare": lambda by: compare(card, by=by, resamples=10, permutations=10),
        "compare_evidence": lambda by: compare_evidence(frames, by=by),
        "sensitivity": lambda by: sensitivity(
            frames, rubric, DEFAULT_AS_OF, n=0, policies=False, by=by, base=card
        ),
    }
    with pytest.raises(CompareError, match="by: give at least one key"):
        run[analysis]([])
    with pytest.raises(CompareError, match="by: unknown key 'continent'; choose from origin_group"):
        run[analysis]("continent")


def test_group_labels_agree_between_compare_and_sensitivity() -> None:
    frames = synthetic_frames(30, 400, seed=1)
    rubric = load_rubric(RUBRIC)
    card = score(frames, rubric, DEFAULT_AS_OF)
    by = ["origin_group", "ownership"]
    labels = set(compare(card, by=by, resamples=10, permutations=10).groups["group"])
    stability = sensitivity(frames, rubric, DEFAULT_AS_OF, n=0, policies=False, by=by, base=card)
    pairs = set(stability.groups["group_a"]) | set(stability.groups["group_b"])
    assert pairs == labels
    assert all(GROUP_SEPARATOR in label for label in labels)


@pytest.mark.parametrize("by", ["origin_group", "sector"])
def test_pairwise_tests_on_threads_give_the_same_numbers(
    monkeypatch: pytest.MonkeyPatch, by: str
) -> None:
    """Large comparisons run their pair tests on threads; each pair draws from its own
    seeded generator, so the tables equal the one-by-one run exactly."""
    import importlib

    import pandas as pd

    module = importlib.import_module("bhrscore.analysis.compare")
    frames = synthetic_frames(120, 3000, seed=4, origin_effect=0.3)
    card = score(frames, load_rubric(RUBRIC), DEFAULT_AS_OF)
    monkeypatch.setattr(module, "PARALLEL_DRAWS", 10**18)  # one by one
    alone = compare(card, by=by, resamples=200, permutations=300, seed=3)
    monkeypatch.setattr(module, "PARALLEL_DRAWS", 0)  # every comparison on threads
    monkeypatch.setattr(module.os, "cpu_count", lambda: 4)  # threads even on one core
    threaded = compare(card, by=by, resamples=200, permutations=300, seed=3)
    assert len(alone.pairwise) >= 3
    assert alone.pairwise["p_value"].notna().sum() >= 3  # tests that drew numbers
    pd.testing.assert_frame_equal(threaded.pairwise, alone.pairwise, check_exact=True)
    pd.testing.assert_frame_equal(threaded.groups, alone.groups, check_exact=True)
