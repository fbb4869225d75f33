"""How much do rankings depend on the rubric's choices? Uncertainty and sensitivity analysis in
the spirit of the OECD/JRC *Handbook on Constructing Composite Indicators*.

:func:`sensitivity` scores the evidence under

- the base rubric (run ``0``, scenario ``base``);
- ``n`` random weightings (scenario ``weights``): every set of sibling weights ``w`` is redrawn
  from ``Dirichlet(concentration * w)`` -- the mean is the rubric's weights and the spread
  shrinks as ``concentration`` grows (sd of a weight ``sqrt(w (1 - w) / (concentration + 1))``;
  ``concentration=inf`` reproduces the base weights exactly);
- the alternative missing-data policy (``zero`` <-> ``exclude``, scenario ``missing``) and the
  alternative aggregation (``arithmetic`` <-> ``geometric``, scenario ``aggregation``).

and reports each company's median rank and rank interval, each run's Spearman rank correlation
with the base ranking, and whether group differences (by origin group by default) keep their
sign (group means leave out companies with insufficient evidence, as :func:`compare` does by
default; they are unranked in every run). Column contracts: :data:`COMPANY_COLUMNS`,
:data:`RUN_COLUMNS`, :data:`GROUP_SIGN_COLUMNS`.

**Policy alternatives that say nothing.** As in the OECD/JRC handbook, the geometric alternative
floors indicator scores at :data:`GEOMETRIC_FLOOR` (1 point of 100) before a geometric mean
combines them, so that one indicator at 0 (no evidence under ``missing: zero``) does not send the
whole total to 0. Under the ``exclude`` alternative a company with no scored evidence at all
(coverage 0) has no total in that run (unranked) rather than the score of its fixed-value
indicators alone. A run is **degenerate** when fewer than two companies have a total or more
than half of them (:data:`DEGENERATE_SHARE`) share one total; degenerate runs are flagged in
:attr:`Sensitivity.runs`, still shown, and left out of the rank intervals, the group-difference
ranges and ``sign_kept`` (``options["left_out"]`` lists them).

**Cost.** Weights do not change indicator scores, only how they are aggregated, so weight runs
re-aggregate the base score card's indicator scores and penalties for all runs at once, in
blocks of runs x companies, with the engine's own tree core
(:func:`bhrscore.rubric.tree.aggregate_tree`, which has a runs axis): the base run and a run
with the base weights are the engine's totals by construction. ``method="engine"`` re-scores
every weight run with the engine instead (a cross-check; it re-runs every rule). The policy
alternatives are always re-scored by the engine; the geometric one is then re-aggregated from
that card's indicator scores with the floor.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..rubric.model import ROOT_ID, case_weights, effective_weights
from ..rubric.node_aggregations import Child, NodeInput, node_aggregations
from ..rubric.tree import PenaltyArrays, aggregate_tree, case_key
from .compare import unit_table
from .keys import check_keys, group_label
from .origin import OriginGroupsLike
from .stats import BLOCK_CELLS, rng_for

if TYPE_CHECKING:
    from ..rubric.model import Node, Rubric
    from ..rubric.scorecard import ScoreCard

FloatArray = npt.NDArray[np.float64]
#: In the geometric alternative, indicator scores below this count as this (0-100 scale).
GEOMETRIC_FLOOR = 1.0
#: A run is degenerate when more than this share of the companies with a total share one value.
DEGENERATE_SHARE = 0.5
#: Totals are compared for equality after rounding to this many decimals.
_SAME_DECIMALS = 9

#: Columns of :attr:`Sensitivity.companies`. Rank summaries are over the *weight runs* (the
#: base and the ``n`` perturbed weightings, less degenerate ones); the policy alternatives
#: have their own columns.
COMPANY_COLUMNS: dict[str, str] = {
    "company_id": "string",
    "base_total": "Float64",
    "base_rank": "Int64",  # 1 = best, ties share the lower rank (as in the score card)
    "median_rank": "Float64",
    "rank_low": "Float64",  # the (1 - level) / 2 quantile of the rank over the weight runs
    "rank_high": "Float64",  # the 1 - (1 - level) / 2 quantile
    "rank_min": "Int64",
    "rank_max": "Int64",
    "total_low": "Float64",  # the same quantiles of the total
    "total_high": "Float64",
    "rank_missing": "Int64",  # rank under the alternative missing-data policy
    "rank_aggregation": "Int64",  # rank under the alternative aggregation
}
#: Columns of :attr:`Sensitivity.runs`.
RUN_COLUMNS: dict[str, str] = {
    "run": "Int64",  # 0 = base
    "scenario": "string",  # base, weights, missing, aggregation
    "label": "string",  # e.g. "weights 3", "missing: exclude", "aggregation: geometric"
    "spearman": "Float64",  # rank correlation with the base totals (<NA> if a run is constant)
    "mean_abs_rank_change": "Float64",
    "max_abs_rank_change": "Int64",
    "scored": "Int64",  # companies with a total in the run
    "modal_share": "Float64",  # largest share of the scored companies sharing one total
    "degenerate": "boolean",  # scored < 2 or modal_share > DEGENERATE_SHARE
}
#: Columns of :attr:`Sensitivity.groups` (one row per pair of groups).
GROUP_SIGN_COLUMNS: dict[str, str] = {
    "group_a": "string",
    "group_b": "string",
    "n_a": "Int64",
    "n_b": "Int64",
    "base_diff": "Float64",  # mean total of a minus mean total of b, base rubric
    "diff_median": "Float64",  # over the weight runs
    "diff_low": "Float64",
    "diff_high": "Float64",
    "same_sign_share": "Float64",  # share of (non-degenerate) weight runs with the base sign
    "diff_missing": "Float64",  # the difference under the alternative missing-data policy
    "diff_aggregation": "Float64",  # ... and under the alternative aggregation
    "sign_kept": "boolean",  # every non-degenerate run (weights, alternatives) has the base sign
}


class SensitivityError(ValueError):
    """Options that do not make sense (negative runs, bad concentration...)."""


@dataclass(frozen=True)
class Sensitivity:
    """The result of :func:`sensitivity`.

    ``totals`` is a companies x runs table of total scores (index ``company_id``, columns the
    run numbers of ``runs``).
    """

    companies: pd.DataFrame
    runs: pd.DataFrame
    groups: pd.DataFrame
    totals: pd.DataFrame
    options: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.companies.copy()


# --- weights ---------------------------------------------------------------------------------


def _sibling_weights(nodes: Sequence[Node]) -> FloatArray:
    """Effective sibling weights (points as shares of their sum; equal shares if none)."""
    return _f64(np.nan_to_num(np.array(effective_weights(list(nodes)), dtype=float)))


def draw_weights(
    rubric: Rubric, runs: int, concentration: float, seed: int
) -> dict[str, FloatArray]:
    """Per parent id (``total`` for the top level), a ``runs x children`` matrix of sibling
    weights drawn from ``Dirichlet(concentration * w)``, and likewise per ``when`` case of a
    node (key :func:`bhrscore.rubric.tree.case_key`). Zero weights stay zero; an infinite
    concentration (or a single child) repeats the base weights. Each parent (and case) has
    its own random stream, so draws do not depend on the order of the tree."""
    if not concentration > 0:
        raise SensitivityError(f"concentration must be positive, not {concentration}")
    out: dict[str, FloatArray] = {}

    def draw(key: str, base: FloatArray) -> None:
        draws = np.tile(base, (runs, 1))
        positive = base > 0
        if math.isfinite(concentration) and positive.sum() > 1 and runs > 0:
            rng = rng_for(seed, "weights", key)
            draws[:, positive] = rng.dirichlet(concentration * base[positive], size=runs)
        out[key] = draws

    def visit(parent: str, nodes: Sequence[Node]) -> None:
        draw(parent, _sibling_weights(nodes))
        for node in nodes:
            if node.children:
                visit(node.id, node.children)
                for case in node.when or []:
                    base = np.array(case_weights(case, node.children), dtype=float)
                    draw(case_key(node.id, case.id), base)

    visit(ROOT_ID, rubric.tree)
    return out


def _rebuild(
    nodes: Sequence[Node], weights: Mapping[str, FloatArray], parent: str, run: int
) -> list[Node]:
    row = weights[parent][run]
    rebuilt = []
    for node, w in zip(nodes, row, strict=True):
        update: dict[str, Any] = {"weight": float(w), "points": None}
        if node.children:
            update["children"] = _rebuild(node.children, weights, node.id, run)
            if node.when:
                update["when"] = [
                    case.model_copy(
                        update={
                            "weights": {
                                child.id: float(cw)
                                for child, cw in zip(
                                    node.children,
                                    weights[case_key(node.id, case.id)][run],
                                    strict=True,
                                )
                            },
                            "points": None,
                        }
                    )
                    for case in node.when
                ]
        rebuilt.append(node.model_copy(update=update))
    return rebuilt


def rubric_with_weights(rubric: Rubric, weights: Mapping[str, FloatArray], run: int) -> Rubric:
    """A copy of the rubric whose sibling weights are row ``run`` of ``weights``."""
    return rubric.model_copy(update={"tree": _rebuild(rubric.tree, weights, ROOT_ID, run)})


def alternative_missing(rubric: Rubric) -> tuple[str, Rubric]:
    """The rubric with the other rubric-wide missing-data policy (node overrides kept)."""
    alt = "exclude" if rubric.policies.missing == "zero" else "zero"
    policies = rubric.policies.model_copy(update={"missing": alt})
    return alt, rubric.model_copy(update={"policies": policies})


def alternative_aggregation(rubric: Rubric) -> tuple[str, Rubric]:
    """The rubric with the other aggregation (arithmetic <-> geometric; minimum -> arithmetic),
    applied rubric-wide and to every node that used the rubric-wide one."""
    base = rubric.policies.aggregation
    alt = "geometric" if base == "arithmetic" else "arithmetic"

    def swap(nodes: Sequence[Node]) -> list[Node]:
        out = []
        for node in nodes:
            update: dict[str, Any] = {}
            if node.children:
                update["children"] = swap(node.children)
                if node.aggregation == base:
                    update["aggregation"] = alt
            out.append(node.model_copy(update=update) if update else node)
        return out

    policies = rubric.policies.model_copy(update={"aggregation": alt})
    return alt, rubric.model_copy(update={"policies": policies, "tree": swap(rubric.tree)})


# --- fast re-aggregation ---------------------------------------------------------------------


def _penalty_arrays(card: ScoreCard, ids: pd.Index) -> dict[str, list[PenaltyArrays]]:
    """Per node: one (points subtracted, cap) pair per company (0 and NaN when none), from
    the card's penalty table."""
    out: dict[str, list[PenaltyArrays]] = {}
    pen = card.penalties
    if pen.empty:
        return out
    for node_id, rows in pen.groupby(pen["node_id"].astype("string"), sort=True):
        company = rows["company_id"].astype("string")
        points = rows["points"].astype("Float64").fillna(0.0).groupby(company.to_numpy()).sum()
        caps = rows["cap"].astype("Float64").groupby(company.to_numpy()).min()
        p = _f64(points.reindex(ids).astype("float64").fillna(0.0))
        c = _f64(caps.reindex(ids).astype("float64"))
        out[str(node_id)] = [(p, c)]
    return out


