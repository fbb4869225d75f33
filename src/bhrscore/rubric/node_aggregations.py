"""Node aggregations: how a node of the rubric tree combines its children's scores.

A node aggregation is a function of a :class:`NodeInput` returning the node's score for every
run and company (``runs x companies``, NaN = no score), registered with
:func:`node_aggregation` and named in rubric files by ``aggregation:`` (on a node, or
``policies.aggregation`` for the root and the default). Built in:

==================  ===========================================================================
``arithmetic``      weighted mean of the children with a score
``geometric``       weighted geometric mean of the children with a score; a child at 0 makes it 0
``minimum``         the lowest child with a score (and a positive weight)
``pooled``          the mean over every scored indicator beneath the node, each counting once:
                    the weights and scores of the nodes in between do not enter (Ranking
                    Digital Rights: the total is the mean of all indicators, not of the
                    categories, so a not-applicable indicator shifts the categories' shares)
``count_weighted``  weighted mean of the children, each child's weight multiplied by the number
                    of scored indicators beneath it (for that company); with equal weights and
                    arithmetic children this equals ``pooled``, but it reads the children's own
                    scores (penalties, other aggregations below)
==================  ===========================================================================

In every aggregation a child takes part when it has a score (not NaN) and a positive weight,
and weights are re-normalised over the children that take part; a node none of whose children
takes part has no score. An indicator is *scored* when it has a score (evidence, or the
missing-data policy's fixed score); not-applicable and excluded indicators are not.

Each aggregation also says how the node's **coverage** (share of its indicator weight backed
by evidence, 0-1) is computed from its children's: by default the weighted mean of the
children's coverage with their nominal weights; ``pooled`` counts indicators; and
``count_weighted`` weighs each child by its weight times its number of indicators.

Add one in Python (``docs/rubrics.md``)::

    @node_aggregation("median")
    def median(node: NodeInput) -> np.ndarray:
        scores = np.stack([np.where(c.weight > 0, c.score, np.nan) + 0 * node.zeros()
                           for c in node.children])
        return np.nanmedian(scores, axis=0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..registry import Registry

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Child:
    """One child of a node as its aggregation sees it. Arrays broadcast to ``runs x
    companies``:

    - ``score``: the child's score (NaN = no score);
    - ``weight``: its weight in this run and for this company (conditional weights may give
      companies different weights; zero = left out);
    - ``leaves``: the scores of the indicators beneath it (itself when it is an indicator);
    - ``coverage`` and ``leaf_coverage``: the same for coverage (1 = backed by evidence);
      ``None`` when coverage is not computed (replicates, sensitivity runs).
    """

    id: str
    score: FloatArray
    weight: FloatArray
    is_indicator: bool
    leaves: tuple[FloatArray, ...] = ()
    coverage: FloatArray | None = None
    leaf_coverage: tuple[FloatArray, ...] | None = None


@dataclass(frozen=True)
class NodeInput:
    """What a node aggregation gets: the node's id, its children and the output shape
    ``(runs, companies)``."""

    node_id: str
    children: tuple[Child, ...]
    shape: tuple[int, int]

    def zeros(self) -> FloatArray:
        return np.zeros(self.shape)


CombineFn = Callable[[NodeInput], FloatArray]


def weighted_coverage(node: NodeInput) -> FloatArray:
    """Coverage as the weighted mean of the children's coverage (nominal weights: children
    without a score included)."""
    num = node.zeros()
    den = node.zeros()
    for child in node.children:
        assert child.coverage is not None
        num = num + child.weight * child.coverage
        den = den + child.weight
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, 0.0)


@dataclass(frozen=True)
class NodeAggregation:
    """A registered node aggregation: ``combine`` gives the score, ``coverage`` the
    coverage, ``description`` one line for explanations."""

    name: str
    combine: CombineFn
    coverage: CombineFn = weighted_coverage
    description: str = field(default="")


NODE_AGGREGATIONS: Registry[NodeAggregation] = Registry("node aggregation")


def node_aggregation(
    name: str, *, coverage: CombineFn | None = None, description: str | None = None
) -> Callable[[CombineFn], CombineFn]:
    """Register ``combine`` (a function of :class:`NodeInput`) as the node aggregation
    ``name``; ``coverage`` overrides how the node's coverage is computed (default
    :func:`weighted_coverage`); ``description`` defaults to the docstring's first line."""

    def add(fn: CombineFn) -> CombineFn:
        text = description or (fn.__doc__ or name).strip().splitlines()[0].rstrip(".")
        entry = NodeAggregation(name, fn, coverage or weighted_coverage, text)
        NODE_AGGREGATIONS.register(name)(entry)
        return fn

    return add


def node_aggregations() -> Mapping[str, NodeAggregation]:
    return NODE_AGGREGATIONS.view()


