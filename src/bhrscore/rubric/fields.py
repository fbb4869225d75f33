"""What a rubric may refer to: evidence kinds, their flat fields, and each field's vocabulary.

Derived from the evidence models (the same flat names as the evidence frame), so a rubric is
checked against exactly the columns the engine will read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any, Literal

import pandas as pd

from ..evidence.flat import columns
from ..evidence.frame import SOURCE_COLUMNS
from ..evidence.frame_schema import model_schema
from ..evidence.registry import evidence_kinds, kinds_version
from ..evidence.suggest import close_matches, did_you_mean
from ..evidence.vocab import SourceType
from .spec import Condition, Measure, Select

FieldType = Literal["category", "number", "date", "bool", "text", "list"]


@dataclass(frozen=True)
class FieldInfo:
    """One selectable field: its flat name, type and (for vocabularies) allowed values."""

    name: str
    type: FieldType
    values: tuple[str, ...] | None = None


def _info(name: str, tp: object, shape: str) -> FieldInfo:
    vocab = tuple(m.value for m in tp) if isinstance(tp, type) and issubclass(tp, Enum) else None
    if shape == "list":
        return FieldInfo(name, "list", vocab)
    if vocab is not None:
        return FieldInfo(name, "category", vocab)
    if tp is dt.date:
        return FieldInfo(name, "date")
    if tp is bool:
        return FieldInfo(name, "bool")
    if tp in (int, float):
        return FieldInfo(name, "number")
    return FieldInfo(name, "text")


def kind_fields(kind: str) -> Mapping[str, FieldInfo]:
    """Fields of one evidence kind (raises ``KeyError`` for an unknown kind). Follows the
    kind registry: a kind registered (or replaced) later is seen, as are its derived columns."""
    return _kind_fields(kind, kinds_version())


def _derived_info(name: str, dtype: Any) -> FieldInfo:
    """A derived column's field, typed from its frame dtype."""
    if isinstance(dtype, pd.CategoricalDtype):
        return FieldInfo(name, "category", tuple(str(c) for c in dtype.categories))
    text = str(dtype)
    if "datetime" in text:
        return FieldInfo(name, "date")
    if text in ("string", "object"):
        return FieldInfo(name, "text")
    if text in ("bool", "boolean"):
        return FieldInfo(name, "bool")
    return FieldInfo(name, "number")


@lru_cache(maxsize=256)
def _kind_fields(kind: str, version: int) -> Mapping[str, FieldInfo]:
    model = evidence_kinds()[kind]
    out: dict[str, FieldInfo] = {}
    for col in columns(model):
        if col.shape == "model_list":
            continue
        out[col.name] = _info(col.name, col.type, col.shape)
    out["kind"] = FieldInfo("kind", "category", tuple(evidence_kinds()))
    for name in SOURCE_COLUMNS:
        tp: FieldType = "text"
        if name == "source_count":
            tp = "number"
        elif name == "source_published":
            tp = "date"
        out[name] = FieldInfo(name, tp)
    out["source_type"] = FieldInfo("source_type", "category", tuple(v.value for v in SourceType))
    # the columns this kind derives (derived_columns(): effective_date, known_date, wage's
    # benchmark_ratio ...); the first source's columns are typed above
    for derived in model_schema(model).derived:
        if derived.name not in out:
            out[derived.name] = _derived_info(derived.name, derived.dtype)
    return out


def fields_of(kinds: list[str]) -> dict[str, FieldInfo]:
    """Fields common to all ``kinds`` (a selection over several kinds may only use these)."""
    maps = [kind_fields(k) for k in kinds]
    common = set(maps[0]).intersection(*maps[1:]) if maps else set()
    return {name: maps[0][name] for name in maps[0] if name in common}


Problem = tuple[str, str]  # (YAML path, message)

_SCALAR_TESTS = {"eq", "ne", "in", "not_in"}
_RANGE_TESTS = {"gt", "ge", "lt", "le"}
_LIST_TESTS = {"contains", "contains_all"}


YAML_BOOL_HINT = " (YAML reads bare yes/no/on/off as true/false: quote them, e.g. 'yes')"


def _quote_hint(v: object) -> str:
    """Why a YAML scalar is not the text it looks like, and how to write it."""
    if isinstance(v, bool):
        return YAML_BOOL_HINT
    return f" (YAML reads it as a {type(v).__name__}: quote it as written, e.g. '{v}')"


