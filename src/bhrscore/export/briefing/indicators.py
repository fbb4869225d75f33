"""The Indicators sheet: the company x indicator matrix of scores and evidence counts."""

from __future__ import annotations

from collections import Counter
from typing import Any

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
        "evidence records behind it.",
        missing_legend(inputs.card.rubric),
        f"Indicators: {legend}",
    ]
    return Sheet(
        INDICATORS,
        "Indicator matrix",
        [*lines, Table(cols, main=True, freeze_cols=3)],
    )


def missing_legend(rubric: Any) -> str:
    """What an indicator without evidence scores under ``rubric``: its missing-data policy,
    with the indicators that set their own (counted), so the legend matches the rubric."""
    walk = getattr(rubric, "walk", None)
    policies = getattr(rubric, "policies", None)
    default = getattr(policies, "missing", None)
    if not callable(walk) or default is None:
        return "Without evidence an indicator scores as the rubric's missing-data policy says."
    effective: dict[str, Any] = {}
    counts: Counter[tuple[str, str]] = Counter()  # (singular, plural) wording -> indicators
    for info in walk():
        own = getattr(info.node, "missing", None)
        effective[info.node.id] = own if own is not None else effective.get(info.parent_id, default)
        if info.node.is_indicator:
            counts[_missing_words(effective[info.node.id])] += 1
    parts = [
        f"{n} indicator{'' if n == 1 else 's'} {words[0] if n == 1 else words[1]}"
        for words, n in counts.items()
    ]
    return f"Without evidence (rubric policy missing: {default}): {'; '.join(parts)}."


def _missing_words(missing: Any) -> tuple[str, str]:
    """How an indicator without evidence is scored under ``missing``, as (singular, plural)
    verb phrases."""
    screened = getattr(missing, "screened", None)
    if screened is not None:
        topics = ", ".join(str(getattr(t, "value", t)) for t in missing.topics)
        where = f"where the company was screened for {topics}"
        if getattr(missing, "unscreened", "unknown") == "zero":
            return (
                f"scores {screened:g} {where} and 0 elsewhere (not covered)",
                f"score {screened:g} {where} and 0 elsewhere (not covered)",
            )
        rest = "unknown elsewhere (empty score, not covered)"
        return (
            f"scores {screened:g} {where} and is {rest}",
            f"score {screened:g} {where} and are {rest}",
        )
    if missing == "exclude":
        text = "left out (empty score; the weight goes to siblings with evidence)"
        return (f"is {text}", f"are {text}")
    value = 0.0 if missing == "zero" else float(missing)
    return (f"scores {value:g}", f"score {value:g}")
