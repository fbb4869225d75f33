"""What a model declares for the columnar path, next to its fields.

The pydantic models are the single source of truth. Most of what they check (types,
vocabularies, patterns, bounds, required fields) is read from their core schema by
:mod:`.frame_schema`; what is code cannot be read and is declared here, beside the model:

- :class:`FrameCheck`: the vectorised twin of a model validator (``@model_validator``). A model
  that has validators of its own declares their twins with the classmethod ``frame_checks()``;
  a model that does not is always validated record by record (correct, only slower).
- :class:`DerivedColumn`: a column computed from the others (``benchmark_ratio``), declared by
  the classmethod ``derived_columns()``; every frame gets it, however the records arrived.
- :class:`VectorCheck`: Annotated metadata, placed after an ``AfterValidator``, holding the
  vectorised twin of that validator (country, currency and sector codes). A validator without
  a twin sends the values of its column through pydantic.
- :class:`TextUnchanged`: Annotated metadata, placed after a ``BeforeValidator`` that returns
  text as it is and only converts values of other types (sector codes: the number 6 becomes
  ``"06"``). The columnar path accepts text only, so it may skip such a validator; a
  ``BeforeValidator`` without the mark sends the values of its column through pydantic.

A check only decides which rows need pydantic: it must fail every row the model would refuse
(it may fail more; pydantic then has the last word and words the message).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

BoolArray = npt.NDArray[np.bool_]


def as_mask(values: Any, length: int | None = None) -> BoolArray:
    """A boolean numpy array from a boolean Series/array; missing values count as False."""
    if isinstance(values, pd.Series | pd.Index):
        values = values.array
    if isinstance(values, pd.api.extensions.ExtensionArray):
        out = np.asarray(values.to_numpy(dtype=bool, na_value=False), dtype=bool)
    else:
        out = np.asarray(values, dtype=bool)
    if out.ndim == 0 and length is not None:
        return np.full(length, bool(out))
    return out


class FrameView:
    """Typed columns of one table as a frame holds them, seen from one model's place in it.

    ``view["end"]`` inside the ``period`` scope is the ``period.end`` column; ``view.has(name)``
    says, per row, whether a value (or, for a nested object, any of its fields) is given;
    ``view.items("sources")`` is the long table of a list of objects (column ``owner`` = row).
    """

    def __init__(
        self,
        columns: Mapping[str, pd.Series],
        length: int,
        *,
        present: Mapping[str, BoolArray] | None = None,
        items: Mapping[str, pd.DataFrame] | None = None,
        prefix: str = "",
    ) -> None:
        self._columns = columns
        self._length = length
        self._present = present or {}
        self._items = items or {}
        self._prefix = prefix

    def __len__(self) -> int:
        return self._length

    def scope(self, prefix: str) -> FrameView:
        """The view of a nested object (``view.scope("period")["end"]``)."""
        return FrameView(
            self._columns,
            self._length,
            present=self._present,
            items=self._items,
            prefix=f"{self._prefix}{prefix}.",
        )

    def __getitem__(self, name: str) -> pd.Series:
        full = self._prefix + name
        if full not in self._columns:
            raise KeyError(f"no column {full!r} in the frame")
        return self._columns[full]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._prefix + name in self._columns

    def has(self, name: str) -> BoolArray:
        """Rows where ``name`` is given: a value, a non-empty list or a present object."""
        full = self._prefix + name
        if full in self._present:
            return self._present[full]
        if full in self._columns:
            col = self._columns[full]
            if col.dtype == object:
                return np.fromiter((len(v) > 0 for v in col.array), bool, len(col))
            return as_mask(col.notna())
        children = [c for c in self._columns if c.startswith(full + ".")]
        if children:
            found: BoolArray = np.logical_or.reduce(
                [self.has(c[len(self._prefix) :]) for c in children]
            )
            return found
        raise KeyError(f"no column or object {full!r} in the frame")

    def items(self, path: str) -> pd.DataFrame:
        """The long table of the list of objects at ``path`` (``owner`` = row position)."""
        return self._items[self._prefix + path]


@dataclass(frozen=True)
class FrameCheck:
    """A vectorised twin of a model validator: ``fails(view)`` marks the rows the validator
    would refuse (missing values count as passing, so test presence with ``view.has``)."""

    description: str
    fails: Callable[[FrameView], Any]

    def failing(self, view: FrameView) -> BoolArray:
        return as_mask(self.fails(view), len(view))


@dataclass(frozen=True)
class DerivedColumn:
    """A column computed from a record's other fields, never typed in. ``compute(view)``
    returns one value per row (computed for all rows; rows of other kinds are set missing)."""

    name: str
    dtype: Any
    compute: Callable[[FrameView], Any]
    description: str = ""


@dataclass(frozen=True)
class VectorCheck:
    """Annotated metadata: the vectorised twin of the ``AfterValidator`` placed before it.

    ``accepts`` takes a pyarrow string array of (stripped, non-null) values and returns a
    boolean array, True where the validator accepts the value unchanged::

        CountryCode = Annotated[str, AfterValidator(check_country), VectorCheck(isin_countries)]
    """

    accepts: Callable[[Any], Any]
    description: str = ""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)
        metadata = schema.setdefault("metadata", {})
        metadata[VECTOR_CHECK_KEY] = (*metadata.get(VECTOR_CHECK_KEY, ()), self)
        return schema


VECTOR_CHECK_KEY = "bhrscore_vector_check"


@dataclass(frozen=True)
class TextUnchanged:
    """Annotated metadata: the ``BeforeValidator`` placed before it returns text unchanged.

    Such a validator only converts values of other types (a JSON or spreadsheet number 6 to
    the sector code ``"06"``). The columnar path accepts a text column's values only when they
    arrived as text (anything else goes to pydantic), so it may skip the validator and still
    accept only what pydantic accepts, with the same value::

        SectorCode = Annotated[
            str, BeforeValidator(number_to_code), TextUnchanged(),
            AfterValidator(known_code), VectorCheck(in_sector_vocabulary),
        ]

    Only for text fields: on any other type the field stays undecidable.
    """

    description: str = ""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)
        if schema.get("type") != "function-before":
            raise TypeError("TextUnchanged() must follow a BeforeValidator")
        schema.setdefault("metadata", {})[TEXT_UNCHANGED_KEY] = True
        return schema


TEXT_UNCHANGED_KEY = "bhrscore_text_unchanged"


def in_vocabulary(values: Callable[[], Iterable[str]], description: str) -> VectorCheck:
    """A :class:`VectorCheck` accepting the values of a (possibly growing) vocabulary; the
    vocabulary is read at check time, so vocabularies extended at run time are followed."""

    def accepts(array: Any) -> Any:
        import pyarrow as pa
        import pyarrow.compute as pc

        return pc.is_in(array, value_set=pa.array(sorted(values()), pa.string()))

    return VectorCheck(accepts, description)
