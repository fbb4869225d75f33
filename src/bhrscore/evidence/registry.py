"""The evidence-kind registry: a kind is a module that subclasses ``EvidenceBase``, sets a
``kind`` literal and decorates the class with :func:`evidence_kind`. Parsing, schemas, the flat
layout and frames read the registry, so a new kind needs no edits elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TypeVar

from .model import EvidenceBase

_KINDS: dict[str, type[EvidenceBase]] = {}
E = TypeVar("E", bound=type[EvidenceBase])


def evidence_kind(name: str) -> Callable[[E], E]:
    """Register an evidence model under ``name`` (its ``kind`` value)."""

    def register(cls: E) -> E:
        if name in _KINDS and _KINDS[name] is not cls:
            raise ValueError(f"evidence kind {name!r} is already registered")
        field = cls.__pydantic_fields__.get("kind")
        if field is None or field.default != name:
            raise TypeError(f"{cls.__name__} must declare kind: Literal[{name!r}] = {name!r}")
        _KINDS[name] = cls
        return cls

    return register


def evidence_kinds() -> Mapping[str, type[EvidenceBase]]:
    """The registered kinds, by name, in registration order."""
    from . import kinds  # noqa: F401  (importing registers the built-in kinds)

    return MappingProxyType(_KINDS)