def _when_cases(card: ScoreCard, rubric: Rubric, ids: pd.Index) -> dict[str, npt.NDArray[np.int64]]:
    """Per node with ``when`` cases: the index of the case the card applied to each company
    (``-1``: the node's own weights), read from the nodes table's ``when`` column."""
    out: dict[str, npt.NDArray[np.int64]] = {}
    nodes = card.nodes
    for info in rubric.walk():
        if not info.node.when:
            continue
        rows = nodes[nodes["node_id"] == info.node.id]
        labels = pd.Series(
            rows["when"].astype("string").to_numpy(dtype=object),
            index=rows["company_id"].astype("string"),
        ).reindex(ids)
        cases = pd.Index([case.id for case in info.node.when], dtype="string")
        out[info.node.id] = cases.get_indexer(pd.Index(labels, dtype="string")).astype(np.int64)
    return out


def _aggregate(children: list[FloatArray], weights: FloatArray, how: str) -> FloatArray:
    """Children scores (each ``companies``, or ``runs x companies``; NaN = excluded) and
    ``runs x children`` weights -> node scores (runs x companies): one node of the tree core
    (:mod:`bhrscore.rubric.tree`), kept for callers of this name."""
    rows = [c[None, :] if c.ndim == 1 else c for c in children]
    shape = (max(weights.shape[0], *(r.shape[0] for r in rows)), rows[0].shape[1])
    kids = tuple(Child(str(j), r, weights[:, j : j + 1], True) for j, r in enumerate(rows))
    return np.broadcast_to(node_aggregations()[how].combine(NodeInput("node", kids, shape)), shape)


