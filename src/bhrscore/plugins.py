"""Plug-ins from installed packages, through the ``bhrscore.plugins`` entry-point group.

A package extends bhrscore without anyone editing bhrscore: it declares, in its
``pyproject.toml``::

    [project.entry-points."bhrscore.plugins"]
    harassment = "example_plugin"            # a module: importing it registers things
    # or  harassment = "example_plugin:register"   # a callable, called with no arguments

and the module registers what it brings with the usual decorators (``@evidence_kind``,
``@rule_type``, ``@scale_type``, ``@aggregate``, ``@node_aggregation``, ``@briefing_sheet``,
``@importer``). See ``docs/plugins.md`` and ``examples/plugin-example/``.

Discovery happens once per process and lazily: on the first use of any registry (see
:class:`bhrscore.registry.Registry`), so the library, the CLI and the pytest plugin all see the
same plug-ins, and ``import bhrscore`` stays cheap. A plug-in that fails to import or to
register gives a :class:`PluginWarning` naming it and is skipped; it never stops bhrscore. Set
the environment variable ``BHRSCORE_NO_PLUGINS=1`` to load none.

The older ``bhrscore.importers`` group (importers only) keeps working through
:func:`load_entry`, with the same warnings.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
import types
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

#: the entry-point group of bhrscore plug-ins
ENTRY_POINT_GROUP = "bhrscore.plugins"
#: set (to anything but "" or "0") to load no plug-ins
DISABLE_VARIABLE = "BHRSCORE_NO_PLUGINS"


class PluginWarning(UserWarning):
    """A plug-in could not be loaded (it is skipped; the message names it and says why)."""


@dataclass(frozen=True)
class PluginStatus:
    """What happened to one entry point: ``ok``, or the ``error`` it raised."""

    name: str
    value: str
    group: str
    ok: bool
    error: str | None = None


_state: dict[str, Any] = {"loaded": False, "statuses": ()}


def load_entry(entry: EntryPoint, group: str, *, call: bool = True) -> PluginStatus:
    """Load one entry point; a callable it names is called with no arguments when ``call``.
    Any exception becomes a :class:`PluginWarning` and a failed status (never a traceback)."""
    name = getattr(entry, "name", "?")
    value = getattr(entry, "value", "?")
    try:
        loaded = entry.load()
        if call and callable(loaded) and not isinstance(loaded, types.ModuleType | type):
            loaded()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        warnings.warn(
            f"bhrscore plug-in {name!r} ({value}, entry point group {group}) was not loaded: "
            f"{error}",
            PluginWarning,
            stacklevel=2,
        )
        return PluginStatus(name, value, group, False, error)
    return PluginStatus(name, value, group, True)


def entry_points(group: str) -> Sequence[EntryPoint]:
    """The entry points of ``group`` in the installed distributions
    (:func:`importlib.metadata.entry_points`). When no installed distribution's
    ``entry_points.txt`` names the group (:func:`may_declare`), the answer is known to be
    empty without the full scan: importing :mod:`importlib.metadata` and reading every
    distribution took 15-20 ms of each command's start, with no plug-in installed."""
    if not may_declare(group):
        return ()
    from importlib.metadata import entry_points as installed

    return installed(group=group)


def may_declare(group: str) -> bool:
    """False only when no distribution :mod:`importlib.metadata` can find declares entry
    points of ``group``: it finds them (with Python's own finder) in ``*.dist-info`` and
    ``*.egg-info`` directories of the ``sys.path`` directories, and a declaration names the
    group in the directory's ``entry_points.txt``. Anything else (another finder that lists
    distributions, a zip file or an ``.egg`` on ``sys.path``, a file that names the group)
    answers True: then the full scan decides."""
    for finder in sys.meta_path:
        if finder is not importlib.machinery.PathFinder and hasattr(finder, "find_distributions"):
            return True
    needle = group.encode("utf-8")
    for entry in sys.path:
        if not isinstance(entry, str) or os.path.basename(entry).lower().endswith(".egg"):
            return True
        try:
            names = os.listdir(entry or ".")
        except NotADirectoryError:  # a zip file
            return True
        except OSError:  # missing or unreadable: importlib.metadata finds nothing there either
            continue
        for name in names:
            if not name.lower().endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(entry or ".", name, "entry_points.txt"), "rb") as file:
                    if needle in file.read():
                        return True
            except OSError:  # no entry points (or an .egg-info file): none declared
                continue
    return False


def skip_empty_pydantic_plugin_scan() -> bool:
    """Before bhrscore builds its first pydantic model: when no installed distribution declares
    pydantic plug-ins (entry-point group ``pydantic``, :func:`may_declare`), give pydantic the
    answer its own scan would find, none, so that it does not read every distribution's
    metadata while building that model (about 7 ms of each command's start). Nothing changes
    when pydantic has looked already, is looking, or a distribution may declare plug-ins (its
    scan then runs as usual). Returns whether the scan was skipped."""
    try:
        from pydantic.plugin import _loader
    except ImportError:
        return False
    if getattr(_loader, "_plugins", False) is not None or getattr(
        _loader, "_loading_plugins", True
    ):
        return False
    if may_declare(getattr(_loader, "PYDANTIC_ENTRY_POINT_GROUP", "pydantic")):
        return False
    _loader._plugins = {}
    return True


def _disabled() -> bool:
    return os.environ.get(DISABLE_VARIABLE, "") not in ("", "0")


def load_plugins() -> tuple[PluginStatus, ...]:
    """Load every ``bhrscore.plugins`` entry point, once per process, and say what happened
    to each (later calls return the first call's statuses; the registries call this
    themselves, so users need it only to list the plug-ins). The built-in evidence kinds are
    registered first, so plug-in kinds always follow them."""
    if _state["loaded"]:
        statuses: tuple[PluginStatus, ...] = _state["statuses"]
        return statuses
    _state["loaded"] = True  # before loading: a plug-in that uses a registry must not recurse
    if _disabled():
        return ()
    from .evidence import kinds  # noqa: F401  (built-in kinds keep their places)

    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
    result = tuple(load_entry(entry, ENTRY_POINT_GROUP) for entry in found)
    _state["statuses"] = result
    return result


def ensure_plugins() -> None:
    """Load the plug-ins unless that has happened (cheap after the first call; the registries
    call it on every lookup)."""
    if not _state["loaded"]:
        load_plugins()
