"""The investor briefing workbook: ``write_briefing(scorecard, path, ...)``.

A briefing is a list of registered sheets (:mod:`.registry`): Summary, By origin, By sector,
Companies, Indicators, Evidence, Method, Data quality, one module each, each built by a
function of one immutable :class:`BriefingInputs` (:mod:`.inputs`) that holds the evidence
trail already redacted (:mod:`.trail`). ``write_briefing(..., sheets=[...])`` picks, omits
or reorders sheets; a plug-in adds one with :func:`briefing_sheet`. Every text cell is
sanitised by :mod:`bhrscore.export.cells`; with ``trend=`` (scores at several as-of
dates) a Trend sheet follows Summary; the file is written atomically and the same inputs
give identical bytes (document dates come from ``as_of``).

Evidence beyond what the Evidence sheet holds is written in full to a companion file beside
the workbook (``<name>.evidence.csv`` or ``.parquet``), and the workbook says so; a
companion left by an earlier run that the new workbook does not refer to is removed.
"""

from __future__ import annotations

# the built-in sheets register themselves on import, in their default order
from . import (  # noqa: F401
    by_group,
    companies,
    evidence,
    indicators,
    method,
    quality,
    summary,
    trend,
)
from .columns import frame_table
from .inputs import BriefingInputs
from .registry import (
    BRIEFING_SHEETS,
    OPTIONAL_SHEETS,
    SHEET_NAMES,
    SheetEntry,
    briefing_sheet,
    default_sheets,
    resolve_sheets,
)
from .trail import MAX_FINDINGS, REDACTED_FIELDS, REDACTED_FINDINGS, TRAIL_COLUMNS, Trail
from .write import (
    Briefing,
    BriefingResult,
    OverflowFormat,
    build_sheets,
    companion_path,
    prepare_briefing,
    write_briefing,
)

__all__ = [
    "BRIEFING_SHEETS",
    "MAX_FINDINGS",
    "OPTIONAL_SHEETS",
    "REDACTED_FIELDS",
    "REDACTED_FINDINGS",
    "SHEET_NAMES",
    "TRAIL_COLUMNS",
    "Briefing",
    "BriefingInputs",
    "BriefingResult",
    "OverflowFormat",
    "SheetEntry",
    "Trail",
    "briefing_sheet",
    "build_sheets",
    "companion_path",
    "default_sheets",
    "frame_table",
    "prepare_briefing",
    "resolve_sheets",
    "write_briefing",
]