def present(child: Child) -> npt.NDArray[np.bool_]:
    """Where the child takes part: it has a score and a positive weight."""
    return np.asarray(~np.isnan(child.score) & (child.weight > 0), dtype=bool)


def _mean(node: NodeInput, weights: list[FloatArray]) -> FloatArray:
    """Weighted mean of the children with a score: per child, ``w = where(ok, max(weight,
    0), 0)`` (zero and negative weights: left out), ``num += w * where(ok, score, 0)`` and
    ``den += w``. The arrays are ``runs x companies`` (40 x 10,000 for the replicates of
    100,000 records), so the work buffers are made once per node and the ``where(ok, x,
    0)`` are bit masks (the same bits, without a branch per cell or a new array)."""
    shape = node.shape
    num = node.zeros()
    den = node.zeros()
    ok = np.empty(shape, dtype=bool)
    mask = np.empty(shape, dtype=np.int64)
    w_bits = np.empty(shape, dtype=np.int64)
    p_bits = np.empty(shape, dtype=np.int64)
    w, product = w_bits.view(np.float64), p_bits.view(np.float64)
    for child, weight in zip(node.children, weights, strict=True):
        score = np.asarray(child.score)
        positive = np.maximum(weight, 0.0)
        if score.dtype != np.float64 or positive.dtype != np.float64:  # e.g. float32: as given
            ok_any = ~np.isnan(score)
            w_any = np.where(ok_any, positive, 0.0)
            num += w_any * np.where(ok_any, score, 0.0)
            den += w_any
            continue
        np.isnan(score, out=ok)
        np.logical_not(ok, out=ok)
        np.copyto(mask, ok)  # 1 where the child has a score, else 0
        np.negative(mask, out=mask)  # all bits set, or none
        np.bitwise_and(np.broadcast_to(positive, shape).view(np.int64), mask, out=w_bits)
        np.bitwise_and(np.broadcast_to(score, shape).view(np.int64), mask, out=p_bits)
        np.multiply(w, product, out=product)
        num += product
        den += w
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(num, den, out=num)
    return np.where(den > 0, num, np.nan)


@node_aggregation("arithmetic")
def arithmetic(node: NodeInput) -> FloatArray:
    """Weighted mean of the children with a score."""
    return _mean(node, [c.weight for c in node.children])


@node_aggregation("geometric")
def geometric(node: NodeInput) -> FloatArray:
    """Weighted geometric mean of the children with a score (a child at 0 makes it 0)."""
    num = node.zeros()
    den = node.zeros()
    zero = np.zeros(node.shape, dtype=bool)
    for child in node.children:
        ok = present(child)
        w = np.where(ok, child.weight, 0.0)
        positive = ok & (child.score > 0)
        num += w * np.log(np.where(positive, child.score, 1.0))
        den += w
        zero |= ok & ~positive
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(zero, 0.0, np.exp(num / den))
        return np.where(den > 0, out, np.nan)


@node_aggregation("minimum")
def minimum(node: NodeInput) -> FloatArray:
    """The lowest child with a score (and a positive weight)."""
    out = np.full(node.shape, np.inf)
    for child in node.children:
        out = np.minimum(out, np.where(present(child), child.score, np.inf))
    return np.where(np.isinf(out), np.nan, out)


def _pooled_coverage(node: NodeInput) -> FloatArray:
    num = node.zeros()
    den = node.zeros()
    for child in node.children:
        assert child.leaf_coverage is not None
        used = child.weight > 0
        for cov in child.leaf_coverage:
            num = num + np.where(used, cov, 0.0)
            den = den + used
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, 0.0)


@node_aggregation("pooled", coverage=_pooled_coverage)
def pooled(node: NodeInput) -> FloatArray:
    """Mean over every scored indicator beneath the node, each counting once."""
    num = node.zeros()
    den = node.zeros()
    for child in node.children:
        used = child.weight > 0  # a child given weight 0 (e.g. by a `when` case) is left out
        for leaf in child.leaves:
            ok = used & ~np.isnan(leaf)
            num += np.where(ok, leaf, 0.0)
            den += ok
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _scored_leaves(child: Child) -> FloatArray:
    count: FloatArray = np.zeros(np.broadcast_shapes(*(x.shape for x in child.leaves)))
    for leaf in child.leaves:
        count = count + ~np.isnan(leaf)
    return count


def _count_weighted_coverage(node: NodeInput) -> FloatArray:
    num = node.zeros()
    den = node.zeros()
    for child in node.children:
        assert child.coverage is not None
        w = child.weight * len(child.leaves)
        num = num + w * child.coverage
        den = den + w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, 0.0)


@node_aggregation("count_weighted", coverage=_count_weighted_coverage)
def count_weighted(node: NodeInput) -> FloatArray:
    """Weighted mean of the children, each weight times the child's scored indicators."""
    return _mean(node, [c.weight * _scored_leaves(c) for c in node.children])
