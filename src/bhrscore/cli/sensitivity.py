"""``bhrscore sensitivity BUNDLE --rubric R [--runs N --seed S]``: how stable the ranking is
under random weights and the alternative missing-data policy and aggregation."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import click
import pandas as pd

from .common import AS_OF, console, fail, fmt_num
from .compare import split_keys
from .formats import emit_csv, emit_json, format_option, frame_records
from .inputs import PERSONAL_DATA, RUBRIC, load_and_score
from .progress import QUIET, steps
from .render import Cell, Column, print_table
from .safe_text import safe


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
@format_option()
@click.option(
    "--table",
    "which",
    type=click.Choice(["companies", "runs", "groups"]),
    default="companies",
    show_default=True,
    help="Which table --format csv writes.",
)
@PERSONAL_DATA
@QUIET
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
    include_personal_data: bool,
    quiet: bool,
) -> None:
    """Rank stability under weight perturbations and alternative policies."""
    if not concentration > 0:
        fail("--concentration must be positive (use inf for no perturbation)")
    with steps(quiet) as step:
        evidence, rubric_model, card = load_and_score(
            paths, rubric_path, as_of, step, include_personal_data=include_personal_data
        )
        step(f"Scoring {runs} random weightings")
        result = _run(
            evidence, rubric_model, card, runs, seed, concentration, no_policies, by, level
        )
    tables = {"companies": result.companies, "runs": result.runs, "groups": result.groups}
    if fmt == "json":
        emit_json(
            {"options": result.options}
            | {name: frame_records(frame) for name, frame in tables.items()}
        )
        return
    if fmt == "csv":
        emit_csv(tables[which])
        return
    _print_text(result, card, runs, seed, concentration, no_policies, level, top)


def _run(
    evidence: Any,
    rubric_model: Any,
    card: Any,
    runs: int,
    seed: int,
    concentration: float,
    no_policies: bool,
    by: tuple[str, ...],
    level: float,
) -> Any:
    from ..analysis.compare import CompareError
    from ..analysis.sensitivity import SensitivityError
    from ..analysis.sensitivity import sensitivity as run_sensitivity

    try:
        return run_sensitivity(
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


def _print_text(
    result: Any,
    card: Any,
    runs: int,
    seed: int,
    concentration: float,
    no_policies: bool,
    level: float,
    top: int,
) -> None:
    conc = "none" if math.isinf(concentration) else f"{concentration:g}"
    console.print(
        f"Rubric {safe(card.meta.rubric_id)} {safe(card.meta.rubric_version)}, as of "
        f"{card.meta.as_of.isoformat()}: {runs} random weightings (concentration {conc}, seed "
        f"{seed}){'' if no_policies else ' + alternative missing-data policy and aggregation'}; "
        f"method {result.options['method']}",
        markup=False,
        soft_wrap=False,
    )
    pct = round(100 * level)
    columns = [Column("company", "id", key=True)]
    columns += [
        Column(n)
        for n in ("total", "rank", "median", f"{pct}% interval", "missing alt", "aggr. alt")
    ]
    rows: list[list[Cell]] = [
        [
            str(r.company_id),
            fmt_num(r.base_total),
            _int(r.base_rank),
            fmt_num(r.median_rank, 0),
            _range(r.rank_low, r.rank_high, 0, "-"),
            _int(r.rank_missing),
            _int(r.rank_aggregation),
        ]
        for r in result.companies.head(top).itertuples(index=False)
    ]
    print_table(columns, rows, title=f"Ranks (top {top} by base rank)")
    weights = result.runs[result.runs["scenario"] == "weights"]["spearman"].dropna()
    if len(weights):
        console.print(
            f"Spearman rank correlation with the base ranking over the weight runs: median "
            f"{weights.median():.3f}, min {weights.min():.3f}",
            markup=False,
            soft_wrap=False,
        )
    for r in result.runs[result.runs["scenario"].isin(["missing", "aggregation"])].itertuples():
        console.print(
            f"{safe(r.label)}: Spearman {fmt_num(r.spearman, 3)}", markup=False, soft_wrap=False
        )
    floor = result.options.get("geometric_floor")
    if floor is not None:
        console.print(
            f"aggregation: geometric floors indicator scores at {fmt_num(floor)} (OECD/JRC "
            "handbook practice: one indicator at 0 does not zero the total)",
            markup=False,
            soft_wrap=False,
        )
    if (result.runs["label"] == "missing: exclude").any():
        console.print(
            "missing: exclude leaves companies without any scored evidence unranked (-)",
            markup=False,
            soft_wrap=False,
        )
    _print_left_out(result.runs)
    if not result.groups.empty:
        columns = [Column("a - b", "id", key=True)]
        columns += [
            Column(n)
            for n in ("base", f"{pct}% range", "same sign", "missing alt", "aggr. alt", "kept")
        ]
        rows = []
        for g in result.groups.itertuples(index=False):
            kept: Cell = (
                "-" if g.sign_kept is pd.NA else ("yes" if g.sign_kept else ("no", "yellow"))
            )
            rows.append(
                [
                    f"{g.group_a} - {g.group_b}",
                    fmt_num(g.base_diff),
                    _range(g.diff_low, g.diff_high, 1, ".."),
                    _pct(g.same_sign_share),
                    fmt_num(g.diff_missing),
                    fmt_num(g.diff_aggregation),
                    kept,
                ]
            )
        print_table(columns, rows, title="Group differences (mean total a - b)")


def _print_left_out(runs: pd.DataFrame) -> None:
    """Say which runs were degenerate and left out of rank intervals and sign_kept."""
    flagged = runs[(runs["run"] != 0) & runs["degenerate"].fillna(False).astype(bool)]
    weights = flagged[flagged["scenario"] == "weights"]
    if len(weights):
        console.print(
            f"{len(weights)} weight run(s) degenerate: left out of the rank intervals, the "
            "group ranges and 'kept'",
            markup=False,
            soft_wrap=False,
            style="yellow",
        )
    for r in flagged[flagged["scenario"] != "weights"].itertuples(index=False):
        console.print(
            f"{r.label}: degenerate ({r.scored} compan{'y' if r.scored == 1 else 'ies'} with "
            "a total, "
            f"{_pct(r.modal_share)} of them at one value): shown, but left out of 'kept'",
            markup=False,
            soft_wrap=False,
            style="yellow",
        )


def _pct(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else f"{100 * float(value):.0f}%"


def _int(value: object) -> str:
    return "-" if value is None or value is pd.NA else str(value)


def _range(low: Any, high: Any, digits: int, sep: str) -> str:
    """``low-high``, or a single ``-`` when there is no interval (an unranked company)."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return "-"
    return f"{fmt_num(low, digits)}{sep}{fmt_num(high, digits)}"
