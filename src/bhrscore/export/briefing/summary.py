"""The Summary sheet, titled by the rubric: provenance (hashes shortened; Method has them in
full), the rubric's description, the personal-data note, a legend, and the companies ranked
by total with the total's interval and the rank interval. Companies with insufficient
evidence come last, greyed out, without a rank ("–") and with the reason. The chart of mean
totals by origin group (drawn from the By origin sheet's overview table) sits below."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..book import Block, ChartSpec, Sheet, Table, TableColumn
from ..cells import text_dtype
from .by_group import ABOVE, BELOW, LABEL, overview_name
from .columns import insufficient_mask, missing, rank_notes, rank_range
from .inputs import BriefingInputs
from .registry import BY_ORIGIN, SUMMARY, briefing_sheet

#: what the colours and marks of the briefing mean (on Summary, above the ranking)
LEGEND = (
    "How to read: scores run from 0 to 100 (higher is better) and are coloured red 0, "
    "yellow 50, green 100; rank 1 is the best. Total low / high is the interval of the total "
    "and Rank range the ranks the company takes across that uncertainty (bootstrap over its "
    "evidence; Method says how). Coverage is the share of indicator weight backed by "
    "evidence (blue bar). Grey rows: insufficient evidence (coverage below the rubric's "
    "minimum): partial scores shown, never coloured, no rank (–), the reason in the last "
    "column. In indicator cells, grey italic text is a value no evidence backs: unknown "
    "(silence no screening covers), n/a (not applicable), excluded, or a score the "
    "missing-data policy filled in, e.g. '0 (policy)'."
)


@briefing_sheet(SUMMARY, order=10)
def summary_sheet(inputs: BriefingInputs) -> Sheet:
    c = inputs.companies
    muted = insufficient_mask(c)
    cols = [
        TableColumn.from_series("Rank", c["rank"], "integer", width=6, notes=rank_notes(c)),
        TableColumn.from_series("Rank range", rank_range(c), width=8),
        TableColumn.from_series("Company", c["name"]),
        TableColumn.from_series("Company id", c["company_id"]),
        TableColumn.from_series("Origin group", c["origin_group"], width=12),
        TableColumn.from_series("Origin country", c.get("origin_country", missing(c)), width=8),
        TableColumn.from_series("Sector", c["sector"]),
        TableColumn.from_series("Total", c["total"], "score", scale="score", width=8),
        TableColumn.from_series("Total low", _col(c, "total_low"), "score", width=7),
        TableColumn.from_series("Total high", _col(c, "total_high"), "score", width=7),
    ]
    for theme in inputs.theme_ids:
        cols.append(
            TableColumn.from_series(
                inputs.label(theme), c[f"theme:{theme}"], "score", scale="score", width=11
            )
        )
    cols.append(
        TableColumn.from_series("Coverage", c["coverage"], "percent", scale="coverage", width=9)
    )
    cols.append(
        TableColumn.from_series(
            "Total before penalties", c["total_before_penalties"], "score", width=10
        )
    )
    cols.append(
        TableColumn.from_series(
            "Not ranked because", _col(c, "insufficient_reason", text_dtype()), width=48
        )
    )
    description = inputs.rubric_description
    lines: list[Block] = [
        *inputs.header_lines(short=True),
        *([f"About the rubric: {description}"] if description else []),
        LEGEND,
    ]
    table = Table(
        cols,
        title="Companies ranked by total score",
        main=True,
        freeze_cols=4,
        muted=muted,
    )
    chart = ChartSpec(
        title="Mean total score by origin group (n companies; bars: interval of the mean)",
        sheet=BY_ORIGIN,
        table=overview_name("origin_group"),
        categories=LABEL,
        values="Mean",
        errors=(ABOVE, BELOW),
    )
    return Sheet(SUMMARY, f"Investor briefing: {inputs.rubric_title}", [*lines, table], chart=chart)


def _col(frame: pd.DataFrame, name: str, dtype: Any = "Float64") -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([pd.NA] * len(frame), dtype=dtype)
