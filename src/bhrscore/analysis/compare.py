"""Compare score-card scores between groups of companies, with uncertainty.

``compare(scorecard, by="origin_group", within="sector")`` answers "do companies of one origin
score differently from others in the same sector?" with, per group, n, mean, median, a
bootstrap interval and a small-group warning, and per pair of groups the difference of means,
a permutation-test p-value and a multiple-comparison adjustment. Column contracts are in
:data:`GROUP_COLUMNS` and :data:`PAIRWISE_COLUMNS` (and ``docs/analysis.md``).

**Units.** A unit is a company in a cell: grouping keys that a company can have several of
(``sector``, ``sector_section``, ``host_country`` and ``origin_group``, which depends on the
host) give one row per company and value, and a company is counted at most once per group. A
company listed in two sectors therefore appears in both sector groups.

**Shared companies.** A pair of groups that share companies (a company in two sectors, or
domestic at home and foreign abroad) is compared on the companies that are in only one of
the two groups: a shared company would sit on both sides of the difference, and a
permutation test cannot shuffle a unit that belongs to both labels. ``shared`` counts them.

**Small groups.** Below ``min_n_interval`` companies (default :data:`MIN_N_INTERVAL`) a group
gets no interval and a pair no interval of the difference: percentile bootstrap intervals
of a mean cover far less often than stated for so few values (``docs/analysis.md``).

**Insufficient evidence.** Companies the score card marks ``sufficient = False`` (below the
rubric's minimum coverage) are left out of the groups unless ``include_insufficient=True``;
``n_insufficient`` counts them. A card without the column counts every company as
sufficient.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..evidence.sectors import SectorVocabulary, SectorVocabularyLike, load_sector_vocabulary
from .keys import GROUP_SEPARATOR as GROUP_SEPARATOR
from .keys import KEYS as KEYS
from .keys import UNKNOWN as UNKNOWN
from .keys import CompareError as CompareError
from .keys import check_keys, group_label
from .origin import HOST_SOURCES, OriginGroupsLike, company_origin, load_origin_groups
from .stats import (
    CORRECTIONS,
    Correction,
    FloatArray,
    adjust_pvalues,
    bootstrap_means,
    diff_distribution,
    percentile_rows,
    permutation_p,
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
    "n_insufficient": "Int64",  # companies with insufficient evidence, left out by default
    "mean": "Float64",
    "median": "Float64",
    "std": "Float64",  # sample standard deviation (ddof=1)
    "ci_low": "Float64",  # percentile bootstrap interval of the mean (<NA> for n < min)
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
    "n_a": "Int64",  # companies compared: in group a and not in group b
    "n_b": "Int64",
    "shared": "Int64",  # companies in both groups, left out of this comparison
    "mean_a": "Float64",  # over the companies compared
    "mean_b": "Float64",
    "diff": "Float64",  # mean_a - mean_b
    "diff_ci_low": "Float64",  # percentile bootstrap interval of the difference (n >= min)
    "diff_ci_high": "Float64",
    "p_value": "Float64",  # two-sided permutation test of the difference of means
    "p_adjusted": "Float64",  # after the correction, over all pairs of the comparison
    "correction": "string",  # "holm", "bh" or "none"
    "significant": "boolean",  # p_adjusted < alpha
    "small_group": "boolean",  # either side has n < min_n
    "warning": "string",
}

#: Fewest companies for a bootstrap interval (of a group mean, or on each side of a
#: difference). Percentile bootstrap intervals never reach beyond the smallest and largest
#: value observed, and for a few values they cover the true mean far less often than stated:
#: at a nominal 95 %, 46-51 % for n = 2, 69-75 % for n = 3, 78-84 % for n = 5 and 87-89 % for
#: n = 8 in ``docs/simulations/bootstrap_coverage.py`` (normal and skewed scores). 8 is the
#: smallest n at which every simulated population reaches 85 % (docs/analysis.md).
MIN_N_INTERVAL = 8


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
        """Every group warning, then every pair warning, prefixed with the stratum and the
        group (``a - b`` for a pair)."""
        rows = self.groups[self.groups["warning"].notna()]
        out = []
        for stratum, group, text in zip(
            rows["stratum"], rows["group"], rows["warning"], strict=True
        ):
            where = group if stratum == "all" else f"{stratum}: {group}"
            out.append(f"{where}: {text}")
        pairs = self.pairwise[self.pairwise["warning"].notna()]
        for stratum, a, b, text in zip(
            pairs["stratum"], pairs["group_a"], pairs["group_b"], pairs["warning"], strict=True
        ):
            where = f"{a} - {b}" if stratum == "all" else f"{stratum}: {a} - {b}"
            out.append(f"{where}: {text}")
        return out

    def describe(self) -> list[str]:
        """Lines that say how the groups were formed, for headers: the origin grouping
        used, where hosts came from, the sector grouping and who was left out."""
        opts = self.options
        keys = {*self.by, *self.within}
        lines = []
        if keys & {"origin_group", "host_country"}:
            if "origin_group" in keys:
                lines.append(str(opts["origin_groups_description"]))
            hosts = opts.get("hosts", {})
            counts = [f"{hosts.get(k, 0)} {_HOST_WORDS[k]}" for k in HOST_SOURCES]
            lines.append("Company hosts: " + ", ".join(counts) + ".")
        if keys & {"sector", "sector_section"}:
            level = "division" if "sector" in keys else "section"
            titles = opts.get("sector_titles", {})
            shown = "; ".join(f"{code} {title}" for code, title in titles.items())
            lines.append(
                f"Sectors grouped by ISIC Rev.4 {level} (aliases such as oil-gas by the ISIC "
                f"code they stand for){': ' + shown if shown else ''}."
            )
        left = int(self.groups["n_insufficient"].sum()) if len(self.groups) else 0
        if opts.get("include_insufficient"):
            lines.append("Companies with insufficient evidence are included.")
        elif left:
            lines.append(
                f"Left out for insufficient evidence: {left} (company x group); "
                "include_insufficient=True (--include-insufficient) includes them."
            )
        return lines

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

    def _repr_html_(self) -> str:
        """Groups and pairs as tables in notebooks (see :mod:`bhrscore.display`)."""
        from ..display import comparison_html

        return comparison_html(self)


_HOST_WORDS = {
    "listed": "from host_countries",
    "evidence": "from where their evidence happened",
    "unknown": "unknown (no host_countries, no evidence)",
}


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


def _sufficient(companies: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """The card's ``sufficient`` flags (missing column or value: sufficient)."""
    if "sufficient" not in companies.columns:
        return np.ones(len(companies), dtype=bool)
    flags = companies["sufficient"].astype("boolean").fillna(True)
    return np.asarray(flags.to_numpy(dtype=bool), dtype=bool)


