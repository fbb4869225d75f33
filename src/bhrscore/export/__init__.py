"""Exports: the investor briefing workbook, the evidence-entry template, safe cells and
(in :mod:`.tables`) score-card tables as CSV, Parquet and JSON."""

from .briefing import BriefingResult, prepare_briefing, write_briefing
from .template import write_template

__all__ = ["BriefingResult", "prepare_briefing", "write_briefing", "write_template"]
