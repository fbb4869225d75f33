"""The Summary sheet, titled by the rubric: provenance, the rubric's description, the
personal-data note and the companies ranked by total, with the chart of mean totals by origin
group (drawn from the By origin sheet's overview table)."""

from __future__ import annotations

from ..book import Block, ChartSpec, Sheet, Table, TableColumn
from .by_group import overview_name
from .columns import missing
from .inputs import BriefingInputs
from .registry import BY_ORIGIN, SUMMARY, briefing_sheet


@briefing_sheet(SUMMARY, order=10)
def summary_sheet(inputs: BriefingInputs) -> Sheet:
    c = inputs.companies
    cols = [
        TableColumn.from_series("Rank", c["rank"], "integer", width=6),
        TableColumn.from_series("Company", c["name"], width=34),
        TableColumn.from_series("Company id", c["company_id"], width=16),
        TableColumn.from_series("Origin group", c["origin_group"], width=14),
        TableColumn.from_series("Origin country", c.get("origin_country", missing(c)), width=9),
        TableColumn.from_series("Sector", c["sector"], width=20),
        TableColumn.from_series("Total", c["total"], "score", scale="score", width=8),
    ]
    for theme in inputs.theme_ids:
        cols.append(
            TableColumn.from_series(
                inputs.label(theme), c[f"theme:{theme}"], "score", scale="score", width=12
            )
        )
    cols.append(TableColumn.from_series("Coverage", c["coverage"], "percent", scale="coverage"))
    cols.append(
        TableColumn.from_series(
            "Total before penalties", c["total_before_penalties"], "score", width=11
        )
    )
    description = inputs.rubric_description
    lines: list[Block] = [
        *inputs.header_lines(),
        *([f"About the rubric: {description}"] if description else []),
        "Scores run from 0 to 100 (higher is better); rank 1 is the best. Colours: red 0, "
        "yellow 50, green 100. Coverage is the share of indicator weight backed by evidence.",
    ]
    table = Table(cols, title="Companies ranked by total score", main=True, freeze_cols=3)
    chart = ChartSpec(
        title="Mean total score by origin group",
        sheet=BY_ORIGIN,
        table=overview_name("origin_group"),
        categories="Group",
        values="Mean",
        interval=("CI low", "CI high"),
    )
    return Sheet(SUMMARY, f"Investor briefing: {inputs.rubric_title}", [*lines, table], chart=chart)
