"""Prepare the briefing's sheets from :class:`.BriefingInputs` and write the workbook (and,
when the evidence trail does not fit, its companion file) atomically."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ...io import atomic_paths, scratch_dir
from ...match import check_card
from ..book import BookWriter, Sheet
from ..tables import write_table_file
from .inputs import BriefingInputs, Comparisons, settle
from .registry import SheetEntry, resolve_sheets
from .trail import EVIDENCE_ROW_CAP, companion_frame

if TYPE_CHECKING:
    from ...evidence.evidence_set import EvidenceSet
    from ...evidence.frame import Frames
    from ...evidence.report import ValidationReport
    from ...rubric.scorecard import ScoreCard

OverflowFormat = Literal["csv", "parquet"]
SheetChoice = Sequence[str | SheetEntry]


@dataclass(frozen=True)
class BriefingResult:
    """What :func:`write_briefing` wrote."""

    path: Path
    sheets: tuple[str, ...]
    companion: Path | None = None
    evidence_rows: int = 0  # evidence records on the Evidence sheet
    evidence_total: int = 0  # evidence records given
    redacted_records: int = 0  # evidence records in which names were redacted
    redacted_cells: int = 0  # cells in which names were redacted (evidence and findings)
    redacted_urls: int = 0  # links carrying a name, shown as domain and title
    redacted_ids: int = 0  # evidence ids carrying a name, replaced by opaque ids
    links_as_text: dict[str, int] = field(default_factory=dict)


@dataclass
class Briefing:
    """The prepared workbook: sheets, plus the full evidence trail when it overflows."""

    sheets: list[Sheet]
    properties: dict[str, str]
    created: dt.datetime
    overflow: pd.DataFrame | None = None
    evidence_rows: int = 0
    evidence_total: int = 0
    redacted_records: int = 0
    redacted_cells: int = 0
    redacted_urls: int = 0
    redacted_ids: int = 0
    inputs: BriefingInputs | None = None


def write_briefing(
    scorecard: ScoreCard,
    path: str | os.PathLike[str],
    *,
    comparisons: Comparisons | Future[Comparisons] | None = None,
    evidence: EvidenceSet | Frames | pd.DataFrame | None = None,
    report: ValidationReport | None = None,
    include_personal_data: bool = False,
    origin_groups: Any = None,
    evidence_row_limit: int | None = EVIDENCE_ROW_CAP,
    overflow_format: OverflowFormat = "csv",
    sheets: SheetChoice | None = None,
    trend: pd.DataFrame | None = None,
) -> BriefingResult:
    """Write the investor briefing for ``scorecard`` to ``path`` (.xlsx).

    ``comparisons``: results of :func:`bhrscore.analysis.compare.compare` (by
    ``origin_group`` and/or ``sector``), shown with their intervals and warnings on the By
    origin and By sector sheets; without them those sheets show descriptive statistics.
    They may be given as a :class:`~concurrent.futures.Future` (e.g. ``compare`` submitted to
    a thread pool): the sheets that do not show them are built and written while they are
    computed, and the future is waited for (its error raised) before the workbook is
    finished, even when no sheet shows them.
    ``evidence``: the evidence set (or its frames, or the evidence frame) for the Evidence
    trail and the counts on Data quality; ``report``: the validation report (taken from
    ``evidence.report`` when not given). Names in ``persons`` of sensitive evidence are
    redacted wherever they appear in the evidence text shown (the trail's summary, source
    title and group description, persons lists, validation findings) unless
    ``include_personal_data``. ``evidence_row_limit`` caps the rows of the Evidence sheet
    (default :data:`EVIDENCE_ROW_CAP`, 10,000, chosen by how long the workbook takes to open;
    ``None``: what a sheet holds); when records are left out, all of them go to a companion
    ``<name>.evidence.csv`` (or ``.parquet``) beside the workbook, with the same ids, and the
    Summary, Companies, Evidence and Method sheets link to it.

    ``sheets``: which sheets to write, in which order: sheet names (the built-ins are
    :data:`SHEET_NAMES`; plug-ins register more with :func:`briefing_sheet`) and/or
    :class:`SheetEntry` objects; default all registered sheets by their ``order``. An unknown
    name is a ``ValueError`` listing the known ones.

    ``trend``: scores at several as-of dates (the frame of
    :func:`bhrscore.rubric.trend.trend`), whose last date is ``scorecard``'s as-of date
    (else ``ValueError``); it adds the Trend sheet after Summary. Without it there is no
    Trend sheet.

    The workbook and the companion are written atomically (temporary file, then rename): a
    failure leaves no file at ``path``.

    ``evidence`` given as an ``EvidenceSet`` or ``Frames`` must be what ``scorecard`` was
    scored from (same content hash), else :class:`~bhrscore.match.MismatchError`.

    >>> write_briefing(card, "out/briefing.xlsx", evidence=ev)  # doctest: +SKIP
    """
    check_card(scorecard, what="write_briefing", evidence=evidence)
    target = Path(path)
    if overflow_format not in ("csv", "parquet"):
        raise ValueError(f"overflow_format must be 'csv' or 'parquet', not {overflow_format!r}")
    entries = resolve_sheets(sheets)
    inputs = BriefingInputs.build(
        scorecard,
        comparisons=comparisons,
        evidence=evidence,
        report=report,
        include_personal_data=include_personal_data,
        origin_groups=origin_groups,
        evidence_row_limit=evidence_row_limit,
        companion_name=companion_path(target, overflow_format).name,
        trend=trend,
    )
    overflow = _overflow(inputs)
    companion = None if overflow is None else companion_path(target, overflow_format)
    # The companion is renamed into place first, before the workbook that names it. It is
    # written on a thread while the sheets are built and written (pyarrow joins and encodes
    # its text outside the GIL); leaving the pool waits for it, also when the workbook
    # fails, so no temporary file is removed while it is being written. Each sheet is
    # written as soon as it is built: those that show comparisons come last, so the others
    # are written while the comparisons are still computed.
    with (
        atomic_paths([p for p in (companion, target) if p is not None]) as temps,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        side = None
        if overflow is not None:
            side = pool.submit(write_table_file, overflow, temps[0], overflow_format)
        del overflow  # the thread holds it while it writes
        with (
            scratch_dir(target) as scratch,
            BookWriter(
                temps[-1], created=_created(inputs), properties=_properties(inputs), tmpdir=scratch
            ) as book,
        ):
            built = build_sheets(inputs, entries, each=book.add)
            settle(inputs.comparisons)
            result = _result(target, inputs, built, companion)
            # Nothing more is read from the inputs: letting them go before XlsxWriter
            # assembles the file frees the redacted trail (a third of the peak memory at a
            # million records) unless the caller holds it.
            del inputs
            if side is not None:
                side.result()  # its error, if any, is raised here
            stats = book.close(built)
    _remove_stale_companions(target, keep=companion)
    return dataclasses.replace(result, links_as_text=stats.links_as_text)


def _result(
    target: Path, inputs: BriefingInputs, sheets: list[Sheet], companion: Path | None
) -> BriefingResult:
    return BriefingResult(
        path=target, sheets=tuple(s.name for s in sheets), companion=companion, **_counts(inputs)
    )


#: the evidence and redaction counts a briefing reports (fields of BriefingInputs, Briefing
#: and BriefingResult alike)
_COUNTS = (
    "evidence_rows",
    "evidence_total",
    "redacted_records",
    "redacted_cells",
    "redacted_urls",
    "redacted_ids",
)


def _counts(inputs: BriefingInputs) -> dict[str, Any]:
    return {name: getattr(inputs, name) for name in _COUNTS}


def companion_path(path: Path, fmt: OverflowFormat = "csv") -> Path:
    """``briefing.xlsx`` -> ``briefing.evidence.csv`` (or ``.parquet``)."""
    return path.with_name(f"{path.stem}.evidence.{fmt}")


def _remove_stale_companions(path: Path, keep: Path | None) -> None:
    """After a successful write: remove companion files of ``path`` from earlier runs (the
    other format, or both when this run had no overflow), so no outdated evidence, possibly
    with names an earlier run did not redact, is left beside the new workbook."""
    for fmt in ("csv", "parquet"):
        old = companion_path(path, fmt)
        if old != keep:
            old.unlink(missing_ok=True)


def prepare_briefing(
    scorecard: ScoreCard,
    *,
    comparisons: Comparisons | Future[Comparisons] | None = None,
    evidence: EvidenceSet | Frames | pd.DataFrame | None = None,
    report: ValidationReport | None = None,
    include_personal_data: bool = False,
    origin_groups: Any = None,
    evidence_row_limit: int | None = EVIDENCE_ROW_CAP,
    companion_name: str = "briefing.evidence.csv",
    sheets: SheetChoice | None = None,
    trend: pd.DataFrame | None = None,
) -> Briefing:
    """Build the sheets of the briefing (no file is written)."""
    entries = resolve_sheets(sheets)
    inputs = BriefingInputs.build(
        scorecard,
        comparisons=comparisons,
        evidence=evidence,
        report=report,
        include_personal_data=include_personal_data,
        origin_groups=origin_groups,
        evidence_row_limit=evidence_row_limit,
        companion_name=companion_name,
        trend=trend,
    )
    built = build_sheets(inputs, entries)
    settle(inputs.comparisons)
    return _briefing(inputs, built, _overflow(inputs))


def _overflow(inputs: BriefingInputs) -> pd.DataFrame | None:
    """The companion file's frame when the trail does not fit the Evidence sheet."""
    if inputs.overflow and inputs.trail is not None:
        return companion_frame(inputs.trail)
    return None