def reaggregate(
    card: ScoreCard,
    rubric: Rubric,
    weights: Mapping[str, FloatArray],
    *,
    geometric_floor: float | None = None,
) -> dict[str, FloatArray]:
    """Node scores (runs x companies, in ``card.companies`` order; indicators: one row shared
    by all runs) from the card's indicator scores and penalties, aggregated by the tree core
    (:func:`bhrscore.rubric.tree.aggregate_tree`, the engine's own) with the given sibling
    weights. With ``geometric_floor``, indicator scores below it count as it where a
    geometric mean combines them (missing indicators stay missing)."""
    ids = pd.Index(card.companies["company_id"].astype("string"))
    ind = card.indicators
    matrix = ind.pivot(index="indicator_id", columns="company_id", values="score")
    matrix = matrix.reindex(columns=ids).astype("float64")
    indicators = {str(k): _f64(matrix.loc[k]) for k in matrix.index}
    tree = aggregate_tree(
        rubric,
        indicators,
        weights=weights,
        cases=_when_cases(card, rubric, ids),
        penalties=_penalty_arrays(card, ids),
        geometric_floor=geometric_floor,
        companies=len(ids),
    )
    return tree.score


# --- ranks and groups ------------------------------------------------------------------------


def degeneracy(totals: pd.DataFrame) -> pd.DataFrame:
    """Per run (a column of ``totals``): ``scored`` (companies with a total), ``modal_share``
    (the largest share of them with one and the same total, after rounding to 1e-9) and
    ``degenerate`` (fewer than two scored, or ``modal_share > DEGENERATE_SHARE``)."""
    values = np.round(totals.to_numpy(dtype=np.float64, na_value=np.nan).T, _SAME_DECIMALS)
    scored = (~np.isnan(values)).sum(axis=1)
    ordered = np.sort(values, axis=1)  # NaN last, and NaN never equals NaN
    same = ordered[:, 1:] == ordered[:, :-1]
    # longest stretch of equal neighbours per run: a cumulative count reset at each change
    count = np.cumsum(same, axis=1)
    reset = np.maximum.accumulate(np.where(same, 0, count), axis=1)
    longest = np.where(scored > 0, (count - reset).max(axis=1, initial=0) + 1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(scored > 0, longest / np.maximum(scored, 1), np.nan)
    degenerate = (scored < 2) | (np.nan_to_num(share) > DEGENERATE_SHARE)
    return pd.DataFrame(
        {"scored": scored, "modal_share": share, "degenerate": degenerate},
        index=totals.columns,
    )


def _ranks(totals: pd.DataFrame) -> pd.DataFrame:
    """Competition ranks per run (1 = best; ties share the lower rank; no score -> NA)."""
    return totals.rank(axis=0, method="min", ascending=False, na_option="keep")


def _group_signs(
    card: ScoreCard,
    totals: pd.DataFrame,
    weight_runs: list[int],
    scenario_runs: Mapping[str, int],
    judged_runs: Sequence[int],
    by: tuple[str, ...],
    origin_groups: OriginGroupsLike,
    level: float,
) -> pd.DataFrame:
    units = unit_table(card, by, "total", origin_groups)
    label = group_label(units, by)
    values = totals.reindex(units["company_id"].to_numpy()).to_numpy(dtype=np.float64)  # U x R
    names = sorted(str(g) for g in label.unique())
    if len(names) < 2:  # no pair of groups to compare (e.g. no companies at all)
        return pd.DataFrame(columns=list(GROUP_SIGN_COLUMNS)).astype(GROUP_SIGN_COLUMNS)
    member = np.stack([(label == g).to_numpy(dtype=bool) for g in names]).astype(float)  # G x U
    present = ~np.isnan(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        counts = member @ present.astype(float)  # G x R
        means = (member @ np.where(present, values, 0.0)) / counts
    tail = (1.0 - level) / 2.0
    rows = []
    for i, j in itertools.combinations(range(len(names)), 2):
        diff = means[i] - means[j]
        base = float(diff[0])
        w = diff[weight_runs]
        w = w[~np.isnan(w)]
        alts = {k: float(diff[r]) for k, r in scenario_runs.items()}
        judged = [float(diff[r]) for r in scenario_runs.values() if r in judged_runs]
        every = np.concatenate([w, [v for v in judged if not np.isnan(v)]])
        known = not np.isnan(base) and base != 0 and w.size > 0
        rows.append(
            {
                "group_a": names[i],
                "group_b": names[j],
                "n_a": int(counts[i, 0]),
                "n_b": int(counts[j, 0]),
                "base_diff": base,
                "diff_median": float(np.median(w)) if w.size else np.nan,
                "diff_low": float(np.quantile(w, tail)) if w.size else np.nan,
                "diff_high": float(np.quantile(w, 1 - tail)) if w.size else np.nan,
                "same_sign_share": float((np.sign(w) == np.sign(base)).mean()) if known else np.nan,
                "diff_missing": alts.get("missing", np.nan),
                "diff_aggregation": alts.get("aggregation", np.nan),
                "sign_kept": bool((np.sign(every) == np.sign(base)).all()) if known else None,
            }
        )
    frame = pd.DataFrame(rows, columns=list(GROUP_SIGN_COLUMNS))
    return frame.astype(GROUP_SIGN_COLUMNS)


def sensitivity(
    evidence: Any,
    rubric: Rubric,
    as_of: dt.date,
    *,
    n: int = 100,
    seed: int = 0,
    concentration: float = 50.0,
    policies: bool = True,
    by: str | Sequence[str] = "origin_group",
    origin_groups: OriginGroupsLike = None,
    level: float = 0.9,
    method: Literal["auto", "engine"] = "auto",
    base: ScoreCard | None = None,
) -> Sensitivity:
    """Re-score ``evidence`` under ``n`` Dirichlet weight perturbations (``concentration``;
    ``math.inf`` = none) and, with ``policies``, under the alternative missing-data policy and
    aggregation. Ranks are summarised at ``level`` (e.g. 0.9: the 5th-95th percentile of a
    company's rank over all runs). Group sign stability is reported for the groups of ``by``
    (keys as in :func:`bhrscore.analysis.compare.compare`). Deterministic for ``seed``.
    ``base`` may pass an already computed score card of ``rubric`` to save one scoring; a
    card of other evidence, another rubric or another as-of date is a
    :class:`~bhrscore.match.MismatchError`.
    """
    from ..match import check_card
    from ..rubric import score

    if base is not None:
        check_card(base, what="sensitivity", evidence=evidence, rubric=rubric, as_of=as_of)

    if n < 0:
        raise SensitivityError(f"n must be 0 or more, not {n}")
    if not 0.0 < level < 1.0:
        raise SensitivityError(f"level must be between 0 and 1, not {level}")
    if method not in ("auto", "engine"):
        raise SensitivityError("method must be 'auto' or 'engine'")
    by_keys = check_keys(by, "by", required=True)
    card = base if base is not None else score(evidence, rubric, as_of=as_of, uncertainty=False)
    ids = pd.Index(card.companies["company_id"].astype("string"), name="company_id")
    weights = draw_weights(rubric, n, concentration, seed)

    columns: dict[int, FloatArray] = {0: _totals_of(card, ids)}
    labels: list[tuple[int, str, str]] = [(0, "base", "base")]
    fast = method == "auto"
    if n:
        if fast:
            # blocks of runs keep the runs x companies arrays near BLOCK_CELLS cells
            step = max(1, BLOCK_CELLS // max(len(ids), 1))
            for start in range(0, n, step):
                block = {k: v[start : start + step] for k, v in weights.items()}
                totals = reaggregate(card, rubric, block)[ROOT_ID]
                for i, row in enumerate(totals):
                    columns[start + i + 1] = row
        else:
            for r in range(n):
                run_card = score(
                    evidence,
                    rubric_with_weights(rubric, weights, r),
                    as_of=as_of,
                    uncertainty=False,
                    include_personal_data=True,  # totals only; no id or text leaves here
                )
                columns[r + 1] = _totals_of(run_card, ids)
        labels += [(r + 1, "weights", f"weights {r + 1}") for r in range(n)]
    scenario_runs: dict[str, int] = {}
    floor: float | None = None
    if policies:
        for scenario, (alt, alt_rubric) in (
            ("missing", alternative_missing(rubric)),
            ("aggregation", alternative_aggregation(rubric)),
        ):
            run = len(labels)
            # totals and coverage only; no id or text leaves here
            alt_card = score(
                evidence, alt_rubric, as_of=as_of, uncertainty=False, include_personal_data=True
            )
            alt_totals = _totals_of(alt_card, ids)
            if alt == "exclude":
                # nothing scored: no total, rather than the fixed-value indicators alone
                alt_totals = np.where(_coverage_of(alt_card, ids) > 0, alt_totals, np.nan)
            elif alt == "geometric":
                # the handbook's floor: one indicator at 0 must not zero the whole total
                once = draw_weights(alt_rubric, 1, math.inf, 0)
                floored = reaggregate(alt_card, alt_rubric, once, geometric_floor=GEOMETRIC_FLOOR)
                alt_totals, floor = floored[ROOT_ID][0], GEOMETRIC_FLOOR
            columns[run] = alt_totals
            labels.append((run, scenario, f"{scenario}: {alt}"))
            scenario_runs[scenario] = run
    totals_frame = pd.DataFrame(columns, index=ids)
    flags = degeneracy(totals_frame)
    left_out = [r for r, _, _ in labels if r != 0 and bool(flags.loc[r, "degenerate"])]
    # Companies with insufficient evidence (base card) are shown but ranked in no run.
    ranked_totals = totals_frame.where(pd.Series(_sufficient_of(card, ids), index=ids), axis=0)
    ranks = _ranks(ranked_totals)
    base_rank = ranks[0]
    # Spearman: Pearson correlation of average ranks (pandas rank + corr)
    spearman = ranked_totals.rank(method="average").corrwith(
        ranked_totals[0].rank(method="average")
    )
    change = ranks.sub(base_rank, axis=0).abs()
    runs = pd.DataFrame(
        {
            "run": [r for r, _, _ in labels],
            "scenario": [s for _, s, _ in labels],
            "label": [lab for _, _, lab in labels],
            "spearman": spearman.reindex([r for r, _, _ in labels]).to_numpy(),
            "mean_abs_rank_change": change.mean().to_numpy(),
            "max_abs_rank_change": change.max().to_numpy(),
            "scored": flags["scored"].to_numpy(),
            "modal_share": flags["modal_share"].to_numpy(),
            "degenerate": flags["degenerate"].to_numpy(),
        }
    ).astype(RUN_COLUMNS)
    tail = (1.0 - level) / 2.0
    weight_runs = [
        r for r, scenario, _ in labels if scenario in ("base", "weights") and r not in left_out
    ]
    wr, wt = ranks[weight_runs], totals_frame[weight_runs]
    missing_rank = ranks[scenario_runs["missing"]] if "missing" in scenario_runs else None
    aggregation_rank = (
        ranks[scenario_runs["aggregation"]] if "aggregation" in scenario_runs else None
    )
    companies = pd.DataFrame(
        {
            "company_id": ids,
            "base_total": totals_frame[0].to_numpy(),
            "base_rank": base_rank.to_numpy(),
            "median_rank": wr.median(axis=1).to_numpy(),
            "rank_low": wr.quantile(tail, axis=1).to_numpy(),
            "rank_high": wr.quantile(1 - tail, axis=1).to_numpy(),
            "rank_min": wr.min(axis=1).to_numpy(),
            "rank_max": wr.max(axis=1).to_numpy(),
            "total_low": wt.quantile(tail, axis=1).to_numpy(),
            "total_high": wt.quantile(1 - tail, axis=1).to_numpy(),
            "rank_missing": missing_rank.to_numpy() if missing_rank is not None else np.nan,
            "rank_aggregation": (
                aggregation_rank.to_numpy() if aggregation_rank is not None else np.nan
            ),
        }
    ).astype(COMPANY_COLUMNS)
    companies = companies.sort_values(
        ["base_rank", "company_id"], kind="stable", na_position="last"
    )
    judged = [r for r in scenario_runs.values() if r not in left_out]
    # Group means, like compare()'s default, leave out companies with insufficient evidence.
    groups = _group_signs(
        card, ranked_totals, weight_runs, scenario_runs, judged, by_keys, origin_groups, level
    )
    options = {
        "n": n,
        "seed": seed,
        "concentration": concentration if math.isfinite(concentration) else "inf",
        "policies": policies,
        "by": list(by_keys),
        "level": level,
        "method": "reaggregate" if fast else "engine",
        "geometric_floor": floor,
        "degenerate_share": DEGENERATE_SHARE,
        "left_out": [lab for r, _, lab in labels if r in left_out],
        "rubric_id": card.meta.rubric_id,
        "rubric_version": card.meta.rubric_version,
        "as_of": as_of.isoformat(),
    }
    return Sensitivity(
        companies=companies.reset_index(drop=True),
        runs=runs,
        groups=groups,
        totals=totals_frame,
        options=options,
    )


def _totals_of(card: ScoreCard, ids: pd.Index) -> FloatArray:
    totals = pd.Series(
        card.companies["total"].astype("Float64").to_numpy(),
        index=card.companies["company_id"].astype("string"),
    )
    return _f64(totals.reindex(ids).to_numpy(dtype=np.float64, na_value=np.nan))


def _sufficient_of(card: ScoreCard, ids: pd.Index) -> npt.NDArray[np.bool_]:
    """Per company: enough evidence to be ranked (all True for a card without the column)."""
    if "sufficient" not in card.companies.columns:
        return np.ones(len(ids), dtype=bool)
    flag = pd.Series(
        card.companies["sufficient"].to_numpy(dtype=bool, na_value=False),
        index=card.companies["company_id"].astype("string"),
    )
    return flag.reindex(ids, fill_value=False).to_numpy(dtype=bool)


def _coverage_of(card: ScoreCard, ids: pd.Index) -> FloatArray:
    coverage = pd.Series(
        card.companies["coverage"].astype("Float64").to_numpy(),
        index=card.companies["company_id"].astype("string"),
    )
    return _f64(coverage.reindex(ids).to_numpy(dtype=np.float64, na_value=np.nan))


def _f64(values: Any) -> FloatArray:
    return np.asarray(values, dtype=np.float64)
