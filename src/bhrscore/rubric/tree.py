"""The one aggregation core: indicator scores -> node scores, with a runs axis.

:func:`aggregate_tree` combines indicator scores up the rubric tree, node by node, applying
each node's aggregation and the penalties on it. Every array has a *runs* axis first
(``runs x companies``; an array of one row, or a 1-D array, is shared by all runs), so the
same function serves

- the engine (:func:`bhrscore.rubric.engine.score`): one run, the rubric's own weights;
- the per-company uncertainty of the score card: one run per bootstrap replicate, each with
  its own indicator scores and penalties;
- :func:`bhrscore.analysis.sensitivity.sensitivity`: one run per drawn set of weights, all
  reading the same indicator scores.

Rules (the same for every caller):

- a child takes part in its parent's aggregation when it has a score (not NaN) and a positive
  weight; weights are re-normalised over those children; a node none of whose children takes
  part has no score (NaN);
- penalties on a node apply after its children are aggregated and before its parent uses it:
  points first (each floored at 0), then the lowest cap; a node without a score stays without;
- coverage of a node is the weighted share of its children's coverage, with the nominal
  weights (children without a score included).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .model import ROOT_ID, Node, Rubric, effective_weights

FloatArray = npt.NDArray[np.float64]
#: ``(points, cap)`` of one penalty on one node, each broadcastable to ``runs x companies``
#: (points 0 and cap NaN where the penalty does not apply).
PenaltyArrays = tuple[FloatArray, FloatArray]


@dataclass(frozen=True)
class Child:
    """One child of a node as its aggregation sees it: its score (``runs x companies``,
    NaN = no score) and its weight (broadcastable to ``runs x companies``)."""

    id: str
    score: FloatArray
    weight: FloatArray
    is_indicator: bool


@dataclass(frozen=True)
class NodeInput:
    """What a node aggregation gets: the node's children and the output shape."""

    node_id: str
    children: tuple[Child, ...]
    shape: tuple[int, int]


def _present(child: Child) -> npt.NDArray[np.bool_]:
    return np.asarray(~np.isnan(child.score) & (child.weight > 0), dtype=bool)


def arithmetic(node: NodeInput) -> FloatArray:
    """Weighted mean of the children present."""
    num = np.zeros(node.shape)
    den = np.zeros(node.shape)
    for child in node.children:
        ok = _present(child)
        w = np.where(ok, child.weight, 0.0)
        num += w * np.where(ok, child.score, 0.0)
        den += w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def geometric(node: NodeInput) -> FloatArray:
    """Weighted geometric mean of the children present; a child at 0 makes it 0."""
    num = np.zeros(node.shape)
    den = np.zeros(node.shape)
    zero = np.zeros(node.shape, dtype=bool)
    for child in node.children:
        ok = _present(child)
        w = np.where(ok, child.weight, 0.0)
        positive = ok & (child.score > 0)
        num += w * np.log(np.where(positive, child.score, 1.0))
        den += w
        zero |= ok & ~positive
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(zero, 0.0, np.exp(num / den))
        return np.where(den > 0, out, np.nan)


def minimum(node: NodeInput) -> FloatArray:
    """The lowest child present (with a positive weight)."""
    out = np.full(node.shape, np.inf)
    for child in node.children:
        out = np.minimum(out, np.where(_present(child), child.score, np.inf))
    return np.where(np.isinf(out), np.nan, out)


COMBINE: dict[str, Callable[[NodeInput], FloatArray]] = {
    "arithmetic": arithmetic,
    "geometric": geometric,
    "minimum": minimum,
}


@dataclass(frozen=True)
class TreeScores:
    """Node scores, ``runs x companies``, by node id (``total`` for the root). ``score``
    holds every node and indicator; ``before`` the nodes with children and the root, before
    penalties; ``coverage`` the same nodes' coverage (when indicator coverage was given)."""

    score: dict[str, FloatArray]
    before: dict[str, FloatArray]
    coverage: dict[str, FloatArray] | None


def rubric_weights(rubric: Rubric) -> dict[str, FloatArray]:
    """Per parent id (``total`` for the top level): the children's effective weights as a
    ``1 x children`` matrix (the shape :func:`aggregate_tree` takes for ``weights``)."""
    out: dict[str, FloatArray] = {}

    def visit(parent: str, nodes: Sequence[Node]) -> None:
        out[parent] = np.array([effective_weights(list(nodes))], dtype=float)
        for node in nodes:
            if node.children:
                visit(node.id, node.children)

    visit(ROOT_ID, rubric.tree)
    return out