def _value_problems(info: FieldInfo, test: str, value: object, path: str) -> Iterator[Problem]:
    values = value if isinstance(value, list) else [value]
    for i, v in enumerate(values):
        where = f"{path}.{test}" + (f"[{i}]" if isinstance(value, list) else "")
        if info.values is not None and test not in _RANGE_TESTS:
            if not isinstance(v, str) or v not in info.values:
                allowed = ", ".join(info.values)
                hint = _close(v, info.values) if isinstance(v, str) else _quote_hint(v)
                yield where, f"{v!r} is not a value of {info.name} (one of: {allowed}){hint}"
        elif info.type == "text" and not isinstance(v, str):
            yield where, f"{info.name} is text; got {v!r}{_quote_hint(v)}"
        elif info.type == "number" and test not in _LIST_TESTS:
            if isinstance(v, bool) or not isinstance(v, int | float):
                yield where, f"{info.name} is a number; got {v!r}"
        elif info.type == "date":
            if not isinstance(v, dt.date):
                yield where, f"{info.name} is a date; write YYYY-MM-DD (got {v!r})"
        elif info.type == "bool" and not isinstance(v, bool):
            yield where, f"{info.name} is true or false; got {v!r}"


def condition_problems(info: FieldInfo, cond: Condition, path: str) -> Iterator[Problem]:
    for test, value in cond.tests().items():
        if test == "present":
            continue
        if info.type == "list" and test not in _LIST_TESTS:
            yield f"{path}.{test}", f"{info.name} is a list field: use contains or contains_all"
            continue
        if info.type != "list" and test in _LIST_TESTS:
            yield f"{path}.{test}", f"{test} needs a list field; {info.name} holds one value"
            continue
        if test in _RANGE_TESTS and info.type not in ("number", "date"):
            yield f"{path}.{test}", f"{test} needs a number or date field; {info.name} is not"
            continue
        yield from _value_problems(info, test, value, path)


def select_problems(select: Select, path: str) -> Iterator[Problem]:
    """Unknown kinds, unknown fields and values outside a field's vocabulary."""
    known = evidence_kinds()
    kinds = select.kinds()
    bad = [k for k in kinds if k not in known]
    for k in bad:
        where = f"{path}.kind" + (f"[{kinds.index(k)}]" if isinstance(select.kind, list) else "")
        hint = _close(k, list(known))
        yield where, f"unknown evidence kind {k!r} (known: {', '.join(known)}){hint}"
    if bad or not kinds:
        if not kinds:
            yield f"{path}.kind", "give at least one evidence kind"
        return
    fields = fields_of(kinds)
    listed = isinstance(select.where, list)
    for i, clause in enumerate(select.clauses()):
        base = f"{path}.where" + (f"[{i}]" if listed else "")
        for name, cond in clause.items():
            info = fields.get(name)
            if info is None:
                yield f"{base}.{name}", _unknown_field(name, kinds)
                continue
            yield from condition_problems(info, cond, f"{base}.{name}")


def _unknown_field(name: str, kinds: list[str]) -> str:
    owners = [k for k in evidence_kinds() if name in kind_fields(k)]
    if owners:
        return f"field {name!r} is not a field of {'/'.join(kinds)} (it belongs to {owners[0]})"
    hint = _close(name, list(fields_of(kinds)))
    return f"unknown field {name!r} for evidence kind {'/'.join(kinds)}{hint}"


def _close(word: str, known: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` when a known word is close (or only the case differs)."""
    hint = did_you_mean(close_matches(word, known))
    return f"; {hint}" if hint else ""


def _default_not_applicable(measure: Measure, kinds: list[str]) -> bool:
    """Does the default ``not_applicable`` test (``answer: not_applicable``) apply here?"""
    return measure.not_applicable is None and all("answer" in kind_fields(k) for k in kinds)


def measure_problems(measure: Measure, kinds: list[str], path: str) -> Iterator[Problem]:
    if any(k not in evidence_kinds() for k in kinds):
        return
    if isinstance(measure.not_applicable, dict):
        fields = fields_of(kinds)
        for name, cond in measure.not_applicable.items():
            info = fields.get(name)
            if info is None:
                yield f"{path}.not_applicable.{name}", _unknown_field(name, kinds)
                continue
            yield from condition_problems(info, cond, f"{path}.not_applicable.{name}")
    if measure.field is None:
        return
    info = fields_of(kinds).get(measure.field)
    if info is None:
        yield f"{path}.field", _unknown_field(measure.field, kinds)
        return
    if measure.values is not None and "not_applicable" in measure.values:
        value = measure.values["not_applicable"]
        if value != "exclude" and _default_not_applicable(measure, kinds):
            yield (
                f"{path}.values.not_applicable",
                "an answer of not_applicable is always not applicable (left out of the"
                " denominator); to score it, set measure.not_applicable: none",
            )
    if measure.values is None:
        if info.type not in ("number", "bool"):
            yield (
                f"{path}.field",
                f"{info.name} is not numeric; map its values with 'values: {{...}}'",
            )
        return
    if info.type not in ("category", "text", "bool"):
        yield f"{path}.values", f"values maps a vocabulary field; {info.name} is {info.type}"
        return
    if info.values is not None:
        for key in measure.values:
            if key not in info.values:
                allowed = ", ".join(info.values)
                hint = _close(key, info.values)
                yield (
                    f"{path}.values.{key}",
                    f"{key!r} is not a value of {info.name} ({allowed}){hint}",
                )
