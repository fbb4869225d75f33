"""Which records did a score not use, and why? (vectorised over all records)

Every record of the evidence frame that no indicator and no penalty used gets one reason, the
first that applies in this order (:data:`REASONS`):

- ``group_testimony``: group-level testimony (no ``company_id``), never scored;
- ``not_known``: it mentions a date after ``as_of``, so it was not known then;
- ``weight_zero``: its status and reliability weigh 0 (e.g. ``retracted``);
- ``outside_window``: its date lies before the rubric's window;
- ``state_actor``: a reprisal carried out by the state where the company's involvement is not
  recorded as caused or contributed (no rule of the rubric selected it);
- ``no_rule``: no indicator or penalty selects and scores it (a kind, value or topic the
  rubric does not read, e.g. a strike, or a screening no silence needed).

A selection with its own window may still read a record outside the rubric's window: reasons
are given only to records nothing used.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .known import known_dates
from .model import Policies
from .scorecard import UNUSED_COLUMNS
from .selection import Prepared

REASONS: dict[str, str] = {
    "group_testimony": "group-level testimony (about a group of companies, none named)",
    "not_known": "not known at the as-of date",
    "weight_zero": "weight 0 (status and reliability)",
    "outside_window": "before the rubric's window",
    "state_actor": "carried out by the state",
    "no_rule": "no indicator or penalty uses it",
}


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("unknown")


def _day(values: pd.Series) -> pd.Series:
    return pd.Series(values.to_numpy(dtype="datetime64[ns]"), index=values.index).dt.strftime(
        "%Y-%m-%d"
    )


def unused_records(
    evidence: pd.DataFrame,
    prep: Prepared,
    policies: Policies,
    as_of: dt.date,
    used: np.ndarray,
) -> pd.DataFrame:
    """One row per record no indicator or penalty used (``used``: per prepared row), with
    its company (``<NA>`` for group-level testimony), reason code and a readable detail."""
    n = len(evidence)
    frame_used = np.zeros(n, dtype=bool)
    frame_used[prep.order[used]] = True
    prepared = np.zeros(n, dtype=bool)
    prepared[prep.order] = True
    weight = np.ones(n)
    weight[prep.order] = prep.base_weight
    idx = np.flatnonzero(~frame_used)
    ev = evidence.iloc[idx].reset_index(drop=True)
    known = known_dates(evidence)[idx]
    effective = ev["effective_date"].to_numpy(dtype="datetime64[D]")
    group = ev["company_id"].isna().to_numpy(dtype=bool)
    not_known = ~group & ~prepared[idx]
    zero = prepared[idx] & (weight[idx] <= 0)
    start = policies.window.start(as_of) if policies.window is not None else None
    before = effective < np.datetime64(start, "D") if start is not None else np.zeros(len(ev), bool)
    kind = ev["kind"].astype("string")
    actor = ev["actor"].astype("string") if "actor" in ev.columns else pd.Series([pd.NA] * len(ev))
    inv = (
        ev["company_involvement"].astype("string")
        if "company_involvement" in ev.columns
        else pd.Series([pd.NA] * len(ev), dtype="string")
    )
    attributed = inv.isin(["caused", "contributed"]).to_numpy(dtype=bool, na_value=False)
    state = (
        (kind == "retaliation").to_numpy(dtype=bool, na_value=False)
        & (actor == "state").to_numpy(dtype=bool, na_value=False)
        & ~attributed
    )
    reason = np.select(
        [group, not_known, zero, before, state],
        ["group_testimony", "not_known", "weight_zero", "outside_window", "state_actor"],
        default="no_rule",
    )
    detail = pd.Series(pd.NA, index=ev.index, dtype="string")

    def put(mask: np.ndarray, text: pd.Series | str) -> None:
        detail[mask] = text[mask] if isinstance(text, pd.Series) else text

    put(
        reason == "group_testimony",
        "group-level testimony (about a group, no company named): never scored",
    )
    put(
        reason == "not_known",
        "mentions " + _day(pd.Series(known)) + f", after the as-of date {as_of}: not known then",
    )
    put(
        reason == "weight_zero",
        "status "
        + _text(ev["status"])
        + ", reliability "
        + _text(ev["reliability"])
        + ": weight 0, not evidence",
    )
    if start is not None:
        put(
            reason == "outside_window",
            "dated " + _day(ev["effective_date"]) + f", before the rubric's window (from {start})",
        )
    put(
        reason == "state_actor",
        "carried out by the state; company involvement "
        + inv.fillna("not recorded")
        + ": no rule selects it",
    )
    topics = (
        ev["topics"].map(lambda t: ", ".join(t) if isinstance(t, tuple) else "")
        if "topics" in ev.columns
        else pd.Series("", index=ev.index)
    )
    screening = (kind == "screening").to_numpy(dtype=bool, na_value=False)
    put(
        (reason == "no_rule") & screening,
        "null finding for "
        + topics.astype("string")
        + ": no silence needed it (the indicators it covers rest on records, or none asks"
        " for these topics)",
    )
    put(
        (reason == "no_rule") & ~screening,
        "no indicator or penalty selects and scores it (its kind, value or date is not one"
        " the rubric reads)",
    )
    table = pd.DataFrame(
        {
            "company_id": ev["company_id"].astype("string"),
            "evidence_id": ev["id"].astype("string"),
            "kind": kind,
            "date": ev["effective_date"].to_numpy(dtype="datetime64[ns]"),
            "reason": reason,
            "detail": detail,
        }
    )
    table = table.astype({k: v for k, v in UNUSED_COLUMNS.items() if v != "object"})
    table = table.sort_values(
        ["company_id", "evidence_id"], kind="stable", na_position="last"
    ).reset_index(drop=True)
    return table[list(UNUSED_COLUMNS)]
