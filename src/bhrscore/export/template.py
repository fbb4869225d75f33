"""The evidence-entry template: a workbook analysts fill in and ``load_evidence`` reads back.

Sheets:

- **Companies** and **Evidence**: the flat columns of :mod:`bhrscore.evidence.flat` in row 1
  (the loader reads the header from row 1 and data from row 2, so there is no hint row),
  one fictional example company pair and one example evidence row per kind. Every column has
  its hint as a comment on the header cell and as the input message of its data validation
  (shown when a cell is selected); vocabulary columns have a dropdown, dates, numbers and
  true/false columns are validated by type.
- **Lists**: the vocabularies the dropdowns draw from, one column each.
- **Help**: how to fill the template and one line per column (required, allowed values).

``Lists`` and ``Help`` are auxiliary sheets that the loader skips.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..evidence.codes import country_codes, currency_codes
from ..evidence.flat import LIST_DELIMITER, SOURCE_SLOTS, Column, columns, expand, flatten
from ..evidence.model import Company, EvidenceBase
from ..evidence.registry import evidence_kinds
from ..evidence.sectors import default_sector_vocabulary
from ..io import atomic_path
from .cells import SheetWriter, make_format

#: rows (after the header) that carry dropdowns and input messages
ENTRY_ROWS = 5_000
#: fixed document date, so that the template is byte-for-byte reproducible
TEMPLATE_CREATED = dt.datetime(2025, 1, 1)
COUNTRY_COLUMNS = frozenset({"country", "hq_country", "origin_country", "host_countries"})
CURRENCY_COLUMNS = frozenset({"currency"})
SECTOR_COLUMNS = frozenset({"sectors", "sector"})  # ISIC Rev.4 codes and aliases
DATA_SHEETS = ("Companies", "Evidence")


@dataclass(frozen=True)
class TemplateColumn:
    """One column of a template sheet, with what an analyst needs to know to fill it."""

    name: str
    column: Column
    required: str  # "yes", "no" or "for <kinds>"
    kinds: tuple[str, ...]  # evidence kinds that use it (empty for companies)
    choices: tuple[str, ...]  # allowed values (empty: free)
    choices_name: str  # the Lists header of the choices
    description: str
    #: lower bound of a number column from the model's field constraints (``gt``/``ge``,
    #: e.g. ``PositiveFloat``): (">", 0.0) or (">=", 1.0); ``None`` when unbounded
    minimum: tuple[str, float] | None = None

    @property
    def kind_of_value(self) -> str:
        col = self.column
        if col.shape == "list":
            return f"list, items separated by {LIST_DELIMITER}"
        tp = col.type
        if tp is dt.date:
            return "date YYYY-MM-DD"
        if tp is bool:
            return "true or false"
        if tp is int:
            return "whole number"
        if tp is float:
            return "number"
        return "text"

    def hint(self, limit: int | None = None) -> str:
        parts = [f"Required: {self.required}.", f"Value: {self.kind_of_value}."]
        if self.kinds and len(self.kinds) < len(evidence_kinds()):
            parts.append(f"Kinds: {', '.join(self.kinds)}.")
        if self.description:
            parts.append(self.description)
        if self.choices and self.choices_name not in ("countries", "currencies", "Sector"):
            parts.append(f"One of: {', '.join(self.choices)}.")
        elif self.choices:
            parts.append(f"Codes: see the {self.choices_name} column of sheet Lists.")
        text = " ".join(parts)
        if limit is not None and len(text) > limit:
            text = text[: limit - 1] + "…"
        return text


def _enum_of(column: Column) -> type[Enum] | None:
    tp = column.type
    return tp if isinstance(tp, type) and issubclass(tp, Enum) else None


def _field_description(models: Sequence[type[BaseModel]], dotted: str) -> str:
    parts = dotted.replace(".{i}", "").split(".")
    for model in models:
        current: Any = model
        info = None
        for part in parts:
            fields = getattr(current, "model_fields", {})
            info = fields.get(part)
            if info is None:
                break
            current = _inner_model(info.annotation)
        if info is not None and info.description:
            return str(info.description)
    return ""


def _lower_bound(models: Sequence[type[BaseModel]], dotted: str) -> tuple[str, float] | None:
    """The lower bound every model that has field ``dotted`` puts on it (the loosest when
    they differ), from pydantic's field constraints; ``None`` when any of them has none."""
    import annotated_types

    parts = dotted.replace(".{i}", "").split(".")
    bounds: list[tuple[str, float]] = []
    for model in models:
        current: Any = model
        info = None
        for part in parts:
            info = getattr(current, "model_fields", {}).get(part)
            if info is None:
                break
            current = _inner_model(info.annotation)
        if info is None:
            continue
        found: tuple[str, float] | None = None
        for meta in [*info.metadata, *_annotated_metadata(info.annotation)]:
            if isinstance(meta, annotated_types.Gt):
                found = (">", float(meta.gt))  # type: ignore[arg-type]
            elif isinstance(meta, annotated_types.Ge):
                found = (">=", float(meta.ge))  # type: ignore[arg-type]
        if found is None:
            return None
        bounds.append(found)
    if not bounds:
        return None
    return min(bounds, key=lambda b: (b[1], b[0] == ">"))


