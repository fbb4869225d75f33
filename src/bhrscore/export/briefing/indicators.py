"""The Indicators sheet: the company x indicator matrix of scores and evidence counts."""

from __future__ import annotations

import pandas as pd

from ..book import Sheet, Table, TableColumn
from .columns import values
from .inputs import BriefingInputs
from .registry import INDICATORS, briefing_sheet


@briefing_sheet(INDICATORS, order=50)
def indicators_sheet(inputs: BriefingInputs) -> Sheet:
    ind = inputs.card.indicators
    ids = inputs.companies["company_id"]
    frame = pd.DataFrame(
        {
            "company_id": ind["company_id"].astype("string"),
            "indicator_id": ind["indicator_id"].astype("string"),
            "score": pd.to_numeric(ind["score"], errors="coerce").astype("float64"),
            "n": pd.to_numeric(ind["evidence_count"], errors="coerce").astype("float64"),
        }
    )
    wide = frame.pivot_table(
        index="company_id", columns="indicator_id", values=["score", "n"], aggfunc="first"
    ).reindex(ids.to_numpy())
    present = set(frame["indicator_id"].dropna().tolist())
    indicators = [i for i in inputs.indicator_ids if i in present]
    indicators += sorted(present - set(indicators))
    cols = [
        TableColumn.from_series("Rank", inputs.companies["rank"], "integer", width=6),
        TableColumn.from_series("Company id", ids, width=16),
        TableColumn.from_series("Company", inputs.companies["name"], width=30),
    ]
    for indicator in indicators:
        score = wide.get(("score", indicator), None)
        count = wide.get(("n", indicator), None)
        cols.append(
            TableColumn.from_series(
                indicator, values(score, len(ids)), "score", scale="score", width=11
            )
        )
        cols.append(TableColumn.from_series(f"{indicator} (n)", values(count, len(ids)), "integer"))
    legend = "; ".join(f"{i}: {inputs.label(i)}" for i in indicators)
    lines = [
        "Score (0-100) of each indicator and, in the (n) column beside it, the number of "
        "evidence records behind it. An empty score: no evidence and the rubric excludes it.",
        f"Indicators: {legend}",
    ]
    return Sheet(
        INDICATORS,
        "Indicator matrix",
        [*lines, Table(cols, main=True, freeze_cols=3)],
    )
