"""Per-company uncertainty of the score card: an interval for every total, a rank interval
for every rank.

**Method: a bootstrap over each company's records.** A company's total rests on a handful of
records, and the question an investor asks is how much it would move had the analysts found a
somewhat different set of them. Each replicate resamples every company's records (Poisson(1)
multiplicity per record, :mod:`.replicates`), keeping each record's status, reliability and
age weights, and re-scores everything that reads evidence: every rule (users' registered
ones included, through replicate-stacked selections), the missing-data policy (a company whose
only record drops out of a replicate is missing in it), penalties and ``when`` cases. The
tree is then aggregated once over all replicates (:func:`bhrscore.rubric.tree.aggregate_tree`
with a runs axis). The interval is the percentile interval of the replicate totals at
``level`` (default 90 %: the 5th and 95th percentiles), widened where needed to contain the
point total (a skewed replicate distribution -- e.g. a lone record present in 63 % of the
replicates -- can leave the point at the edge). Ranks are recomputed in every replicate among
the companies that have a rank in the card (ties share the lower rank), and the rank interval
is the same percentile interval of a company's replicate ranks (lower and higher order
statistics, so ranks stay whole), widened to contain the card's rank.

This is the uncertainty analysis of the OECD/JRC *Handbook on Constructing Composite
Indicators: Methodology and User Guide* (OECD, 2008; section 1.7 and step 7), which propagates
uncertainty in the inputs to intervals for each unit's score and rank, applied to the input
that matters most here, the evidence itself; COINr (Becker et al., *COINr: An R package for
developing composite indicators*, JOSS 2022; ``get_sensitivity`` / ``plot_uncertainty``)
reports the same per-unit score and rank intervals. Weights and policy choices are the other
sources; :func:`bhrscore.analysis.sensitivity.sensitivity` covers those.

What the interval does **not** cover: evidence nobody collected. A company without records
has identical replicates (a zero-width interval around a score set by the missing-data
policy); its coverage, not its interval, says how little is known. Companies without a rank
(no total, or below the rubric's minimum coverage when the card has a ``sufficient`` column)
get no rank interval.

**Cost.** A replicate costs about one pass of the rules over its records, computed for a
block of replicates at once (blocks keep ``records x replicates`` near :data:`BLOCK_CELLS`).
The default :data:`DEFAULT_REPLICATES` keeps the whole score well under a second at 100,000
records (``benchmarks/bench_score.py`` prints the figure); pass ``uncertainty=False`` to
``score`` to switch it off, or more replicates for finer percentiles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    from .scorecard import ScoreCard

FloatArray = npt.NDArray[np.float64]
#: Replicates by default: enough for 5th/95th percentiles to within a few points of the
#: total on typical evidence, at a cost of well under a second at 100,000 records.
DEFAULT_REPLICATES = 40
DEFAULT_LEVEL = 0.9
#: Records x replicates per block (bounds the memory of the replicate-stacked selections).
BLOCK_CELLS = 4_000_000
METHOD = "bootstrap-records"
#: Columns added to ``ScoreCard.companies``, after ``rank``.
UNCERTAINTY_COLUMNS: dict[str, str] = {
    "total_low": "Float64",
    "total_high": "Float64",
    "rank_low": "Int64",
    "rank_high": "Int64",
}


class UncertaintyError(ValueError):
    """Options of the per-company uncertainty that do not make sense."""


@dataclass(frozen=True)
class Uncertainty:
    """Options of the bootstrap: ``replicates`` (0 = off), ``level`` of the intervals
    (0-1) and the ``seed`` (the same seed gives the same intervals)."""

    replicates: int = DEFAULT_REPLICATES
    level: float = DEFAULT_LEVEL
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.replicates, bool) or not isinstance(self.replicates, int):
            raise UncertaintyError(f"replicates must be a whole number, not {self.replicates!r}")
        if self.replicates < 0:
            raise UncertaintyError(f"replicates must be 0 or more, not {self.replicates}")
        if not 0.0 < self.level < 1.0:
            raise UncertaintyError(f"level must be between 0 and 1, not {self.level}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise UncertaintyError(f"seed must be a whole number >= 0, not {self.seed!r}")

    def describe(self) -> dict[str, Any]:
        return {
            "method": METHOD,
            "replicates": self.replicates,
            "level": self.level,
            "seed": self.seed,
        }


UncertaintyLike = Uncertainty | Mapping[str, Any] | bool | int | None


def resolve_uncertainty(value: UncertaintyLike) -> Uncertainty | None:
    """``score``'s ``uncertainty`` argument -> options, or None when switched off
    (``False``, ``None``, ``0`` or 0 replicates)."""
    if value is None or value is False:
        return None
    if value is True:
        options = Uncertainty()
    elif isinstance(value, Uncertainty):
        options = value
    elif isinstance(value, int):
        options = Uncertainty(replicates=value)
    elif isinstance(value, Mapping):
        known = {f.name for f in dataclasses.fields(Uncertainty)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise UncertaintyError(
                f"unknown uncertainty option(s) {', '.join(unknown)} (known: {', '.join(known)})"
            )
        options = Uncertainty(**value)
    else:
        raise UncertaintyError(
            f"uncertainty must be True, False, a number or options, not {value!r}"
        )
    return options if options.replicates > 0 else None


def block_size(records: int, companies: int, replicates: int) -> int:
    """Replicates per block so that ``max(records, companies) x block`` stays near
    :data:`BLOCK_CELLS`."""
    return max(1, min(replicates, BLOCK_CELLS // max(records, companies, 1)))


def _quantiles(values: FloatArray, q: float) -> tuple[FloatArray, FloatArray]:
    """Per column of ``values`` (runs x companies, NaN ignored): the ``q`` quantile with linear
    interpolation, and the lower/higher order statistics around it; NaN where a column has
    no value. Vectorised (one sort) instead of ``np.nanquantile``'s per-column loop."""
    ordered = np.sort(values, axis=0)  # NaN last
    count = (~np.isnan(values)).sum(axis=0)
    pos = q * np.maximum(count - 1, 0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.ceil(pos).astype(np.int64)
    cols = np.arange(values.shape[1])
    a, b = ordered[lo, cols], ordered[hi, cols]
    linear = a + (b - a) * (pos - lo)
    empty = count == 0
    lower = np.where(empty, np.nan, a)
    higher = np.where(empty, np.nan, b)
    return np.where(empty, np.nan, linear), np.stack([lower, higher])


def replicate_ranks(totals: FloatArray, eligible: npt.NDArray[np.bool_]) -> FloatArray:
    """Competition ranks per replicate (1 = best, ties share the lower rank) among the
    ``eligible`` companies; NaN for the others and for totals that are NaN."""
    masked = np.where(eligible[None, :], totals, np.nan)
    ranks = pd.DataFrame(masked).rank(axis=1, method="min", ascending=False, na_option="keep")
    return ranks.to_numpy(dtype=float)


def with_uncertainty(
    card: ScoreCard, totals: FloatArray | None, options: Uncertainty | None
) -> ScoreCard:
    """The card with ``total_low``, ``total_high``, ``rank_low``, ``rank_high`` (after
    ``rank``; NA when switched off, for companies without a total, and -- for the ranks --
    for companies without a rank) and the options in ``meta.options["uncertainty"]``.
    ``totals`` are the replicate totals (replicates x companies, in card order)."""
    companies = card.companies
    n = len(companies)
    total = companies["total"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    rank = companies["rank"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    eligible = ~np.isnan(rank)
    if "sufficient" in companies.columns:
        eligible &= companies["sufficient"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    columns: dict[str, Any] = {name: np.full(n, np.nan) for name in UNCERTAINTY_COLUMNS}
    if options is not None and totals is not None and n:
        tail = (1.0 - options.level) / 2.0
        low, _ = _quantiles(totals, tail)
        high, _ = _quantiles(totals, 1.0 - tail)
        has_total = ~np.isnan(total)
        columns["total_low"] = np.where(has_total, np.fmin(low, total), np.nan)
        columns["total_high"] = np.where(has_total, np.fmax(high, total), np.nan)
        ranks = replicate_ranks(totals, eligible)
        _, (rank_low, _) = _quantiles(ranks, tail)
        _, (_, rank_high) = _quantiles(ranks, 1.0 - tail)
        columns["rank_low"] = np.where(eligible, np.fmin(rank_low, rank), np.nan)
        columns["rank_high"] = np.where(eligible, np.fmax(rank_high, rank), np.nan)
    out = companies.drop(columns=[c for c in UNCERTAINTY_COLUMNS if c in companies.columns])
    at = list(out.columns).index("rank") + 1 if "rank" in out.columns else len(out.columns)
    for offset, (name, dtype) in enumerate(UNCERTAINTY_COLUMNS.items()):
        out.insert(at + offset, name, pd.array(columns[name], dtype=dtype))
    described = (
        options.describe()
        if options is not None
        else {"method": None, "replicates": 0, "level": None, "seed": None}
    )
    meta = dataclasses.replace(card.meta, options={**card.meta.options, "uncertainty": described})
    return dataclasses.replace(card, companies=out, meta=meta)
