"""compare() on synthetic data with a planted origin effect, scored by the default rubric."""

from __future__ import annotations

from pathlib import Path

from bhrscore.analysis.compare import compare
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
