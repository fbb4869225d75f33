"""``bhrscore compare BUNDLE --rubric R --by origin_group [--within sector]``: scores by group,
with bootstrap intervals, pairwise permutation tests and small-group warnings."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import click
import pandas as pd
from rich.text import Text

from .common import AS_OF, console, existing_path, fail, fmt_num, is_missing, parse_date
from .formats import emit_csv, emit_json, format_option, warn
from .inputs import PERSONAL_DATA, RUBRIC, load_and_score
from .progress import QUIET, steps
from .render import Cell, Column, print_indented, print_table
from .safe_text import safe


def split_keys(values: tuple[str, ...]) -> tuple[str, ...]:
    """``--by origin_group --by sector`` or ``--by origin_group,sector``."""
    return tuple(k.strip() for v in values for k in v.split(",") if k.strip())


def fmt_p(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{float(value):.3f}" if float(value) >= 0.001 else "<0.001"


def _true(value: Any) -> bool:
    return value is not None and value is not pd.NA and bool(value)


def _interval(low: Any, high: Any) -> str:
    """``[low, high]`` without spaces, so that it is one word a table never wraps."""
    if fmt_num(low) == "-":
        return "-"
    return f"[{fmt_num(low)},{fmt_num(high)}]"


def print_groups(result: Any) -> None:
    level = round(100 * result.options["level"])
    title = f"{result.metric} by {' / '.join(result.by)}"
    if result.within:
        title += f" within {' / '.join(result.within)}"
    columns: list[Column] = []
    if result.within:
        columns.append(Column(" / ".join(result.within), "id", key=True))
    columns.append(Column(" / ".join(result.by), "id", key=True))
    columns += [Column(n) for n in ("n", "mean", "median", f"{level}% CI", "coverage")]
    columns.append(Column("note", "text"))
    rows: list[list[Cell]] = []
    for row in result.groups.itertuples(index=False):
        warn: Cell = (
            (f"n < {result.options['min_n']}: unreliable", "yellow")
            if _true(row.small_group)
            else ""
        )
        cells: list[Cell] = [str(row.stratum)] if result.within else []
        cells += [
            str(row.group),
            str(row.n),
            fmt_num(row.mean),
            fmt_num(row.median),
            _interval(row.ci_low, row.ci_high),
            fmt_num(row.coverage_mean, 2),
            warn,
        ]
        rows.append(cells)
    print_table(columns, rows, title=title)
    if result.pairwise.empty:
        return
    columns = []
    if result.within:
        columns.append(Column(" / ".join(result.within), "id", key=True))
    columns.append(Column("a - b", "id", key=True))
    columns += [Column(n) for n in ("diff", f"{level}% CI", "p", "p adj")]
    columns.append(Column("note", "text"))
    rows = []
    for row in result.pairwise.itertuples(index=False):
        note: Cell = ("significant", "bold") if _true(row.significant) else ""
        if _true(row.small_group):
            note = (f"small group: {'no test' if pd.isna(row.p_value) else 'low power'}", "yellow")
        cells = [str(row.stratum)] if result.within else []
        cells += [
            f"{row.group_a} - {row.group_b}",
            fmt_num(row.diff),
            _interval(row.diff_ci_low, row.diff_ci_high),
            fmt_p(row.p_value),
            fmt_p(row.p_adjusted),
            note,
        ]
        rows.append(cells)
    print_table(
        columns,
        rows,
        title=f"Pairwise differences (permutation test, {result.options['correction']} adjusted)",
    )


def _print_rate_intervals(result: Any) -> None:
    """The three rates of the evidence table as percentages with their Wilson intervals."""
    level = round(100 * float(result.options.get("level", 0.95)))

    def pct(rate: Any, low: Any, high: Any) -> str:
        if is_missing(rate):
            return "-"
        return f"{100 * float(rate):.0f}% [{100 * float(low):.0f}-{100 * float(high):.0f}]"

    columns = [Column(" / ".join(result.by), "id", key=True)]
    columns += [Column(n) for n in ("retaliation", "refused", "responded")]
    rates = ("retaliation_share", "refusal_rate", "response_rate")
    rows: list[list[Cell]] = []
    for r in result.groups.to_dict("records"):
        row: list[Cell] = [str(r["group"])]
        row += [pct(r[name], r[f"{name}_ci_low"], r[f"{name}_ci_high"]) for name in rates]
        rows.append(row)
    print_table(columns, rows, title=f"Rates with {level}% Wilson intervals")


def print_evidence(result: Any) -> None:
    since = result.options.get("since")
    window = f"{since} to {result.options['as_of']}" if since else "all dates"
    title = (
        f"Evidence by {' / '.join(result.by)}, {window} (companies; rates with their denominators)"
    )
    columns = [Column(" / ".join(result.by), "id", key=True)]
    columns += [Column(n) for n in ("firms", "retal.", "wage", "refused", "resp.", "testim.")]
    columns.append(Column("note", "text"))

    def rate(k: Any, n: Any) -> str:
        return f"{k}/{n}" if n else "-"

    rows: list[list[Cell]] = []
    for r in result.groups.itertuples(index=False):
        warn: Cell = ""
        if _true(r.small_group):
            warn = ("testimony only", "yellow") if r.companies == 0 else ("anecdotal", "yellow")
        rows.append(
            [
                str(r.group),
                str(r.companies),
                rate(r.companies_with_retaliation, r.companies),
                f"{fmt_num(r.wage_ratio_median, 2)}({r.companies_with_wage_ratio})",
                rate(r.dialogue_refusals, r.dialogue_records),
                rate(r.responses, r.allegations_settled),
                str(r.testimony_records),
                warn,
            ]
        )
    print_table(columns, rows, title=title)
    console.print(
        "firms: companies with evidence; retal.: firms with verified retaliation by the "
        "company or its security contractor, or with company involvement / firms; "
        "wage: median wage/benchmark ratio (firms with one); refused: dialogue refusals / "
        "dialogue sought; resp.: responses / allegations settled; testim.: group-level records",
        markup=False,
        soft_wrap=False,
    )
    _print_rate_intervals(result)
    if not result.testimony.empty:
        console.print(
            "Group-level testimony (not counted as company data):", style="bold", markup=False
        )
        for t in result.testimony.itertuples(index=False):
            group = "-" if t.origin_group is pd.NA else t.origin_group
            head = f"[{safe(group, inline=True)}] {safe(t.id, inline=True)} ({t.kind}, {t.status}):"
            print_indented(head.strip(), 2)
            description = getattr(t, "description", None)
            text = safe(t.summary)
            if isinstance(description, str) and description:
                text = f"group: {safe(description)}\n{text}"
            print_indented(text, 4)


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="BUNDLE...")
@RUBRIC
@click.option(
    "--by",
    "by",
    multiple=True,
    default=("origin_group",),
    show_default=True,
    help="Group by origin_group, origin_country, sector, host_country, ownership, hq_country "
    "(repeat or comma-separate to combine).",
)
@click.option("--within", "within", multiple=True, help="Stratify by these keys (e.g. sector).")
@click.option(
    "--metric", default="total", show_default=True, help="total, theme:<id> or an indicator id."
)
@AS_OF
@format_option()
@click.option(
    "--table",
    "which",
    type=click.Choice(["groups", "pairwise", "evidence", "testimony"]),
    default="groups",
    show_default=True,
    help="Which table --format csv writes.",
)
@click.option(
    "--level",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.95,
    show_default=True,
)
@click.option("--resamples", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--permutations", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--min-n",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Warn below this group size.",
)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 1),
    default=None,
    help="Leave out companies with less coverage.",
)
@click.option(
    "--include-insufficient",
    is_flag=True,
    help="Include companies with insufficient evidence in the group statistics.",
)
@click.option(
    "--correction", type=click.Choice(["holm", "bh", "none"]), default="holm", show_default=True
)
@click.option(
    "--origin-groups", "origin_groups", metavar="FILE", help="Your own origin grouping (YAML)."
)
@click.option(
    "--evidence",
    "show_evidence",
    is_flag=True,
    help="Also show evidence-level rates and testimony.",
)
@click.option(
    "--since",
    "since",
    callback=parse_date,
    default=None,
    metavar="YYYY-MM-DD",
    help="Evidence rates count records from this date (default: the start of the rubric's "
    "window before --as-of; all dates when the rubric has no window).",
)
@PERSONAL_DATA
@QUIET
def compare(
    paths: tuple[str, ...],
    rubric_path: str | None,
    by: tuple[str, ...],
    within: tuple[str, ...],
    metric: str,
    as_of: dt.date | None,
    fmt: str,
    which: str,
    level: float,
    resamples: int,
    permutations: int,
    seed: int,
    min_n: int,
    min_coverage: float | None,
    include_insufficient: bool,
    correction: str,
    origin_groups: str | None,
    show_evidence: bool,
    since: dt.date | None,
    include_personal_data: bool,
    quiet: bool,
) -> None:
    """Compare scores between groups of companies (origin, sector, host, ownership)."""
    from ..analysis.origin import OriginGroupsError, load_origin_groups
    from ..evidence.sectors import bundle_sector_vocabulary

    if origin_groups is not None:
        existing_path(origin_groups)
    try:
        grouping = load_origin_groups(origin_groups)
    except OriginGroupsError as exc:
        fail(str(exc))
    with steps(quiet) as step:
        evidence, rubric_model, card = load_and_score(
            paths, rubric_path, as_of, step, include_personal_data=include_personal_data
        )
        window = rubric_model.policies.window
        if since is None and window is not None:
            since = window.start(card.meta.as_of)
        by_keys, within_keys = split_keys(by), split_keys(within)
        step("Comparing groups")
        sectors, _ = bundle_sector_vocabulary(paths)  # loading has reported its problems
        result, ev_result = _run(
            card,
            evidence,
            {
                "by": by_keys,
                "within": within_keys or None,
                "metric": metric,
                "origin_groups": grouping,
                "level": level,
                "resamples": resamples,
                "permutations": permutations,
                "seed": seed,
                "min_n": min_n,
                "min_coverage": min_coverage,
                "include_insufficient": include_insufficient,
                "correction": correction,
                "evidence": evidence,
                "sectors": sectors,
            },
            {
                "since": since,
                "min_n": min_n,
                "sectors": sectors,
                "include_personal_data": include_personal_data,
            }
            if show_evidence or which in ("evidence", "testimony")
            else None,
        )
    if fmt == "json":
        doc = result.to_dict()
        doc["rubric"] = {
            "id": card.meta.rubric_id,
            "version": card.meta.rubric_version,
            "hash": card.meta.rubric_hash,
        }
        doc["as_of"] = card.meta.as_of.isoformat()
        if ev_result is not None:
            doc["evidence"] = ev_result.to_dict()
        emit_json(doc)
    elif fmt == "csv":
        tables = {"groups": result.groups, "pairwise": result.pairwise}
        if ev_result is not None:
            tables |= {"evidence": ev_result.groups, "testimony": ev_result.testimony}
        emit_csv(tables[which])
    else:
        console.print(
            f"Rubric {safe(card.meta.rubric_id)} {safe(card.meta.rubric_version)}, as of "
            f"{card.meta.as_of.isoformat()}, {len(card.companies)} companies",
            markup=False,
        )
        for line in result.describe():
            print_indented(line, 0)
        print_groups(result)
        for line in result.warnings():
            print_indented(Text(safe(line), style="yellow"), 2)
        if ev_result is not None:
            print_evidence(ev_result)
    small = int(result.groups["small_group"].sum())
    if small:
        warn(
            f"{small} group(s) have fewer than {min_n} companies; "
            "their intervals and tests are not reliable"
        )


def _run(
    card: Any,
    evidence: Any,
    options: dict[str, Any],
    evidence_options: dict[str, Any] | None,
) -> tuple[Any, Any]:
    """The score comparison (``options`` for :func:`bhrscore.compare`) and, when
    ``evidence_options`` are given, the evidence comparison; a comparison the data cannot
    support is a usage error."""
    from ..analysis.compare import CompareError
    from ..analysis.compare import compare as run_compare
    from ..analysis.evidence_compare import compare_evidence

    try:
        result = run_compare(card, **options)
        ev_result = None
        if evidence_options is not None:
            by = options["by"]
            grouping = options["origin_groups"]
            ev_result = compare_evidence(
                evidence, by=by, origin_groups=grouping, as_of=card.meta.as_of, **evidence_options
            )
    except CompareError as exc:
        fail(str(exc))
    return result, ev_result