def _annotated_metadata(annotation: Any) -> list[Any]:
    """Metadata of ``Annotated[...]`` types inside ``annotation`` (``PositiveFloat | None``)."""
    import typing

    found: list[Any] = []
    stack = [annotation]
    while stack:
        tp = stack.pop()
        if typing.get_origin(tp) is typing.Annotated:
            found.extend(tp.__metadata__)
            stack.append(typing.get_args(tp)[0])
        else:
            stack.extend(typing.get_args(tp))
    return found


def _inner_model(annotation: Any) -> Any:
    import typing

    stack = [annotation]
    while stack:
        tp = stack.pop()
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp
        stack.extend(typing.get_args(tp))
    return None


def _choices(name: str, column: Column) -> tuple[tuple[str, ...], str]:
    base = name.split(".")[-1]
    if base in COUNTRY_COLUMNS or name in COUNTRY_COLUMNS:
        return tuple(sorted(country_codes())), "countries"
    if base in CURRENCY_COLUMNS:
        return tuple(sorted(currency_codes())), "currencies"
    if name == "kind":
        return tuple(evidence_kinds()), "kind"
    if base in SECTOR_COLUMNS:
        return default_sector_vocabulary().codes(), "Sector"
    if column.type is bool:
        return ("true", "false"), "true_false"
    enum = _enum_of(column)
    if enum is not None:
        return tuple(str(m.value) for m in enum), enum.__name__
    return (), ""


def _ordered(names: list[str]) -> list[str]:
    """Indexed source columns last, in slot order (as the CSV writer does)."""
    return [n for n in names if not n.startswith("sources.")] + [
        n for n in names if n.startswith("sources.")
    ]


def company_columns(slots: int = SOURCE_SLOTS) -> list[TemplateColumn]:
    """The template columns of the Companies sheet."""
    by_name = {c.name: c for c in columns(Company)}
    out = []
    for name in _ordered(expand(columns(Company), slots)):
        col = by_name.get(name) or by_name[_generic(name)]
        choices, choices_name = _choices(name, col)
        out.append(
            TemplateColumn(
                name,
                col,
                "yes" if col.required else "no",
                (),
                choices,
                choices_name,
                _field_description([Company], col.name),
                _lower_bound([Company], col.name),
            )
        )
    return out


