"""Scores over time: the same evidence and rubric scored at several as-of dates.

Scoring as of a date uses only what was known then (records mentioning a later date are left
out, see :mod:`.known`), so a series of dates shows how the picture of each company grew:
``trend(evidence, rubric, as_of=[...])`` returns one tidy row per company and date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..evidence.evidence_set import EvidenceSet
from ..evidence.frame import Frames
from .engine import score
from .known import known_at
from .model import Rubric
from .scorecard import ScoreCard

#: Leading columns of a trend frame; the score card's other company columns follow
#: (``theme:<id>``, company attributes, and any columns a newer engine adds).
TREND_COLUMNS: dict[str, str] = {
    "company_id": "string",
    "name": "string",
    "as_of": "datetime64[ns]",
    "total": "Float64",
    "total_before_penalties": "Float64",
    "coverage": "Float64",
    "rank": "Int64",  # among sufficient companies at that date; <NA> = not ranked
    "sufficient": "boolean",
    "insufficient_reason": "string",
    "records_known": "Int64",  # the company's records known at that date (scored or not)
}


def _dates(as_of: dt.date | Iterable[dt.date]) -> list[dt.date]:
    dates = [as_of] if isinstance(as_of, dt.date) else list(as_of)
    if not dates:
        raise ValueError("give at least one as-of date")
    for d in dates:
        if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
            raise TypeError(f"as-of dates must be datetime.date values, not {d!r}")
    return sorted(set(dates))


def trend_cards(
    evidence: EvidenceSet | Frames,
    rubric: Rubric,
    as_of: dt.date | Iterable[dt.date],
    *,
    include_personal_data: bool = False,
) -> list[ScoreCard]:
    """One score card per as-of date (sorted, duplicates dropped); the evidence hash is
    computed once. Ids carrying protected names are redacted unless
    ``include_personal_data`` (:func:`bhrscore.score`)."""
    frames = evidence.frames() if isinstance(evidence, EvidenceSet) else evidence
    digest = frames.content_hash()
    return [
        score(frames, rubric, d, evidence_hash=digest, include_personal_data=include_personal_data)
        for d in _dates(as_of)
    ]


def _records_known(frames: Frames, as_of: dt.date, ids: pd.Series) -> np.ndarray:
    ev = frames.evidence
    known = ev["company_id"].astype("string")[known_at(ev, as_of)]
    counts = known.value_counts()
    return counts.reindex(ids.to_numpy(), fill_value=0).to_numpy(dtype=np.int64)


def trend_frame(cards: list[ScoreCard], frames: Frames | None = None) -> pd.DataFrame:
    """The company tables of ``cards`` stacked, one row per company and as-of date, sorted by
    company and date (columns: :data:`TREND_COLUMNS`, then the cards' other company
    columns). ``records_known`` needs the ``frames`` the cards were scored from (else NA)."""
    parts = []
    for card in cards:
        comp = card.companies.copy()
        comp.insert(2, "as_of", pd.Timestamp(card.meta.as_of))
        if frames is not None:
            comp["records_known"] = _records_known(frames, card.meta.as_of, comp["company_id"])
        else:
            comp["records_known"] = pd.NA
        parts.append(comp)
    if not parts:
        return pd.DataFrame({k: pd.Series([], dtype=v) for k, v in TREND_COLUMNS.items()})
    table = pd.concat(parts, ignore_index=True)
    lead = list(TREND_COLUMNS)
    table = table[lead + [c for c in table.columns if c not in lead]]
    table = table.astype(TREND_COLUMNS)
    return table.sort_values(["company_id", "as_of"], kind="stable").reset_index(drop=True)


def trend(
    evidence: EvidenceSet | Frames, rubric: Rubric, as_of: dt.date | Iterable[dt.date]
) -> pd.DataFrame:
    """Score ``evidence`` with ``rubric`` at every date of ``as_of`` and return a tidy frame:
    one row per company and date with total, coverage, rank, sufficiency, theme scores and
    the number of the company's records known then (see :func:`trend_frame`). Each date
    uses only the records known at it.

    >>> table = trend(evidence, rubric, as_of=[dt.date(2015, 12, 31), dt.date(2026, 11, 23)])
    ... # doctest: +SKIP
    >>> table.pivot(index="as_of", columns="company_id", values="total").plot()  # doctest: +SKIP
    """
    frames = evidence.frames() if isinstance(evidence, EvidenceSet) else evidence
    return trend_frame(trend_cards(frames, rubric, as_of), frames)