def unit_table(
    scorecard: ScoreCard,
    keys: Sequence[str],
    metric: str = "total",
    origin_groups: OriginGroupsLike = None,
    *,
    evidence: Any = None,
    sectors: SectorVocabularyLike = None,
) -> pd.DataFrame:
    """One row per company and combination of key values: ``company_id``, the keys (missing
    values as ``"unknown"``), ``value``, ``coverage``, ``sufficient`` and ``host_source``
    (how the host was found; ``<NA>`` when no host key is used). Sorted by keys, then
    company.

    ``sector`` groups each code by the ISIC Rev.4 division it stands for (``oil-gas`` ->
    ``06``; a code standing for a whole section, such as ``J``, by that section; a code
    without ISIC mapping by itself); ``sector_section`` by its ISIC section. ``sectors`` is
    the vocabulary (default: the one in effect). ``evidence`` places companies without
    ``host_countries`` where their evidence happened (:func:`.origin.company_hosts`).
    """
    companies = scorecard.companies
    table = _metric_values(scorecard, metric)
    table["sufficient"] = _sufficient(companies)
    attrs = pd.DataFrame({"company_id": companies["company_id"].astype("string").to_numpy()})
    for key in ("origin_country", "ownership", "hq_country"):
        if key in keys:
            attrs[key] = companies[key].astype("string").to_numpy()
    sector_keys = [k for k in ("sector", "sector_section") if k in keys]
    if sector_keys:
        vocabulary = load_sector_vocabulary(sectors)
        attrs["_code"] = _tuple_column(companies["sectors"]).to_numpy()
        attrs = attrs.explode("_code")
        code = attrs["_code"].astype("string")
        for key in sector_keys:
            level: Literal["division", "section"] = "division" if key == "sector" else "section"
            attrs[key] = vocabulary.groups(code, level).to_numpy()
        attrs = attrs.drop(columns="_code")
    if "origin_group" in keys or "host_country" in keys:
        hosts = company_origin(companies, origin_groups, evidence, scorecard.meta.as_of)
        wanted = ["company_id", "host_source"]
        wanted += [k for k in ("host_country", "origin_group") if k in keys]
        attrs = attrs.merge(hosts[wanted], on="company_id", how="left")
    else:
        attrs["host_source"] = pd.NA
    table = table.merge(attrs, on="company_id", how="left")
    for key in keys:
        table[key] = table[key].astype("string").fillna(UNKNOWN)
    table["host_source"] = table["host_source"].astype("string")
    table = table.drop_duplicates(["company_id", *keys])
    table = table.sort_values([*keys, "company_id"], kind="stable").reset_index(drop=True)
    return table[["company_id", *keys, "value", "coverage", "sufficient", "host_source"]]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _group_warning(
    n: int, min_n: int, min_n_interval: int, n_insufficient: int, include: bool
) -> str | None:
    """The plain-language warning of a group (``None`` when there is nothing to say)."""
    parts = []
    if n == 0:
        parts.append("no company with a score: nothing to compare")
    elif n == 1:
        parts.append(f"n=1 < {min_n}: a single company, no interval; do not generalise")
    elif n < min_n:
        parts.append(f"n={n} < {min_n}: too few companies to say anything about the group")
    if 1 < n < min_n_interval:
        parts.append(
            f"no interval below n={min_n_interval} (bootstrap intervals of so few values "
            "cover the mean far less often than stated)"
        )
    if n_insufficient and not include:
        parts.append(
            f"{_plural(n_insufficient, 'company', 'companies')} with insufficient evidence left out"
        )
    return "; ".join(parts) if parts else None


