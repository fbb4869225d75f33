"""``bhrscore score BUNDLE --rubric R --as-of DATE``: score companies, print a ranked table,
write the score card."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .common import AS_OF, console, err_console, fail, fmt_num, is_missing
from .formats import emit_csv, emit_json, format_option, note
from .inputs import RUBRIC, load_and_score, resolve_company
from .progress import QUIET, steps
from .safe_text import safe

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from ..rubric.scorecard import ScoreCard
    from .render import Cell


def warn_outside_window(card: ScoreCard) -> None:
    """A warning on stderr when no company-level record falls inside the rubric's window
    (every company then scores as if it had no evidence)."""
    scored = int(card.meta.options.get("records_scored", 0))
    outside = int(card.meta.options.get("records_outside_window", 0))
    if scored and outside == scored:
        err_console.print(
            f"warning: all {outside} record(s) are outside the rubric's window for as-of"
            f" {card.meta.as_of}; every company is scored as if it had no evidence",
            markup=False,
        )


def score_rows(card: ScoreCard, top: int | None) -> pd.DataFrame:
    """The companies frame in rank order (unranked last, by id), the first ``top`` rows."""
    ordered = card.companies.sort_values(["rank", "company_id"], na_position="last", kind="stable")
    return ordered if top is None else ordered.head(top)


def ranked_table(card: ScoreCard, top: int | None, console: Console | None = None) -> None:
    """Print the ranking with theme scores, coverage and penalties; when the score card has
    them, the total's interval (``total_low``-``total_high``), the rank interval
    (``rank_low``-``rank_high``) and why a company is not ranked (``sufficient`` /
    ``insufficient_reason``: its rank shows as ``–``)."""
    from .render import Column, print_table

    frame = card.companies
    themes = [c for c in frame.columns if c.startswith("theme:")]
    has_interval = {"total_low", "total_high"} <= set(frame.columns)
    has_rank_interval = {"rank_low", "rank_high"} <= set(frame.columns)
    has_sufficient = "sufficient" in frame.columns
    columns = [Column("rank", key=True), Column("company", "id", key=True), Column("total")]
    if has_interval:
        columns.append(Column("interval"))
    columns += [Column(t.removeprefix("theme:")) for t in themes]
    columns += [Column("coverage"), Column("penalties")]
    if has_rank_interval:
        columns.append(Column("rank range"))
    if has_sufficient:
        columns.append(Column("note", "text"))
    pen = card.penalties.groupby("company_id").size()
    rows: list[list[Cell]] = []
    for row in score_rows(card, top).to_dict("records"):
        insufficient = (
            has_sufficient and not is_missing(row["sufficient"]) and not row["sufficient"]
        )
        cells: list[Cell] = [
            "–" if is_missing(row["rank"]) else str(int(row["rank"])),
            str(row["company_id"]),
            fmt_num(row["total"]),
        ]
        if has_interval:
            cells.append(span(row["total_low"], row["total_high"]))
        cells += [fmt_num(row[t]) for t in themes]
        cells += [
            "-" if is_missing(row["coverage"]) else f"{100 * float(row['coverage']):.0f}%",
            str(int(pen.get(row["company_id"], 0))),
        ]
        if has_rank_interval:
            cells.append(span(row["rank_low"], row["rank_high"], digits=0))
        if has_sufficient:
            reason = row.get("insufficient_reason")
            text = "" if not insufficient else str("insufficient" if is_missing(reason) else reason)
            cells.append((text, "yellow") if text else "")
        rows.append(cells)
    print_table(
        columns,
        rows,
        title=f"{card.meta.rubric_id} {card.meta.rubric_version}, as of {card.meta.as_of}",
        console=console,
    )


def span(low: Any, high: Any, digits: int = 1) -> str:
    """``low–high`` (one word, so a table never wraps it), ``-`` when unknown."""
    if is_missing(low) or is_missing(high):
        return "-"
    return f"{fmt_num(low, digits)}–{fmt_num(high, digits)}"


def score_document(card: ScoreCard, top: int | None, explain: dict[str, str]) -> dict[str, Any]:
    """The ``--format json`` document: ``meta`` (as in PREFIX.meta.json), ``companies`` (the
    companies table in rank order) and ``explanations`` (company id -> text, for --explain)."""
    from ..export.tables import records, scorecard_meta

    return {
        "meta": scorecard_meta(card),
        "companies": records(score_rows(card, top)),
        "explanations": explain,
    }


@click.command()
@click.argument("bundle", nargs=-1, required=True, metavar="BUNDLE...")
@RUBRIC
@AS_OF
@click.option(
    "--out",
    "out",
    metavar="PREFIX",
    help="Write PREFIX.companies.EXT, .nodes, .indicators, .penalties and PREFIX.meta.json.",
)
@format_option(
    "parquet",
    help="Output: text (a table), csv (the companies table) or json on stdout. With --out it "
    "also names the files' format (text: csv; parquet: files only, the table on stdout) "
    "unless --out-format is given.",
)
@click.option(
    "--out-format",
    "out_fmt",
    type=click.Choice(["csv", "parquet", "json"]),
    default=None,
    help="Format of the files written with --out (default: from --format, else csv).",
)
@click.option(
    "--top", type=click.IntRange(min=1), default=None, help="Print only the first N companies."
)
@click.option(
    "--explain",
    "explain_ids",
    multiple=True,
    metavar="COMPANY_ID",
    help="Print how a company's total was reached (repeatable; ids match case-insensitively).",
)
@QUIET
def score(
    bundle: tuple[str, ...],
    rubric_path: str | None,
    as_of: dt.date | None,
    out: str | None,
    fmt: str,
    out_fmt: str | None,
    top: int | None,
    explain_ids: tuple[str, ...],
    quiet: bool,
) -> None:
    """Score the companies of an evidence BUNDLE (files or directories) with a rubric."""
    from ..export.tables import write_scorecard

    if fmt == "parquet" and not out:
        fail("--format parquet writes files: give --out PREFIX")
    file_fmt = out_fmt or (fmt if fmt in ("csv", "json", "parquet") else "csv")
    if out and file_fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            fail("parquet needs pyarrow (pip install 'bhrscore[parquet]')")
    with steps(quiet) as step:
        _evidence, _rubric, card = load_and_score(bundle, rubric_path, as_of, step)
        # every --explain id is checked before anything is printed
        wanted = [resolve_company(c, card.company_ids()) for c in explain_ids]
        explain = {c: card.explain(c) for c in wanted}
        if out:
            step("Writing the score card")
            paths = write_scorecard(card, Path(out), file_fmt)  # type: ignore[arg-type]
    warn_outside_window(card)
    if fmt == "json":
        emit_json(score_document(card, top, explain))
    elif fmt == "csv":
        emit_csv(score_rows(card, top))
    else:
        ranked_table(card, top)
        for text in explain.values():
            console.print()
            console.print(safe(text), markup=False)
    if out:
        for p in paths:
            note(f"wrote {p}", "text" if fmt == "parquet" else fmt, quiet)
