"""Silence and screening: when does "nothing recorded" count as good news?

Absence of evidence is not good conduct. An indicator where silence is good news ("no reprisal
recorded") earns its silence score only for companies an analyst *screened* for it: a
``screening`` record (a null finding) of the company, for the indicator's topics, within the
window and known at ``as_of``. Elsewhere the indicator is *unknown*: not scored (left out of its
parent, its weight re-distributed) and not covered, so it lowers the company's coverage.

Rubric syntax, on a node (inherited by the indicators below it)::

    missing: {screened: 100, topics: [retaliation]}            # unscreened: unknown
    missing: {screened: 0, topics: [statements], unscreened: zero}   # "no policy found"

and on a ``say_do_gap`` rule, whose silence is "a commitment and no contradiction"::

    silence: {topics: [retaliation, union_dialogue]}

A company is screened for a list of topics when every topic is named by at least one of its
screening records (one record may name several) that

- is known at ``as_of`` (the engine drops records mentioning a later date);
- covers a period that ends inside the window: the end of ``period``, else ``date``, else the
  period's start, between ``as_of`` minus the window (``window`` here, else the rubric's) and
  ``as_of``;
- has a weight above 0 (status x reliability x decay; a retracted screening counts as none).

The screening's weight decides only whether it counts: the silence score is the fixed value
``screened`` (a lone record under ``max``/``latest`` is not scaled by its weight either). This
keeps an indicator monotone: a screened company scores ``screened``, and any incident found
later is scored by the rule itself, which can only be as good as no incident. The screening
records used are the indicator's evidence (ids, status mix), so their weakness is visible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from ..evidence.vocab import ScreeningTopic
from .selection import DAYS_PER_YEAR, Prepared, Selection, day_number
from .spec import Decay, Spec, Window

SCREENING_KIND = "screening"


class ScreeningNeed(Spec):
    """Which screenings establish a silence: every one of ``topics`` screened, by screenings
    whose covered period ends inside ``window`` (default: the rubric's window)."""

    topics: list[ScreeningTopic] = Field(min_length=1)
    window: Window | None = None


class Screened(ScreeningNeed):
    """A node's missing-data rule for silence-is-good-news indicators: a company without
    records scores ``screened`` when screened for ``topics`` (see :class:`ScreeningNeed`);
    otherwise it is ``unknown`` (default: not scored, not covered) or ``zero`` (scored 0, not
    covered; for indicators where silence is bad news, e.g. no policy found, so that a
    screening only documents the 0)."""

    screened: Annotated[float, Field(ge=0, le=100)]
    unscreened: Literal["unknown", "zero"] = "unknown"

    def describe(self) -> str:
        """E.g. ``100 if screened for retaliation (within 3 years), else unknown``."""
        topics = ", ".join(t.value for t in self.topics)
        win = self.window
        within = (
            ""
            if win is None
            else f" (within {win.years} years)"
            if win.years
            else f" (within {win.days} days)"
        )
        other = "unknown" if self.unscreened == "unknown" else "0"
        return f"{self.screened:g} if screened for {topics}{within}, else {other}"


def parse_missing(value: Any) -> Any:
    """Pydantic before-validator for a node's ``missing``: a mapping is a :class:`Screened`
    rule (so its errors name its own keys, not every other form ``missing`` may take)."""
    if isinstance(value, dict):
        return Screened.model_validate(value)
    return value


@dataclass(frozen=True)
class ScreenedCompanies:
    """Per company code (in company order; replicates x companies when the selections are
    replicate-stacked): screened for every topic; and the screening rows behind it (rows
    naming at least one of the topics, of screened companies only)."""

    mask: np.ndarray
    used: Selection


@dataclass(frozen=True)
class ScreeningRows:
    """The screening rows that may back a silence for a :class:`ScreeningNeed`: covering a
    period that ends inside the window, of positive weight, naming at least one of its
    topics (``sel``, in row order); ``names[i, j]``: row ``i`` names topic ``j``."""

    sel: Selection
    names: np.ndarray


def _covered_end(prep: Prepared, rows: np.ndarray) -> np.ndarray:
    """Last day a screening speaks for: period end, else date, else period start (days)."""
    end = prep.column("period.end", rows)
    date = prep.column("date", rows)
    start = prep.column("period.start", rows)
    values = end.fillna(date).fillna(start).to_numpy(dtype="datetime64[D]")
    return (values - np.datetime64("1970-01-01", "D")).astype(np.int64)


def screening_rows(
    prep: Prepared,
    need: ScreeningNeed,
    as_of: dt.date,
    window: Window | None,
    decay: Decay | None,
) -> ScreeningRows:
    """The screening rows of ``need`` as of ``as_of`` (vectorised over the screening
    records). ``window`` and ``decay`` are the rubric's; ``need.window`` wins."""
    if SCREENING_KIND not in prep.kinds:
        empty = np.array([], dtype=np.int64)
        none = np.zeros((0, len(need.topics)), dtype=bool)
        return ScreeningRows(Selection(empty, empty, np.zeros(0)), none)
    code = prep.kinds.index(SCREENING_KIND)
    rows = np.flatnonzero(prep.kind_codes == code)
    end = day_number(as_of)
    covered = _covered_end(prep, rows)
    keep = covered <= end
    win = need.window or window
    if win is not None:
        keep &= covered >= day_number(win.start(as_of))
    weight = prep.base_weight[rows]
    if decay is not None:
        weight = weight * np.power(0.5, (end - covered) / (DAYS_PER_YEAR * decay.half_life_years))
    keep &= weight > 0
    rows, weight = rows[keep], weight[keep]
    topics = prep.column("topics", rows)
    codes, uniques = pd.factorize(topics, use_na_sentinel=True)
    names = np.stack(
        [
            np.array(
                [topic.value in (u if isinstance(u, tuple) else ()) for u in uniques] + [False],
                dtype=bool,
            )[codes]
            for topic in need.topics
        ],
        axis=1,
    ).reshape(len(rows), len(need.topics))
    named_any = names.any(axis=1)
    rows, weight, names = rows[named_any], weight[named_any], names[named_any]
    return ScreeningRows(Selection(rows, prep.company[rows], weight), names)


def screened_in(
    found: ScreeningRows, sel: Selection, n: int, positions: np.ndarray | None = None
) -> ScreenedCompanies:
    """Which of ``n`` company codes are screened, given ``sel``: ``found.sel`` itself, or a
    replicate-stacking of it (rows repeated, company codes ``replicate * companies +
    company``; see :mod:`.replicates`), so that a replicate that drops a company's only
    screening leaves that company unscreened in it. ``positions``: each row's position in
    ``found.sel`` when known (the stacking gives them), else looked up."""
    if positions is None:
        positions = np.searchsorted(found.sel.rows, sel.rows)  # found.sel.rows: sorted
    names = np.take(found.names, positions, axis=0)  # whole rows: faster than names[positions]
    mask = np.ones(n, dtype=bool)
    for j in range(names.shape[1]):
        mask &= np.bincount(sel.company[names[:, j]], minlength=n) > 0
    return ScreenedCompanies(mask, sel.take(mask[sel.company]))


def screened_companies(
    prep: Prepared,
    need: ScreeningNeed,
    as_of: dt.date,
    window: Window | None,
    decay: Decay | None,
) -> ScreenedCompanies:
    """Which companies are screened for ``need`` as of ``as_of`` (vectorised over the
    screening records). ``window`` and ``decay`` are the rubric's; ``need.window`` wins."""
    found = screening_rows(prep, need, as_of, window, decay)
    return screened_in(found, found.sel, prep.n_companies)
