"""Building blocks of rubric rules: windows, decay, field conditions, selections, measures.

These are plain configuration models (no computation); :mod:`.selection` applies them to the
evidence frame and :mod:`.check_fields` checks them against the evidence kinds. Everything is
data: there is no expression language and nothing in a rubric file is evaluated as code.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = str | float | int | bool | dt.date


class Spec(BaseModel):
    """Base for rubric models: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Window(Spec):
    """A record is in the window when ``start <= effective_date <= as_of``, where ``start`` is
    ``as_of`` minus ``years`` calendar years (29 February becomes 28 February) or minus
    ``days`` days. Give exactly one of ``years`` and ``days``."""

    years: Annotated[int, Field(ge=1, le=100)] | None = None
    days: Annotated[int, Field(ge=1, le=36_600)] | None = None

    @model_validator(mode="after")
    def _one(self) -> Window:
        if (self.years is None) == (self.days is None):
            raise ValueError("give exactly one of years or days")
        return self

    def start(self, as_of: dt.date) -> dt.date:
        """First day inside the window."""
        if self.days is not None:
            return as_of - dt.timedelta(days=self.days)
        assert self.years is not None
        year = as_of.year - self.years
        try:
            return as_of.replace(year=year)
        except ValueError:  # 29 February in a year without one
            return as_of.replace(year=year, day=28)


class Decay(Spec):
    """Exponential decay of a record's weight with its age: ``0.5 ** (age_days /
    (365.25 * half_life_years))``, age counted from ``effective_date`` to ``as_of``."""

    half_life_years: Annotated[float, Field(gt=0, le=100)]


class Condition(Spec):
    """Tests on one field. Several tests in one condition must all hold. A missing value
    fails every test except ``present: false``.

    - ``eq`` / ``ne``: equal / not equal (scalar fields)
    - ``in`` / ``not_in``: one of / none of (scalar fields)
    - ``gt`` / ``ge`` / ``lt`` / ``le``: ranges (numbers and dates)
    - ``contains``: a list field (``topics``, ``tags``) holds at least one of the values
    - ``contains_all``: a list field holds all of the values
    - ``present``: the field is given (``true``) or empty (``false``)
    """

    eq: Scalar | None = None
    ne: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_in: list[Scalar] | None = None
    gt: float | dt.date | None = None
    ge: float | dt.date | None = None
    lt: float | dt.date | None = None
    le: float | dt.date | None = None
    contains: list[str] | None = None
    contains_all: list[str] | None = None
    present: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # ``field: value`` means eq, ``field: [a, b]`` means in.
        if isinstance(data, list):
            return {"in": data}
        if not isinstance(data, dict):
            return {"eq": data}
        return data

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        if not self.tests():
            raise ValueError("a condition needs at least one test (eq, in, ge, contains, ...)")
        return self

    def tests(self) -> dict[str, Any]:
        """The tests given, by name (``in`` spelled as in the file)."""
        out = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is not None:
                out["in" if name == "in_" else name] = value
        return out


Where = dict[str, Condition]


class Select(Spec):
    """Which records a rule reads: evidence ``kind`` (one or a list), field conditions, and
    the time window. ``where`` is a mapping ``field: condition`` (all must hold) or a list of
    such mappings (any one of them must hold). ``window``/``decay`` override the rubric
    policies; ``none`` switches them off for this selection."""

    kind: str | list[str]
    where: Where | list[Where] = Field(default_factory=dict)
    window: Window | Literal["none"] | None = None
    decay: Decay | Literal["none"] | None = None

    def kinds(self) -> list[str]:
        return [self.kind] if isinstance(self.kind, str) else list(self.kind)

    def clauses(self) -> list[Where]:
        """``where`` as a list of alternatives (each a conjunction)."""
        return list(self.where) if isinstance(self.where, list) else [self.where]


Exclude = Literal["exclude"]


#: The default ``not_applicable`` test of a measure: an ``assessment`` answered
#: ``not_applicable`` is not applicable whatever the measure reads (kinds without an
#: ``answer`` field never meet it).
NOT_APPLICABLE_ANSWER = {"answer": "not_applicable"}


class Measure(Spec):
    """The value of one record: a ``constant``, a numeric ``field`` (``benchmark_ratio``,
    ``targets``, ``gap.ratio`` ...), or the ``values`` a vocabulary ``field`` maps to.

    **Not applicable** records are listed as evidence (and count as coverage) but left out of
    the aggregate, except that ``latest`` is not applicable when the most recent record is;
    an indicator with only such records has no score and its weight is re-distributed,
    whatever the missing-data policy. A record is not applicable when it meets
    ``not_applicable`` (field conditions as in ``where``; default ``{answer:
    not_applicable}``: an assessment answered not applicable, for every measure, numeric or
    mapped; ``none`` switches the default off), or when a ``values`` map sends its value to
    ``exclude``. Records whose field is empty, or whose value is not in the map, get
    ``default``; without a default they are not used."""

    constant: float | None = None
    field: str | None = None
    values: dict[str, float | Exclude] | None = None
    default: float | None = None
    not_applicable: Where | Literal["none"] | None = None

    def not_applicable_where(self) -> Where | None:
        """The conditions that make a record not applicable (None: none)."""
        if self.not_applicable == "none":
            return None
        if self.not_applicable is None:
            return {k: Condition.model_validate(v) for k, v in NOT_APPLICABLE_ANSWER.items()}
        return self.not_applicable

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return {"constant": data}
        if isinstance(data, str):
            return {"field": data}
        return data

    @model_validator(mode="after")
    def _one(self) -> Measure:
        if (self.constant is None) == (self.field is None):
            raise ValueError("give exactly one of constant or field")
        if self.values is not None and self.field is None:
            raise ValueError("values needs the field they map")
        if self.default is not None and self.field is None:
            raise ValueError("default needs a field")
        return self
