"""The Indicators sheet: the company x indicator matrix of scores and evidence counts."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from ..book import Sheet, Table, TableColumn
from ..cells import text_dtype
from .columns import insufficient_mask, rank_notes, score_display, values
from .inputs import BriefingInputs
from .registry import INDICATORS, briefing_sheet


@briefing_sheet(INDICATORS, order=50)
def indicators_sheet(inputs: BriefingInputs) -> Sheet:
    ind = inputs.card.indicators
    ids = inputs.companies["company_id"]
    frame = pd.DataFrame(
        {
            "company_id": ind["company_id"].astype(text_dtype()),
            "indicator_id": ind["indicator_id"].astype(text_dtype()),
            "score": pd.to_numeric(ind["score"], errors="coerce").astype("float64"),
            "n": pd.to_numeric(ind["evidence_count"], errors="coerce").astype("float64"),
        }
    )
    basis = pd.DataFrame(
        {
            "company_id": frame["company_id"],
            "indicator_id": frame["indicator_id"],
            "basis": ind["basis"].astype(text_dtype()) if "basis" in ind else pd.NA,
        }
    ).astype({"basis": text_dtype()})
    wide = frame.pivot_table(
        index="company_id", columns="indicator_id", values=["score", "n"], aggfunc="first"
    ).reindex(ids.to_numpy())
    wide_basis = (
        basis.dropna(subset=["basis"])
        .drop_duplicates(["company_id", "indicator_id"])
        .pivot(index="company_id", columns="indicator_id", values="basis")
        .reindex(ids.to_numpy())
    )
    present = set(frame["indicator_id"].dropna().tolist())
    indicators = [i for i in inputs.indicator_ids if i in present]
    indicators += sorted(present - set(indicators))
    cols = [
        TableColumn.from_series(
            "Rank",
            inputs.companies["rank"],
            "integer",
            width=6,
            notes=rank_notes(inputs.companies),
        ),
        TableColumn.from_series("Company id", ids),
        TableColumn.from_series("Company", inputs.companies["name"], width=24),
    ]
    # every indicator's column end to end, converted at once (then cut into columns)
    n = len(ids)
    absent = pd.Series([pd.NA] * n, dtype=text_dtype())
    kinds = [
        pd.Series(wide_basis[i].to_numpy(), dtype=text_dtype())
        if i in wide_basis.columns
        else absent
        for i in indicators
    ]
    scores = [values(wide.get(("score", i), None), n) for i in indicators]
    counts = [values(wide.get(("n", i), None), n) for i in indicators]
    shown, notes = score_display(_joined(scores, "Float64"), _joined(kinds, text_dtype()))
    labels = [inputs.label(i) for i in indicators]
    score_cols = TableColumn.number_columns(
        labels, shown, "score", scale="score", width=12, notes=notes
    )
    count_cols = TableColumn.number_columns(
        ["n"] * len(indicators), _joined(counts, "Float64"), "integer", width=4
    )
    for score_col, count_col in zip(score_cols, count_cols, strict=True):
        cols += [score_col, count_col]
    lines = [
        "Score (0-100) of each indicator (columns titled by indicator; their ids are in the "
        "first table) and, in the n column beside it, the number of evidence records behind "
        "it. Grey italic: no evidence gives this score: unknown (silence no screening "
        "covers), n/a (not applicable), excluded, or a value the missing-data policy filled "
        "in, e.g. '0.0 (policy)'. Grey rows: insufficient evidence, no rank.",
        missing_legend(inputs.card.rubric),
    ]
    theme = _indicator_themes(inputs, indicators)
    key = pd.DataFrame(
        {
            "id": pd.Series(indicators, dtype=text_dtype()),
            "title": pd.Series([inputs.label(i) for i in indicators], dtype=text_dtype()),
            "theme": pd.Series(
                [inputs.label(t) if t else pd.NA for t in theme], dtype=text_dtype()
            ),
        }
    )
    legend = Table(  # in the matrix's columns: number (Rank), id, title (Company), theme
        [
            TableColumn.from_series("No.", pd.Series(range(1, len(key) + 1)), "integer", width=6),
            TableColumn.from_series("Id", key["id"]),
            TableColumn.from_series("Indicator", key["title"], width=24),
            TableColumn.from_series("Theme", key["theme"], width=12, wrap=True),
        ],
        title="Indicators: titles and ids",
    )
    matrix = Table(cols, main=True, freeze_cols=3, muted=insufficient_mask(inputs.companies))
    # the matrix last, so its header repeats on every printed page
    return Sheet(INDICATORS, "Indicator matrix", [*lines, legend, matrix])


def _joined(parts: list[pd.Series], dtype: Any) -> pd.Series:
    """Series end to end, by position (an empty one when there are none)."""
    if not parts:
        empty: pd.Series = pd.Series([], dtype=dtype)
        return empty
    joined: pd.Series = pd.concat(parts, ignore_index=True).astype(dtype)
    return joined


def _indicator_themes(inputs: BriefingInputs, indicators: list[str]) -> list[str | None]:
    """Each indicator's top-level theme (from the score card's indicators table)."""
    ind = inputs.card.indicators
    pairs = ind[["indicator_id", "theme_id"]].drop_duplicates("indicator_id")
    theme = dict(zip(pairs["indicator_id"].astype(str), pairs["theme_id"], strict=True))
    return [None if pd.isna(theme.get(i)) else str(theme.get(i)) for i in indicators]


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
