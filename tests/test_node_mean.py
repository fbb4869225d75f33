"""The weighted mean of node aggregations, computed with bit masks and reused buffers, gives
the same bits as the plain formula: missing scores, zero and negative weights, per-company
(``when``) weights, shared rows, infinities and other float types."""

from __future__ import annotations

import numpy as np
import pytest

from bhrscore.rubric.node_aggregations import Child, NodeInput, arithmetic, count_weighted


def _reference(children: list[Child], shape: tuple[int, int]) -> np.ndarray:
    """The formula as written in the docs: per child w = where(ok, max(weight, 0), 0)."""
    num = np.zeros(shape)
    den = np.zeros(shape)
    for child in children:
        ok = ~np.isnan(child.score)
        w = np.where(ok, np.maximum(child.weight, 0.0), 0.0)
        num += w * np.where(ok, child.score, 0.0)
        den += w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _children(rng: np.random.Generator, runs: int, n: int) -> list[Child]:
    full = rng.random((runs, n)) * 100
    full[rng.random((runs, n)) < 0.3] = np.nan
    if n >= 2:
        full[0, :2] = [-0.0, np.inf]
    shared = rng.random((1, n)) * 100  # one row shared by every run
    shared[0, ::3] = np.nan
    per_company = np.where(rng.random((runs, n)) < 0.5, 0.4, -0.2)  # `when` weights
    return [
        Child("a", full, np.full((runs, 1), 0.5), True),
        Child("b", shared, np.full((runs, 1), 0.0), True),  # weight 0: left out
        Child("c", full[::-1].copy(), per_company, True),
        Child("d", shared, np.full((1, 1), -1.0), True),  # negative: left out
        Child("e", np.full((runs, n), np.nan), np.full((runs, 1), 0.3), True),
    ]


@pytest.mark.parametrize(("runs", "n"), [(1, 7), (5, 40), (3, 0)])
def test_weighted_mean_bits_match_the_formula(runs: int, n: int) -> None:
    kids = _children(np.random.default_rng(runs), runs, n)
    node = NodeInput("x", tuple(kids), (runs, n))
    with np.errstate(invalid="ignore"):
        expected = _reference(kids, (runs, n))
        got = arithmetic(node)
    assert got.shape == (runs, n)
    assert got.view(np.int64).tolist() == expected.view(np.int64).tolist()
    if n:
        # not vacuous: some companies have a mean, some none (NaN), and inf propagates
        assert np.isfinite(got).any()
        assert np.isnan(got).any()


def test_weighted_mean_of_other_float_types_as_given() -> None:
    scores = np.array([[10.0, np.nan, 30.0]], dtype=np.float32)
    kids = [
        Child("a", scores, np.array([[0.25]], dtype=np.float32), True),
        Child("b", np.array([[20.0, 40.0, np.nan]]), np.array([[0.75]]), True),
    ]
    got = arithmetic(NodeInput("x", tuple(kids), (1, 3)))
    # (.25 x 10 + .75 x 20) / 1 = 17.5; only b: 40; only a: 30
    assert got.tolist() == [[17.5, 40.0, 30.0]]


def test_count_weighted_uses_the_same_mean() -> None:
    leaf = np.array([[50.0, np.nan]])
    kids = [
        Child("a", np.array([[10.0, 20.0]]), np.array([[0.5]]), False, (leaf, leaf)),
        Child("b", np.array([[40.0, np.nan]]), np.array([[0.5]]), True, (np.array([[40.0, 1.0]]),)),
    ]
    got = count_weighted(NodeInput("x", tuple(kids), (1, 2)))
    # company 0: a counts .5 x 2 scored leaves = 1, b .5 x 1: (1 x 10 + .5 x 40) / 1.5 = 20
    # company 1: a .5 x 0 leaves = 0 (left out), b has no score: no mean
    assert got[0, 0] == pytest.approx(20.0)
    assert np.isnan(got[0, 1])
