"""The briefing's sheets are registered entries ``(name, order, build(inputs) -> Sheet)``.

The built-in sheets register themselves with :func:`briefing_sheet`; a plug-in adds one the
same way (it then appears in every briefing, placed by its ``order``), and a caller picks,
omits or reorders sheets with ``write_briefing(..., sheets=[...])`` (names and/or
:class:`SheetEntry` objects). The names of the built-in sheets are defined here and nowhere
else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...registry import Registry

if TYPE_CHECKING:
    from ..book import Sheet
    from .inputs import BriefingInputs

SUMMARY = "Summary"
TREND = "Trend"
BY_ORIGIN = "By origin"
BY_SECTOR = "By sector"
COMPANIES = "Companies"
INDICATORS = "Indicators"
EVIDENCE = "Evidence"
METHOD = "Method"
QUALITY = "Data quality"
#: the built-in sheets that every briefing has, in their default order
SHEET_NAMES = (SUMMARY, BY_ORIGIN, BY_SECTOR, COMPANIES, INDICATORS, EVIDENCE, METHOD, QUALITY)
#: built-in sheets written only when there is something to show (Trend: a trend was given,
#: placed after Summary)
OPTIONAL_SHEETS = (TREND,)

#: builds a sheet from the inputs; ``None``: nothing to show, the sheet is left out
SheetBuilder = Callable[["BriefingInputs"], "Sheet | None"]
_BAD_NAME = re.compile(r"[\[\]:*?/\\]")


def check_sheet_name(name: str) -> str:
    """``name`` when a workbook can hold it (1 to 31 characters, none of ``[]:*?/\\``, not
    starting or ending with an apostrophe, not "History"); ``ValueError`` otherwise."""
    if not isinstance(name, str) or not 1 <= len(name) <= 31:
        raise ValueError(f"sheet name {name!r} must be 1 to 31 characters")
    if _BAD_NAME.search(name) or name.startswith("'") or name.endswith("'"):
        raise ValueError(f"sheet name {name!r} may not contain []:*?/\\ or start/end with '")
    if name.casefold() == "history":
        raise ValueError("sheet name 'History' is reserved by Excel")
    return name


@dataclass(frozen=True)
class SheetEntry:
    """One sheet of the briefing: its name, its place (``order``, ascending; built-ins use
    10, 20, ... 80) and the function that builds it from the shared inputs.
    ``uses_comparisons``: the builder reads ``inputs.comparisons``; such sheets are built
    after the others, so comparisons still being computed (``write_briefing`` takes a
    :class:`~concurrent.futures.Future` of them) are waited for as late as possible. The
    workbook's sheet order is ``order`` either way."""

    name: str
    order: float
    build: SheetBuilder  # may return None: nothing to show, the sheet is left out
    uses_comparisons: bool = False

    def __post_init__(self) -> None:
        check_sheet_name(self.name)
        if not callable(self.build):
            raise TypeError(f"sheet {self.name!r}: build must be callable")


#: every registered briefing sheet, by name
BRIEFING_SHEETS: Registry[SheetEntry] = Registry("briefing sheet")


def briefing_sheet(
    name: str, *, order: float, uses_comparisons: bool = False
) -> Callable[[SheetBuilder], SheetBuilder]:
    """Decorator: register ``build(inputs) -> Sheet`` as the sheet ``name`` (declare
    ``uses_comparisons=True`` when it reads ``inputs.comparisons``: see :class:`SheetEntry`).

    >>> @briefing_sheet("Notes", order=85)  # doctest: +SKIP
    ... def notes(inputs: BriefingInputs) -> Sheet:
    ...     return Sheet("Notes", "Analyst notes", ["..."])
    """

    def add(build: SheetBuilder) -> SheetBuilder:
        BRIEFING_SHEETS.register(name)(SheetEntry(name, order, build, uses_comparisons))
        return build

    return add


def default_sheets() -> tuple[SheetEntry, ...]:
    """The registered sheets in ``order`` (ties keep registration order)."""
    entries = list(BRIEFING_SHEETS.view().values())
    return tuple(sorted(entries, key=lambda e: e.order))


def resolve_sheets(sheets: Sequence[str | SheetEntry] | None) -> tuple[SheetEntry, ...]:
    """The sheets to write: every registered sheet in order when ``sheets`` is ``None``,
    otherwise exactly the given ones in the given order (names are looked up in the registry;
    entries are used as they are). Unknown names and duplicates are a ``ValueError``."""
    if sheets is None:
        return default_sheets()
    if isinstance(sheets, str | SheetEntry):
        sheets = [sheets]
    chosen: list[SheetEntry] = []
    for item in sheets:
        if isinstance(item, SheetEntry):
            chosen.append(item)
        elif isinstance(item, str):
            if item not in BRIEFING_SHEETS:
                known = ", ".join(e.name for e in default_sheets())
                raise ValueError(f"unknown briefing sheet {item!r} (known: {known})")
            chosen.append(BRIEFING_SHEETS.lookup(item))
        else:
            raise TypeError(
                f"sheets must hold sheet names or SheetEntry objects, not {type(item).__name__}"
            )
    seen: set[str] = set()
    for entry in chosen:
        key = entry.name.casefold()  # Excel sheet names are case-insensitive
        if key in seen:
            raise ValueError(f"sheet {entry.name!r} is listed twice")
        seen.add(key)
    if not chosen:
        raise ValueError("sheets= names no sheet; a workbook needs at least one")
    return tuple(chosen)
