"""The evidence-kind registry: a kind is a module that subclasses ``EvidenceBase``, sets a
``kind`` literal and decorates the class with :func:`evidence_kind`. Parsing, schemas, the flat
layout and frames read the registry, so a new kind needs no edits elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from ..registry import Registry
from .model import EvidenceBase

KINDS: Registry[type[EvidenceBase]] = Registry("evidence kind", declared="kind")
E = TypeVar("E", bound=type[EvidenceBase])


def evidence_kind(name: str) -> Callable[[E], E]:
    """Register an evidence model under ``name`` (its ``kind`` value)."""
    return KINDS.register(name)  # type: ignore[return-value]


def evidence_kinds() -> Mapping[str, type[EvidenceBase]]:
    """The registered kinds, by name, in registration order."""
    from . import kinds  # noqa: F401  (importing registers the built-in kinds)

    return KINDS.view()


def kinds_version() -> int:
    """Changes whenever a kind is registered or removed (caches key on it)."""
    evidence_kinds()
    return KINDS.version
