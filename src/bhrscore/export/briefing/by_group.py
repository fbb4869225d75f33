"""The By origin and By sector sheets: total scores by group, with the comparisons' intervals,
tests and small-group warnings when they were given, descriptive statistics otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from ..book import Block, Sheet, Table, TableColumn
from ..cells import text_dtype
from .columns import frame_table
from .inputs import BriefingInputs
from .registry import BY_ORIGIN, BY_SECTOR, briefing_sheet

if TYPE_CHECKING:
    from ...analysis.compare import Comparison


#: headers of the overview columns the Summary chart reads: category label with n, and the
#: distances from the mean to the interval's upper and lower bound (its error bars)
LABEL = "Label"
ABOVE = "Interval above mean"
BELOW = "Interval below mean"


def overview_name(key: str) -> str:
    """Name of the overview table of the group sheet for ``key`` (charts refer to it)."""
    return f"{key} overview"


@briefing_sheet(BY_ORIGIN, order=20, uses_comparisons=True)
def by_origin_sheet(inputs: BriefingInputs) -> Sheet:
    return group_sheet(inputs, "origin_group", BY_ORIGIN)


@briefing_sheet(BY_SECTOR, order=30, uses_comparisons=True)
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
        blocks.extend(_pair_warnings(comparison))
    blocks.append(group_overview(inputs, key, comparisons))
    for comparison in comparisons:
        within = f" within {', '.join(comparison.within)}" if comparison.within else ""
        # warnings are on the overview (groups) and above it (pairs): not repeated here
        blocks.append(
            frame_table(
                _without_overview_warnings(comparison.groups),
                f"All groups: {comparison.metric} by {label}{within}",
            )
        )
        blocks.append(
            frame_table(
                comparison.pairwise.drop(columns=["warning"], errors="ignore"),
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
        mean = pd.to_numeric(rows["mean"], errors="coerce").astype("Float64")
        low = pd.to_numeric(rows["ci_low"], errors="coerce").astype("Float64")
        high = pd.to_numeric(rows["ci_high"], errors="coerce").astype("Float64")
        cols = [
            TableColumn.from_series("Group", rows["group"], width=18),
            TableColumn.from_series("Companies", rows["n"], "integer"),
            TableColumn.from_series("Mean", rows["mean"], "score", scale="score"),
            TableColumn.from_series("Median", rows["median"], "score"),
            TableColumn.from_series("CI low", rows["ci_low"], "score"),
            TableColumn.from_series("CI high", rows["ci_high"], "score"),
            TableColumn.from_series("Mean coverage", rows["coverage_mean"], "percent"),
            TableColumn.from_series(LABEL, _labels(rows["group"], rows["n"]), width=16),
            TableColumn.from_series(ABOVE, high - mean, "score", width=9),
            TableColumn.from_series(BELOW, mean - low, "score", width=9),
            TableColumn.from_series("Warning", rows["warning"], width=32),
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
        TableColumn.from_series(LABEL, _labels(d["group"], d["scored"]), width=16),
    ]
    return Table(
        cols,
        title=f"Total score by {label} (descriptive)",
        main=True,
        freeze=False,
        name=overview_name(key),
    )


def _labels(groups: pd.Series, n: pd.Series) -> pd.Series:
    """Category labels with the number of companies behind each mean: "china (n=5)"."""
    counts = pd.to_numeric(n, errors="coerce").astype("Int64").astype(text_dtype()).fillna("0")
    text = groups.astype(text_dtype()).fillna("unknown") + " (n=" + counts + ")"
    return pd.Series(text.to_numpy(), dtype=text_dtype())


def _without_overview_warnings(groups: pd.DataFrame) -> pd.DataFrame:
    """The groups table with the warnings the overview already shows (stratum "all") left
    blank; a table with none left loses the column."""
    if "warning" not in groups.columns:
        return groups
    if "stratum" not in groups.columns:
        return groups.drop(columns=["warning"])
    overall = (groups["stratum"].astype(text_dtype()) == "all").fillna(False)
    out = groups.copy()
    out["warning"] = out["warning"].astype(text_dtype()).mask(overall.to_numpy())
    return out if out["warning"].notna().any() else out.drop(columns=["warning"])


def _pair_warnings(comparison: Comparison) -> list[Block]:
    """The warnings about pairs of groups, one line per distinct message with the pairs it
    concerns (group warnings are in the overview's Warning column)."""
    pairs = comparison.pairwise
    if "warning" not in pairs.columns or not len(pairs):
        return []
    names = pairs["group_a"].astype(text_dtype()) + " – " + pairs["group_b"].astype(text_dtype())
    if "stratum" in pairs.columns:
        stratum = pairs["stratum"].astype(text_dtype()).fillna("all")
        names = names.where(stratum == "all", names + " (" + stratum + ")")
    frame = pd.DataFrame({"warning": pairs["warning"].astype(text_dtype()), "pair": names})
    frame = frame.dropna(subset=["warning"])
    lines: list[Block] = []
    for message, group in frame.groupby("warning", sort=True):
        listed = ", ".join(group["pair"].astype(str).tolist()[:20])
        more = len(group) - 20
        tail = f" and {more} more" if more > 0 else ""
        lines.append(f"Pairs: {message} ({listed}{tail}).")
    return lines[:50]


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
    units["group"] = units["group"].astype(text_dtype())
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
