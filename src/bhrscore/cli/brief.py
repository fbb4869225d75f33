"""``bhrscore brief BUNDLE --rubric R --as-of D --out briefing.xlsx``: score the bundle, compare
by origin group and sector, and write the investor briefing workbook. ``--as-of D1,D2,...``
scores at every date too and adds a Trend sheet; the other sheets show the last date."""

from __future__ import annotations

import contextvars
import datetime as dt
import gc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from .common import as_of_or_today, fail, frozen_imports, output_path
from .formats import emit_csv, emit_json, format_option, note
from .inputs import RUBRIC, load_and_score, load_and_score_dates, load_rubric_option
from .progress import QUIET, steps
from .score import AS_OF_DATES, warn_after_as_of


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="BUNDLE...")
@RUBRIC
@AS_OF_DATES
@click.option(
    "--out",
    "out",
    default="briefing.xlsx",
    show_default=True,
    metavar="FILE.xlsx",
    help="Workbook to write (replaced atomically).",
)
@click.option(
    "--include-personal-data",
    is_flag=True,
    help="Show names of persons in sensitive evidence (redacted by default).",
)
@click.option(
    "--origin-groups",
    "origin_groups",
    metavar="FILE",
    default=None,
    help="Origin grouping YAML (default: the built-in grouping).",
)
@click.option(
    "--overflow",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="Format of the companion file for evidence beyond the sheet row limit.",
)
@click.option(
    "--evidence-rows",
    "evidence_rows",
    default=None,
    metavar="N|all",
    help="Records listed on the Evidence sheet (default: the row cap, 10,000, chosen by the "
    "time the workbook takes to open); beyond it every record goes to the companion file. "
    "'all': as many as a sheet holds.",
)
@format_option(help="Output: text for people; csv or json (what was written) for programs.")
@QUIET
def brief(
    paths: tuple[str, ...],
    rubric_path: str | None,
    as_of: tuple[dt.date, ...] | None,
    out: str,
    include_personal_data: bool,
    origin_groups: str | None,
    overflow: str,
    evidence_rows: str | None,
    fmt: str,
    quiet: bool,
) -> None:
    """Write the investor briefing workbook (Summary, By origin, By sector, Companies,
    Indicators, Evidence, Method, Data quality; with several --as-of dates, comma-separated,
    a Trend sheet too, and the other sheets show the last date). Exit 0 on success, 1 if the
    evidence or rubric is invalid, 2 on usage errors."""
    from ..evidence import prefetch

    prefetch.start(paths)  # the evidence is read and parsed while the rest is imported
    from ..analysis.compare import compare
    from ..analysis.origin import load_origin_groups
    from ..evidence.load import give_back_memory
    from ..evidence.sectors import bundle_sector_vocabulary
    from ..export.briefing import write_briefing
    from ..export.briefing.inputs import Comparisons
    from ..export.briefing.trail import EVIDENCE_ROW_CAP
    from ..rubric.trend import trend_frame

    row_limit = EVIDENCE_ROW_CAP if evidence_rows is None else _row_limit(evidence_rows)

    target = Path(out)
    if target.suffix.lower() != ".xlsx":
        fail(f"--out must name an .xlsx file, not {out!r}")
    output_path(target)  # a directory, a parent that is a file, a name too long, ...
    if origin_groups is not None and not Path(origin_groups).exists():
        fail(f"{origin_groups}: no such file")
    try:  # a bad grouping file is reported before the evidence is loaded
        grouping = load_origin_groups(origin_groups)
    except ValueError as exc:
        fail(str(exc), 1)
    days = as_of or (as_of_or_today(None),)
    with frozen_imports(), steps(quiet) as step:
        trend = None
        if len(days) == 1:
            evidence, _rubric, card = load_and_score(
                paths, rubric_path, days[0], step, include_personal_data=include_personal_data
            )
            cards = [card]
        else:
            step("Reading the rubric")
            rubric = load_rubric_option(rubric_path)
            evidence, frames, cards = load_and_score_dates(
                paths, rubric, days, step, include_personal_data=include_personal_data
            )
            card = cards[-1]  # the other sheets show the last date
            trend = trend_frame(cards, frames)
        gc.collect()  # the CLI collects cycles rarely (relax_gc): the loader's and engine's
        give_back_memory()
        step(f"Comparing by origin group and sector; writing {target}")
        sectors, _ = bundle_sector_vocabulary(paths)  # loading has reported its problems

        def comparisons() -> Comparisons:
            done = {
                key: compare(
                    card, by=key, origin_groups=grouping, evidence=evidence, sectors=sectors
                )
                for key in ("origin_group", "sector")
            }
            give_back_memory()  # this thread's arena, before the workbook's peak
            return done

        # the comparisons (numpy, mostly outside the GIL) run on a thread while the sheets
        # that do not show them are built; the workbook waits for them before it is written
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bhrscore-compare") as pool:
            pending = pool.submit(contextvars.copy_context().run, comparisons)
            try:
                result = write_briefing(
                    card,
                    target,
                    comparisons=pending,
                    evidence=evidence,
                    include_personal_data=include_personal_data,
                    origin_groups=grouping,
                    overflow_format="parquet" if overflow == "parquet" else "csv",
                    evidence_row_limit=row_limit,
                    trend=trend,
                )
            except ValueError as exc:
                if pending.done() and pending.exception() is exc:  # the data cannot be compared
                    fail(str(exc), 1)
                raise
    if len(cards) > 1:
        warn_after_as_of(cards)
    if fmt != "text":
        doc: dict[str, object] = {
            "path": str(result.path),
            "sheets": list(result.sheets),
            "companies": len(card.companies),
            "as_of": [d.isoformat() for d in days],
            "evidence_total": result.evidence_total,
            "evidence_rows": result.evidence_rows,
            "companion": None if result.companion is None else str(result.companion),
            "personal_data_included": include_personal_data,
            "redacted_records": result.redacted_records,
            "redacted_cells": result.redacted_cells,
            "redacted_urls": result.redacted_urls,
            "redacted_ids": result.redacted_ids,
        }
        if fmt == "json":
            emit_json(doc)
        else:
            import pandas as pd

            emit_csv(pd.DataFrame([doc | {"sheets": "|".join(result.sheets)}]))
        return
    privacy = (
        "personal data included"
        if include_personal_data
        else f"names redacted in {result.redacted_records} record(s), "
        f"{result.redacted_cells} cell(s), {result.redacted_urls} link(s), "
        f"{result.redacted_ids} id(s)"
    )
    note(
        f"Wrote {result.path} ({len(result.sheets)} sheets: {len(card.companies)} companies, "
        f"{result.evidence_total} evidence records; {privacy})."
    )
    if result.companion is not None:
        note(
            f"The Evidence sheet holds {result.evidence_rows:,} records; all of them are in "
            f"{result.companion}."
        )


def _row_limit(text: str) -> int | None:
    """``--evidence-rows``: a whole number of at least 0, or ``all`` (None: what a sheet
    holds); anything else is a usage error."""
    if text.strip().lower() == "all":
        return None
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        value = -1
    if value < 0:
        fail(f"--evidence-rows must be a whole number of at least 0 or 'all', not {text!r}")
    return value
