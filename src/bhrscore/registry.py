"""One registry mechanism for everything users can plug in: evidence kinds, rule types, scales,
aggregates, node aggregations, briefing sheets and importers. Registering is a decorator;
lookups of unknown names fail with the known ones listed. The first lookup in any registry
loads the installed plug-ins (:mod:`bhrscore.plugins`), so their names are seen everywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Generic, TypeVar

T = TypeVar("T")


def _discover() -> None:
    """Load installed plug-ins on first use of any registry (once per process)."""
    from .plugins import ensure_plugins

    ensure_plugins()


class Registry(Generic[T]):
    """Named plug-ins of one sort.

    ``declared`` names a pydantic field each registered model must declare with the registered
    name as its default (e.g. ``kind: Literal["wage"] = "wage"``), so that files and
    registry agree.
    """

    def __init__(self, what: str, *, declared: str | None = None) -> None:
        self.what = what
        self._declared = declared
        self._items: dict[str, T] = {}
        self._version = 0

    @property
    def version(self) -> int:
        """Changes whenever an item is added or removed: caches derived from the registry
        key on it, so that a plug-in registered after first use is seen."""
        _discover()
        return self._version

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: register the decorated class or function under ``name``."""

        def add(item: T) -> T:
            if name in self._items and self._items[name] is not item:
                raise ValueError(f"{self.what} {name!r} is already registered")
            if self._declared is not None:
                field = getattr(item, "__pydantic_fields__", {}).get(self._declared)
                if field is None or field.default != name:
                    owner = getattr(item, "__name__", repr(item))
                    raise TypeError(
                        f"{owner} must declare {self._declared}: Literal[{name!r}] = {name!r}"
                    )
            if self._items.get(name) is not item:
                self._items[name] = item
                self._version += 1
            return item

        return add

    def unregister(self, name: str) -> None:
        """Remove ``name`` (for tests and for plug-ins that replace a built-in)."""
        if self._items.pop(name, None) is not None:
            self._version += 1

    def view(self) -> Mapping[str, T]:
        """A read-only view, in registration order."""
        _discover()
        return MappingProxyType(self._items)

    def unknown(self, name: object) -> str:
        """The message for a name that is not registered."""
        _discover()
        return f"unknown {self.what} {name!r} (known: {', '.join(self._items)})"

    def lookup(self, name: object) -> T:
        """The item registered as ``name``; ``ValueError`` listing the known names if none."""
        _discover()
        item = self._items.get(name) if isinstance(name, str) else None
        if item is None:
            raise ValueError(self.unknown(name))
        return item

    def __contains__(self, name: object) -> bool:
        _discover()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        _discover()
        return iter(self._items)
