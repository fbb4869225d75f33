"""Short text columns are converted value by value (``TableColumn._small_text``), long ones
vectorised: both give the same values, formula flags, XML flags and text shape."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from bhrscore.export import book
from bhrscore.export.book import TableColumn
from bhrscore.export.cells import MAX_CELL_CHARS

TRICKY: list[Any] = [
    "plain text",
    None,
    pd.NA,
    "=1+1",  # formula-like
    " @SUM(A1)",  # white space, then a trigger
    "\u200b=cmd",  # an invisible character before the trigger
    "\t-tab first",
    "a & b < c > d",  # XML escapes
    "_x0041_ looks like an escape",
    " leading space",
    "trailing space ",
    "line one\r\nline two\rthree",  # carriage returns become line breaks
    "bell \x07 and form feed \x0c",  # characters XML cannot hold are removed
    "non-BMP \U0001f600 and \ufffe",
    "Ünïcödé – dashes — and “quotes”",
    "x" * (MAX_CELL_CHARS + 5),  # over the cell limit: cut with an ellipsis
    "y" * 16_384,  # too long to be a simple inline string
    ("list", "of", "ids"),  # joined with ", "
    [],  # an empty list is missing
    12,
    3.5,
    "",
]


def _both(series: pd.Series, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> tuple[Any, Any]:
    small = TableColumn.from_series("Text", series, "text", **kw)
    monkeypatch.setattr(book, "SMALL_COLUMN", -1)  # every column vectorised
    whole = TableColumn.from_series("Text", series, "text", **kw)
    monkeypatch.undo()
    return small, whole


@pytest.mark.parametrize("dtype", [object, "string"])
@pytest.mark.parametrize("width", [None, 40.0])
def test_small_and_vectorised_text_columns_agree(
    monkeypatch: pytest.MonkeyPatch, dtype: Any, width: float | None
) -> None:
    keep = [v for v in TRICKY if v is None or v is pd.NA or isinstance(v, str)]
    values = TRICKY if dtype is object else keep
    series = pd.Series(values, dtype=dtype)
    small, whole = _both(series, monkeypatch, width=width)
    assert small.values == whole.values
    assert small.risky == whole.risky
    assert small.simple == whole.simple
    assert small.wraps == whole.wraps == (width is not None)
    if width is not None:
        assert small.text_shape is not None
        assert whole.text_shape is not None
        assert np.array_equal(small.text_shape[0], whole.text_shape[0])
        assert np.array_equal(small.text_shape[1], whole.text_shape[1])
    # and the expectations themselves, for a few of them
    assert small.values[1] is None
    assert small.values[2] is None
    assert small.risky is not None
    assert small.risky[3]
    assert small.risky[5]
    assert not small.risky[0]
    assert small.simple[0]
    assert not small.simple[7]
    assert not small.simple[8]


def test_small_columns_without_formulas_have_no_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    series = pd.Series(["alpha", "beta", None], dtype="string")
    small, whole = _both(series, monkeypatch, wrap=False)
    assert small.risky is None
    assert whole.risky is None
    assert small.values == whole.values == ["alpha", "beta", None]
    assert small.text_shape is None
    assert not small.wraps


def test_the_boundary_length_uses_the_small_path(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = TableColumn._small_text.__func__  # type: ignore[attr-defined]

    def spy(cls: type[TableColumn], header: str, series: pd.Series, *a: Any) -> TableColumn:
        calls.append(len(series))
        return real(cls, header, series, *a)  # type: ignore[no-any-return]

    monkeypatch.setattr(TableColumn, "_small_text", classmethod(spy))
    for n in (book.SMALL_COLUMN, book.SMALL_COLUMN + 1):
        TableColumn.from_series("Text", pd.Series(["v"] * n, dtype="string"))
    assert calls == [book.SMALL_COLUMN]


@pytest.mark.parametrize("dtype", [object, "string"])
@pytest.mark.parametrize("width", [None, 40.0])
def test_repeated_text_is_checked_once_per_value_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch, dtype: Any, width: float | None
) -> None:
    """A column whose values repeat is cleaned and checked on its distinct values
    (``TableColumn._repeated_text``): the same values, flags and text shape as each value
    converted in a column of distinct values (vectorised) and value by value."""
    keep = [v for v in TRICKY if v is None or v is pd.NA or isinstance(v, str)]
    values = TRICKY if dtype is object else keep
    times = 30  # past SMALL_COLUMN, and each value repeated
    once, _ = _both(pd.Series(values, dtype=dtype), monkeypatch, width=width)
    monkeypatch.setattr(book, "SMALL_COLUMN", -1)
    seen = []
    real = TableColumn._repeated_text.__func__  # type: ignore[attr-defined]

    def spy(cls: Any, *args: Any) -> TableColumn:
        seen.append(len(args[2]))  # the distinct values checked
        return real(cls, *args)  # type: ignore[no-any-return]

    monkeypatch.setattr(TableColumn, "_repeated_text", classmethod(spy))
    many = TableColumn.from_series("Text", pd.Series(values * times, dtype=dtype), width=width)
    assert len(seen) == 1
    assert 0 < seen[0] <= len(values)
    assert many.values == once.values * times
    assert many.risky == (once.risky * times if once.risky is not None else None)
    assert many.simple == once.simple * times
    if width is not None:
        assert once.text_shape is not None
        assert many.text_shape is not None
        assert many.text_shape[0].tolist() == once.text_shape[0].tolist() * times
        assert many.text_shape[1].tolist() == once.text_shape[1].tolist() * times
    else:
        assert many.text_shape is None
    # objects shared: one per distinct value
    assert many.values[0] is many.values[len(values)]


def test_number_columns_end_to_end_convert_as_each_column_alone() -> None:
    """``TableColumn.number_columns`` converts columns given end to end at once: each column
    holds what :meth:`TableColumn.from_series` makes of it alone (missing and infinite
    values, notes where a value is missing, -0.0)."""
    first = pd.Series([1.5, None, float("inf"), -0.0, 7.0], dtype="Float64")
    second = pd.Series([None, 2.0, 3.25, None, float("-inf")], dtype="Float64")
    notes1 = pd.Series([None, "unknown", "n/a", None, "x"], dtype="string")
    notes2 = pd.Series(["unknown", None, "0.0 (policy)", "Ünïcödé", None], dtype="string")
    both = TableColumn.number_columns(
        ["A", "B"],
        pd.concat([first, second], ignore_index=True),
        "score",
        width=12,
        scale="score",
        notes=pd.concat([notes1, notes2], ignore_index=True),
    )
    alone = [
        TableColumn.from_series(h, s, "score", width=12, scale="score", notes=n)
        for h, s, n in (("A", first, notes1), ("B", second, notes2))
    ]
    assert [c.header for c in both] == ["A", "B"]
    for got, want in zip(both, alone, strict=True):
        assert got.values == want.values
        assert [type(v) for v in got.values] == [type(v) for v in want.values]
        assert (got.kind, got.width, got.scale, got.risky, got.simple) == (
            want.kind,
            want.width,
            want.scale,
            want.risky,
            want.simple,
        )
    assert both[0].values == [1.5, "unknown", "n/a", -0.0, 7.0]
    assert str(both[0].values[3]) == "-0.0"
    assert both[1].values == ["unknown", 2.0, 3.25, "Ünïcödé", None]
    assert TableColumn.number_columns([], pd.Series([], dtype="Float64"), "integer") == []
    with pytest.raises(ValueError, match="equal columns"):
        TableColumn.number_columns(["A", "B"], first, "score")
    with pytest.raises(ValueError, match="number and date"):
        TableColumn.number_columns(["A"], notes1, "text")
    with pytest.raises(ValueError, match="formula-like"):
        TableColumn.number_columns(
            ["A"], first, "score", notes=pd.Series(["=1+1"] * 5, dtype="string")
        )
