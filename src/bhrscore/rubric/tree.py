"""The one aggregation core: indicator scores -> node scores, with a runs axis.

:func:`aggregate_tree` combines indicator scores up the rubric tree, node by node, with each
node's registered aggregation (:mod:`.node_aggregations`), its weights (conditional on the
company's evidence where the node has ``when`` cases) and the penalties on it. Every array
has a *runs* axis first (``runs x companies``; an array of one row, or a 1-D array, is shared
by all runs), so the same function serves

- the engine (:func:`bhrscore.rubric.engine.score`): one run, the rubric's own weights;
- the per-company uncertainty of the score card (:mod:`.uncertainty`): one run per bootstrap
  replicate, each with its own indicator scores, penalties and ``when`` cases;
- :func:`bhrscore.analysis.sensitivity.sensitivity`: one run per drawn set of weights, all
  reading the same indicator scores.

Rules (the same for every caller):

- a child takes part in its parent's aggregation when it has a score (not NaN) and a positive
  weight; weights are re-normalised over those children; a node none of whose children takes
  part has no score (NaN);
- penalties on a node apply after its children are aggregated and before its parent uses it:
  points first (each floored at 0), then the lowest cap; a node without a score stays without;
- coverage is computed by the node's aggregation from its children's (see
  :mod:`.node_aggregations`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .model import ROOT_ID, Node, Rubric, case_weights, effective_weights
from .node_aggregations import Child, NodeInput, node_aggregations

FloatArray = npt.NDArray[np.float64]
#: ``(points, cap)`` of one penalty on one node, each broadcastable to ``runs x companies``
#: (points 0 and cap NaN where the penalty does not apply).
PenaltyArrays = tuple[FloatArray, FloatArray]


def case_key(node_id: str, case_id: str) -> str:
    """The ``weights`` key of a node's ``when`` case (``/`` never occurs in an id)."""
    return f"{node_id}/{case_id}"


@dataclass(frozen=True)
class TreeScores:
    """Scores, ``runs x companies``, by node id (``total`` for the root). ``score`` holds
    every node and indicator; ``before`` the nodes with children and the root, before
    penalties; ``coverage`` every node's coverage (when indicator coverage was given)."""

    score: dict[str, FloatArray]
    before: dict[str, FloatArray]
    coverage: dict[str, FloatArray] | None


