"""Aggregations per company, vectorised with numpy (``bincount`` and ``ufunc.at``).

Each aggregate gets the applicable selected rows (company code, value ``m``, weight ``w``,
day) and returns one raw value per company (NaN for companies without rows). How the record
weight (status x reliability x decay) enters:

===========  ==================================================================
``any``      largest weight among rows whose value is non-zero (0 if none): 0-1
``count``    weighted count: sum of ``w``
``sum``      weighted sum: sum of ``w * m``
``mean``     weighted mean: sum of ``w * m`` / sum of ``w``
``min``      smallest ``m`` (weights only decide which rows exist: ``w > 0``)
``max``      largest ``m`` (likewise)
``latest``   ``m`` of the most recent selected row, *including* rows whose measure is
             ``exclude``: NaN (not applicable) when that row is excluded; ties: larger
             weight, then larger record id
===========  ==================================================================

``mean``, ``min``, ``max`` and ``latest`` weigh records against each other only: a lone
record gives the same value whatever its weight (its strength shows in ``any``, ``count``
and ``sum``, and in coverage).

Add one with :func:`aggregate`::

    @aggregate("median")
    def median(rows: Rows) -> np.ndarray: ...

An aggregate sees only applicable rows unless registered with ``sees_excluded=True``; it then
gets every measured row, with ``Rows.applies`` False (and ``value`` NaN) for excluded ones.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..registry import Registry


@dataclass(frozen=True)
class Rows:
    """Applicable rows of one rule, in record-id order."""

    company: np.ndarray  # int codes 0..n-1
    value: np.ndarray  # float
    weight: np.ndarray  # float > 0
    day: np.ndarray  # int days since 1970-01-01
    n: int  # number of companies
    applies: np.ndarray | None = None  # bool per row; None = every row applies

    def present(self) -> np.ndarray:
        """Which of the ``n`` companies have rows (a scatter of booleans: no count array)."""
        out = np.zeros(self.n, dtype=bool)
        out[self.company] = True
        return out

    def applicable(self) -> Rows:
        """Only the rows that apply (measure not ``exclude``)."""
        if self.applies is None:
            return self
        m = self.applies
        if bool(m.all()):  # nothing excluded: no copies
            return Rows(self.company, self.value, self.weight, self.day, self.n)
        return Rows(self.company[m], self.value[m], self.weight[m], self.day[m], self.n)


AggregateFn = Callable[[Rows], np.ndarray]
AGGREGATES: Registry[AggregateFn] = Registry("aggregate")


def aggregate(name: str, *, sees_excluded: bool = False) -> Callable[[AggregateFn], AggregateFn]:
    """Register an aggregate function under ``name``. It is called with the applicable rows
    only, unless ``sees_excluded`` (then with all rows and ``Rows.applies``)."""
    register = AGGREGATES.register(name)

    def add(fn: AggregateFn) -> AggregateFn:
        if sees_excluded:
            register(fn)
            return fn

        @functools.wraps(fn)
        def applicable_only(rows: Rows) -> np.ndarray:
            return fn(rows.applicable())

        register(applicable_only)
        return fn

    return add


def aggregates() -> Mapping[str, AggregateFn]:
    """The registered aggregates (``any``, ``count``, ``mean``, ...), by name."""
    return AGGREGATES.view()


def _masked(out: np.ndarray, rows: Rows) -> np.ndarray:
    return np.where(rows.present(), out, np.nan)


def _reduce(ufunc: np.ufunc, start: float, rows: Rows, values: np.ndarray) -> np.ndarray:
    out = np.full(rows.n, start)
    ufunc.at(out, rows.company, values)
    return _masked(out, rows)


@aggregate("any")
def agg_any(rows: Rows) -> np.ndarray:
    hit = np.where(rows.value != 0, rows.weight, 0.0)
    return _reduce(np.maximum, 0.0, rows, hit)


@aggregate("count")
def agg_count(rows: Rows) -> np.ndarray:
    return _masked(np.bincount(rows.company, weights=rows.weight, minlength=rows.n), rows)


@aggregate("sum")
def agg_sum(rows: Rows) -> np.ndarray:
    total = np.bincount(rows.company, weights=rows.weight * rows.value, minlength=rows.n)
    return _masked(total, rows)


@aggregate("mean")
def agg_mean(rows: Rows) -> np.ndarray:
    total = np.bincount(rows.company, weights=rows.weight * rows.value, minlength=rows.n)
    weight = np.bincount(rows.company, weights=rows.weight, minlength=rows.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _masked(total / weight, rows)


@aggregate("min")
def agg_min(rows: Rows) -> np.ndarray:
    return _reduce(np.minimum, np.inf, rows, rows.value)


@aggregate("max")
def agg_max(rows: Rows) -> np.ndarray:
    return _reduce(np.maximum, -np.inf, rows, rows.value)


@aggregate("latest", sees_excluded=True)
def agg_latest(rows: Rows) -> np.ndarray:
    # Rows come in id order; a stable sort on (company, day, weight) keeps that order for
    # ties, so the last row of each company is the latest, heaviest, largest-id record.
    # Excluded rows take part: a newer "not applicable" supersedes an older answer.
    order = np.lexsort((rows.weight, rows.day, rows.company))
    company = rows.company[order]
    last = np.flatnonzero(np.r_[company[1:] != company[:-1], True]) if len(order) else order
    value = rows.value if rows.applies is None else np.where(rows.applies, rows.value, np.nan)
    out = np.full(rows.n, np.nan)
    out[company[last]] = value[order][last]
    return out
