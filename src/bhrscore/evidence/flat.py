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


@dataclass(frozen=True, slots=True)
class RowPlan:
    """How to turn the cells of one header into nested records, worked out once per file."""

    fields: tuple[tuple[int, tuple[str, ...], bool], ...]  # (cell index, path, is a list)
    indexed: tuple[tuple[str, ...], ...]  # paths whose children are list indices
    by_index: dict[int, tuple[tuple[str, ...], bool]]

    @classmethod
    def for_header(cls, header: list[str | None], list_columns: frozenset[str]) -> RowPlan:
        fields = []
        indexed: set[tuple[str, ...]] = set()
        for i, name in enumerate(header):
            if not name:
                continue
            parts = tuple(name.split("."))
            fields.append((i, parts, template_name(name) in list_columns))
            for depth, part in enumerate(parts):
                if part.isdigit():
                    indexed.add(parts[:depth])
        # deepest first, so inner lists are built before the lists that contain them
        return cls(
            tuple(fields),
            tuple(sorted(indexed, key=len, reverse=True)),
            {i: (parts, is_list) for i, parts, is_list in fields},
        )

    def nest(self, cells: list[Any]) -> dict[str, Any]:
        """Cells -> nested dict: empty cells dropped, text stripped, list cells split on
        ``|``, indexed columns gathered into lists in index order."""
        nested: dict[str, Any] = {}
        by_index = self.by_index
        for i, value in enumerate(cells):
            if value is None or value == "":  # most cells of a wide table are empty
                continue
            spec = by_index.get(i)
            if spec is None:
                continue
            parts, is_list = spec
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
                if is_list:
                    value = [v.strip() for v in value.split(LIST_DELIMITER) if v.strip()]
            node = nested
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        for path in self.indexed:
            _index_to_list(nested, path)
        return nested


def _index_to_list(node: Any, path: tuple[str, ...]) -> None:
    if not path:
        return
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) and not key.isdigit() else None
        if node is None:
            return
    last = path[-1]
    if isinstance(node, dict) and isinstance(node.get(last), dict):
        items = node[last]
        if all(k.isdigit() for k in items):
            node[last] = [items[k] for k in sorted(items, key=int)]


def unflatten(row: Mapping[str, Any], list_columns: frozenset[str]) -> dict[str, Any]:
    """Flat ``{column: value}`` -> nested dict for the models (see :class:`RowPlan`)."""
    header = list(row)
    return RowPlan.for_header(list(header), list_columns).nest(list(row.values()))