def evidence_columns(slots: int = SOURCE_SLOTS) -> list[TemplateColumn]:
    """The template columns of the Evidence sheet: shared fields, then each kind's own
    fields in registration order, then the indexed source columns."""
    kinds = evidence_kinds()
    users: dict[str, list[str]] = {}
    required_in: dict[str, list[str]] = {}
    first: dict[str, Column] = {}
    for kind, model in kinds.items():
        for col in columns(model):
            users.setdefault(col.name, []).append(kind)
            first.setdefault(col.name, col)
            if col.required:
                required_in.setdefault(col.name, []).append(kind)
    names = _ordered(expand(list(first.values()), slots))
    out = []
    models: list[type[BaseModel]] = [EvidenceBase, *kinds.values()]
    for name in names:
        generic = _generic(name)
        col = first[generic]
        kinds_using = tuple(users[generic])
        req = required_in.get(generic, [])
        if generic.startswith("sources.") and not name.startswith("sources.0."):
            required = "no"  # only the first source is required
        elif len(req) == len(kinds):
            required = "yes"
        elif req:
            required = "for " + ", ".join(req)
        else:
            required = "no"
        choices, choices_name = _choices(name, col)
        out.append(
            TemplateColumn(
                name,
                col,
                required,
                kinds_using,
                choices,
                choices_name,
                _field_description(models, generic),
                _lower_bound(models, generic),
            )
        )
    return out


def _generic(name: str) -> str:
    return ".".join("{i}" if p.isdigit() else p for p in name.split("."))


# --- example rows (clearly fictional) --------------------------------------------------------

_SOURCE = {
    "url": "https://example.org/news/fictional-report",
    "title": "EXAMPLE (fictional) news report",
    "publisher": "Example News",
    "published": "2025-03-02",
    "type": "news",
}


def example_companies() -> list[Company]:
    """Two fictional companies: a parent and a subsidiary."""
    return [
        Company.model_validate(
            {
                "id": "example-holdings",
                "name": "EXAMPLE Holdings plc (fictional, delete this row)",
                "hq_country": "GB",
                "ownership": "listed",
                "sectors": ["oil-gas"],
                "identifiers": {"website": "https://example.org"},
                "sources": [{**_SOURCE, "title": "EXAMPLE annual report"}],
            }
        ),
        Company.model_validate(
            {
                "id": "example-operating",
                "name": "EXAMPLE Operating LLP (fictional, delete this row)",
                "hq_country": "KZ",
                "parent_id": "example-holdings",
                "ownership": "private",
                "sectors": ["oil-gas", "oilfield-services"],
                "host_countries": ["KZ"],
            }
        ),
    ]


#: fields every example record shares (a kind's ``example()`` may override them)
_EXAMPLE_COMMON: dict[str, Any] = {
    "company_id": "example-operating",
    "country": "KZ",
    "region": "Example Region",
    "status": "alleged",
    "reliability": "medium",
    "sources": [_SOURCE],
}


def example_evidence() -> list[EvidenceBase]:
    """One fictional, valid evidence record per registered kind, from each kind's
    ``example()`` (kinds without an example are skipped)."""
    out = []
    for kind, model in evidence_kinds().items():
        data = model.example()
        if data is not None:
            record = {"kind": kind, "id": f"example-{kind}-1", **_EXAMPLE_COMMON, **data}
            out.append(model.model_validate(record))
    return out


# --- writing ---------------------------------------------------------------------------------


def write_template(path: str | os.PathLike[str], *, examples: bool = True) -> Path:
    """Write the evidence-entry workbook to ``path`` (atomically; identical bytes every time).

    >>> write_template("evidence-template.xlsx")  # doctest: +SKIP
    """
    import xlsxwriter

    target = Path(path)
    with atomic_path(target) as tmp:
        workbook = xlsxwriter.Workbook(
            str(tmp), {"in_memory": True, "strings_to_numbers": False, "strings_to_urls": False}
        )
        workbook.set_properties(
            {
                "title": "bhrscore evidence-entry template",
                "author": "bhrscore",
                "comments": "Fill in Companies and Evidence; row 1 is the header.",
                "created": TEMPLATE_CREATED,
            }
        )
        fmts = _formats(workbook)
        comp_cols = company_columns()
        ev_cols = evidence_columns()
        lists = _lists(comp_cols + ev_cols)
        comp_rows = [flatten(c.model_dump(mode="json")) for c in example_companies()]
        ev_rows = [flatten(e.model_dump(mode="json")) for e in example_evidence()]
        _data_sheet(workbook, fmts, "Companies", comp_cols, comp_rows if examples else [], lists)
        _data_sheet(workbook, fmts, "Evidence", ev_cols, ev_rows if examples else [], lists)
        _lists_sheet(workbook, fmts, lists)
        _help_sheet(workbook, fmts, comp_cols, ev_cols)
        workbook.close()
    return target