def _min_p(n_a: int, n_b: int) -> float:
    """The smallest two-sided p-value a permutation test of these sizes can give: the most
    extreme of the C(n_a + n_b, n_a) splits (and its mirror when the sizes are equal)."""
    splits = math.comb(n_a + n_b, n_a)
    return min(1.0, (2 if n_a == n_b else 1) / splits)  # int / int: no overflow at any n


def _pair_warnings(
    a: int, b: int, shared: int, min_n: int, min_n_interval: int, alpha: float
) -> list[str]:
    """Warnings that depend on the sizes of a pair."""
    parts = []
    if shared:
        parts.append(
            f"{_plural(shared, 'company is', 'companies are')} in both groups and left out of "
            "this comparison"
        )
    if a == 0 or b == 0:
        parts.append("a group has no scored company of its own: no test")
        return parts
    if min(a, b) < min_n:
        parts.append(f"a group has n < {min_n}: the test has little power; read with care")
    if min(a, b) < min_n_interval:
        parts.append(f"no interval of the difference below n={min_n_interval} on each side")
    smallest = _min_p(a, b)
    if smallest >= alpha:
        parts.append(
            f"with n={a} and {b} no p-value below {smallest:.2g} is possible: the test "
            f"cannot reach {alpha:g}"
        )
    return parts


