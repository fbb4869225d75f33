"""Plots for notebooks: group means with intervals, rank intervals, coverage and trends.

Each function draws on ``ax`` (a new figure when ``None``) and returns the matplotlib
``Axes``. None of them calls ``plt.show()`` or chooses a backend: in Jupyter the figure shows
inline, in a script call ``plt.show()`` or ``ax.figure.savefig(...)``. The same inputs draw
the same picture (rows sorted by values, then ids).

matplotlib is an optional dependency (``pip install 'bhrscore[plot]'``), imported when a plot
is drawn, so ``import bhrscore`` never needs it.

Companies with insufficient evidence are never drawn as if ranked: :func:`plot_ranks` lists
them apart, greyed, without a position; :func:`plot_coverage` greys their bars; and
:func:`plot_trend` draws their partial totals as hollow markers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .analysis.compare import Comparison
    from .rubric.scorecard import ScoreCard

#: colours: ranked or sufficient, and insufficient (not ranked) companies
COLOUR = "#1f4e79"
GREY = "#9a9a9a"
#: unranked companies listed one per row up to this many, then as one summary row
MAX_UNRANKED_ROWS = 15


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is in the dev extra
        raise ImportError("bhrscore.plot needs matplotlib: pip install 'bhrscore[plot]'") from exc
    return plt


def _axes(ax: Axes | None, rows: int) -> Axes:
    """``ax``, or the axes of a new figure sized for ``rows`` horizontal rows."""
    plt = _pyplot()  # also when ax is given: the error names the extra, not matplotlib
    if ax is not None:
        return ax
    height = min(12.0, max(2.5, 0.28 * rows + 1.2))
    _, new = plt.subplots(figsize=(7.0, height))
    out: Axes = new
    return out


def _float(values: pd.Series) -> np.ndarray:
    out: np.ndarray = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    return out


def _flag(frame: pd.DataFrame, column: str, default: bool) -> np.ndarray:
    """A boolean column as a numpy array (missing column or value: ``default``)."""
    if column not in frame.columns:
        return np.full(len(frame), default, dtype=bool)
    out: np.ndarray = frame[column].astype("boolean").fillna(default).to_numpy(dtype=bool)
    return out


def _percent(level: float) -> str:
    return f"{100 * level:g}%"


def plot_groups(
    comparison: Comparison,
    *,
    strata: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Group means of a :class:`~bhrscore.Comparison` with their bootstrap intervals, one
    row per group (and stratum), labelled with n. A group without an interval (fewer than
    ``min_n_interval`` companies) shows its mean alone, a small group (``small_group``) in
    grey, a group without any score only its label. Rows are sorted by stratum, then mean
    (highest first), then group. ``strata`` keeps only those strata of a comparison made
    ``within`` a key (e.g. ``["06", "09"]`` for two sectors)."""
    groups = comparison.groups.copy()
    if strata is not None:
        known = set(groups["stratum"].astype(str))
        unknown = [s for s in strata if s not in known]
        if unknown:
            raise KeyError(
                f"no stratum {', '.join(map(repr, unknown))} in the comparison"
                f" (strata: {', '.join(sorted(known))})"
            )
        groups = groups[groups["stratum"].astype(str).isin(list(strata))]
    groups["_mean"] = _float(groups["mean"])
    groups = groups.sort_values(
        ["stratum", "_mean", "group"], ascending=[True, False, True], na_position="last"
    ).reset_index(drop=True)
    ax = _axes(ax, len(groups))
    mean = groups["_mean"].to_numpy()
    low, high = _float(groups["ci_low"]), _float(groups["ci_high"])
    small = _flag(groups, "small_group", False)
    y = np.arange(len(groups))
    for rows, colour in ((~small, COLOUR), (small, GREY)):
        shown = rows & ~np.isnan(mean)
        ax.plot(mean[shown], y[shown], "o", color=colour, zorder=3)
        bar = shown & ~np.isnan(low) & ~np.isnan(high)
        ax.hlines(y[bar], low[bar], high[bar], color=colour, linewidth=2, zorder=2)
    stratum_of = groups["stratum"].astype("string").fillna("all")
    labels = []
    for stratum, group, n, m in zip(stratum_of, groups["group"], groups["n"], mean, strict=True):
        where = str(group) if stratum == "all" else f"{stratum}: {group}"
        n_text = "?" if pd.isna(n) else str(int(n))
        labels.append(f"{where} (n={n_text}{', no score' if math.isnan(m) else ''})")
    ax.set_yticks(y, labels)
    ax.set_ylim(len(groups) - 0.5, -0.5)  # first row at the top
    levels = groups["ci_level"].dropna().unique()
    level = f"{_percent(float(levels[0]))} " if len(levels) == 1 else ""
    minimum = comparison.options.get("min_n_interval")
    none_below = f"; none below n={minimum}" if minimum else ""
    ax.set_xlabel(f"mean {comparison.metric} ({level}bootstrap interval{none_below})")
    ax.set_title(title or f"{comparison.metric} by {' / '.join(comparison.by)}")
    ax.grid(axis="x", alpha=0.3)
    return ax