def rubric_weights(rubric: Rubric) -> dict[str, FloatArray]:
    """The rubric's own weights in the form :func:`aggregate_tree` takes: per parent id
    (``total`` for the top level) a ``1 x children`` matrix of effective sibling weights, and
    per ``when`` case (key :func:`case_key`) the case's."""
    out: dict[str, FloatArray] = {}

    def visit(parent: str, nodes: Sequence[Node]) -> None:
        out[parent] = np.array([effective_weights(list(nodes))], dtype=float)
        for node in nodes:
            if node.children:
                visit(node.id, node.children)
                for case in node.when or []:
                    out[case_key(node.id, case.id)] = np.array(
                        [case_weights(case, node.children)], dtype=float
                    )

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
    cases: Mapping[str, npt.NDArray[np.int64]] | None = None,
    penalties: Mapping[str, Sequence[PenaltyArrays]] | None = None,
    coverage: Mapping[str, FloatArray] | None = None,
    geometric_floor: float | None = None,
    companies: int | None = None,
) -> TreeScores:
    """Aggregate ``indicators`` (id -> scores, ``runs x companies`` or 1-D shared by all
    runs; NaN = no score; an indicator not given has no score) up ``rubric``'s tree.

    - ``weights``: per parent id, a ``runs x children`` matrix of sibling weights, and per
      ``when`` case (key :func:`case_key`) the case's (default: the rubric's own,
      :func:`rubric_weights`). The number of runs is the largest first axis of any input.
    - ``cases``: per node with ``when`` cases, the index of the case that applies to each
      company (and run), ``-1`` for the node's own weights (default: ``-1`` everywhere).
    - ``penalties``: per node id, the ``(points, cap)`` arrays of each penalty on it.
    - ``coverage``: per indicator id, 1 where it is backed by evidence, else 0; node coverage
      is then returned too.
    - ``geometric_floor``: where a geometric mean combines indicators, indicator scores below
      it count as it (the OECD/JRC practice used by :mod:`bhrscore.analysis.sensitivity`;
      missing indicators stay missing).
    - ``companies``: the number of companies (default: the width of the indicator arrays).
    """
    given = {k: _rows(v) for k, v in indicators.items()}
    weight_of = {k: _rows(v) for k, v in (weights or rubric_weights(rubric)).items()}
    case_of = {
        k: np.asarray(v)[None, :] if np.ndim(v) == 1 else v for k, v in (cases or {}).items()
    }
    pens = {k: [(_rows(p), _rows(c)) for p, c in v] for k, v in (penalties or {}).items()}
    firsts = [a.shape[0] for a in (*given.values(), *weight_of.values(), *case_of.values())]
    firsts += [a.shape[0] for v in pens.values() for pair in v for a in pair]
    runs = max(firsts, default=1)
    if companies is None:
        companies = max((a.shape[1] for a in given.values()), default=0)
    shape = (runs, companies)
    nan_row = np.full((1, companies), np.nan)
    zero_row = np.zeros((1, companies))
    cover = {k: _rows(v) for k, v in coverage.items()} if coverage is not None else None
    default = rubric.policies.aggregation
    registry = node_aggregations()
    scores: dict[str, FloatArray] = {}
    before_of: dict[str, FloatArray] = {}
    coverage_of: dict[str, FloatArray] = {}
    leaves_of: dict[str, tuple[FloatArray, ...]] = {}
    leaf_cover_of: dict[str, tuple[FloatArray, ...]] = {}

    def penalise(node_id: str, s: FloatArray) -> FloatArray:
        after = s
        for points, _ in pens.get(node_id, []):
            after = np.maximum(after - points, 0.0)
        for _, cap in pens.get(node_id, []):
            after = np.fmin(after, cap)
        return np.where(np.isnan(s), np.nan, after)

    def child_weights(node_id: str, node: Node | None) -> list[FloatArray]:
        """Each child's weight, ``runs x 1`` or (with ``when`` cases) ``runs x companies``."""
        w = weight_of[node_id]
        out = [w[:, j : j + 1] for j in range(w.shape[1])]
        chosen = case_of.get(node_id)
        if node is None or not node.when or chosen is None:
            return out
        for k, case in enumerate(node.when):
            cw = weight_of[case_key(node_id, case.id)]
            out = [np.where(chosen == k, cw[:, j : j + 1], o) for j, o in enumerate(out)]
        return out

    def combine(node_id: str, node: Node | None, how: str, kids: Sequence[Node]) -> FloatArray:
        weights_now = child_weights(node_id, node)
        children = []
        for kid, w in zip(kids, weights_now, strict=True):
            s = visit(kid)
            if geometric_floor is not None and how == "geometric" and not kid.children:
                s = np.maximum(s, geometric_floor)  # keeps NaN: missing stays missing
            children.append(
                Child(
                    kid.id,
                    s,
                    w,
                    not kid.children,
                    leaves_of[kid.id],
                    coverage_of.get(kid.id),
                    leaf_cover_of.get(kid.id),
                )
            )
        node_input = NodeInput(node_id, tuple(children), shape)
        method = registry[how]
        before = np.broadcast_to(method.combine(node_input), shape)
        if cover is not None:
            coverage_of[node_id] = np.broadcast_to(method.coverage(node_input), shape)
            leaf_cover_of[node_id] = tuple(c for k in children for c in k.leaf_coverage or ())
        leaves_of[node_id] = tuple(leaf for k in children for leaf in k.leaves)
        before_of[node_id] = before
        return penalise(node_id, before)

    def visit(node: Node) -> FloatArray:
        if not node.children:
            s = given.get(node.id, nan_row)
            leaves_of[node.id] = (s,)
            if cover is not None:
                coverage_of[node.id] = cover.get(node.id, zero_row)
                leaf_cover_of[node.id] = (coverage_of[node.id],)
        else:
            s = combine(node.id, node, node.aggregation or default, node.children)
        scores[node.id] = s
        return s

    scores[ROOT_ID] = combine(ROOT_ID, None, default, rubric.tree)
    return TreeScores(scores, before_of, coverage_of if cover is not None else None)
