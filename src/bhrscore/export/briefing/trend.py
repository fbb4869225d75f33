"""The Trend sheet: each company's total, coverage and rank at every as-of date of a trend
(:func:`bhrscore.rubric.trend.trend`), one block of columns per date, companies in the rank
order of the last date (the date every other sheet shows). A total that is not ranked at a
date (insufficient evidence then) is shown muted in brackets, "(32.1)", never coloured.
Written only when a trend is given (``write_briefing(..., trend=...)``,
``bhrscore brief --as-of D1,D2,...``)."""

from __future__ import annotations

import pandas as pd

from ..book import Block, Sheet, Table, TableColumn
from ..cells import text_dtype
from .columns import NO_RANK
from .inputs import BriefingInputs
from .registry import TREND, briefing_sheet


@briefing_sheet(TREND, order=15)
def trend_sheet(inputs: BriefingInputs) -> Sheet | None:
    table = inputs.trend
    if table is None or table.empty:
        return None
    dates = sorted(pd.to_datetime(table["as_of"]).dt.date.unique())
    c = inputs.companies
    ids = c["company_id"].astype(text_dtype())
    tidy = table.assign(
        company_id=table["company_id"].astype(text_dtype()),
        day=pd.to_datetime(table["as_of"]).dt.date,
    )
    cols = [
        TableColumn.from_series(
            "Rank", c["rank"], "integer", width=6, notes=pd.Series([NO_RANK] * len(c))
        ),
        TableColumn.from_series("Company", c["name"]),
        TableColumn.from_series("Company id", ids),
    ]
    for day in dates:
        at = tidy[tidy["day"] == day].drop_duplicates("company_id").set_index("company_id")
        at = at.reindex(ids.to_numpy())
        label = day.isoformat()
        total = pd.Series(pd.to_numeric(at["total"], errors="coerce").to_numpy(), dtype="Float64")
        ok = pd.Series(at["sufficient"].to_numpy(), dtype="boolean").fillna(False)
        shown = total.mask(~ok.to_numpy(dtype=bool))
        notes = ("(" + total.round(1).astype(text_dtype()) + ")").where(~ok.to_numpy(dtype=bool))
        rank = pd.Series(pd.to_numeric(at["rank"], errors="coerce").to_numpy(), dtype="Float64")
        cols += [
            TableColumn.from_series(
                f"Total\n{label}", shown, "score", scale="score", width=11, notes=notes
            ),
            TableColumn.from_series(
                f"Coverage\n{label}", at["coverage"], "percent", scale="coverage", width=10
            ),
            TableColumn.from_series(
                f"Rank\n{label}",
                rank,
                "integer",
                width=7,
                notes=pd.Series([NO_RANK] * len(ids), dtype=text_dtype()),
            ),
            TableColumn.from_series(
                f"Records known\n{label}", at["records_known"], "integer", width=11
            ),
        ]
    listed = ", ".join(d.isoformat() for d in dates)
    lines: list[Block] = [
        f"Scores at {len(dates)} as-of dates ({listed}). Each date uses only the records "
        "known then (records mentioning a later date are left out), so the columns show how "
        "the picture of each company grew, not only how its conduct changed. The other "
        f"sheets show the last date, {dates[-1].isoformat()}; companies are in its rank order.",
        "A total in grey brackets, e.g. '(32.1)', had coverage below the rubric's minimum at "
        "that date: insufficient evidence, not ranked then (–). Records known: the company's "
        "records known at the date.",
    ]
    return Sheet(
        TREND,
        "Trend: scores at several as-of dates",
        [*lines, Table(cols, main=True, freeze_cols=3)],
    )
