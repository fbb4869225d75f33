"""Raw records -> validated models, with every pydantic error turned into a located Problem."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from .model import Company, EvidenceBase
from .read import RawRecord
from .registry import evidence_kinds
from .report import Problem, shorten

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


_MESSAGES = {
    "missing": "required field is missing",
    "extra_forbidden": "is not a field of {owner}",
}


def _message(error: Any, owner: str) -> str:
    template = _MESSAGES.get(error["type"])
    if template is not None:
        return template.format(owner=owner)
    msg = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


def problems_from(exc: ValidationError, raw: RawRecord, owner: str) -> list[Problem]:
    """One Problem per pydantic error, with the flat field name and the offending value."""
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
                message=_message(error, owner),
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
        return None, problems_from(exc, raw, "a company")


def parse_evidence(raw: RawRecord) -> tuple[EvidenceBase | None, list[Problem]]:
    """Validate an evidence record, choosing the model by its ``kind``."""
    kinds = evidence_kinds()
    kind = raw.data.get("kind")
    model = kinds.get(kind) if isinstance(kind, str) else None
    if model is None:
        message = (
            "required field is missing"
            if kind is None
            else f"unknown evidence kind; expected one of: {', '.join(kinds)}"
        )
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
        return None, problems_from(exc, raw, f"kind {kind!r}")


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
