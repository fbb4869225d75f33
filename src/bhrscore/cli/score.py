"""``bhrscore score BUNDLE --rubric R --as-of DATE``: score companies, print a ranked table,
write the score card. ``--as-of D1,D2,...`` scores at every date and prints the trend."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import common
from .common import (
    EXIT_DATA,
    as_of_or_today,
    fail,
    fmt_num,
    is_missing,
    output_path,
)
from .formats import emit_csv, emit_json, format_option, note
from .inputs import (
    PERSONAL_DATA,
    RUBRIC,
    load_and_score_dates,
    load_bundle,
    load_rubric_option,
    resolve_company,
)
from .progress import QUIET, steps
from .safe_text import safe

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from ..rubric.model import Rubric
    from ..rubric.scorecard import ScoreCard
    from .render import Cell


def parse_dates(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> tuple[dt.date, ...] | None:
    """Click callback: one ISO date or several separated by commas (sorted, deduplicated)."""
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
    common.err_console.print(text, markup=False)


def insufficient_note(card: ScoreCard) -> None:
    """A line under the ranking saying how many companies are not ranked and why."""
    from .render import print_indented

    count = int(card.meta.options.get("insufficient", 0))
    if count:
        share = 100 * float(card.meta.options.get("min_coverage", 0.0))
        print_indented(  # wrapped at the console width like the rest of the output
            f"{count} compan{'y' if count == 1 else 'ies'} with insufficient evidence (coverage"
            f" below {share:.0f}%) shown without a rank; --explain ID says what is missing",
            0,
        )


def warn_outside_window(card: ScoreCard) -> None:
    """A warning on stderr when no company-level record falls inside the rubric's window
    (every company then scores as if it had no evidence)."""
    scored = int(card.meta.options.get("records_scored", 0))
    outside = int(card.meta.options.get("records_outside_window", 0))
    if scored and outside == scored:
        common.err_console.print(
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
            _percent(row["coverage"]),
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


def trend_table(table: pd.DataFrame, top: int | None, console: Console | None = None) -> None:
    """Print a trend frame: one row per company, one column per date with
    ``total (rank, coverage)``; companies in order of their rank at the latest date."""
    import pandas as pd

    from .render import Column, print_table

    dates = sorted(table["as_of"].unique())
    latest = table[table["as_of"] == dates[-1]].sort_values(
        ["rank", "company_id"], na_position="last", kind="stable"
    )
    order = list(latest["company_id"])
    if top is not None:
        order = order[:top]
    columns = [Column("company", "id", key=True)]
    columns += [Column(pd.Timestamp(d).date().isoformat()) for d in dates]
    cells = table.set_index(["company_id", "as_of"])
    rows: list[list[Cell]] = []
    for company in order:
        row: list[Cell] = [str(company)]
        for d in dates:
            r = cells.loc[(company, d)]
            rank = "-" if is_missing(r["rank"]) else str(int(r["rank"]))
            coverage = _percent(r["coverage"])
            row.append(f"{fmt_num(r['total'])} ({rank}, {coverage})")
        rows.append(row)
    print_table(
        columns,
        rows,
        title="total (rank, coverage) by as-of date; - = not ranked",
        console=console,
    )


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
@AS_OF_DATES
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
@PERSONAL_DATA
@click.option(
    "--backend",
    type=click.Choice(["pandas", "dask"]),
    default="pandas",
    show_default=True,
    help="Where scoring runs: pandas (in memory) or dask (partitions of companies on a Dask"
    " cluster; BUNDLE may then be a Parquet dataset directory; needs bhrscore[dask]).",
)
@click.option(
    "--workers",
    "n_workers",
    type=click.IntRange(min=1),
    default=None,
    help="--backend dask: workers of the local cluster started for the run (default 1).",
)
@click.option(
    "--worker-memory",
    "memory_limit",
    default=None,
    metavar="SIZE",
    help="--backend dask: memory limit per local worker, e.g. 1GB (beyond it workers spill "
    "to disk; default: the machine's memory shared among the workers).",
)
@click.option(
    "--scheduler",
    "scheduler",
    default=None,
    metavar="ADDRESS",
    help="--backend dask: the address of a running Dask scheduler (e.g. tcp://host:8786)"
    " instead of a local cluster.",
)
@QUIET
def score(
    bundle: tuple[str, ...],
    rubric_path: str | None,
    as_of: tuple[dt.date, ...] | None,
    out: str | None,
    fmt: str,
    out_fmt: str | None,
    top: int | None,
    explain_ids: tuple[str, ...],
    include_personal_data: bool,
    backend: str,
    n_workers: int | None,
    memory_limit: str | None,
    scheduler: str | None,
    quiet: bool,
) -> None:
    """Score the companies of an evidence BUNDLE (files or directories) with a rubric.

    With several --as-of dates (comma-separated) every date is scored with the records known
    then, and the trend is printed (and written as PREFIX.trend.EXT with --out); --explain
    then explains the latest date.

    --backend dask scores partitions of companies on a Dask cluster (the same scores); BUNDLE
    may then be a Parquet dataset directory (bhrscore.write_parquet_dataset, docs/scale.md)."""
    if backend != "dask":
        from ..evidence import prefetch

        prefetch.start(bundle)  # the evidence is read and parsed while the rest is imported
    from ..export.tables import write_scorecard
    from ..rubric.trend import trend_frame

    if fmt == "parquet" and not out:
        fail("--format parquet writes files: give --out PREFIX")
    file_fmt = out_fmt or (fmt if fmt in ("csv", "json", "parquet") else "csv")
    if out and file_fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            fail("parquet needs pyarrow (pip install 'bhrscore[parquet]')")
    days = as_of or (as_of_or_today(None),)
    if backend != "dask" and (n_workers or memory_limit or scheduler):
        fail("--workers, --worker-memory and --scheduler go with --backend dask")
    if backend == "dask":
        common.restore_arrow_pool()  # the workers keep Arrow's default pool, as bench_dask measured
        if len(days) > 1:
            fail("--backend dask scores one --as-of date")
        if n_workers and scheduler:
            fail("give --workers (a local cluster) or --scheduler (a running one), not both")
        try:
            import dask  # noqa: F401
            import distributed  # noqa: F401
        except ImportError:
            fail("--backend dask needs the dask extra: pip install 'bhrscore[dask]'")
        if memory_limit is not None:
            from dask.utils import parse_bytes

            try:
                parse_bytes(memory_limit)
            except (ValueError, TypeError):
                fail(f"--worker-memory {memory_limit!r} is not a size such as 800MB or 2GB")
    if out:
        from ..export.tables import scorecard_paths

        for path in scorecard_paths(out, file_fmt):  # type: ignore[arg-type]
            output_path(path)
    with steps(quiet) as step:
        step("Reading the rubric")
        rubric = load_rubric_option(rubric_path)
        if backend == "dask":
            step("Scoring on a Dask cluster")
            cards = [
                score_dask_cli(
                    bundle,
                    rubric,
                    days[0],
                    n_workers,
                    memory_limit,
                    scheduler,
                    include_personal_data=include_personal_data,
                )
            ]
            table = None
        else:
            _, frames, cards = load_and_score_dates(
                bundle, rubric, days, step, include_personal_data=include_personal_data
            )
            table = trend_frame(cards, frames) if len(cards) > 1 else None
        card = cards[-1]
        # every --explain id is checked before anything is printed
        wanted = [resolve_company(c, card.company_ids()) for c in explain_ids]
        explain = {c: str(card.explain(c)) for c in wanted}
        if out:
            step("Writing the score card")
            if table is not None:
                paths = write_trend(table, cards, Path(out), file_fmt)
            else:
                paths = write_scorecard(
                    card,
                    Path(out),
                    file_fmt,  # type: ignore[arg-type]
                    include_personal_data=include_personal_data,
                )
    warn_after_as_of(cards)
    for c in cards:
        warn_outside_window(c)
    if fmt == "json":
        doc = score_document(card, top, explain)
        if table is not None:
            from ..export.tables import records

            doc["trend"] = records(table)
        emit_json(doc)
    elif fmt == "csv":
        emit_csv(table if table is not None else score_rows(card, top))
    else:
        if table is not None:
            trend_table(table, top)
        else:
            ranked_table(card, top)
            insufficient_note(card)
        for text in explain.values():
            common.console.print()
            common.console.print(safe(text), markup=False)
    if out:
        for p in paths:
            note(f"wrote {p}", "text" if fmt == "parquet" else fmt, quiet)


def score_dask_cli(
    bundle: tuple[str, ...],
    rubric: Rubric,
    day: dt.date,
    n_workers: int | None,
    memory_limit: str | None,
    scheduler: str | None,
    *,
    include_personal_data: bool = False,
) -> ScoreCard:
    """``--backend dask``: a Parquet dataset directory is scored where it lies; other bundles
    are loaded (and validated) here, then scored by partitions. Bad data exits 1."""
    from ..backends.dataset import is_dataset
    from ..rubric import score

    datasets = [b for b in bundle if is_dataset(b)]
    if datasets and len(bundle) > 1:
        fail("a Parquet dataset directory is scored on its own: give it as the only BUNDLE")
    evidence: Any = (
        datasets[0]
        if datasets
        else load_bundle(bundle, None, include_personal_data=include_personal_data)
    )
    try:
        return score(
            evidence,
            rubric,
            day,
            backend="dask",
            scheduler=scheduler,
            n_workers=n_workers,
            processes=scheduler is None,
            memory_limit=memory_limit or "auto",
            include_personal_data=include_personal_data,
        )
    except ValueError as err:
        fail(str(err), EXIT_DATA)


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


def _percent(coverage: Any) -> str:
    """Coverage as whole percent rounded down, as the insufficiency reasons write it."""
    from ..rubric.sufficiency import percent_floor

    return "-" if is_missing(coverage) else f"{percent_floor(float(coverage))}%"
