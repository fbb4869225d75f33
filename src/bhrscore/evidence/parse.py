"""Raw records -> validated models, with every pydantic error turned into a located Problem."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from .flat import columns
from .model import Company, EvidenceBase
from .read import RawRecord
from .registry import evidence_kinds
from .report import Problem, shorten
from .suggest import close_matches, did_you_mean, field_hints, vocabulary_message, with_hint

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Located(Generic[M]):
    """A validated model and the place it was read from."""

    model: M
    raw: RawRecord

    def problem(
        self, code: str, message: str, field: str | None = None, value: Any = None
    ) -> Problem:
        """A problem about this record, located where the user will look for it."""
        raw = self.raw
        return Problem(
            file=raw.file,
            code=code,
            message=message,
            row=raw.row,
            sheet=raw.sheet,
            pointer=_pointer(raw.pointer, field),
            field=field,
            value=shorten(value),
            column=raw.columns.get(field) if field else None,
        )


def _pointer(base: str | None, field: str | None) -> str | None:
    if base is None:
        return None
    return base + ("/" + field.replace(".", "/") if field else "")


def _expected(error: Any) -> list[str]:
    """The allowed values of an ``enum``/``literal_error`` (pydantic lists them quoted)."""
    return re.findall(r"'((?:[^'\\]|\\.)*)'", str((error.get("ctx") or {}).get("expected", "")))


def _bound(error: Any, key: str) -> str:
    return str((error.get("ctx") or {}).get(key, ""))


_DATE = "expected a date as YYYY-MM-DD"
_DATE_SHAPE = re.compile(r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*")


def _date(error: Any) -> str:
    """A date that is not one: the wrong form, or a day the calendar does not have."""
    value = error.get("input")
    if isinstance(value, str) and _DATE_SHAPE.fullmatch(value):
        return "no such day in the calendar; " + _DATE
    return _DATE


MISSING = "required field is missing"

#: pydantic error type -> plain wording (``owner``: "kind 'strike'", "a company"; ``known``:
#: the owner's flat field names). Types not listed keep pydantic's text, lightly edited.
_WORDING: dict[str, Callable[[Any, str, tuple[str, ...]], str]] = {
    "missing": lambda e, owner, known: MISSING,
    "extra_forbidden": lambda e, owner, known: with_hint(
        f"is not a field of {owner}",
        field_hints(".".join(str(p) for p in e["loc"]), known),
    ),
    "enum": lambda e, owner, known: vocabulary_message(e.get("input"), _expected(e)),
    "literal_error": lambda e, owner, known: vocabulary_message(e.get("input"), _expected(e)),
    "date_parsing": lambda e, owner, known: _date(e),
    "date_from_datetime_parsing": lambda e, owner, known: _date(e),
    "date_from_datetime_inexact": lambda e, owner, known: _DATE + " (without a time)",
    "date_type": lambda e, owner, known: _DATE,
    "int_parsing": lambda e, owner, known: "expected a whole number, e.g. 12",
    "int_from_float": lambda e, owner, known: "expected a whole number, e.g. 12",
    "int_type": lambda e, owner, known: "expected a whole number, e.g. 12",
    "float_parsing": lambda e, owner, known: "expected a number, e.g. 12.5",
    "float_type": lambda e, owner, known: "expected a number, e.g. 12.5",
    "bool_parsing": lambda e, owner, known: "expected true or false",
    "bool_type": lambda e, owner, known: "expected true or false",
    "string_type": lambda e, owner, known: "expected text",
    "string_too_short": lambda e, owner, known: (
        "must not be empty"
        if _bound(e, "min_length") == "1"
        else f"must be at least {_bound(e, 'min_length')} characters long"
    ),
    "string_too_long": lambda e, owner, known: (
        f"must be at most {_bound(e, 'max_length')} characters long"
    ),
}


def _message(error: Any, owner: str, known: tuple[str, ...] = ()) -> str:
    """Plain words for one pydantic error; they never repeat the value (problems carry it)."""
    wording = _WORDING.get(error["type"])
    if wording is not None:
        return wording(error, owner, known)
    msg = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg.replace("Input should be ", "must be ", 1)


@cache
def _known(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(c.name for c in columns(model))


def unknown_kind_message(kind: object, kinds: list[str]) -> str:
    """Why ``kind`` is not an evidence kind: the case, or close kinds, and the kinds."""
    if isinstance(kind, str) and kind.strip().casefold() in {k.casefold() for k in kinds}:
        return vocabulary_message(kind, kinds)
    hints = close_matches(kind, kinds) if isinstance(kind, str) else []
    listed = ", ".join(kinds)
    if hints:
        return f"unknown evidence kind; {did_you_mean(hints)} Kinds are: {listed}"
    return f"unknown evidence kind; kinds are: {listed}"


def problems_from(
    exc: ValidationError, raw: RawRecord, owner: str, model: type[BaseModel] | None = None
) -> list[Problem]:
    """One Problem per pydantic error, with the flat field name and the offending value
    (``model``: the model validated, whose field names "did you mean" hints come from)."""
    known = _known(model) if model is not None else ()
    out = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        field = ".".join(loc) or None
        if field is not None and raw.columns and field not in raw.columns:
            # list items ("tags.2") are reported on the list column ("tags")
            parent = ".".join(loc[:-1])
            field = parent if parent in raw.columns else field
        value = None if error["type"] == "missing" else error.get("input")
        if field is None or isinstance(value, dict):
            value = None
        out.append(
            Problem(
                file=raw.file,
                code="invalid" if error["type"] != "extra_forbidden" else "unknown-field",
                message=_message(error, owner, known),
                row=raw.row,
                sheet=raw.sheet,
                pointer=_pointer(raw.pointer, ".".join(loc) or None),
                field=field,
                value=shorten(value),
                column=raw.columns.get(field) if field else None,
            )
        )
    return out


def parse_company(raw: RawRecord) -> tuple[Company | None, list[Problem]]:
    """Validate a company record."""
    try:
        return Company.model_validate(raw.data), []
    except ValidationError as exc:
        return None, problems_from(exc, raw, "a company", Company)


def parse_evidence(raw: RawRecord) -> tuple[EvidenceBase | None, list[Problem]]:
    """Validate an evidence record, choosing the model by its ``kind``."""
    kinds = evidence_kinds()
    kind = raw.data.get("kind")
    model = kinds.get(kind) if isinstance(kind, str) else None
    if model is None:
        message = MISSING if kind is None else unknown_kind_message(kind, list(kinds))
        return None, [
            Problem(
                file=raw.file,
                code="unknown-kind" if kind is not None else "invalid",
                message=message,
                row=raw.row,
                sheet=raw.sheet,
                pointer=_pointer(raw.pointer, "kind"),
                field="kind",
                value=shorten(kind),
                column=raw.columns.get("kind"),
            )
        ]
    try:
        return model.model_validate(raw.data), []
    except ValidationError as exc:
        return None, problems_from(exc, raw, f"kind {kind!r}", model)


#: problems a reader gives every row of a table with a faulty header: the row's values are
#: still validated, so that the row's other problems are reported too
HEADER_CODES = frozenset({"unknown-column", "missing-column"})


def validate_despite(problems: list[Problem]) -> bool:
    """Whether a record the reader found ``problems`` in is still validated: only when each
    is a header problem (an unknown or missing column)."""
    return bool(problems) and all(p.code in HEADER_CODES for p in problems)


def parse_record(raw: RawRecord) -> tuple[BaseModel | None, list[Problem]]:
    """Validate a record (company or evidence), with its :func:`frame_problems`. Problems
    the reader found come first; when they are header problems the record is validated too
    and its own problems follow (without repeating a missing column as a missing field)."""
    prior = list(raw.problems)
    if prior and not validate_despite(prior):
        return None, prior
    model: BaseModel | None
    model, errs = parse_company(raw) if raw.table == "companies" else parse_evidence(raw)
    if model is not None and not errs:
        errs = frame_problems(model, raw)
    if errs:
        model = None
    if not prior:
        return model, errs
    missing = {p.field for p in prior if p.code == "missing-column"}
    errs = [e for e in errs if not (e.field in missing and e.message == MISSING)]
    return None, prior + errs


# Frames hold integers as int64 and dates as datetime64[ns]; pydantic accepts more.
_INT_RANGE = (-(2**63), 2**63 - 1)
_DATE_RANGE = (dt.date(1677, 9, 22), dt.date(2262, 4, 11))


def _out_of_range(value: Any, path: tuple[str, ...]) -> list[tuple[str, Any, str]]:
    if isinstance(value, BaseModel):
        found: list[tuple[str, Any, str]] = []
        for name in type(value).model_fields:
            found += _out_of_range(getattr(value, name), (*path, name))
        return found
    if isinstance(value, list | tuple):
        found = []
        for i, item in enumerate(value):
            found += _out_of_range(item, (*path, str(i)))
        return found
    if isinstance(value, bool):
        return []
    if isinstance(value, int) and not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
        return [(".".join(path), value, f"number is too large (at most {_INT_RANGE[1]:,})")]
    if isinstance(value, dt.date) and not _DATE_RANGE[0] <= value <= _DATE_RANGE[1]:
        low, high = _DATE_RANGE
        return [(".".join(path), value.isoformat(), f"date must lie between {low} and {high}")]
    return []


def frame_problems(model: BaseModel, raw: RawRecord) -> list[Problem]:
    """Values pydantic accepts but the frames cannot hold (integers beyond int64, dates
    outside 1677-2262), as problems of the record."""
    located = Located(model, raw)
    return [
        located.problem("out-of-range", message, field, value)
        for field, value, message in _out_of_range(model, ())
    ]
