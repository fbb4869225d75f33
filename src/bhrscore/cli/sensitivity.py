"""``bhrscore sensitivity BUNDLE --rubric R [--runs N --seed S]``: how stable the ranking is
under random weights and the alternative missing-data policy and aggregation."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import click
import pandas as pd
from rich.markup import escape
from rich.table import Table

from .common import AS_OF, console, fail, fmt_num
from .compare import split_keys
from .inputs import RUBRIC, load_and_score


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="BUNDLE...")
@RUBRIC
@AS_OF
@click.option(
    "--runs",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="Random weightings to score.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--concentration",
    type=float,
    default=50.0,
    show_default=True,
    help="Dirichlet concentration: larger = weights closer to the rubric's ('inf' = none).",
)
@click.option(
    "--no-policies", is_flag=True, help="Skip the alternative missing-data policy and aggregation."
)
@click.option(
    "--by",
    "by",
    multiple=True,
    default=("origin_group",),
    show_default=True,
    help="Groups whose differences are checked for a stable sign.",
)
@click.option(
    "--level",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.9,
    show_default=True,
    help="Width of the rank interval.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Companies shown in the table.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--table",
    "which",
    type=click.Choice(["companies", "runs", "groups"]),
    default="companies",
    show_default=True,
    help="Which table --format csv writes.",
)
def sensitivity(
    paths: tuple[str, ...],
    rubric_path: str | None,
    as_of: dt.date | None,
    runs: int,
    seed: int,
    concentration: float,
    no_policies: bool,
    by: tuple[str, ...],
    level: float,
    top: int,
    fmt: str,
    which: str,
) -> None:
    """Rank stability under weight perturbations and alternative policies."""
    from ..analysis.compare import CompareError
    from ..analysis.sensitivity import SensitivityError
    from ..analysis.sensitivity import sensitivity as run_sensitivity

    if not concentration > 0:
        fail("--concentration must be positive (use inf for no perturbation)")
    evidence, rubric_model, card = load_and_score(paths, rubric_path, as_of)
    try:
        result = run_sensitivity(
            evidence,
            rubric_model,
            card.meta.as_of,
            n=runs,
            seed=seed,
            concentration=concentration,
            policies=not no_policies,
            by=split_keys(by),
            level=level,
            base=card,
        )
    except (CompareError, SensitivityError) as exc:
        fail(str(exc))
    tables = {"companies": result.companies, "runs": result.runs, "groups": result.groups}
    if fmt == "json":
        doc = {"options": result.options} | {
            name: json.loads(frame.to_json(orient="records", double_precision=15))
            for name, frame in tables.items()
        }
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        from ..export.tables import csv_text

        click.echo(csv_text(tables[which]), nl=False)
        return
    conc = "none" if math.isinf(concentration) else f"{concentration:g}"
    console.print(
        f"Rubric {card.meta.rubric_id} {card.meta.rubric_version}, as of "
        f"{card.meta.as_of.isoformat()}: {runs} random weightings (concentration {conc}, seed "
        f"{seed}){'' if no_policies else ' + alternative missing-data policy and aggregation'}; "
        f"method {result.options['method']}",
        markup=False,
    )
    pct = round(100 * level)
    ranks = Table(title=f"Ranks (top {top} by base rank)", title_justify="left")
    for name in (
        "company",
        "total",
        "rank",
        "median",
        f"{pct}% interval",
        "missing alt",
        "aggr. alt",
    ):
        ranks.add_column(name, justify="left" if name == "company" else "right")
    for r in result.companies.head(top).itertuples(index=False):
        ranks.add_row(
            escape(str(r.company_id)),
            fmt_num(r.base_total),
            _int(r.base_rank),
            fmt_num(r.median_rank, 0),
            f"{fmt_num(r.rank_low, 0)}-{fmt_num(r.rank_high, 0)}",
            _int(r.rank_missing),
            _int(r.rank_aggregation),
        )
    console.print(ranks)
    weights = result.runs[result.runs["scenario"] == "weights"]["spearman"].dropna()
    if len(weights):
        console.print(
            f"Spearman rank correlation with the base ranking over the weight runs: median "
            f"{weights.median():.3f}, min {weights.min():.3f}",
            markup=False,
        )
    for r in result.runs[result.runs["scenario"].isin(["missing", "aggregation"])].itertuples():
        console.print(f"{r.label}: Spearman {fmt_num(r.spearman, 3)}", markup=False)
    floor = result.options.get("geometric_floor")
    if floor is not None:
        console.print(
            f"aggregation: geometric floors indicator scores at {fmt_num(floor)} (OECD/JRC "
            "handbook practice: one indicator at 0 does not zero the total)",
            markup=False,
        )
    if (result.runs["label"] == "missing: exclude").any():
        console.print(
            "missing: exclude leaves companies without any scored evidence unranked (-)",
            markup=False,
        )
    _print_left_out(result.runs)
    if not result.groups.empty:
        groups = Table(title="Group differences (mean total a - b)", title_justify="left")
        for name in (
            "a - b",
            "base",
            f"{pct}% range",
            "same sign",
            "missing alt",
            "aggr. alt",
            "kept",
        ):
            groups.add_column(name, justify="left" if name == "a - b" else "right")
        for g in result.groups.itertuples(index=False):
            kept = "-" if g.sign_kept is pd.NA else ("yes" if g.sign_kept else "[yellow]no[/]")
            share = _pct(g.same_sign_share)
            groups.add_row(
                escape(f"{g.group_a} - {g.group_b}"),
                fmt_num(g.base_diff),
                f"{fmt_num(g.diff_low)} to {fmt_num(g.diff_high)}",
                share,
                fmt_num(g.diff_missing),
                fmt_num(g.diff_aggregation),
                kept,
            )
        console.print(groups)


def _print_left_out(runs: pd.DataFrame) -> None:
    """Say which runs were degenerate and left out of rank intervals and sign_kept."""
    flagged = runs[(runs["run"] != 0) & runs["degenerate"].fillna(False).astype(bool)]
    weights = flagged[flagged["scenario"] == "weights"]
    if len(weights):
        console.print(
            f"{len(weights)} weight run(s) degenerate: left out of the rank intervals, the "
            "group ranges and 'kept'",
            markup=False,
            style="yellow",
        )
    for r in flagged[flagged["scenario"] != "weights"].itertuples(index=False):
        console.print(
            f"{r.label}: degenerate ({r.scored} compan{'y' if r.scored == 1 else 'ies'} with "
            "a total, "
            f"{_pct(r.modal_share)} of them at one value): shown, but left out of 'kept'",
            markup=False,
            style="yellow",
        )


def _pct(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else f"{100 * float(value):.0f}%"


def _int(value: object) -> str:
    return "-" if value is None or value is pd.NA else str(value)
