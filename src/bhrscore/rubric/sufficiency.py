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
    (``themes``: id and coverage of each top-level node, in rubric order). A reason depends
    only on whole percents, so each distinct combination among the insufficient companies
    is worded once."""
    coverage = np.nan_to_num(np.asarray(coverage, dtype=float))
    sufficient = coverage >= min_coverage - TOLERANCE
    n = len(coverage)
    short = np.flatnonzero(~sufficient)
    reasons = np.full(n, None, dtype=object)
    if len(short):
        threshold = math.floor(100 * min_coverage + TOLERANCE)
        # per insufficient company: its whole percent, then per theme -1 (no evidence),
        # its whole percent (partial) or -2 (full)
        keys = np.empty((len(short), 1 + len(themes)), dtype=np.int64)
        keys[:, 0] = _percent(coverage[short])
        for j, (_, cov) in enumerate(themes):
            cov = np.nan_to_num(np.asarray(cov, dtype=float))[short]
            some = (cov > 0) & (cov < 1 - TOLERANCE)
            keys[:, j + 1] = np.where(cov <= 0, -1, np.where(some, _percent(cov), -2))
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        words = np.array(
            [_reason(row, themes, threshold) for row in uniq.tolist()] + [None], dtype=object
        )[:-1]
        reasons[short] = words[np.asarray(inverse).reshape(-1)]
    return sufficient, pd.Series(pd.array(reasons, dtype="string"))


def _reason(key: list[int], themes: list[tuple[str, np.ndarray]], threshold: int) -> str:
    """One reason from a key of :func:`sufficiency`."""
    text = f"coverage {key[0]}% < {threshold}%"
    none = [theme_id for (theme_id, _), k in zip(themes, key[1:], strict=True) if k == -1]
    partial = [
        f"{theme_id} ({k}%)" for (theme_id, _), k in zip(themes, key[1:], strict=True) if k >= 0
    ]
    if none:
        text += ": no evidence on " + ", ".join(none)
    if partial:
        text += ("; partial on " if none else ": partial evidence on ") + ", ".join(partial)
    return text


def ranks(total: np.ndarray, sufficient: np.ndarray) -> pd.Series:
    """Competition ranks (``Int64``; 1 = best, ties share the lower rank) among companies
    with a total and sufficient evidence; ``<NA>`` for the others."""
    ranked = np.where(sufficient, np.asarray(total, dtype=float), np.nan)
    return pd.Series(ranked).rank(method="min", ascending=False).astype("Int64")