def _agreement_note(
    ci_low: float, ci_high: float, significant: bool | None, level: float, tests: int
) -> str | None:
    """A note when the interval of a difference and the adjusted test disagree."""
    if significant is None or math.isnan(ci_low) or math.isnan(ci_high):
        return None
    excludes = ci_low > 0 or ci_high < 0
    if excludes and not significant:
        return (
            f"the {round(100 * level)}% interval excludes 0 but the adjusted test is not "
            f"significant: the interval is not adjusted for the {tests} tests and bootstrap "
            "intervals are narrow for small groups; read p_adjusted"
        )
    if significant and not excludes:
        return (
            "significant after adjustment but the interval includes 0: the two methods "
            "disagree near the threshold; read with care"
        )
    return None


#: pairwise tests run on threads when they draw at least this many random numbers in all
#: (numpy draws and selects outside the GIL); below it threads cost more than they save
PARALLEL_DRAWS = 20_000_000


def _map_tests(
    tests: Callable[[Any], Any],
    jobs: Sequence[Any],
    draws: int,
) -> list[Any]:
    """``tests`` of every job (group intervals and pair tests), in order. Each job draws
    from its own generator (seeded by its names), so running them on threads gives the same
    numbers as one by one; ``draws`` (random numbers in all) decides whether threads pay."""
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers < 2 or draws < PARALLEL_DRAWS:
        return [tests(job) for job in jobs]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(tests, jobs))


#: the bootstrap distributions of one comparison are kept for one numpy.quantile over all
#: of them while they hold at most this many values (16 MB); beyond it, each job takes its
#: own percentiles
BATCH_CELLS = 2_000_000


def _intervals(spreads: list[Any], level: float, batch: bool) -> list[tuple[float, float]]:
    """The percentile interval of each spread: distributions (``batch``), all at once, or
    the intervals the jobs took themselves."""
    if not batch or not spreads:
        return list(spreads)
    low, high = percentile_rows(np.stack(spreads), level)
    return list(zip(low.tolist(), high.tolist(), strict=True))


