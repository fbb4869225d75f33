"""``bhrscore diff RUBRIC_A RUBRIC_B --evidence BUNDLE``: how scores and ranks move between
two rubric versions (for reviewing a rubric change in CI)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import pandas as pd

from .common import AS_OF, EXIT_DATA, as_of_or_today, console, fail, fmt_num, output_path
from .formats import emit_csv, emit_json, format_option, note
from .inputs import PERSONAL_DATA, load_bundle, load_rubric_option
from .progress import QUIET, steps
from .render import Cell, Column, print_table
from .safe_text import safe
from .score import warn_outside_window


@click.command()
@click.argument("rubric_a", metavar="RUBRIC_A")
@click.argument("rubric_b", metavar="RUBRIC_B")
@click.option(
    "--evidence",
    "bundle",
    multiple=True,
    required=True,
    metavar="BUNDLE",
    help="Evidence file or directory (repeatable).",
)
@AS_OF
@click.option(
    "--top", type=click.IntRange(min=1), default=20, show_default=True, help="Rows to print."
)
@click.option("--out", metavar="FILE.csv", help="Write the full comparison as CSV.")
@click.option(
    "--max-rank-move",
    type=click.IntRange(min=0),
    default=None,
    help="Exit 1 when any company moves more ranks than this.",
)
@format_option(
    help="Output: text for people; csv (the movement table) or json (rubric changes, theme "
    "means, movement) for programs."
)
@PERSONAL_DATA
@QUIET
def diff(
    rubric_a: str,
    rubric_b: str,
    bundle: tuple[str, ...],
    as_of: dt.date | None,
    top: int,
    out: str | None,
    max_rank_move: int | None,
    fmt: str,
    include_personal_data: bool,
    quiet: bool,
) -> None:
    """Score the evidence with RUBRIC_A and RUBRIC_B and show what moved."""
    from ..export.tables import records, write_frame
    from ..rubric.diff import diff_scorecards, rubric_changes, theme_deltas
    from ..rubric.engine import score

    with steps(quiet) as step:
        day = as_of_or_today(as_of)
        if out:
            output_path(out)
        step("Reading the rubrics")
        a, b = load_rubric_option(rubric_a), load_rubric_option(rubric_b)
        step("Loading evidence")
        evidence = load_bundle(bundle, day, include_personal_data=include_personal_data)
        step("Scoring with both rubrics")
        try:
            digest = evidence.content_hash()
            card_a, card_b = (
                score(
                    evidence,
                    rubric,
                    day,
                    evidence_hash=digest,
                    include_personal_data=include_personal_data,
                )
                for rubric in (a, b)
            )
        except ValueError as err:
            fail(str(err), EXIT_DATA)
    warn_outside_window(card_a)
    warn_outside_window(card_b)

    changes = rubric_changes(a, b)
    themes = theme_deltas(card_a, card_b)
    table_data = diff_scorecards(card_a, card_b)
    if fmt == "json":
        emit_json(
            {
                "rubric_changes": changes,
                "themes": records(themes),
                "companies": records(table_data.head(top)),
            }
        )
    elif fmt == "csv":
        emit_csv(table_data.head(top))
    else:
        _print_text(changes, themes, table_data, top)
    if out:
        write_frame(table_data, Path(out), "csv")
        note(f"wrote {out}", fmt, quiet)
    if max_rank_move is not None:
        moves = table_data["rank_move"].abs().max()
        if not pd.isna(moves) and int(moves) > max_rank_move:
            fail(
                f"a company moved {int(moves)} ranks (more than --max-rank-move {max_rank_move})",
                EXIT_DATA,
            )


def _print_text(
    changes: list[str], themes: pd.DataFrame, table_data: pd.DataFrame, top: int
) -> None:
    console.print(f"[bold]Rubric changes[/] ({len(changes)})", markup=True)
    for line in changes or ["none"]:
        console.print(f"  {safe(line)}", markup=False)
    if not themes.empty:
        console.print("[bold]Mean theme scores[/] (A -> B)", markup=True)
        for _, row in themes.iterrows():
            console.print(
                f"  {safe(row['theme'])}: {fmt_num(row['mean_a'])} -> {fmt_num(row['mean_b'])}",
                markup=False,
            )
    columns = [Column("company", "id", key=True)]
    columns += [Column(n) for n in ("total A", "total B", "delta", "rank A", "rank B", "move")]
    rows: list[list[Cell]] = [
        [
            str(row["company_id"]),
            fmt_num(row["total_a"]),
            fmt_num(row["total_b"]),
            fmt_num(row["delta"], signed=True),
            "–" if pd.isna(row["rank_a"]) else str(row["rank_a"]),
            "–" if pd.isna(row["rank_b"]) else str(row["rank_b"]),
            "–" if pd.isna(row["rank_move"]) else f"{int(row['rank_move']):+d}",
        ]
        for _, row in table_data.head(top).iterrows()
    ]
    print_table(
        columns,
        rows,
        title=f"Score and rank movement ({len(table_data)} companies, largest first)",
    )
