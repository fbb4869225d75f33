"""``bhrscore score BUNDLE --rubric R --as-of DATE``: score companies, print a ranked table,
write the score card. ``--as-of D1,D2,...`` scores at every date and prints the trend."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pandas as pd

from .common import (
    EXIT_DATA,
    as_of_or_today,
    console,
    err_console,
    existing_path,
    fail,
    fmt_num,
)
from .inputs import RUBRIC, load_rubric_option

if TYPE_CHECKING:
    from ..evidence.evidence_set import EvidenceSet
    from ..rubric.scorecard import ScoreCard


def parse_dates(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> tuple[dt.date, ...] | None:
    """Click callback: one ISO date or several separated by commas."""
    if value is None:
        return None
    dates = []
    for part in value.split(","):
        try:
            dates.append(dt.date.fromisoformat(part.strip()))
        except ValueError:
            raise click.BadParameter(f"{part.strip()!r} is not a date in YYYY-MM-DD form") from None
    return tuple(sorted(set(dates)))


AS_OF_DATES = click.option(
    "--as-of",
    "as_of",
    callback=parse_dates,
    default=None,
    metavar="YYYY-MM-DD[,YYYY-MM-DD...]",
    help="Date(s) the assessment is made (default: today). Records mentioning a later date"
    " are ignored (one warning counts them). Several dates, comma-separated, print the trend.",
)


def warn_after_as_of(cards: list[ScoreCard]) -> None:
    """One warning on stderr counting the records ignored because they mention a date after
    the as-of date (per date when there are several)."""
    counts = [(c.meta.as_of, int(c.meta.options.get("records_after_as_of", 0))) for c in cards]
    counts = [(d, k) for d, k in counts if k]
    if not counts:
        return
    if len(cards) == 1:
        day, k = counts[0]
        text = (
            f"warning: {k} record(s) mention a date after the as-of date {day} and are"
            " ignored (not known then)"
        )
    else:
        listed = ", ".join(f"{d}: {k}" for d, k in counts)
        text = f"warning: records mentioning a date after the as-of date are ignored ({listed})"
    err_console.print(text, markup=False)


def insufficient_note(card: ScoreCard) -> None:
    """A line under the ranking saying how many companies are not ranked and why."""
    count = int(card.meta.options.get("insufficient", 0))
    if count:
        share = 100 * float(card.meta.options.get("min_coverage", 0.0))
        console.print(
            f"{count} compan{'y' if count == 1 else 'ies'} with insufficient evidence (coverage"
            f" below {share:.0f}%) shown without a rank; --explain ID says what is missing",
            markup=False,
        )


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


def trend_table(table: pd.DataFrame, top: int | None) -> None:
    """Print a trend frame: one row per company, one column per date with
    ``total (rank, coverage)``; companies in order of their rank at the latest date."""
    from rich.table import Table

    dates = sorted(table["as_of"].unique())
    latest = table[table["as_of"] == dates[-1]].sort_values(
        ["rank", "company_id"], na_position="last", kind="stable"
    )
    order = list(latest["company_id"])
    if top is not None:
        order = order[:top]
    out = Table(title="total (rank, coverage) by as-of date; - = not ranked", show_lines=False)
    out.add_column("company", no_wrap=True)
    for d in dates:
        out.add_column(pd.Timestamp(d).date().isoformat(), justify="right")
    cells = table.set_index(["company_id", "as_of"])
    for company in order:
        row = [str(company)]
        for d in dates:
            r = cells.loc[(company, d)]
            rank = "-" if pd.isna(r["rank"]) else str(r["rank"])
            row.append(f"{fmt_num(r['total'])} ({rank}, {100 * float(r['coverage']):.0f}%)")
        out.add_row(*row)
    console.print(out)


def _load(paths: tuple[str, ...]) -> EvidenceSet:
    """Evidence from files or directories (strict: any invalid record exits 1). Dates after
    the as-of date are not checked here: scoring ignores such records and warns once."""
    from ..evidence.load import load_evidence

    for p in paths:
        existing_path(p)
    return load_evidence(*paths)


@click.command()
@click.argument("bundle", nargs=-1, required=True, metavar="BUNDLE...")
@RUBRIC
@AS_OF_DATES
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
    as_of: tuple[dt.date, ...] | None,
    out: str | None,
    fmt: str,
    top: int | None,
    explain_ids: tuple[str, ...],
) -> None:
    """Score the companies of an evidence BUNDLE (files or directories) with a rubric.

    With several --as-of dates (comma-separated) every date is scored with the records known
    then, and the trend is printed (and written as PREFIX.trend.EXT with --out); --explain
    then explains the latest date."""
    from ..export.tables import write_scorecard
    from ..rubric.trend import trend_cards, trend_frame

    days = as_of or (as_of_or_today(None),)
    rubric = load_rubric_option(rubric_path)
    evidence = _load(bundle)
    if fmt == "parquet" and out:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            fail("--format parquet needs pyarrow (pip install 'bhrscore[parquet]')")
    try:
        frames = evidence.frames()
        cards = trend_cards(frames, rubric, days)
    except ValueError as err:
        fail(str(err), EXIT_DATA)
    card = cards[-1]
    warn_after_as_of(cards)
    for c in cards:
        warn_outside_window(c)
    if len(cards) > 1:
        table = trend_frame(cards, frames)
        trend_table(table, top)
    else:
        ranked_table(card, top)
        insufficient_note(card)
    for company_id in explain_ids:
        if company_id not in card.company_ids():
            fail(f"--explain: no company {company_id!r} in the evidence")
        console.print()
        console.print(card.explain(company_id), markup=False)
    if out and len(cards) > 1:
        for p in write_trend(table, cards, Path(out), fmt):
            console.print(f"wrote {p}", markup=False)
    elif out:
        paths = write_scorecard(card, Path(out), fmt)  # type: ignore[arg-type]
        for p in paths:
            console.print(f"wrote {p}", markup=False)


def write_trend(table: pd.DataFrame, cards: list[ScoreCard], prefix: Path, fmt: str) -> list[Path]:
    """``PREFIX.trend.EXT`` (the trend frame) and ``PREFIX.trend.meta.json`` (rubric,
    evidence hash and each date's options), written atomically."""
    import json

    from ..export.tables import scorecard_meta, write_frame
    from ..io import atomic_write_text

    target = prefix.with_name(f"{prefix.name}.trend.{fmt}")
    written = [write_frame(table, target, fmt)]  # type: ignore[arg-type]
    metas = [scorecard_meta(c) for c in cards]
    meta = {k: v for k, v in metas[-1].items() if k not in ("as_of", "options")}
    meta["as_of"] = [m["as_of"] for m in metas]
    meta["options"] = {m["as_of"]: m["options"] for m in metas}
    meta_path = prefix.with_name(f"{prefix.name}.trend.meta.json")
    atomic_write_text(meta_path, json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return [*written, meta_path]
