"""Apply selections and measures to the evidence frame, vectorised.

The engine prepares the frame once (:class:`Prepared`): company-level records only, sorted by
record id (so every result is independent of the input row order), with integer company codes,
the base weight (status x reliability) and the effective date as a day number. A selection is
then a set of row positions with a weight per row; conditions read only the columns they need.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .fields import kind_fields
from .spec import Condition, Decay, Measure, Select, Where, Window

EPOCH = np.datetime64("1970-01-01", "D")
DAYS_PER_YEAR = 365.25


def day_number(value: dt.date) -> int:
    return int((np.datetime64(value, "D") - EPOCH).astype(np.int64))


@dataclass(frozen=True)
class Prepared:
    """Company-level evidence ready for rules. Prepared row ``i`` is ``frame`` row
    ``order[i]``; prepared rows are sorted by record id (``ids``); ``company``
    holds each row's position in ``company_ids`` (sorted); ``base_weight`` is status x
    reliability weight; ``day`` the effective date as days since 1970-01-01."""

    frame: pd.DataFrame
    order: np.ndarray
    ids: np.ndarray
    company_ids: np.ndarray
    company: np.ndarray
    base_weight: np.ndarray
    day: np.ndarray
    kind_codes: np.ndarray
    kinds: tuple[str, ...]
    status_codes: np.ndarray
    statuses: tuple[str, ...]
    #: per record of ``frame``: known at the ``as_of`` it was prepared for (None: no as_of)
    known: np.ndarray | None = field(default=None, compare=False, repr=False)
    #: per column name, its :class:`ColumnView` (or None), made on first use
    views: dict[str, ColumnView | None] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_companies(self) -> int:
        return len(self.company_ids)

    def column(self, name: str, rows: np.ndarray) -> pd.Series:
        """Values of column ``name`` for prepared rows ``rows`` (no copy of the frame)."""
        column: pd.Series = self.frame[name].iloc[self.order[rows]].reset_index(drop=True)
        return column

    def view(self, name: str) -> ColumnView | None:
        """Column ``name`` in prepared order as numbers (:class:`ColumnView`), made once:
        the rules of a rubric test the same few columns again and again. None for columns
        conditions read as text (they are read with :meth:`column`)."""
        if name not in self.views:
            self.views[name] = ColumnView.of(self.frame[name], self.order)
        return self.views[name]


@dataclass(frozen=True)
class ColumnView:
    """One evidence column in prepared order, as conditions read it: a categorical's
    ``codes`` (-1 = NA) into ``labels`` (its categories); a list column's factorised
    ``codes`` (-1 = NA) into ``labels`` (the distinct tuples); a number or date column's
    ``values`` as floats (dates as day numbers; NaN = NA) with ``present`` (not NA)."""

    kind: str  # "category", "list", "number" or "date"
    codes: np.ndarray | None = None
    labels: list[Any] | None = None
    values: np.ndarray | None = None
    present: np.ndarray | None = None

    @staticmethod
    def of(series: pd.Series, order: np.ndarray) -> ColumnView | None:
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            codes = series.cat.codes.to_numpy()[order]
            return ColumnView("category", codes=codes, labels=list(dtype.categories))
        if pd.api.types.is_object_dtype(dtype):
            codes, uniques = pd.factorize(series.iloc[order], use_na_sentinel=True)
            return ColumnView("list", codes=codes, labels=list(uniques))
        present = series.notna().to_numpy(dtype=bool)[order]
        if pd.api.types.is_datetime64_any_dtype(dtype):
            return ColumnView("date", values=_as_day(series)[order], present=present)
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            return ColumnView("number", values=as_float(series)[order], present=present)
        return None


@dataclass(frozen=True)
class Selection:
    """Selected rows: prepared row numbers, company codes and weights (all
    weights > 0; rows are in id order)."""

    rows: np.ndarray
    company: np.ndarray
    weight: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, mask: np.ndarray) -> Selection:
        return Selection(self.rows[mask], self.company[mask], self.weight[mask])


def as_float(series: pd.Series) -> np.ndarray:
    if isinstance(series.dtype, pd.CategoricalDtype):
        raise TypeError(f"{series.name} is not numeric")
    return np.asarray(series.to_numpy(dtype=float, na_value=np.nan), dtype=float)


def _as_day(series: pd.Series) -> np.ndarray:
    values = series.to_numpy(dtype="datetime64[D]")
    days = (values - EPOCH).astype(np.int64).astype(float)
    days[np.isnat(values)] = np.nan
    return days


def _bound(value: Any) -> float:
    return float(day_number(value)) if isinstance(value, dt.date) else float(value)


def _compare(col: pd.Series, test: str, value: Any) -> np.ndarray:
    if test in ("gt", "ge", "lt", "le"):
        is_date = pd.api.types.is_datetime64_any_dtype(col.dtype)
        x = _as_day(col) if is_date else as_float(col)
        b = _bound(value)
        with np.errstate(invalid="ignore"):
            ops = {"gt": x > b, "ge": x >= b, "lt": x < b, "le": x <= b}
        return np.asarray(ops[test], dtype=bool)
    present = col.notna().to_numpy(dtype=bool)
    if test in ("eq", "ne", "in", "not_in"):
        values = value if isinstance(value, list) else [value]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            hit = np.isin(_as_day(col), [_bound(v) for v in values])
        elif pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
            hit = np.isin(as_float(col), [float(v) for v in values])
        else:
            hit = col.isin(values).to_numpy(dtype=bool, na_value=False)
        return (hit if test in ("eq", "in") else ~hit) & present
    raise ValueError(f"unknown test {test!r}")


def _list_holds(items: tuple[Any, ...], test: str, value: Any) -> bool:
    if test == "present":
        return bool(items) is bool(value)
    if test == "contains":
        return any(v in items for v in value)
    return all(v in items for v in value)


def _list_test(col: pd.Series, test: str, value: Any) -> np.ndarray:
    # List cells repeat a few combinations (topics, standards): test each distinct tuple
    # once and spread the answers back with the factorised codes.
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    answers = np.array(
        [_list_holds(u if isinstance(u, tuple) else (), test, value) for u in uniques] + [False],
        dtype=bool,
    )
    result: np.ndarray = answers[codes]
    return result


def condition_mask(col: pd.Series, cond: Condition) -> np.ndarray:
    """Rows of ``col`` meeting every test of ``cond``."""
    mask = np.ones(len(col), dtype=bool)
    is_list = col.dtype == object
    for test, value in cond.tests().items():
        if is_list:
            mask &= _list_test(col, test, value)
        elif test == "present":
            mask &= col.notna().to_numpy(dtype=bool) == value
        else:
            mask &= _compare(col, test, value)
    return mask


def _clause_mask(prep: Prepared, rows: np.ndarray, clause: Where) -> np.ndarray:
    mask = np.ones(len(rows), dtype=bool)
    for name, cond in clause.items():
        view = prep.view(name)
        fast = None if view is None else _view_mask(view, rows, cond)
        mask &= condition_mask(prep.column(name, rows), cond) if fast is None else fast
    return mask


def _view_mask(view: ColumnView, rows: np.ndarray, cond: Condition) -> np.ndarray | None:
    """:func:`condition_mask` of the column of ``view`` at ``rows``, read from the view
    (the same answers); None where only the column itself can answer (a comparison of a
    categorical, which is an error, or values other than text for a categorical)."""
    tests = cond.tests()
    mask = np.ones(len(rows), dtype=bool)
    if view.kind == "list":
        assert view.codes is not None
        assert view.labels is not None
        codes = view.codes[rows]
        for test, value in tests.items():
            answers = [
                _list_holds(u if isinstance(u, tuple) else (), test, value) for u in view.labels
            ]
            mask &= np.array([*answers, False], dtype=bool)[codes]
        return mask
    if view.kind == "category":
        assert view.codes is not None
        assert view.labels is not None
        codes = view.codes[rows]
        present = codes >= 0
        for test, value in tests.items():
            if test == "present":
                mask &= present == value
                continue
            values = value if isinstance(value, list) else [value]
            if test not in ("eq", "ne", "in", "not_in") or not all(
                isinstance(v, str) for v in values
            ):
                return None
            table = np.array([c in values for c in view.labels] + [False], dtype=bool)
            hit = table[codes]
            mask &= (hit if test in ("eq", "in") else ~hit) & present
        return mask
    assert view.values is not None
    assert view.present is not None
    x = view.values[rows]
    present = view.present[rows]
    for test, value in tests.items():
        if test == "present":
            mask &= present == value
        elif test in ("gt", "ge", "lt", "le"):
            b = _bound(value)
            with np.errstate(invalid="ignore"):
                ops = {"gt": x > b, "ge": x >= b, "lt": x < b, "le": x <= b}
            mask &= np.asarray(ops[test], dtype=bool)
        elif test in ("eq", "ne", "in", "not_in"):
            values = value if isinstance(value, list) else [value]
            bounds = (
                [_bound(v) for v in values] if view.kind == "date" else [float(v) for v in values]
            )
            hit = np.isin(x, bounds)
            mask &= (hit if test in ("eq", "in") else ~hit) & present
        else:
            return None
    return mask


def _window(select: Select, default: Window | None) -> Window | None:
    if select.window == "none":
        return None
    return select.window if select.window is not None else default


def _decay(select: Select, default: Decay | None) -> Decay | None:
    if select.decay == "none":
        return None
    return select.decay if select.decay is not None else default


def _kind_mask(prep: Prepared, kind_codes: np.ndarray, codes: list[int]) -> np.ndarray:
    """Which of ``kind_codes`` are among ``codes``: a lookup table of the few kinds rather
    than ``np.isin`` (a code of -1, no kind, reads the table's last entry: False)."""
    table = np.zeros(len(prep.kinds) + 1, dtype=bool)
    table[codes] = True
    mask: np.ndarray = table[kind_codes]
    return mask


def select_rows(
    prep: Prepared,
    select: Select,
    as_of: dt.date,
    window: Window | None,
    decay: Decay | None,
) -> Selection:
    """Rows of ``select``'s kinds meeting its conditions, inside the window, with weight
    ``base_weight x decay`` > 0. Records dated after ``as_of`` are never selected."""
    codes = [prep.kinds.index(k) for k in select.kinds() if k in prep.kinds]
    rows = np.flatnonzero(_kind_mask(prep, prep.kind_codes, codes))
    end = day_number(as_of)
    day = prep.day[rows]
    keep = day <= end
    win = _window(select, window)
    if win is not None:
        keep &= day >= day_number(win.start(as_of))
    rows = rows[keep]
    clauses = select.clauses()
    if any(clauses):
        hit = np.zeros(len(rows), dtype=bool)
        for clause in clauses:
            hit |= _clause_mask(prep, rows, clause)
        rows = rows[hit]
    weight = prep.base_weight[rows]
    dec = _decay(select, decay)
    if dec is not None:
        age = end - prep.day[rows]
        weight = weight * np.power(0.5, age / (DAYS_PER_YEAR * dec.half_life_years))
    positive = weight > 0
    rows = rows[positive]
    return Selection(rows, prep.company[rows], weight[positive])


@dataclass(frozen=True)
class Measured:
    """Per selected row: its value, and whether it is applicable (``exclude`` -> False)."""

    value: np.ndarray
    applies: np.ndarray


def not_applicable_rows(prep: Prepared, rows: np.ndarray, measure: Measure) -> np.ndarray:
    """Which of ``rows`` meet the measure's ``not_applicable`` conditions. Only records of
    kinds that have every field named can meet them (other kinds cannot say "not
    applicable")."""
    out = np.zeros(len(rows), dtype=bool)
    where = measure.not_applicable_where()
    if not where or len(rows) == 0 or any(name not in prep.frame.columns for name in where):
        return out
    codes = [i for i, k in enumerate(prep.kinds) if _kind_has(k, tuple(where))]
    candidates = np.flatnonzero(_kind_mask(prep, prep.kind_codes[rows], codes))
    if len(candidates):
        out[candidates] = _clause_mask(prep, rows[candidates], where)
    return out


def _kind_has(kind: str, names: tuple[str, ...]) -> bool:
    try:
        fields = kind_fields(kind)
    except KeyError:  # a kind in the frame that is no longer registered
        return False
    return all(name in fields for name in names)


def measure_rows(prep: Prepared, sel: Selection, measure: Measure) -> tuple[Selection, Measured]:
    """Values of ``measure`` for the selected rows. Not-applicable rows are kept with
    ``applies`` False; other rows without a value (empty field, or a value outside the map
    without a default) are dropped from the selection."""
    n = len(sel)
    not_applicable = not_applicable_rows(prep, sel.rows, measure)
    if measure.constant is not None:
        return sel, Measured(np.full(n, measure.constant, dtype=float), ~not_applicable)
    assert measure.field is not None
    col = prep.column(measure.field, sel.rows)
    if measure.values is None:
        value = as_float(col.astype("Float64")) if col.dtype == "boolean" else as_float(col)
        applies = np.ones(n, dtype=bool)
    else:
        value, applies = map_values(col, measure.values)
    applies &= ~not_applicable
    if measure.default is not None:
        value = np.where(np.isnan(value) & applies, measure.default, value)
    keep = ~np.isnan(value) | ~applies
    if bool(keep.all()):  # every row has a value: no copies
        return sel, Measured(value, applies)
    return sel.take(keep), Measured(value[keep], applies[keep])


def map_values(col: pd.Series, values: Mapping[str, float | str]) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = list(col.dtype.categories)
        table = np.array([_num(values.get(c)) for c in cats] + [np.nan])
        excl = np.array([values.get(c) == "exclude" for c in cats] + [False])
        codes = col.cat.codes.to_numpy()
        return table[codes], ~excl[codes]
    text = col.astype("string")
    numbers = {k: float(v) for k, v in values.items() if isinstance(v, int | float)}
    excluded = [k for k, v in values.items() if v == "exclude"]
    mapped = text.map(numbers).astype("Float64")
    excluded_mask = text.isin(excluded).to_numpy(dtype=bool, na_value=False)
    applies: np.ndarray = np.logical_not(excluded_mask)
    return np.asarray(mapped.to_numpy(dtype=float, na_value=np.nan), dtype=float), applies


def _num(value: float | str | None) -> float:
    return float(value) if isinstance(value, int | float) else np.nan
