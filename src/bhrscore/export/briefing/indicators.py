"""The Indicators sheet: the company x indicator matrix of scores and evidence counts."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from ..book import Sheet, Table, TableColumn
from ..cells import text_dtype
from .columns import insufficient_mask, rank_notes, score_display
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
    # every indicator's column end to end (company by company within an indicator),
    # converted at once (then cut into columns): each (company, indicator)'s first score,
    # count and basis given, as a pivot of the first values by company and indicator
    grid = _Grid(frame["company_id"], ids, frame["indicator_id"], indicators)
    if "basis" in ind:
        codes, names = pd.factorize(ind["basis"].astype(text_dtype()))
        first = grid.firsts(codes >= 0)
        taken = np.where(first >= 0, codes[np.maximum(first, 0)], -1)
        table = pd.array([*names, pd.NA], dtype=text_dtype())
        kinds = pd.Series(table.take(taken))  # (code -1 takes the last: missing)
    else:
        kinds = pd.Series([pd.NA] * grid.size, dtype=text_dtype())
    shown, notes = score_display(grid.values(frame["score"]), kinds)
    labels = [inputs.label(i) for i in indicators]
    score_cols = TableColumn.number_columns(
        labels, shown, "score", scale="score", width=12, notes=notes
    )
    count_cols = TableColumn.number_columns(
        ["n"] * len(indicators), grid.values(frame["n"]), "integer", width=4
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


class _Grid:
    """The matrix of companies (``ids``, in order) by indicators (``indicators``, in order),
    laid out indicator by indicator, and the cell of each row of the score card's indicators
    table (``company``, ``indicator``): the first value a cell is given, as
    ``pivot_table(aggfunc="first")`` takes it (missing values skipped; a company or an
    indicator listed twice gets the same values twice)."""

    def __init__(
        self, company: pd.Series, ids: pd.Series, indicator: pd.Series, indicators: list[str]
    ) -> None:
        # distinct companies and indicators, and where each row of the matrix finds its own
        self._across, companies = pd.factorize(pd.Index(ids.to_numpy(dtype=object)))
        self._down, kinds = pd.factorize(pd.Index(indicators, dtype=object))
        row = pd.Index(companies).get_indexer(pd.Index(company.to_numpy(dtype=object)))
        col = pd.Index(kinds).get_indexer(pd.Index(indicator.to_numpy(dtype=object)))
        self._m, self._k = len(companies), len(kinds)
        self._cells = np.where((row >= 0) & (col >= 0), col * self._m + row, -1)
        self.size = len(ids) * len(indicators)

    def firsts(self, given: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Each cell's first row among the rows ``given`` (their value is not missing),
        or -1, by the matrix's cells."""
        rows = np.flatnonzero((self._cells >= 0) & given)
        found, at = np.unique(self._cells[rows], return_index=True)  # (first of each)
        first = np.full((self._k + 1) * (self._m + 1), -1, dtype=np.int64)
        first[(found // self._m) * (self._m + 1) + found % self._m] = rows[at]
        # (code -1, a missing company or indicator, takes the last: none)
        out: np.ndarray[Any, Any] = first.reshape(self._k + 1, self._m + 1)[
            self._down[:, None], self._across[None, :]
        ]
        return out.reshape(-1)

    def values(self, values: pd.Series) -> pd.Series:
        """Each cell's first number (:meth:`firsts`) as nullable floats, missing where none."""
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        first = self.firsts(~np.isnan(numbers))
        out = np.where(first >= 0, numbers[np.maximum(first, 0)], np.nan)
        return pd.Series(out, dtype="Float64")


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
