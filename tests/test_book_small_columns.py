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
