"""Exports: the investor briefing workbook (a package of registered sheets), the
evidence-entry template, safe cells and (in :mod:`.tables`) score-card tables as CSV, Parquet
and JSON."""

from .briefing import (
    SHEET_NAMES,
    BriefingInputs,
    BriefingResult,
    SheetEntry,
    briefing_sheet,
    companion_path,
    prepare_briefing,
    write_briefing,
)
from .template import write_template

__all__ = [
    "SHEET_NAMES",
    "BriefingInputs",
    "BriefingResult",
    "SheetEntry",
    "briefing_sheet",
    "companion_path",
    "prepare_briefing",
    "write_briefing",
    "write_template",
]