def _ranked_and_not(card: ScoreCard) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ranked companies by rank (then id), and the others by id."""
    comp = card.companies
    ranked = comp[comp["rank"].notna()].copy()
    ranked["_rank"] = _float(ranked["rank"])
    ranked = ranked.sort_values(["_rank", "company_id"], kind="stable")
    others = comp[comp["rank"].isna()].sort_values("company_id", kind="stable")
    return ranked.reset_index(drop=True), others.reset_index(drop=True)


def _why_unranked(others: pd.DataFrame) -> list[str]:
    sufficient = _flag(others, "sufficient", True)
    return ["no total" if ok else "insufficient evidence" for ok in sufficient]


def plot_ranks(
    card: ScoreCard,
    *,
    ax: Axes | None = None,
    top: int | None = None,
    label: str = "company_id",
    title: str | None = None,
) -> Axes:
    """A caterpillar plot of the rank intervals (``rank_low`` to ``rank_high``) of the ranked
    companies, best at the top (the ``top`` best only, when given), each at its rank.

    Companies without a rank (insufficient evidence, or no total) are never placed on the
    rank axis: they follow in grey, one labelled row each with the reason (one summary row
    when there are more than :data:`MAX_UNRANKED_ROWS`). ``label`` is the column that names
    the companies."""
    ranked, others = _ranked_and_not(card)
    if top is not None:
        ranked = ranked.head(top)
    why = _why_unranked(others)
    listed = len(others) <= MAX_UNRANKED_ROWS
    rows = len(ranked) + (len(others) if listed else min(1, len(others)))
    ax = _axes(ax, rows)
    y = np.arange(len(ranked))
    rank = ranked["_rank"].to_numpy()
    ax.plot(rank, y, "o", color=COLOUR, zorder=3)
    if "rank_low" in ranked.columns:
        low, high = _float(ranked["rank_low"]), _float(ranked["rank_high"])
        bar = ~np.isnan(low) & ~np.isnan(high)
        ax.hlines(y[bar], low[bar], high[bar], color=COLOUR, linewidth=2, zorder=2)
    labels = [str(v) for v in ranked[label]]
    if listed:
        labels += [f"{name} (not ranked: {w})" for name, w in zip(others[label], why, strict=True)]
    elif len(others):
        counts = pd.Series(why).value_counts().sort_index()
        labels.append("not ranked: " + ", ".join(f"{n} {w}" for w, n in counts.items()))
    ax.set_yticks(np.arange(rows), labels)
    for tick in ax.get_yticklabels()[len(ranked) :]:
        tick.set_color(GREY)
    if rows > len(ranked):
        ax.axhspan(len(ranked) - 0.5, rows - 0.5, color=GREY, alpha=0.12, linewidth=0)
    ax.set_ylim(max(rows, 1) - 0.5, -0.5)
    n_ranked = int(card.companies["rank"].notna().sum())
    ax.set_xlim(0.5, max(n_ranked, 1) + 0.5)
    from matplotlib.ticker import MaxNLocator  # after _axes: its error names the extra

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    options = card.meta.options.get("uncertainty") or {}
    interval = (
        f" with {_percent(float(options['level']))} interval ({options['method']})"
        if options.get("method")
        else ""
    )
    ax.set_xlabel(f"rank (1 = best){interval}, {n_ranked} ranked of {len(card.companies)}")
    ax.set_title(title or f"Ranks, {card.meta.rubric_id} {card.meta.rubric_version}")
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_coverage(
    card: ScoreCard,
    *,
    ax: Axes | None = None,
    top: int | None = None,
    label: str = "company_id",
    title: str | None = None,
) -> Axes:
    """Each company's coverage (the share of its total weight resting on evidence) as a
    horizontal bar, highest first (then by id; the ``top`` first only, when given), with the
    rubric's minimum coverage as a dashed line. Bars of companies with insufficient evidence
    are grey."""
    comp = card.companies.copy()
    comp["_coverage"] = _float(comp["coverage"])
    comp = comp.sort_values(
        ["_coverage", "company_id"], ascending=[False, True], na_position="last"
    ).reset_index(drop=True)
    if top is not None:
        comp = comp.head(top)
    ax = _axes(ax, len(comp))
    y = np.arange(len(comp))
    sufficient = _flag(comp, "sufficient", True)
    share = np.nan_to_num(100 * comp["_coverage"].to_numpy())
    ax.barh(y, share, color=np.where(sufficient, COLOUR, GREY), height=0.7)
    labels = [
        str(name) if ok else f"{name} (insufficient)"
        for name, ok in zip(comp[label], sufficient, strict=True)
    ]
    ax.set_yticks(y, labels)
    for tick, ok in zip(ax.get_yticklabels(), sufficient, strict=True):
        if not ok:
            tick.set_color(GREY)
    ax.set_ylim(max(len(comp), 1) - 0.5, -0.5)
    minimum = float(card.rubric.policies.min_coverage)
    if minimum > 0:
        ax.axvline(
            100 * minimum,
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"rubric minimum {100 * minimum:g}% (below: not ranked)",
        )
        ax.legend(fontsize="small", loc="lower right")
    ax.set_xlim(0, 100)
    ax.set_xlabel("coverage: % of the total weight resting on evidence")
    ax.set_title(title or f"Evidence coverage, {card.meta.rubric_id} {card.meta.rubric_version}")
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_trend(
    trend_frame: pd.DataFrame,
    *,
    value: str = "total",
    companies: list[str] | None = None,
    ax: Axes | None = None,
    label: str = "company_id",
    title: str | None = None,
) -> Axes:
    """``value`` (``total``, ``coverage`` or a ``theme:<id>`` column) of a trend frame
    (:func:`bhrscore.trend`) over the as-of dates, one line per company (``companies``, or
    all, sorted by id). Filled markers are dates where the company had sufficient evidence,
    hollow ones partial totals of dates where it had not."""
    if value not in trend_frame.columns:
        raise KeyError(f"no column {value!r} in the trend frame")
    frame = trend_frame
    if companies is not None:
        unknown = sorted(set(companies) - set(frame["company_id"].astype(str)))
        if unknown:
            raise KeyError(f"no company {', '.join(map(repr, unknown))} in the trend frame")
        frame = frame[frame["company_id"].astype(str).isin(companies)]
    frame = frame.sort_values(["company_id", "as_of"], kind="stable")
    ax = _axes(ax, 10)
    for _, rows in frame.groupby("company_id", sort=True):
        when = pd.to_datetime(rows["as_of"]).to_numpy()
        values = _float(rows[value])
        sufficient = _flag(rows, "sufficient", True)
        (line,) = ax.plot(when, values, "-", label=str(rows[label].iloc[0]))
        colour = line.get_color()
        ax.plot(when[sufficient], values[sufficient], "o", color=colour)
        ax.plot(when[~sufficient], values[~sufficient], "o", markerfacecolor="white", color=colour)
    ax.set_xlabel("as of")
    ax.set_ylabel(value)
    ax.set_title(title or f"{value} over time (hollow: insufficient evidence, partial)")
    if frame["company_id"].nunique():
        ax.legend(fontsize="small", loc="best")
    ax.grid(alpha=0.3)
    return ax
