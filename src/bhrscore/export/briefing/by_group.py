"""The By origin and By sector sheets: total scores by group, with the comparisons' intervals,
tests and small-group warnings when they were given, descriptive statistics otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from ..book import Block, Sheet, Table, TableColumn
from .columns import frame_table
from .inputs import BriefingInputs
from .registry import BY_ORIGIN, BY_SECTOR, briefing_sheet

if TYPE_CHECKING:
    from ...analysis.compare import Comparison


def overview_name(key: str) -> str:
    """Name of the overview table of the group sheet for ``key`` (charts refer to it)."""
    return f"{key} overview"


@briefing_sheet(BY_ORIGIN, order=20)
def by_origin_sheet(inputs: BriefingInputs) -> Sheet:
    return group_sheet(inputs, "origin_group", BY_ORIGIN)


@briefing_sheet(BY_SECTOR, order=30)
def by_sector_sheet(inputs: BriefingInputs) -> Sheet:
    return group_sheet(inputs, "sector", BY_SECTOR)


def _label(key: str) -> str:
    return "origin group" if key == "origin_group" else "sector"


def group_sheet(inputs: BriefingInputs, key: str, name: str) -> Sheet:
    """The sheet ``name`` comparing total scores by ``key`` (origin_group or sector)."""
    comparisons = inputs.comparisons_for(key)
    label = _label(key)
    blocks: list[Block] = []
    if key == "origin_group":
        blocks.append(inputs.origin_note)
    else:
        blocks.append("A company listed in several sectors counts in each of them.")
    if not comparisons:
        blocks.append(
            f"No statistical comparison was given; run `bhrscore compare --by {key}` or pass "
            "comparisons= for intervals, tests and small-group warnings."
        )
    for comparison in comparisons:
        for warning in comparison.warnings()[:50]:
            blocks.append(f"Warning: {warning}")
    blocks.append(group_overview(inputs, key, comparisons))
    for comparison in comparisons:
        within = f" within {', '.join(comparison.within)}" if comparison.within else ""
        blocks.append(
            frame_table(comparison.groups, f"Groups: {comparison.metric} by {label}{within}")
        )
        blocks.append(
            frame_table(
                comparison.pairwise,
                f"Pairwise differences of means{within} (permutation test, adjusted p-values)",
            )
        )
    return Sheet(name, f"Scores by {label}", blocks)


def group_overview(inputs: BriefingInputs, key: str, comparisons: Sequence[Comparison]) -> Table:
    """The total score per group: from the first comparison by ``key`` alone that has an
    overall row, else descriptive statistics."""
    label = _label(key)
    for comparison in comparisons:
        groups = comparison.groups
        if comparison.by != (key,) or "metric" not in groups or "stratum" not in groups:
            continue
        rows = groups[(groups["metric"] == "total") & (groups["stratum"] == "all")]
        if rows.empty:
            continue
        rows = rows.sort_values("group", kind="stable")
        level = rows["ci_level"].dropna()
        pct = f"{float(level.iloc[0]):.0%}" if len(level) else ""
        cols = [
            TableColumn.from_series("Group", rows["group"], width=18),
            TableColumn.from_series("Companies", rows["n"], "integer"),
            TableColumn.from_series("Mean", rows["mean"], "score", scale="score"),
            TableColumn.from_series("Median", rows["median"], "score"),
            TableColumn.from_series("CI low", rows["ci_low"], "score"),
            TableColumn.from_series("CI high", rows["ci_high"], "score"),
            TableColumn.from_series("Mean coverage", rows["coverage_mean"], "percent"),
            TableColumn.from_series("Warning", rows["warning"], width=50),
        ]
        title = f"Total score by {label} (mean with {pct} bootstrap interval)"
        return Table(cols, title=title, main=True, freeze=False, name=overview_name(key))
    d = _descriptive(inputs, key)
    cols = [
        TableColumn.from_series("Group", d["group"], width=18),
        TableColumn.from_series("Companies", d["companies"], "integer"),
        TableColumn.from_series("Scored", d["scored"], "integer"),
        TableColumn.from_series("Mean", d["mean"], "score", scale="score"),
        TableColumn.from_series("Median", d["median"], "score"),
        TableColumn.from_series("Min", d["min"], "score"),
        TableColumn.from_series("Max", d["max"], "score"),
    ]
    return Table(
        cols,
        title=f"Total score by {label} (descriptive)",
        main=True,
        freeze=False,
        name=overview_name(key),
    )


def _units(inputs: BriefingInputs, key: str) -> pd.DataFrame:
    """One row per company and group (a company in two sectors counts in both)."""
    c = inputs.companies
    if key == "sector":
        sectors = c.get("sectors")
        values = (
            sectors.map(lambda v: tuple(v) if isinstance(v, tuple | list) and v else ("unknown",))
            if sectors is not None
            else pd.Series([("unknown",)] * len(c))
        )
    else:
        values = c["origin_group"].map(
            lambda v: tuple(v.split(", ")) if isinstance(v, str) else ("unknown",)
        )
    units = pd.DataFrame(
        {"company_id": c["company_id"], "group": values, "total": c["total"]}
    ).explode("group")
    units["group"] = units["group"].astype("string")
    return units


def _descriptive(inputs: BriefingInputs, key: str) -> pd.DataFrame:
    units = _units(inputs, key)
    total = pd.to_numeric(units["total"], errors="coerce").astype("float64")
    grouped = units.assign(total=total).groupby("group", sort=True)["total"]
    return pd.DataFrame(
        {
            "companies": grouped.size(),
            "scored": grouped.count(),
            "mean": grouped.mean(),
            "median": grouped.median(),
            "min": grouped.min(),
            "max": grouped.max(),
        }
    ).reset_index()
