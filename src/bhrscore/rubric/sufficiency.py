"""Evidence sufficiency: is enough of a company's score backed by evidence to rank it?

A rubric declares ``policies.min_coverage`` (0-1, default 0). A company whose coverage -- the
share of the total weight resting on records or screenings -- is below it has *insufficient
evidence*: its partial total and coverage are shown with the reason, but it gets no rank.
Coverage only grows as records are added, so more evidence never makes a company
insufficient; a company without evidence (coverage 0) is never ranked when
``min_coverage > 0``, so adding one changes no other company's rank.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: coverage within this of ``min_coverage`` counts as reaching it (weights are floats)
TOLERANCE = 1e-9


def _percent(values: np.ndarray) -> np.ndarray:
    """Whole percent, rounded down, so "49% < 50%" never reads "50% < 50%"."""
    out: np.ndarray = np.floor(100 * np.nan_to_num(values) + TOLERANCE).astype(np.int64)
    return out


def percent_floor(value: float) -> int:
    """One coverage as whole percent, rounded down like the reasons (``0.499`` -> 49)."""
    return math.floor(100 * value + TOLERANCE)


def sufficiency(
    coverage: np.ndarray, themes: list[tuple[str, np.ndarray]], min_coverage: float
) -> tuple[np.ndarray, pd.Series]:
    """Per company: sufficient (coverage >= ``min_coverage``) and the reason when not, e.g.
    ``coverage 12% < 50%: no evidence on retaliation, wages; partial on dialogue (40%)``
    (``themes``: id and coverage of each top-level node, in rubric order)."""
    coverage = np.nan_to_num(np.asarray(coverage, dtype=float))
    sufficient = coverage >= min_coverage - TOLERANCE
    n = len(coverage)
    threshold = math.floor(100 * min_coverage + TOLERANCE)
    head = pd.Series(_percent(coverage).astype(str), dtype="string")
    reason = "coverage " + head + f"% < {threshold}%"
    none = pd.Series([""] * n, dtype="string")
    partial = pd.Series([""] * n, dtype="string")
    for theme_id, cov in themes:
        cov = np.nan_to_num(np.asarray(cov, dtype=float))
        zero = cov <= 0
        some = (cov > 0) & (cov < 1 - TOLERANCE)
        sep_none = np.where(none.str.len().to_numpy() > 0, ", ", "")
        none = none.where(~zero, none + sep_none + theme_id)
        sep_part = np.where(partial.str.len().to_numpy() > 0, ", ", "")
        pct = pd.Series(_percent(cov).astype(str), dtype="string")
        partial = partial.where(~some, partial + sep_part + theme_id + " (" + pct + "%)")
    has_none = none.str.len().to_numpy() > 0
    has_partial = partial.str.len().to_numpy() > 0
    reason = reason.where(~has_none, reason + ": no evidence on " + none)
    lead = np.where(has_none, "; partial on ", ": partial evidence on ")
    reason = reason.where(~has_partial, reason + lead + partial)
    reason = reason.where(~sufficient, None)
    return sufficient, reason.astype("string")


def ranks(total: np.ndarray, sufficient: np.ndarray) -> pd.Series:
    """Competition ranks (``Int64``; 1 = best, ties share the lower rank) among companies
    with a total and sufficient evidence; ``<NA>`` for the others."""
    ranked = np.where(sufficient, np.asarray(total, dtype=float), np.nan)
    return pd.Series(ranked).rank(method="min", ascending=False).astype("Int64")
