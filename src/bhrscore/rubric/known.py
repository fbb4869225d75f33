"""When did a record become known? Scoring as of a date uses only what was known then.

A record is known from the latest date it mentions (its date, period, sources' publication
dates, the company's response): a strike in 2017 reported in 2021 says nothing about 2018. The
loader derives this as the ``known_date`` column; frames built without it (e.g. by hand) get
the latest of the date columns they hold.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

#: Date columns a record may mention; the latest is when the record became known.
KNOWN_DATE_COLUMNS = (
    "date",
    "period.start",
    "period.end",
    "source_published",
    "company_response.date",
)


def known_dates(frame: pd.DataFrame) -> np.ndarray:
    """When each record became known (``datetime64[D]``, NaT when it mentions no date): the
    latest of the ``known_date`` column, when the frame has it (the latest date a record
    mentions, every source included), and the date columns the frame holds
    (:data:`KNOWN_DATE_COLUMNS`; the frame keeps only the first source's publication date),
    so a frame whose ``known_date`` was left empty is still read correctly."""
    known = np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[D]")
    for col in ("known_date", *KNOWN_DATE_COLUMNS):
        if col in frame.columns:
            known = np.fmax(known, frame[col].to_numpy(dtype="datetime64[D]"))
    return known


def known_at(frame: pd.DataFrame, as_of: dt.date) -> np.ndarray:
    """True for records known at ``as_of`` (no date they mention lies after it)."""
    return ~(known_dates(frame) > np.datetime64(as_of, "D"))