def _rows(value: FloatArray | float) -> FloatArray:
    """A 1-D array (or scalar) -> one row shared by all runs; 2-D arrays unchanged."""
    arr = np.asarray(value, dtype=float)
    return arr[None, :] if arr.ndim == 1 else arr


def aggregate_tree(
    rubric: Rubric,
    indicators: Mapping[str, FloatArray],
    *,
    weights: Mapping[str, FloatArray] | None = None,
    penalties: Mapping[str, Sequence[PenaltyArrays]] | None = None,
    coverage: Mapping[str, FloatArray] | None = None,
    geometric_floor: float | None = None,
    companies: int | None = None,
) -> TreeScores:
    """Aggregate ``indicators`` (id -> scores, ``runs x companies`` or 1-D shared by all
    runs; NaN = no score; an indicator not given has no score) up ``rubric``'s tree.

    - ``weights``: per parent id, a ``runs x children`` matrix of sibling weights (default:
      the rubric's, :func:`rubric_weights`); the number of runs is the largest first axis of
      any input.
    - ``penalties``: per node id, the ``(points, cap)`` arrays of each penalty on it.
    - ``coverage``: per indicator id, 1 where it is backed by evidence, else 0; node coverage
      is then returned too.
    - ``geometric_floor``: where a geometric mean combines indicators, indicator scores below
      it count as it (the OECD/JRC practice used by :mod:`bhrscore.analysis.sensitivity`;
      missing indicators stay missing).
    """
    given = {k: _rows(v) for k, v in indicators.items()}
    weight_of = {k: _rows(v) for k, v in (weights or rubric_weights(rubric)).items()}
    pens = {k: [(_rows(p), _rows(c)) for p, c in v] for k, v in (penalties or {}).items()}
    arrays = [*given.values(), *weight_of.values(), *(a for v in pens.values() for a in v[0])]
    runs = max((a.shape[0] for a in arrays), default=1)
    if companies is None:
        widths = [a.shape[1] for a in given.values()]
        companies = max(widths, default=0)
    shape = (runs, companies)
    nan_row = np.full((1, companies), np.nan)
    cover = {k: _rows(v) for k, v in coverage.items()} if coverage is not None else None
    zero_row = np.zeros((1, companies))
    default = rubric.policies.aggregation
    scores: dict[str, FloatArray] = {}
    before_of: dict[str, FloatArray] = {}
    coverage_of: dict[str, FloatArray] = {}

    def penalise(node_id: str, s: FloatArray) -> FloatArray:
        after = s
        for points, _ in pens.get(node_id, []):
            after = np.maximum(after - points, 0.0)
        for _, cap in pens.get(node_id, []):
            after = np.fmin(after, cap)
        return np.where(np.isnan(s), np.nan, after)

    def combine(node_id: str, how: str, kids: Sequence[Node]) -> FloatArray:
        w = weight_of[node_id]
        children = []
        for j, kid in enumerate(kids):
            s = visit(kid)
            if geometric_floor is not None and how == "geometric" and not kid.children:
                s = np.maximum(s, geometric_floor)  # keeps NaN: missing stays missing
            children.append(Child(kid.id, s, w[:, j : j + 1], not kid.children))
        out = COMBINE[how](NodeInput(node_id, tuple(children), shape))
        if cover is not None:
            num = np.zeros(shape)
            den = np.zeros(shape)
            for child in children:
                num = num + child.weight * coverage_of[child.id]
                den = den + child.weight
            with np.errstate(invalid="ignore", divide="ignore"):
                coverage_of[node_id] = np.where(den > 0, num / den, 0.0)
        before = np.broadcast_to(out, shape)
        before_of[node_id] = before
        return penalise(node_id, before)

    def visit(node: Node) -> FloatArray:
        if not node.children:
            s = given.get(node.id, nan_row)
            if cover is not None:
                coverage_of[node.id] = cover.get(node.id, zero_row)
        else:
            s = combine(node.id, node.aggregation or default, node.children)
        scores[node.id] = s
        return s

    scores[ROOT_ID] = combine(ROOT_ID, default, rubric.tree)
    return TreeScores(scores, before_of, coverage_of if cover is not None else None)
