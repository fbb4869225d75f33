"""Which records did a score not use, and why? (vectorised over all records)

Every record of the evidence frame that no indicator, no penalty and no ``when`` case (the
records that switch a node's weights) used gets one reason, the first that applies in this
order (:data:`REASONS`):

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
from collections.abc import Callable

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


#: columns the reasons read (those a frame lacks are treated as empty)
_COLUMNS = (
    "company_id",
    "id",
    "kind",
    "effective_date",
    "status",
    "reliability",
    "actor",
    "company_involvement",
    "topics",
)


def _strings(values: pd.Series, missing: str = "unknown") -> np.ndarray:
    """Text of each value as a numpy unicode array (missing -> ``missing``); categoricals
    are looked up through their categories, other columns factorised first."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = [str(c) for c in values.cat.categories]
        return np.asarray([*cats, missing], dtype=str)[values.cat.codes.to_numpy()]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = [", ".join(u) if isinstance(u, tuple) else str(u) for u in uniques]
    return np.asarray([*table, missing], dtype=str)[codes]


def _days(values: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(values, dtype="datetime64[D]"), unit="D")


def _cat(*parts: np.ndarray | str) -> np.ndarray:
    out = np.asarray(parts[0], dtype=str)
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return out


def unused_records(
    evidence: pd.DataFrame,
    prep: Prepared,
    policies: Policies,
    as_of: dt.date,
    used: np.ndarray,
) -> pd.DataFrame:
    """One row per record no indicator, penalty or ``when`` case used (``used``: per
    prepared row), with its company (``<NA>`` for group-level testimony), reason code and a
    readable detail."""
    n = len(evidence)
    frame_used = np.zeros(n, dtype=bool)
    frame_used[prep.order[used]] = True
    prepared = np.zeros(n, dtype=bool)
    prepared[prep.order] = True
    weight = np.ones(n)
    weight[prep.order] = prep.base_weight
    idx = np.flatnonzero(~frame_used)
    m = len(idx)
    ev = evidence[[c for c in _COLUMNS if c in evidence.columns]].iloc[idx]

    def col(name: str) -> pd.Series:
        if name in ev.columns:
            return ev[name]
        return pd.Series([pd.NA] * m, dtype="object", index=ev.index)

    known = known_dates(evidence)[idx]
    effective = col("effective_date").to_numpy(dtype="datetime64[D]")
    group = col("company_id").isna().to_numpy(dtype=bool)
    is_prepared = prepared[idx]
    not_known = ~group & ~is_prepared
    zero = is_prepared & (weight[idx] <= 0)
    start = policies.window.start(as_of) if policies.window is not None else None
    before = effective < np.datetime64(start, "D") if start is not None else np.zeros(m, bool)
    kind = _strings(col("kind"), "")
    inv = _strings(col("company_involvement"), "not recorded")
    attributed = np.isin(inv, ["caused", "contributed"])
    state = (kind == "retaliation") & (_strings(col("actor"), "") == "state") & ~attributed
    reason = np.select(
        [group, not_known, zero, before, state],
        ["group_testimony", "not_known", "weight_zero", "outside_window", "state_actor"],
        default="no_rule",
    )
    detail = np.full(m, "", dtype=object)

    def put(mask: np.ndarray, text: str | Callable[[np.ndarray], np.ndarray]) -> None:
        """Fill the rows of ``mask`` with ``text``, or with ``text(rows)`` computed for
        those rows only."""
        rows = np.flatnonzero(mask)
        if len(rows):
            detail[rows] = text if isinstance(text, str) else text(rows)

    put(
        reason == "group_testimony",
        "group-level testimony (about a group, no company named): never scored",
    )
    put(
        reason == "not_known",
        lambda r: _cat(
            "mentions ", _days(known[r]), f", after the as-of date {as_of}: not known then"
        ),
    )
    put(
        reason == "weight_zero",
        lambda r: _cat(
            "status ",
            _strings(col("status").iloc[r]),
            ", reliability ",
            _strings(col("reliability").iloc[r]),
            ": weight 0, not evidence",
        ),
    )
    put(
        reason == "outside_window",
        lambda r: _cat(
            "dated ", _days(effective[r]), f", before the rubric's window (from {start})"
        ),
    )
    put(
        reason == "state_actor",
        lambda r: _cat(
            "carried out by the state; company involvement ", inv[r], ": no rule selects it"
        ),
    )
    screening = kind == "screening"
    put(
        (reason == "no_rule") & screening,
        lambda r: _cat(
            "null finding for ",
            _strings(col("topics").iloc[r], ""),
            ": no silence needed it (the indicators it covers rest on records, or none"
            " asks for these topics)",
        ),
    )
    put(
        (reason == "no_rule") & ~screening,
        "no indicator or penalty selects and scores it (its kind, value or date is not one"
        " the rubric reads)",
    )
    company = col("company_id").astype("string")
    ids = col("id").astype("string")
    company_code, _ = pd.factorize(company, sort=True, use_na_sentinel=True)
    company_code = np.where(company_code < 0, company_code.max(initial=0) + 1, company_code)
    id_code, _ = pd.factorize(ids, sort=True)
    order = np.lexsort((id_code, company_code))  # by company (group-level last), then id
    table = pd.DataFrame(
        {
            "company_id": company.iloc[order].to_numpy(),
            "evidence_id": ids.iloc[order].to_numpy(),
            "kind": kind[order],
            "date": effective[order].astype("datetime64[ns]"),
            "reason": reason[order],
            "detail": detail[order],
        }
    )
    table = table.astype({k: v for k, v in UNUSED_COLUMNS.items() if v != "object"})
    return table[list(UNUSED_COLUMNS)]
