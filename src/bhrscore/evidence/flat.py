"""The flat column layout of CSV and XLSX files, derived from the models.

- Nested objects become dotted columns: ``union.status``, ``benchmark.amount``.
- Lists of objects become indexed dotted columns, counted from 0 like JSON pointers:
  ``sources.0.url``, ``sources.0.title``, ``sources.1.url`` …
- Lists of values share one cell, items separated by ``|``: ``topics = living_wage|defenders``.
- An empty cell means "not given".

The evidence sheet holds the union of all kinds' columns; a row fills the ones of its kind.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any

from pydantic import BaseModel

LIST_DELIMITER = "|"
SOURCE_SLOTS = 2  # indexed source columns written by templates and empty writers


@dataclass(frozen=True, slots=True)
class Column:
    """One flat column: its dotted name, value type and shape."""

    name: str
    type: type
    shape: typing.Literal["scalar", "list", "model_list"]
    required: bool


def _strip_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _strip_optional(args[0])
    if origin is typing.Annotated:
        return _strip_optional(typing.get_args(annotation)[0])
    return annotation


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _walk(model: type[BaseModel], prefix: str, required: bool) -> Iterator[Column]:
    for name, info in model.model_fields.items():
        tp = _strip_optional(info.annotation)
        need = required and info.is_required()
        if typing.get_origin(tp) is typing.Literal:
            yield Column(prefix + name, str, "scalar", need)
        elif _is_model(tp):
            yield from _walk(tp, f"{prefix}{name}.", need)
        elif typing.get_origin(tp) is list:
            item = _strip_optional(typing.get_args(tp)[0])
            if _is_model(item):
                # Indexed columns are open-ended; the template lists the first slots.
                for sub in _walk(item, f"{prefix}{name}.{{i}}.", need):
                    yield Column(sub.name, sub.type, "model_list", sub.required)
            else:
                yield Column(prefix + name, item, "list", False)
        else:
            yield Column(prefix + name, tp, "scalar", need)


@cache
def columns(model: type[BaseModel]) -> tuple[Column, ...]:
    """Flat columns of one model (indexed columns carry ``{i}`` in their name)."""
    return tuple(_walk(model, "", True))


def template_name(column: str) -> str:
    """``sources.3.url`` -> ``sources.{i}.url``; other names are returned unchanged."""
    parts = column.split(".")
    return ".".join("{i}" if p.isdigit() else p for p in parts)


def expand(cols: Iterable[Column], slots: int = SOURCE_SLOTS) -> list[str]:
    """Concrete column names, with ``slots`` entries for each indexed list."""
    names: list[str] = []
    for col in cols:
        if "{i}" in col.name:
            continue
        names.append(col.name)
    indexed = [c for c in cols if "{i}" in c.name]
    for i in range(slots):
        names.extend(c.name.replace("{i}", str(i)) for c in indexed)
    return names


def _cell_text(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A JSON-like dict -> flat ``{column: value}``; ``None`` values are left out."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = prefix + key
        if value is None:
            continue
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, list | tuple):
            if value and all(isinstance(v, Mapping) for v in value):
                for i, item in enumerate(value):
                    flat.update(flatten(item, f"{name}.{i}."))
            elif value:
                flat[name] = LIST_DELIMITER.join(str(_cell_text(v)) for v in value)
        else:
            flat[name] = _cell_text(value)
    return flat


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def unflatten(row: Mapping[str, Any], list_columns: frozenset[str]) -> dict[str, Any]:
    """Flat ``{column: value}`` -> nested dict for the models. Empty cells are dropped; list
    cells are split on ``|``; indexed columns are gathered into lists in index order."""
    nested: dict[str, Any] = {}
    for column, value in row.items():
        if _is_empty(value):
            continue
        if isinstance(value, str):
            value = value.strip()
        parts = column.split(".")
        if template_name(column) in list_columns and isinstance(value, str):
            value = [item.strip() for item in value.split(LIST_DELIMITER) if item.strip()]
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    result: dict[str, Any] = _lists_from_indices(nested)
    return result


def _lists_from_indices(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _lists_from_indices(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted
