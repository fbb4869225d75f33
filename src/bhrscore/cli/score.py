"""``bhrscore score BUNDLE --rubric R --as-of DATE``: score companies, print a ranked table,
write the score card."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pandas as pd

from .common import (
    AS_OF,
    EXIT_DATA,
    as_of_or_today,
    console,
    err_console,
    fail,
    fmt_num,
    output_path,
)
from .inputs import RUBRIC, load_bundle, load_rubric_option

if TYPE_CHECKING:
    from ..rubric.scorecard import ScoreCard


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


def ranked_table(card: ScoreCard, top: int | None) -> None:
    """Print the ranking with theme scores, coverage and penalties."""
    from rich.table import Table

    themes = [c for c in card.companies.columns if c.startswith("theme:")]
    table = Table(
        title=f"{card.meta.rubric_id} {card.meta.rubric_version}, as of {card.meta.as_of}",
        show_lines=False,
    )
    table.add_column("rank", justify="right")
    table.add_column("company", no_wrap=True)
    table.add_column("total", justify="right")
    for t in themes:
        table.add_column(t.removeprefix("theme:"), justify="right")
    table.add_column("coverage", justify="right")
    table.add_column("penalties", justify="right")
    pen = card.penalties.groupby("company_id").size()
    ordered = card.companies.sort_values(["rank", "company_id"], na_position="last", kind="stable")
    if top is not None:
        ordered = ordered.head(top)

    for _, row in ordered.iterrows():
        rank = "–" if pd.isna(row["rank"]) else str(row["rank"])
        table.add_row(
            rank,
            str(row["company_id"]),
            fmt_num(row["total"]),
            *(fmt_num(row[t]) for t in themes),
            f"{100 * float(row['coverage']):.0f}%",
            str(int(pen.get(row["company_id"], 0))),
        )
    console.print(table)


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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet", "json"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--top", type=click.IntRange(min=1), default=None, help="Print only the first N companies."
)
@click.option(
    "--explain",
    "explain_ids",
    multiple=True,
    metavar="COMPANY_ID",
    help="Print how a company's total was reached (repeatable).",
)
def score(
    bundle: tuple[str, ...],
    rubric_path: str | None,
    as_of: dt.date | None,
    out: str | None,
    fmt: str,
    top: int | None,
    explain_ids: tuple[str, ...],
) -> None:
    """Score the companies of an evidence BUNDLE (files or directories) with a rubric."""
    from ..export.tables import write_scorecard
    from ..rubric.engine import score as run_score

    day = as_of_or_today(as_of)
    if out:
        from ..export.tables import scorecard_paths

        for path in scorecard_paths(out, fmt):  # type: ignore[arg-type]
            output_path(path)
    rubric = load_rubric_option(rubric_path)
    evidence = load_bundle(bundle, day)
    try:
        card = run_score(evidence, rubric, day)
    except ValueError as err:
        fail(str(err), EXIT_DATA)
    warn_outside_window(card)
    ranked_table(card, top)
    for company_id in explain_ids:
        if company_id not in card.company_ids():
            fail(f"--explain: no company {company_id!r} in the evidence")
        console.print()
        console.print(card.explain(company_id), markup=False)
    if out:
        if fmt == "parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                fail("--format parquet needs pyarrow (pip install 'bhrscore[parquet]')")
        paths = write_scorecard(card, Path(out), fmt)  # type: ignore[arg-type]
        for p in paths:
            console.print(f"wrote {p}", markup=False)