def _skipna_mean(values: FloatArray) -> float:
    """The mean of the values that are not NaN, as ``pandas.Series.mean`` computes it (NaN
    set to 0, numpy's sum, divided by the count; NaN when none): the same bits without a
    Series per group."""
    missing = np.isnan(values)
    count = values.size - int(np.count_nonzero(missing))
    if count == 0:
        return float("nan")
    total = np.where(missing, 0.0, values).sum() if count < values.size else values.sum()
    return float(total / np.float64(count))


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
    min_n_interval: int = MIN_N_INTERVAL,
    min_coverage: float | None = None,
    include_insufficient: bool = False,
    correction: Correction = "holm",
    alpha: float = 0.05,
    evidence: Any = None,
    sectors: SectorVocabularyLike = None,
) -> Comparison:
    """Compare a score (``metric``: ``"total"``, ``"theme:<id>"`` or an indicator id) between
    groups of companies.

    ``by`` and ``within`` take keys of :data:`KEYS` (one or several); pairs of groups are
    compared within each stratum of ``within``, on the companies in only one of the two
    groups. Companies with insufficient evidence (the card's ``sufficient`` column) are left
    out unless ``include_insufficient``; ``min_coverage`` leaves out companies whose coverage
    of the metric is below it; ``min_n`` is the group size under which a group is flagged as
    too small; below ``min_n_interval`` there is no interval. Intervals are percentile
    bootstraps at ``level`` with ``resamples`` draws; p-values are permutation tests with
    ``permutations`` shuffles, adjusted over all pairs with ``correction`` (``holm``, ``bh``
    or ``none``). ``evidence`` (the evidence set the card was scored from) places companies
    without ``host_countries`` where their evidence happened; ``sectors`` is the sector
    vocabulary (a bundle's ``vocabulary.yaml``). The same ``seed`` gives the same result, and
    a group's numbers do not depend on which other groups are present.
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
    if min_n_interval < 2:
        raise CompareError("min_n_interval must be at least 2 (one value has no spread)")
    grouping = load_origin_groups(origin_groups)  # fail early on a bad grouping
    vocabulary = load_sector_vocabulary(sectors)
    keys = [*within_keys, *by_keys]
    units = unit_table(scorecard, keys, metric, grouping, evidence=evidence, sectors=vocabulary)
    units["stratum"] = group_label(units, within_keys, "all")
    units["group"] = group_label(units, by_keys)
    insufficient = ~units["sufficient"].to_numpy(dtype=bool)
    left_out = insufficient & (not include_insufficient)
    low = np.zeros(len(units), dtype=bool)
    if min_coverage is not None:
        low = units["coverage"].astype("float64").fillna(0.0).to_numpy() < min_coverage
    units["insufficient"] = insufficient
    units["low_coverage"] = low & ~left_out
    units["_out"] = left_out | units["low_coverage"].to_numpy(dtype=bool)
    # companies as integer codes: pairs find their shared companies on integers
    company = np.asarray(pd.factorize(units["company_id"])[0], dtype=np.int64)
    out = units["_out"].to_numpy(dtype=bool)
    has_value = units["value"].notna().to_numpy(dtype=bool)
    value = units["value"].to_numpy(dtype=np.float64, na_value=np.nan)
    coverage = units["coverage"].to_numpy(dtype=np.float64, na_value=np.nan)
    low_cov = units["low_coverage"].to_numpy(dtype=bool)
    # cells (one per combination of keys) in sorted order, each cell's rows in unit order:
    # numpy on the cells' row positions instead of a frame per cell
    cell = units.groupby(keys, sort=True, dropna=False).ngroup().to_numpy()
    order = np.argsort(cell, kind="stable")
    ends = np.cumsum(np.bincount(cell)).tolist()
    key_values = [units[k].to_numpy(dtype=object) for k in keys]
    strata = units["stratum"].to_numpy(dtype=object)
    labels = units["group"].to_numpy(dtype=object)

    group_rows: list[dict[str, Any]] = []
    interval_jobs: list[tuple[int, FloatArray, str, str]] = []  # (row, values, names)
    # per cell: the scored companies' codes and values (each company once, in unit order)
    samples: dict[tuple[str, str], tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]] = {}
    start = 0
    for end in ends:
        rows = order[start:end]
        first = int(rows[0])
        start = end
        kept = rows[~out[rows]]
        scored = kept[has_value[kept]]
        values = value[scored]
        stratum, group = str(strata[first]), str(labels[first])
        samples[(stratum, group)] = (company[scored], values)
        n = int(values.size)
        ci = (np.nan, np.nan)  # drawn below, with the pair tests (on threads when large)
        if n >= min_n_interval:
            interval_jobs.append((len(group_rows), values, stratum, group))
        n_insufficient = 0 if include_insufficient else int(np.count_nonzero(insufficient[rows]))
        row: dict[str, Any] = {k: col[first] for k, col in zip(keys, key_values, strict=True)}
        row.update(
            stratum=stratum,
            group=group,
            metric=metric,
            n=n,
            n_missing=int(kept.size - scored.size),
            n_low_coverage=int(np.count_nonzero(low_cov[rows])),
            n_insufficient=n_insufficient,
            mean=float(values.mean()) if n else np.nan,
            median=float(np.median(values)) if n else np.nan,
            std=float(values.std(ddof=1)) if n > 1 else np.nan,
            ci_low=ci[0],
            ci_high=ci[1],
            ci_level=level,
            coverage_mean=_skipna_mean(coverage[scored]) if n else np.nan,
            small_group=n < min_n,
            warning=_group_warning(n, min_n, min_n_interval, n_insufficient, include_insufficient),
        )
        group_rows.append(row)

    pairs: list[tuple[dict[str, Any], str, str, str, FloatArray, FloatArray, int]] = []
    in_stratum: dict[str, list[dict[str, Any]]] = {}
    for row in group_rows:
        in_stratum.setdefault(row["stratum"], []).append(row)
    n_codes = int(company.max()) + 1 if company.size else 0
    for stratum in sorted(in_stratum):
        names = [str(r["group"]) for r in in_stratum[stratum]]
        strat_values = {k: in_stratum[stratum][0][k] for k in within_keys}
        # each group's companies as a mask over the company codes (a company is at most
        # once in a group): who is in both groups of a pair is a lookup, not a search
        members: dict[str, npt.NDArray[np.bool_]] = {}
        for name in names:
            members[name] = np.zeros(n_codes, dtype=bool)
            members[name][samples[(stratum, name)][0]] = True
        for group_a, group_b in itertools.combinations(names, 2):
            (codes_a, full_a), (codes_b, full_b) = (
                samples[(stratum, group_a)],
                samples[(stratum, group_b)],
            )
            shared_a = members[group_b][codes_a]
            a = full_a[~shared_a]
            b = full_b[~members[group_a][codes_b]]
            shared = int(np.count_nonzero(shared_a))
            pairs.append((strat_values, stratum, group_a, group_b, a, b, shared))

    # the bootstrap distributions' percentiles are taken all at once after the draws (one
    # numpy.quantile over their rows) unless the distributions would take too much memory
    n_dists = len(interval_jobs) + sum(min(p[4].size, p[5].size) >= min_n_interval for p in pairs)
    batch = n_dists * resamples <= BATCH_CELLS

    def spread(dist: FloatArray) -> Any:
        if batch:
            return dist
        low, high = percentile_rows(dist[None, :], level)
        return (float(low[0]), float(high[0]))

    def pair_tests(pair: tuple[Any, ...]) -> tuple[Any, float]:
        _, stratum, group_a, group_b, a, b, _ = pair
        diff: Any = None
        if min(a.size, b.size) >= min_n_interval:
            rng = rng_for(seed, "diff", stratum, group_a, group_b)
            diff = spread(diff_distribution(a, b, resamples, rng))
        p = np.nan
        if a.size and b.size:
            p = permutation_p(a, b, permutations, rng_for(seed, "perm", stratum, group_a, group_b))
        return diff, p

    def interval(job: tuple[int, FloatArray, str, str]) -> Any:
        _, values, stratum, group = job
        return spread(bootstrap_means(values, resamples, rng_for(seed, "ci", stratum, group)))

    def run(job: tuple[bool, Any]) -> Any:
        is_pair, body = job
        return pair_tests(body) if is_pair else interval(body)

    # group intervals and pair tests in one pool: each job has its own seeded generator
    draws = sum(resamples * job[1].size for job in interval_jobs)
    draws += sum(permutations * (pair[4].size + pair[5].size) for pair in pairs)
    jobs = [(False, job) for job in interval_jobs] + [(True, pair) for pair in pairs]
    results = _map_tests(run, jobs, draws)
    spreads = [*results[: len(interval_jobs)], *(r[0] for r in results[len(interval_jobs) :])]
    bounds = iter(_intervals([d for d in spreads if d is not None], level, batch))
    for job in interval_jobs:
        ci_low, ci_high = next(bounds)
        group_rows[job[0]].update(ci_low=ci_low, ci_high=ci_high)
    groups = _typed(group_rows, keys, GROUP_COLUMNS)
    tested = [
        ((np.nan, np.nan) if d is None else next(bounds), p)
        for d, p in results[len(interval_jobs) :]
    ]

    pair_rows: list[dict[str, Any]] = []
    notes: list[list[str]] = []
    for pair, (diff_ci, p) in zip(pairs, tested, strict=True):
        strat_values, stratum, group_a, group_b, a, b, shared = pair
        row = dict(strat_values)
        row.update(
            stratum=stratum,
            group_a=group_a,
            group_b=group_b,
            metric=metric,
            n_a=a.size,
            n_b=b.size,
            shared=shared,
            mean_a=float(a.mean()) if a.size else np.nan,
            mean_b=float(b.mean()) if b.size else np.nan,
            diff=float(a.mean() - b.mean()) if a.size and b.size else np.nan,
            diff_ci_low=diff_ci[0],
            diff_ci_high=diff_ci[1],
            p_value=p,
            correction=correction,
            small_group=min(a.size, b.size) < min_n,
        )
        pair_rows.append(row)
        notes.append(_pair_warnings(a.size, b.size, shared, min_n, min_n_interval, alpha))
    if pair_rows:
        adjusted = adjust_pvalues([r["p_value"] for r in pair_rows], correction)
        tests = int(np.count_nonzero(~np.isnan(adjusted)))
        for row, adj, parts in zip(pair_rows, adjusted, notes, strict=True):
            row["p_adjusted"] = float(adj)
            row["significant"] = bool(adj < alpha) if not np.isnan(adj) else None
            note = _agreement_note(
                row["diff_ci_low"], row["diff_ci_high"], row["significant"], level, tests
            )
            row["warning"] = "; ".join([*parts, *([note] if note else [])]) or None
    pairwise = _typed(pair_rows, within_keys, PAIRWISE_COLUMNS)
    hosts = units.drop_duplicates(["company_id", "host_source"])["host_source"]
    options = {
        "level": level,
        "resamples": resamples,
        "permutations": permutations,
        "seed": seed,
        "min_n": min_n,
        "min_n_interval": min_n_interval,
        "min_coverage": min_coverage,
        "include_insufficient": include_insufficient,
        "correction": correction,
        "alpha": alpha,
        "origin_groups": grouping.source,
        "origin_groups_description": grouping.describe(),
        "hosts": {k: int((hosts == k).sum()) for k in HOST_SOURCES},
        "sector_vocabulary": list(vocabulary.sources),
        "sector_titles": _sector_titles(units, keys, vocabulary),
    }
    columns = ["company_id", *keys, "value", "coverage", "low_coverage", "insufficient"]
    return Comparison(
        groups=groups,
        pairwise=pairwise,
        units=units[[*columns, "host_source"]].reset_index(drop=True),
        by=by_keys,
        within=within_keys,
        metric=metric,
        options=options,
    )


def _sector_titles(
    units: pd.DataFrame, keys: Sequence[str], vocabulary: SectorVocabulary
) -> dict[str, str]:
    """The title of every sector group present (``{"61": "Telecommunications"}``)."""
    titles: dict[str, str] = {}
    for key in ("sector", "sector_section"):
        if key in keys:
            for code in sorted(str(c) for c in units[key].dropna().unique()):
                title = vocabulary.title(code)
                if title is not None:
                    titles[code] = title
    return titles


def _typed(
    rows: list[dict[str, Any]], keys: Sequence[str], columns: dict[str, str]
) -> pd.DataFrame:
    """The rows as a frame of the given dtypes (keys as text), one typed array per column
    (what building a frame of the records and converting each column gives)."""
    names = [*keys, *columns]
    dtypes: dict[str, Any] = dict.fromkeys(keys, "string")
    dtypes.update(columns)
    if not rows:
        frame = pd.DataFrame(columns=names)
        for name, dtype in dtypes.items():
            col = frame[name]
            if dtype in ("Float64", "Int64"):
                col = pd.to_numeric(col, errors="coerce")
            frame[name] = col.astype(dtype)
        return frame.reset_index(drop=True)
    data: dict[str, Any] = {}
    for name, dtype in dtypes.items():
        values = [row[name] for row in rows]
        if dtype == "Float64":
            data[name] = pd.array(np.array(values, dtype=np.float64), dtype=dtype)
        elif dtype == "Int64":
            data[name] = pd.array(np.array(values, dtype=np.int64), dtype=dtype)
        else:
            data[name] = pd.array(values, dtype=dtype)
    return pd.DataFrame(data, columns=names)