def _formats(workbook: Any) -> dict[str, Any]:
    return {
        "header": make_format(
            workbook, {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": False}
        ),
        "required": make_format(workbook, {"bold": True, "bg_color": "#FCE4D6", "border": 1}),
        "text": make_format(workbook, {}),
        "date": make_format(workbook, {"num_format": "yyyy-mm-dd"}),
        "number": make_format(workbook, {"num_format": "General"}),
        "title": make_format(workbook, {"bold": True, "font_size": 14}),
        "wrap": make_format(workbook, {"text_wrap": True, "valign": "top"}),
    }


def _lists(cols: Iterable[TemplateColumn]) -> dict[str, tuple[str, ...]]:
    lists: dict[str, tuple[str, ...]] = {}
    for col in cols:
        if col.choices:
            lists.setdefault(col.choices_name, col.choices)
    return lists


def _list_ref(lists: dict[str, tuple[str, ...]], name: str) -> str:
    from xlsxwriter.utility import xl_col_to_name

    index = list(lists).index(name)
    letter = xl_col_to_name(index)
    return f"=Lists!${letter}$2:${letter}${len(lists[name]) + 1}"


def _data_sheet(
    workbook: Any,
    fmts: dict[str, Any],
    name: str,
    cols: Sequence[TemplateColumn],
    rows: Sequence[dict[str, Any]],
    lists: dict[str, tuple[str, ...]],
) -> None:
    ws = workbook.add_worksheet(name)
    out = SheetWriter(workbook, ws)
    ws.freeze_panes(1, 2)
    last = ENTRY_ROWS
    for j, col in enumerate(cols):
        fmt = fmts["required"] if col.required == "yes" else fmts["header"]
        out.text(0, j, col.name, fmt)
        ws.write_comment(
            0,
            j,
            f"{col.name}\n{col.hint()}",
            {"x_scale": 2.5, "y_scale": 2.5, "author": "bhrscore"},
        )
        longest = max((len(str(r.get(col.name, ""))) for r in rows), default=0)
        width = max(12, min(40, max(len(col.name), longest) + 2))
        if col.name in ("summary", "company_response.summary", "group.description", "notes"):
            width = 60
        ws.set_column(j, j, width)
        ws.data_validation(1, j, last, j, _validation(col, lists))
    for i, row in enumerate(rows, start=1):
        for j, col in enumerate(cols):
            value = row.get(col.name)
            if value is None:
                continue
            _write_value(out, fmts, i, j, col, value)
    ws.autofilter(0, 0, max(len(rows), 1), len(cols) - 1)


def _validation(col: TemplateColumn, lists: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    title = col.name if len(col.name) <= 32 else col.name[:31] + "…"
    message = col.hint(limit=255)
    base: dict[str, Any] = {"input_title": title, "input_message": message}
    tp = col.column.type
    if col.choices and col.column.shape == "scalar":
        return {
            **base,
            "validate": "list",
            "source": _list_ref(lists, col.choices_name),
            "error_title": "Not in the list",
            "error_message": f"Choose a value from the list ({col.choices_name}).",
        }
    if col.column.shape == "scalar" and tp is dt.date:
        return {
            **base,
            "validate": "date",
            "criteria": "between",
            "minimum": dt.date(1900, 1, 1),
            "maximum": dt.date(2199, 12, 31),
            "error_title": "Not a date",
            "error_message": "Enter a date as YYYY-MM-DD.",
        }
    if col.column.shape == "scalar" and tp in (int, float):
        whole = tp is int
        rule: dict[str, Any] = {
            **base,
            "validate": "integer" if whole else "decimal",
            "error_title": "Not a whole number" if whole else "Not a number",
        }
        noun = "a whole number" if whole else "a number"
        if col.minimum is None:  # any number (Excel needs a range)
            limit = 2_147_483_647 if whole else 1e300
            return {
                **rule,
                "criteria": "between",
                "minimum": -limit,
                "maximum": limit,
                "error_message": f"Enter {noun}.",
            }
        op, value = col.minimum
        shown = f"{value:g}"
        return {
            **rule,
            "criteria": op,
            "value": int(value) if whole else value,
            "error_message": (
                f"Enter {noun} greater than {shown}."
                if op == ">"
                else f"Enter {noun} ({shown} or more)."
            ),
        }
    return {**base, "validate": "any"}


def _write_value(
    out: SheetWriter, fmts: dict[str, Any], row: int, col: int, spec: TemplateColumn, value: Any
) -> None:
    tp = spec.column.type
    if spec.column.shape == "scalar" and tp is dt.date and isinstance(value, str):
        out.date(row, col, dt.date.fromisoformat(value), fmts["date"])
    elif isinstance(value, bool):
        out.text(row, col, "true" if value else "false", fmts["text"])
    elif isinstance(value, int | float):
        out.number(row, col, value, fmts["number"])
    else:
        out.text(row, col, value, fmts["text"])


def _lists_sheet(workbook: Any, fmts: dict[str, Any], lists: dict[str, tuple[str, ...]]) -> None:
    ws = workbook.add_worksheet("Lists")
    out = SheetWriter(workbook, ws)
    ws.freeze_panes(1, 0)
    for j, (name, values) in enumerate(lists.items()):
        out.text(0, j, name, fmts["header"])
        ws.set_column(j, j, max(14, min(28, max(len(v) for v in values) + 2)))
        for i, value in enumerate(values, start=1):
            out.text(i, j, value, fmts["text"])


def _help_sheet(
    workbook: Any,
    fmts: dict[str, Any],
    comp_cols: Sequence[TemplateColumn],
    ev_cols: Sequence[TemplateColumn],
) -> None:
    ws = workbook.add_worksheet("Help")
    out = SheetWriter(workbook, ws)
    lines = [
        "bhrscore evidence-entry template",
        "Fill in one company per row on Companies and one piece of evidence per row on Evidence.",
        "Row 1 is the header: do not rename, move or delete header cells. Leave a cell empty "
        "when the value is not known.",
        "The example rows are fictional (example.org): delete them before use.",
        "Columns: 'kind' selects which of the kind-specific columns apply; the comment on each "
        "header and the message shown when you select a cell say what goes in it.",
        f"Lists of values (topics, sectors, ...) go in one cell, separated by {LIST_DELIMITER}.",
        "Sources: sources.0.* is the first source (url and title required), sources.1.* the "
        "second; add sources.2.url etc. as extra columns for more.",
        "Check the file with: bhrscore validate <this file>.",
        "Personal data: list named persons in 'persons' and mark the record 'sensitive' so "
        "that briefings redact them.",
    ]
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 30)
    ws.set_column(2, 2, 16)
    ws.set_column(3, 3, 100)
    out.text(0, 0, lines[0], fmts["title"])
    for i, line in enumerate(lines[1:], start=1):
        out.text(i, 0, line)
    start = len(lines) + 1
    for j, head in enumerate(("sheet", "column", "required", "hint")):
        out.text(start, j, head, fmts["header"])
    r = start + 1
    for sheet, cols in (("Companies", comp_cols), ("Evidence", ev_cols)):
        for col in cols:
            out.text(r, 0, sheet)
            out.text(r, 1, col.name)
            out.text(r, 2, col.required)
            out.text(r, 3, col.hint(), fmts["wrap"])
            r += 1