def _created(inputs: BriefingInputs) -> dt.datetime:
    """The workbook's creation time: midnight of the as-of date (no hidden clock)."""
    return dt.datetime.combine(inputs.card.meta.as_of, dt.time(0, 0))


def _briefing(
    inputs: BriefingInputs, sheets: list[Sheet], overflow: pd.DataFrame | None
) -> Briefing:
    return Briefing(
        sheets=sheets,
        properties=_properties(inputs),
        created=_created(inputs),
        overflow=overflow,
        inputs=inputs,
        **_counts(inputs),
    )


def build_sheets(
    inputs: BriefingInputs,
    entries: Sequence[SheetEntry],
    *,
    each: Callable[[Sheet], None] | None = None,
) -> list[Sheet]:
    """Build each entry's sheet (a builder returning ``None`` has nothing to show: its sheet
    is left out); a chart whose data sheet is not in the workbook is left out. Sheets that
    use the comparisons are built last (they may still be computed), kept in entry order.
    ``each`` is called with every sheet as soon as it is built (e.g. to write it)."""
    sheets: dict[int, Sheet | None] = {}
    for i in sorted(range(len(entries)), key=lambda i: entries[i].uses_comparisons):
        sheet = _checked(entries[i], entries[i].build(inputs))
        sheets[i] = sheet
        if sheet is not None and each is not None:
            each(sheet)
    built = [sheet for _, sheet in sorted(sheets.items()) if sheet is not None]
    if not built:
        names = ", ".join(e.name for e in entries)
        raise ValueError(f"the sheets chosen ({names}) have nothing to show")
    return [
        s
        if s.chart is None or s.chart.source(built) is not None
        else dataclasses.replace(s, chart=None)
        for s in built
    ]


def _checked(entry: SheetEntry, sheet: object) -> Sheet | None:
    """A builder's result: a :class:`Sheet` named as its entry, or ``None``."""
    if sheet is None:
        return None
    if not isinstance(sheet, Sheet):
        raise TypeError(
            f"briefing sheet {entry.name!r}: build returned {type(sheet).__name__}, not Sheet"
        )
    return sheet if sheet.name == entry.name else dataclasses.replace(sheet, name=entry.name)


def _properties(inputs: BriefingInputs) -> dict[str, str]:
    """Document properties, named after the rubric."""
    meta = inputs.card.meta
    return {
        "title": f"Investor briefing: {inputs.rubric_title}",
        "subject": f"{inputs.rubric_title} ({meta.rubric_id} {meta.rubric_version}): scores "
        f"as of {meta.as_of.isoformat()}",
        "author": "bhrscore",
        "company": "",
        "keywords": f"bhrscore, {meta.rubric_id}, briefing",
        "comments": (
            f"rubric {meta.rubric_id} {meta.rubric_version} ({meta.rubric_hash}); "
            f"evidence {meta.evidence_hash}; bhrscore {meta.bhrscore_version}"
        ),
    }
