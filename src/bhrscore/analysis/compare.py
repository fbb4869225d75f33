"""Compare score-card scores between groups of companies, with uncertainty.

``compare(scorecard, by="origin_group", within="sector")`` answers "do companies of one origin
score differently from others in the same sector?" with, per group, n, mean, median, a
bootstrap interval and a small-group warning, and per pair of groups the difference of means,
a permutation-test p-value and a multiple-comparison adjustment. Column contracts are in
:data:`GROUP_COLUMNS` and :data:`PAIRWISE_COLUMNS` (and ``docs/analysis.md``).

**Units.** A unit is a company in a cell: grouping keys that a company can have several of
(``sector``, ``host_country`` and ``origin_group``, which depends on the host) give one row per
company and value, and a company is counted at most once per group. A company listed in two
sectors therefore appears in both sector groups; comparisons between such overlapping groups
are not independent, which the permutation test assumes -- stratify (``within``) or compare
disjoint keys when that matters.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .keys import GROUP_SEPARATOR as GROUP_SEPARATOR
from .keys import KEYS as KEYS
from .keys import UNKNOWN as UNKNOWN
from .keys import CompareError as CompareError
from .keys import check_keys, group_label
from .origin import OriginGroupsLike, company_origin, load_origin_groups
from .stats import (
    CORRECTIONS,
    Correction,
    adjust_pvalues,
    bootstrap_ci,
    bootstrap_diff_ci,
    permutation_test,
    rng_for,
)

if TYPE_CHECKING:
    from ..rubric.scorecard import ScoreCard

#: Columns of :attr:`Comparison.groups` (the ``within`` and ``by`` key columns come first).
GROUP_COLUMNS: dict[str, str] = {
    "stratum": "string",  # the within-keys joined by " / " ("all" without within)
    "group": "string",  # the by-keys joined by " / "
    "metric": "string",  # "total", "theme:<id>" or an indicator id
    "n": "Int64",  # companies with a score in the group
    "n_missing": "Int64",  # companies in the group without a score (<NA> under exclude)
    "n_low_coverage": "Int64",  # companies left out by min_coverage
    "mean": "Float64",
    "median": "Float64",
    "std": "Float64",  # sample standard deviation (ddof=1)
    "ci_low": "Float64",  # percentile bootstrap interval of the mean
    "ci_high": "Float64",
    "ci_level": "Float64",
    "coverage_mean": "Float64",  # mean coverage (0-1) of the metric's node over scored companies
    "small_group": "boolean",  # n < min_n
    "warning": "string",  # plain-language warning, <NA> when none
}

#: Columns of :attr:`Comparison.pairwise` (the ``within`` key columns come first).
PAIRWISE_COLUMNS: dict[str, str] = {
    "stratum": "string",
    "group_a": "string",
    "group_b": "string",
    "metric": "string",
    "n_a": "Int64",
    "n_b": "Int64",
    "mean_a": "Float64",
    "mean_b": "Float64",
    "diff": "Float64",  # mean_a - mean_b
    "diff_ci_low": "Float64",  # percentile bootstrap interval of the difference
    "diff_ci_high": "Float64",
    "p_value": "Float64",  # two-sided permutation test of the difference of means
    "p_adjusted": "Float64",  # after the correction, over all pairs of the comparison
    "correction": "string",  # "holm", "bh" or "none"
    "significant": "boolean",  # p_adjusted < alpha
    "small_group": "boolean",  # either group has n < min_n
    "warning": "string",
}


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`.

    ``groups`` and ``pairwise`` have the columns of :data:`GROUP_COLUMNS` and
    :data:`PAIRWISE_COLUMNS`, preceded by one column per ``within`` key (and, in ``groups``,
    per ``by`` key). ``units`` is the company-level table the statistics were computed from
    (``company_id``, key columns, ``value``, ``coverage``).
    """

    groups: pd.DataFrame
    pairwise: pd.DataFrame
    units: pd.DataFrame
    by: tuple[str, ...]
    within: tuple[str, ...]
    metric: str
    options: dict[str, Any] = field(default_factory=dict)

    def to_frame(self, table: Literal["groups", "pairwise"] = "groups") -> pd.DataFrame:
        """A copy of the groups (default) or pairwise table."""
        if table not in ("groups", "pairwise"):
            raise CompareError(f"table must be 'groups' or 'pairwise', not {table!r}")
        return (self.groups if table == "groups" else self.pairwise).copy()

    def warnings(self) -> list[str]:
        """Every group warning, prefixed with its stratum and group."""
        rows = self.groups[self.groups["warning"].notna()]
        out = []
        for stratum, group, text in zip(
            rows["stratum"], rows["group"], rows["warning"], strict=True
        ):
            where = group if stratum == "all" else f"{stratum}: {group}"
            out.append(f"{where}: {text}")
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: options, groups and pairwise rows (missing values as null)."""
        return {
            "metric": self.metric,
            "by": list(self.by),
            "within": list(self.within),
            "options": self.options,
            "groups": _records(self.groups),
            "pairwise": _records(self.pairwise),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    parsed: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", double_precision=15))
    return parsed


def _metric_values(scorecard: ScoreCard, metric: str) -> pd.DataFrame:
    """``company_id``, ``value``, ``coverage`` for the metric."""
    companies = scorecard.companies
    ids = companies["company_id"].astype("string")
    if metric == "total":
        return pd.DataFrame(
            {
                "company_id": ids.to_numpy(),
                "value": companies["total"].astype("Float64").to_numpy(),
                "coverage": companies["coverage"].astype("Float64").to_numpy(),
            }
        )
    if metric.startswith("theme:"):
        if metric not in companies.columns:
            themes = [c for c in companies.columns if str(c).startswith("theme:")]
            raise CompareError(f"unknown metric {metric!r}; themes are {', '.join(themes)}")
        node = metric.split(":", 1)[1]
        nodes = scorecard.nodes
        cov = nodes.loc[nodes["node_id"] == node, ["company_id", "coverage"]]
        coverage = pd.Series(
            cov["coverage"].astype("Float64").to_numpy(),
            index=cov["company_id"].astype("string").to_numpy(),
        )
        return pd.DataFrame(
            {
                "company_id": ids.to_numpy(),
                "value": companies[metric].astype("Float64").to_numpy(),
                "coverage": ids.map(coverage).astype("Float64").to_numpy(),
            }
        )
    indicators = scorecard.indicators
    rows = indicators[indicators["indicator_id"] == metric]
    if rows.empty:
        known = sorted(indicators["indicator_id"].astype("string").dropna().unique())
        raise CompareError(
            f"unknown metric {metric!r}; use 'total', 'theme:<id>' or an indicator id "
            f"({', '.join(known[:20])}{', ...' if len(known) > 20 else ''})"
        )
    score = pd.Series(
        rows["score"].astype("Float64").to_numpy(),
        index=rows["company_id"].astype("string").to_numpy(),
    )
    present = pd.Series(
        (~rows["missing"].astype("boolean").fillna(True)).astype("Float64").to_numpy(),
        index=score.index,
    )
    return pd.DataFrame(
        {
            "company_id": ids.to_numpy(),
            "value": ids.map(score).astype("Float64").to_numpy(),
            "coverage": ids.map(present).astype("Float64").to_numpy(),
        }
    )


def _tuple_column(series: pd.Series) -> pd.Series:
    return series.map(lambda v: tuple(v) if isinstance(v, tuple | list) and v else (pd.NA,))


def unit_table(
    scorecard: ScoreCard,
    keys: Sequence[str],
    metric: str = "total",
    origin_groups: OriginGroupsLike = None,
) -> pd.DataFrame:
    """One row per company and combination of key values: ``company_id``, the keys (missing
    values as ``"unknown"``), ``value`` and ``coverage``. Sorted by keys, then company."""
    companies = scorecard.companies
    table = _metric_values(scorecard, metric)
    attrs = pd.DataFrame({"company_id": companies["company_id"].astype("string").to_numpy()})
    for key in ("origin_country", "ownership", "hq_country"):
        if key in keys:
            attrs[key] = companies[key].astype("string").to_numpy()
    if "sector" in keys:
        attrs["sector"] = _tuple_column(companies["sectors"]).to_numpy()
        attrs = attrs.explode("sector")
    if "origin_group" in keys or "host_country" in keys:
        hosts = company_origin(companies, origin_groups)
        wanted = ["company_id"] + [k for k in ("host_country", "origin_group") if k in keys]
        attrs = attrs.merge(hosts[wanted], on="company_id", how="left")
    table = table.merge(attrs, on="company_id", how="left")
    for key in keys:
        table[key] = table[key].astype("string").fillna(UNKNOWN)
    table = table.drop_duplicates(["company_id", *keys])
    table = table.sort_values([*keys, "company_id"], kind="stable").reset_index(drop=True)
    return table[["company_id", *keys, "value", "coverage"]]


def _small_text(n: int, min_n: int) -> str:
    if n == 0:
        return "no company with a score: nothing to compare"
    if n == 1:
        return f"n=1 < {min_n}: a single company, no interval; do not generalise"
    return (
        f"n={n} < {min_n}: too few companies to say anything about the group; interval unreliable"
    )


def compare(
    scorecard: ScoreCard,
    by: str | Sequence[str] = "origin_group",
    within: str | Sequence[str] | None = None,
    metric: str = "total",
    *,
    origin_groups: OriginGroupsLike = None,
    level: float = 0.95,
    resamples: int = 2000,
    permutations: int = 2000,
    seed: int = 0,
    min_n: int = 5,
    min_coverage: float | None = None,
    correction: Correction = "holm",
    alpha: float = 0.05,
) -> Comparison:
    """Compare a score (``metric``: ``"total"``, ``"theme:<id>"`` or an indicator id) between
    groups of companies.

    ``by`` and ``within`` take keys of :data:`KEYS` (one or several); pairs of groups are
    compared within each stratum of ``within``. ``min_coverage`` leaves out companies whose
    coverage of the metric is below it; ``min_n`` is the group size under which a group is
    flagged as too small. Intervals are percentile bootstraps at ``level`` with ``resamples``
    draws; p-values are permutation tests with ``permutations`` shuffles, adjusted over all
    pairs with ``correction`` (``holm``, ``bh`` or ``none``). The same ``seed`` gives the same
    result, and a group's numbers do not depend on which other groups are present.
    """
    by_keys = check_keys(by, "by", required=True)
    within_keys = check_keys(within, "within")
    if set(by_keys) & set(within_keys):
        raise CompareError("by and within must not share a key")
    if correction not in CORRECTIONS:
        raise CompareError(f"correction must be one of {', '.join(CORRECTIONS)}")
    if not 0.0 < level < 1.0:
        raise CompareError(f"level must be between 0 and 1, not {level}")
    if min_n < 1 or resamples < 1 or permutations < 1:
        raise CompareError("min_n, resamples and permutations must be at least 1")
    load_origin_groups(origin_groups)  # fail early on a bad grouping
    keys = [*within_keys, *by_keys]
    units = unit_table(scorecard, keys, metric, origin_groups)
    units["stratum"] = group_label(units, within_keys, "all")
    units["group"] = group_label(units, by_keys)
    low = pd.Series(False, index=units.index)
    if min_coverage is not None:
        low = (units["coverage"].fillna(0.0) < min_coverage).astype(bool)
    units["low_coverage"] = low.to_numpy()

    group_rows: list[dict[str, Any]] = []
    samples: dict[tuple[str, str], np.ndarray] = {}
    for cell, frame in units.groupby(keys, sort=True, dropna=False):
        cell_values = cell if isinstance(cell, tuple) else (cell,)
        kept = frame[~frame["low_coverage"]]
        scored = kept[kept["value"].notna()]
        values = scored["value"].to_numpy(dtype=np.float64)
        stratum, group = str(frame["stratum"].iloc[0]), str(frame["group"].iloc[0])
        samples[(stratum, group)] = values
        n = int(values.size)
        ci = bootstrap_ci(
            values,
            level=level,
            resamples=resamples,
            seed=rng_for(seed, "ci", stratum, group),
        )
        small = n < min_n
        row: dict[str, Any] = dict(zip(keys, cell_values, strict=True))
        row.update(
            stratum=stratum,
            group=group,
            metric=metric,
            n=n,
            n_missing=int(kept["value"].isna().sum()),
            n_low_coverage=int(frame["low_coverage"].sum()),
            mean=float(values.mean()) if n else np.nan,
            median=float(np.median(values)) if n else np.nan,
            std=float(values.std(ddof=1)) if n > 1 else np.nan,
            ci_low=ci[0],
            ci_high=ci[1],
            ci_level=level,
            coverage_mean=float(scored["coverage"].astype("float64").mean()) if n else np.nan,
            small_group=small,
            warning=_small_text(n, min_n) if small else None,
        )
        group_rows.append(row)
    groups = _typed(group_rows, keys, GROUP_COLUMNS)

    pair_rows: list[dict[str, Any]] = []
    for stratum_key, frame in groups.groupby("stratum", sort=True):
        stratum = str(stratum_key)
        names = [str(g) for g in frame["group"]]
        strat_values = dict(zip(within_keys, frame.iloc[0][list(within_keys)], strict=True))
        for group_a, group_b in itertools.combinations(names, 2):
            a, b = samples[(stratum, group_a)], samples[(stratum, group_b)]
            small = min(a.size, b.size) < min_n
            warning = None
            if a.size == 0 or b.size == 0:
                warning = "a group has no scored company: no test"
            elif small:
                warning = f"a group has n < {min_n}: the test has little power; read with care"
            diff_ci = bootstrap_diff_ci(
                a,
                b,
                level=level,
                resamples=resamples,
                seed=rng_for(seed, "diff", stratum, group_a, group_b),
            )
            p = permutation_test(
                a,
                b,
                permutations=permutations,
                seed=rng_for(seed, "perm", stratum, group_a, group_b),
            )
            row = dict(strat_values)
            row.update(
                stratum=stratum,
                group_a=group_a,
                group_b=group_b,
                metric=metric,
                n_a=a.size,
                n_b=b.size,
                mean_a=float(a.mean()) if a.size else np.nan,
                mean_b=float(b.mean()) if b.size else np.nan,
                diff=float(a.mean() - b.mean()) if a.size and b.size else np.nan,
                diff_ci_low=diff_ci[0],
                diff_ci_high=diff_ci[1],
                p_value=p,
                correction=correction,
                small_group=small,
                warning=warning,
            )
            pair_rows.append(row)
    if pair_rows:
        adjusted = adjust_pvalues([r["p_value"] for r in pair_rows], correction)
        for row, adj in zip(pair_rows, adjusted, strict=True):
            row["p_adjusted"] = float(adj)
            row["significant"] = bool(adj < alpha) if not np.isnan(adj) else None
    pairwise = _typed(pair_rows, within_keys, PAIRWISE_COLUMNS)
    options = {
        "level": level,
        "resamples": resamples,
        "permutations": permutations,
        "seed": seed,
        "min_n": min_n,
        "min_coverage": min_coverage,
        "correction": correction,
        "alpha": alpha,
        "origin_groups": load_origin_groups(origin_groups).source,
    }
    out_units = units[["company_id", *keys, "value", "coverage", "low_coverage"]]
    return Comparison(
        groups=groups,
        pairwise=pairwise,
        units=out_units.reset_index(drop=True),
        by=by_keys,
        within=within_keys,
        metric=metric,
        options=options,
    )


def _typed(
    rows: list[dict[str, Any]], keys: Sequence[str], columns: dict[str, str]
) -> pd.DataFrame:
    names = [*keys, *columns]
    frame = pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(columns=names)
    dtypes: dict[str, Any] = dict.fromkeys(keys, "string")
    dtypes.update(columns)
    for name, dtype in dtypes.items():
        col = frame[name]
        if dtype in ("Float64", "Int64"):
            col = pd.to_numeric(col, errors="coerce")
        frame[name] = col.astype(dtype)
    return frame.reset_index(drop=True)
