"""``score(evidence, rubric, as_of)`` -> :class:`ScoreCard`.

Vectorised: each rule is one selection over the evidence frame and one group reduction per
company (numpy ``bincount`` / ``ufunc.at`` on integer company codes); the tree is aggregated
by the one core of :mod:`.tree` (arrays of runs x companies). The per-company intervals
(:mod:`.uncertainty`) run the same evidence pass on replicate-stacked selections
(:func:`replicate_totals`) and aggregate all replicates at once with the same core. Evidence
is put in record-id order first, so results do not depend on the input row order.
Group-level evidence (no ``company_id``) is never scored. Every company of the companies frame
gets a row, with or without evidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..evidence.evidence_set import EvidenceSet
from ..evidence.frame import Frames
from ..evidence.frame_check import check_frames
from ..evidence.vocab import Involvement, Reliability, Status
from .known import known_at
from .model import ROOT_ID, NodeInfo, Penalty, Policies, Rubric
from .node_aggregations import Child, NodeInput, node_aggregations
from .replicates import Replicates, record_keys
from .rules import RuleContext, RuleResult, SelectionCache, _union
from .scorecard import (
    BASIS,
    INDICATOR_COLUMNS,
    NODE_COLUMNS,
    PENALTY_COLUMNS,
    ScoreCard,
    ScoreMeta,
)
from .screening import Screened
from .selection import Prepared, Selection, day_number
from .sufficiency import ranks, sufficiency
from .tree import PenaltyArrays, aggregate_tree
from .uncertainty import (
    Uncertainty,
    UncertaintyLike,
    block_size,
    resolve_uncertainty,
    with_uncertainty,
)
from .unused import unused_records

COMPANY_ATTRIBUTES = (
    "hq_country",
    "origin_country",
    "ultimate_parent_id",
    "ownership",
    "sectors",
    "host_countries",
)


def bhrscore_version() -> str:
    from .. import __version__

    return __version__


def _lookup(series: pd.Series, table: dict[str, float], missing: float) -> np.ndarray:
    """Vectorised map of a categorical column through ``table`` (NA -> ``missing``)."""
    cats = list(series.cat.categories)
    values = np.array([table.get(c, missing) for c in cats] + [missing], dtype=float)
    return values[series.cat.codes.to_numpy()]


def _categorical(series: pd.Series, values: list[str]) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series
    return series.astype(pd.CategoricalDtype(values))


def prepare(frames: Frames, policies: Policies, as_of: dt.date | None = None) -> Prepared:
    """Company-level evidence in id order with codes, base weights and day numbers. With
    ``as_of``, records not known at ``as_of`` (mentioning a later date) are left out: the
    score is what could be said on that day."""
    companies = frames.companies
    company_ids = np.sort(companies["id"].astype("string").to_numpy(dtype=object))
    if len(np.unique(company_ids)) != len(company_ids):
        raise ValueError("the companies frame has duplicate ids")
    ev = frames.evidence
    company_col = ev["company_id"].astype("string")
    has_company = company_col.notna().to_numpy(dtype=bool).copy()
    known = None if as_of is None else known_at(ev, as_of)
    if known is not None:
        has_company &= known
    keep = np.flatnonzero(has_company)
    ids = ev["id"].astype("string").iloc[keep]
    if _ascending(ids):
        # already in id order (files written in id order, as exports often are): the
        # stable sort would keep every row where it is
        order, sorted_ids = keep, ids.to_numpy(dtype=object)
    else:
        order = keep[ids.argsort(kind="stable").to_numpy()]
        sorted_ids = ev["id"].astype("string").iloc[order].to_numpy(dtype=object)
    cid = company_col.iloc[order]
    code = _positions(cid, company_ids)
    if (code < 0).any():
        unknown = sorted(set(cid[code < 0].astype(str)))
        raise ValueError(f"evidence refers to unknown companies: {', '.join(unknown[:5])}")
    status = _categorical(ev["status"], [s.value for s in Status]).iloc[order]
    reliability = _categorical(ev["reliability"], [r.value for r in Reliability]).iloc[order]
    sw = policies.status_weights.model_dump()
    rw = policies.reliability_weights.model_dump()
    base = _lookup(status, sw, 0.0) * _lookup(reliability, rw, rw["medium"])
    dates = ev["effective_date"].iloc[order].to_numpy(dtype="datetime64[D]")
    day = (dates - np.datetime64("1970-01-01", "D")).astype(np.int64)
    kind = ev["kind"].astype("category").iloc[order]
    return Prepared(
        frame=ev,
        order=order,
        ids=sorted_ids,
        company_ids=company_ids,
        company=code.astype(np.int64),
        base_weight=base,
        day=day,
        kind_codes=kind.cat.codes.to_numpy(),
        kinds=tuple(str(k) for k in kind.cat.categories),
        status_codes=status.cat.codes.to_numpy(),
        statuses=tuple(str(s) for s in status.cat.categories),
        known=known,
    )


def _ascending(ids: pd.Series) -> bool:
    """Whether the ids (text) are in ascending order, ties allowed, and none is missing:
    compared in Arrow, byte by byte of their UTF-8 (code point order, the order of the
    stable sort in :func:`prepare`), without making Python strings of them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.chunked_array([pa.array(ids.array, type=pa.large_string())])
    if arr.null_count:
        return False
    if len(arr) < 2:
        return True
    ascending = pc.all(pc.greater_equal(arr[1:], arr[:-1])).as_py()
    return bool(ascending)


def _positions(values: pd.Series, sorted_ids: np.ndarray) -> npt.NDArray[np.int64]:
    """Position of each of ``values`` (text) in ``sorted_ids`` (-1 when absent), hashed by
    pyarrow's ``index_in`` in C++ (what ``Index.get_indexer`` gives, faster on text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(values.array, type=pa.large_string())
    found = pc.index_in(arr, value_set=pa.array(sorted_ids.tolist(), type=pa.large_string()))
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


@dataclass(frozen=True)
class Provenance:
    """Per company: evidence count, sorted evidence ids, status mix (``mix_texts`` indexed
    by ``mix_codes``; None when not asked for)."""

    count: np.ndarray
    ids: list[tuple[str, ...]]
    mix_codes: npt.NDArray[np.int64] | None = None
    mix_texts: list[str | None] | None = None

    @property
    def status_mix(self) -> list[str | None]:
        """``alleged:2|verified:1`` per company (None: no record)."""
        assert self.mix_codes is not None
        assert self.mix_texts is not None
        table = np.array([*self.mix_texts, None], dtype=object)[:-1]
        mix: list[str | None] = table[self.mix_codes].tolist()
        return mix


def provenance(prep: Prepared, used: Selection, *, status_mix: bool = True) -> Provenance:
    n = prep.n_companies
    if len(used.rows) < 2 or bool(np.all(used.rows[1:] >= used.rows[:-1])):
        # rows already in order (every built-in rule): a stable sort by company alone
        order = np.argsort(used.company, kind="stable")
    else:
        order = np.lexsort((used.rows, used.company))
    company = used.company[order]
    rows = used.rows[order]
    count = np.bincount(company, minlength=n)
    ids = _id_tuples(prep.ids[rows].tolist(), count)
    if not status_mix:
        return Provenance(count, ids)
    codes, texts = _status_mix(prep, company, rows, n)
    return Provenance(count, ids, codes, texts)


def _id_tuples(id_list: list[str], count: np.ndarray) -> list[tuple[str, ...]]:
    """``id_list`` cut into consecutive tuples of ``count`` ids each (companies without
    records share the empty tuple; single records skip the slice)."""
    ends = np.cumsum(count)
    out: list[tuple[str, ...]] = [()] * len(count)
    one = np.flatnonzero(count == 1)
    for i, at in zip(one.tolist(), (ends[one] - 1).tolist(), strict=True):
        out[i] = (id_list[at],)
    many = np.flatnonzero(count > 1)
    starts = (ends[many] - count[many]).tolist()
    for i, a, b in zip(many.tolist(), starts, ends[many].tolist(), strict=True):
        out[i] = tuple(id_list[a:b])
    return out


def _status_mix(
    prep: Prepared, company: np.ndarray, rows: np.ndarray, n: int
) -> tuple[npt.NDArray[np.int64], list[str | None]]:
    """``alleged:2|verified:1`` per company, as codes into distinct texts: the distinct count
    vectors are formatted once."""
    k = len(prep.statuses)
    if n == 0 or k == 0:  # no companies, or no statuses at all: nothing to describe
        return np.zeros(n, dtype=np.int64), [None]
    codes = prep.status_codes[rows].astype(np.int64)
    matrix = np.bincount(company * k + codes, minlength=n * k).reshape(n, k)
    radix = matrix.max(axis=0).astype(np.int64) + 1
    if float(np.prod(radix.astype(float))) < 2**62:
        place = np.concatenate([[1], np.cumprod(radix[:-1])]).astype(np.int64)
        keys = matrix @ place
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        uniq = matrix[first]
    else:  # pragma: no cover - more than ~10**12 combinations of counts
        uniq, inverse = np.unique(matrix, axis=0, return_inverse=True)
    names = sorted(range(k), key=lambda i: prep.statuses[i])
    texts: list[str | None] = []
    for row in uniq.tolist():
        parts = [f"{prep.statuses[i]}:{row[i]}" for i in names if row[i]]
        texts.append("|".join(parts) if parts else None)
    return np.asarray(inverse, dtype=np.int64).reshape(-1), texts


MissingRule = str | float | Screened


def _missing_policies(rubric: Rubric) -> dict[str, MissingRule]:
    out: dict[str, MissingRule] = {ROOT_ID: rubric.policies.missing}
    for info in rubric.walk():
        own = info.node.missing
        out[info.node.id] = own if own is not None else out[info.parent_id]
    return out


def aggregate_children(scores: np.ndarray, weights: np.ndarray, how: str) -> np.ndarray:
    """Combine child scores (children x companies, NaN = excluded) with ``weights``: one run
    of the tree core's node aggregation (:mod:`.tree`), kept for callers of this name."""
    children = tuple(
        Child(str(j), scores[j][None, :], np.array([[w]]), True) for j, w in enumerate(weights)
    )
    node = NodeInput("node", children, (1, scores.shape[1]))
    result: np.ndarray = node_aggregations()[how].combine(node)[0]
    return result


def _penalties_by_node(effects: list[PenaltyEffect]) -> dict[str, list[PenaltyArrays]]:
    """The effects' ``(points, cap)`` arrays grouped by the node they apply to."""
    out: dict[str, list[PenaltyArrays]] = {}
    for eff in effects:
        out.setdefault(eff.penalty.node, []).append((eff.points, eff.cap))
    return out


@dataclass(frozen=True)
class PenaltyEffect:
    penalty: Penalty
    points: np.ndarray  # per company code, 0 when none
    cap: np.ndarray  # per company code, NaN when none
    used: Selection


def penalty_effect(
    prep: Prepared, penalty: Penalty, ctx: RuleContext, policies: Policies
) -> PenaltyEffect:
    sel = ctx.select(penalty.select)
    iw = policies.involvement_weights.model_dump()
    view = prep.view("company_involvement") if "company_involvement" in prep.frame else None
    if view is not None and view.kind == "category":
        # the codes of the prepared column view (what _lookup reads, without a pandas take
        # of the selected, possibly replicate-stacked, rows)
        assert view.labels is not None
        assert view.codes is not None
        missing = iw["unknown"]
        table = np.array([iw.get(c, missing) for c in view.labels] + [missing], dtype=float)
        factor = sel.weight * table[view.codes[sel.rows]]
    else:
        inv = _categorical(ctx.column("company_involvement", sel), [i.value for i in Involvement])
        factor = sel.weight * _lookup(inv, iw, iw["unknown"])
    sel = Selection(sel.rows, sel.company, factor)
    sel = sel.take(factor > 0)
    n = ctx.n
    agg: np.ndarray
    if penalty.combine == "sum":
        agg = np.bincount(sel.company, weights=sel.weight, minlength=n).astype(float)
    else:
        agg = np.zeros(n)
        np.maximum.at(agg, sel.company, sel.weight)
    if penalty.points is not None:
        points = penalty.points * agg
        if penalty.max_points is not None:
            points = np.minimum(points, penalty.max_points)
        return PenaltyEffect(penalty, points, np.full(n, np.nan), sel)
    assert penalty.cap is not None
    cap = np.where(agg > 0, 100.0 - (100.0 - penalty.cap) * agg, np.nan)
    return PenaltyEffect(penalty, np.zeros(n), cap, sel)


@dataclass(frozen=True)
class WhenResult:
    """Which ``when`` case of a node applies per company code (-1: the node's own weights)
    and each case's selection (its evidence)."""

    chosen: npt.NDArray[np.int64]
    selections: list[Selection]


def when_cases(rubric: Rubric, ctx: RuleContext) -> dict[str, WhenResult]:
    """Per node with ``when`` cases: the first case whose selection holds for each company."""
    out: dict[str, WhenResult] = {}
    for info in rubric.walk():
        if not info.node.when:
            continue
        chosen = np.full(ctx.n, -1, dtype=np.int64)
        selections = []
        for k, case in enumerate(info.node.when):
            sel = ctx.select(case.select)
            hit = np.bincount(sel.company, minlength=ctx.n) > 0
            chosen = np.where((chosen < 0) & hit, k, chosen)
            selections.append(sel)
        out[info.node.id] = WhenResult(chosen, selections)
    return out


#: Codes of :data:`.scorecard.BASIS` (the indicators table's ``basis`` column), in its order.
EVIDENCE, NOT_APPLICABLE, SCREENING, POLICY, EXCLUDED, UNKNOWN = range(len(BASIS))


@dataclass(frozen=True)
class IndicatorScore:
    """One indicator for all company codes (companies, or replicates x companies), after the
    missing-data rule: ``score`` (NaN = not scored) and ``used`` (its evidence: the rule's
    records and any screenings behind a silence), with the masks they were decided from --
    ``has`` (the rule used records), ``screened`` (no record, a screening backs the silence)
    and ``unknown`` (silence no screening backs) -- from which :attr:`missing`,
    :attr:`covered`, :attr:`raw` and :meth:`basis` are derived on demand (the replicates
    read only ``score``)."""

    score: np.ndarray
    used: Selection
    has: np.ndarray
    screened: np.ndarray
    unknown: np.ndarray
    excluded: bool  # the policy is ``exclude``
    rule_raw: np.ndarray

    @property
    def missing(self) -> np.ndarray:
        """No record at all behind the score (neither the rule's nor a screening)."""
        missing: np.ndarray = ~self.has & ~self.screened
        return missing

    @property
    def covered(self) -> np.ndarray:
        """Counts towards coverage: records (not-applicable ones included) or a screening."""
        covered: np.ndarray = (self.has | self.screened) & ~self.unknown
        return covered

    @property
    def raw(self) -> np.ndarray:
        """The rule's raw value where it used records, else NaN."""
        raw: np.ndarray = np.where(self.has, self.rule_raw, np.nan)
        return raw

    def basis(self) -> npt.NDArray[np.int8]:
        """Codes into :data:`.scorecard.BASIS`: what each score rests on."""
        codes = np.full(len(self.has), EXCLUDED if self.excluded else POLICY, dtype=np.int8)
        codes[self.has] = EVIDENCE
        codes[self.has & np.isnan(self.score) & ~self.unknown] = NOT_APPLICABLE
        codes[self.screened] = SCREENING
        codes[self.unknown] = UNKNOWN
        return codes

    def basis_column(self) -> pd.Categorical[str]:
        """:meth:`basis` as the categorical the indicators table stores (as text)."""
        column: pd.Categorical[str] = pd.Categorical.from_codes(
            self.basis(), categories=pd.Index(list(BASIS))
        )
        return column


def indicator_score(
    ctx: RuleContext, result: RuleResult, policy: MissingRule, *, provenance: bool = True
) -> IndicatorScore:
    """Apply an indicator's missing-data rule to its rule's result: the one place where an
    indicator's final score is decided, used by the score card and by its bootstrap
    replicates (``ctx`` then holds replicate-stacked selections) alike.

    - Companies with used records keep the rule's score (``evidence``); a NaN score there
      means the records make the indicator *not applicable* (``not_applicable``: no score,
      but covered, whatever the policy).
    - Companies without used records take the policy: ``zero``, ``exclude`` (no score), a
      fixed score (``policy``), or -- for a :class:`~.screening.Screened` rule -- its
      ``screened`` score where a screening backs the silence (``screening``, covered, the
      screenings join the evidence) and ``unknown`` (or 0 with ``unscreened: zero``)
      elsewhere.
    - Companies the rule itself reports ``unknown`` (e.g. ``say_do_gap`` silence without a
      screening) are not scored. Unknown indicators are not covered.

    ``provenance=False`` (the replicates, which keep only scores) leaves the screenings out of
    ``used``; the score and everything derived from the masks are the same either way.
    """
    n = ctx.n
    used = result.used
    has = np.zeros(n, dtype=bool)
    has[used.company] = True  # companies with used rows
    unknown = np.zeros(n, dtype=bool) if result.unknown is None else result.unknown
    score = np.asarray(result.score, dtype=float)
    screened = np.zeros(n, dtype=bool)
    excluded = False
    if isinstance(policy, Screened):
        found = ctx.screened(policy)
        screened = ~has & found.mask
        fill = 0.0 if policy.unscreened == "zero" else np.nan
        score = np.where(has, score, np.where(screened, policy.screened, fill))
        if policy.unscreened == "unknown":
            unknown = unknown | (~has & ~screened)
        if provenance and screened.any():
            used = _union([used, found.used.take(screened[found.used.company])], ctx)
    else:
        excluded = policy == "exclude"
        fill = 0.0 if policy == "zero" else np.nan if excluded else float(policy)
        score = np.where(has, score, fill)
    if result.unknown is not None or isinstance(policy, Screened):
        score = np.where(unknown, np.nan, score)
    return IndicatorScore(score, used, has, screened, unknown, excluded, result.raw)


def score(
    evidence: Any,
    rubric: Rubric,
    as_of: dt.date,
    *,
    evidence_hash: str | None = None,
    uncertainty: UncertaintyLike = True,
    include_personal_data: bool = False,
    backend: str = "pandas",
    **backend_options: Any,
) -> ScoreCard:
    """Score every company of ``evidence`` with ``rubric`` as of ``as_of``.

    The evidence is scored as given; unless ``include_personal_data``, evidence ids that
    carry the name of a protected person (listed in ``persons`` of sensitive evidence) are
    then replaced in the card by stable opaque ids, and such names in company names by
    ``[redacted]`` (:mod:`bhrscore.evidence.privacy`); scores are the same either way.

    ``evidence_hash`` may pass a precomputed :meth:`Frames.content_hash` (it is computed
    otherwise); it is recorded in the card's metadata. ``uncertainty`` sets the per-company
    intervals of the total and rank (:mod:`.uncertainty`): ``True`` (the default options),
    ``False`` / ``None`` (off: the interval columns are NA), a number of replicates, or an
    :class:`~bhrscore.rubric.uncertainty.Uncertainty` (or a mapping of its fields).

    ``backend`` names a scoring backend of :mod:`bhrscore.backends`: ``pandas`` (the default:
    an :class:`EvidenceSet` or :class:`Frames` in memory) or ``dask`` (also a Parquet dataset
    directory, scored partition by partition; ``scheduler=ADDRESS`` uses a running cluster,
    ``n_workers=N`` starts a local one; install ``bhrscore[dask]``). Every backend gives the
    same card.
    """
    if backend_options and backend == "pandas":
        raise TypeError(f"the pandas backend takes no option {', '.join(sorted(backend_options))}")
    if backend != "pandas":
        from ..backends import scoring_backends

        run = scoring_backends().lookup(backend)
        card: ScoreCard = run(
            evidence,
            rubric,
            as_of,
            evidence_hash=evidence_hash,
            uncertainty=uncertainty,
            **backend_options,
        )
        return _private(card, evidence, include_personal_data)
    if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
        raise TypeError("as_of must be a datetime.date")
    options = resolve_uncertainty(uncertainty)
    frames = evidence.frames() if isinstance(evidence, EvidenceSet) else evidence
    if not isinstance(frames, Frames):
        raise TypeError(
            "the pandas backend scores an EvidenceSet or Frames; a Parquet dataset needs"
            " backend='dask'"
        )
    card, replicates = score_parts(frames, rubric, as_of, evidence_hash, options)
    return _private(with_uncertainty(card, replicates, options), frames, include_personal_data)


def _private(card: ScoreCard, evidence: Any, include_personal_data: bool) -> ScoreCard:
    """The card with ids and names of protected persons redacted (unless
    ``include_personal_data``), whichever backend scored it; the choice is recorded so that
    exports can refuse to write a card with names by default."""
    card.meta.options["personal_data"] = "included" if include_personal_data else "redacted"
    if include_personal_data:
        return card
    from ..evidence.privacy import Privacy

    if not isinstance(evidence, EvidenceSet | Frames):
        from ..backends.dataset import is_dataset, open_dataset, privacy_frame

        if isinstance(evidence, str | Path) and is_dataset(evidence):
            return Privacy.of(privacy_frame(open_dataset(evidence))).card(card)
    return Privacy.of(evidence).card(card)


def score_parts(
    frames: Frames,
    rubric: Rubric,
    as_of: dt.date,
    evidence_hash: str | None,
    options: Uncertainty | None,
) -> tuple[ScoreCard, np.ndarray | None]:
    """The body of :func:`score`: the card before its uncertainty columns, and the bootstrap
    replicate totals (replicates x companies, card order; None when ``options`` is None).
    Every company's scores depend only on its own records, so a partition of the companies
    (with their records) gives the same rows; :mod:`bhrscore.backends.partitioned` joins
    partitions' parts and adds the cross-company steps (ranks, uncertainty)."""
    if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
        raise TypeError("as_of must be a datetime.date")
    check_frames(frames)
    policies = rubric.policies
    prep = prepare(frames, policies, as_of)
    ctx = RuleContext(prep, as_of, policies.window, policies.decay)
    missing_of = _missing_policies(rubric)
    infos = list(rubric.walk())

    score_of: dict[str, np.ndarray] = {}
    coverage_of: dict[str, np.ndarray] = {}
    indicator_parts: list[IndicatorPart] = []
    used_rows: list[np.ndarray] = []
    for info in infos:
        node = info.node
        if node.rule is None:
            continue
        ind = indicator_score(ctx, node.rule.compute(ctx), missing_of[node.id])
        used_rows.append(ind.used.rows)
        score_of[node.id] = ind.score
        coverage_of[node.id] = ind.covered.astype(float)
        indicator_parts.append(IndicatorPart(info, ind, provenance(prep, ind.used)))

    effects = [penalty_effect(prep, p, ctx, policies) for p in rubric.penalties]
    used_rows += [eff.used.rows for eff in effects]
    cases = when_cases(rubric, ctx)
    used_rows += [sel.rows for res in cases.values() for sel in res.selections]
    tree = aggregate_tree(
        rubric,
        score_of,
        cases={k: v.chosen for k, v in cases.items()},
        penalties=_penalties_by_node(effects),
        coverage=coverage_of,
        companies=prep.n_companies,
    )
    assert tree.coverage is not None
    used = np.zeros(len(prep.ids), dtype=bool)
    for rows in used_rows:
        used[rows] = True
    card = _card(
        frames,
        rubric,
        as_of,
        prep,
        infos,
        {k: v[0] for k, v in tree.score.items()},
        {k: v[0] for k, v in tree.before.items()},
        {k: v[0] for k, v in tree.coverage.items()},
        indicator_parts,
        effects,
        evidence_hash,
        # the card computes its unused records on demand: it keeps the prepared frame but
        # not the column views the rules made (about 100 MB at a million records)
        partial(
            unused_records, frames.evidence, replace(prep, views={}), rubric.policies, as_of, used
        ),
    )
    card = _with_when(card, prep, cases, rubric)
    replicates = replicate_totals(prep, rubric, as_of, options, ctx.cache) if options else None
    return card, replicates


def replicate_totals(
    prep: Prepared,
    rubric: Rubric,
    as_of: dt.date,
    options: Uncertainty,
    cache: SelectionCache | None = None,
) -> np.ndarray:
    """Totals (replicates x companies) of the bootstrap replicates of ``options``: the
    evidence pass of :func:`score` (rules, the missing-data rule of :func:`indicator_score`
    with its screenings, silences and not-applicable answers, penalties, ``when`` cases) on
    replicate-stacked selections, a block of replicates at a time, then the tree core over
    the replicates axis. ``prep`` is the score card's (records not known at ``as_of`` are
    already left out)."""
    policies = rubric.policies
    missing_of = _missing_policies(rubric)
    indicators = rubric.indicators()
    n = prep.n_companies
    keys = record_keys(prep.ids)
    cache = SelectionCache() if cache is None else cache  # shared with the score card
    out = np.full((options.replicates, n), np.nan)
    step = block_size(len(prep.ids), n, options.replicates)
    for first in range(0, options.replicates, step):
        count = min(step, options.replicates - first)
        reps = Replicates(keys, options.seed, first, count)
        ctx = RuleContext(prep, as_of, policies.window, policies.decay, reps, cache)
        score_of = {}
        for info in indicators:
            assert info.node.rule is not None
            result = info.node.rule.compute(ctx)
            ind = indicator_score(ctx, result, missing_of[info.node.id], provenance=False)
            score_of[info.node.id] = ind.score.reshape(count, n)
        effects = [penalty_effect(prep, p, ctx, policies) for p in rubric.penalties]
        penalties = {
            node: [(p.reshape(count, n), c.reshape(count, n)) for p, c in pairs]
            for node, pairs in _penalties_by_node(effects).items()
        }
        chosen = {k: v.chosen.reshape(count, n) for k, v in when_cases(rubric, ctx).items()}
        tree = aggregate_tree(rubric, score_of, cases=chosen, penalties=penalties, companies=n)
        out[first : first + count] = tree.score[ROOT_ID]
    return out


def _with_when(
    card: ScoreCard, prep: Prepared, cases: dict[str, WhenResult], rubric: Rubric
) -> ScoreCard:
    """Fill the nodes table's ``when`` (the case applied) and ``when_evidence_ids`` (the
    records that made it apply) for nodes with ``when`` cases."""
    if not cases:
        return card
    info = rubric.node_info()
    nodes = card.nodes
    when = nodes["when"].astype(object).to_numpy(copy=True)
    evidence = nodes["when_evidence_ids"].to_numpy(dtype=object, copy=True)
    position = pd.Index(prep.company_ids)
    for node_id, res in cases.items():
        node = info[node_id].node
        assert node.when is not None
        labels = np.array([c.id for c in node.when] + [None], dtype=object)
        by_case = [provenance(prep, sel, status_mix=False).ids for sel in res.selections]
        rows = np.flatnonzero((nodes["node_id"] == node_id).to_numpy(dtype=bool))
        company = position.get_indexer(nodes["company_id"].iloc[rows].to_numpy(dtype=object))
        chosen = res.chosen[company]
        when[rows] = labels[chosen]
        for row, c, k in zip(rows.tolist(), company.tolist(), chosen.tolist(), strict=True):
            evidence[row] = by_case[k][c] if k >= 0 else None
    nodes["when"] = pd.array(when, dtype="string")
    nodes["when_evidence_ids"] = pd.Series(evidence, index=nodes.index, dtype="object")
    return card


@dataclass(frozen=True)
class IndicatorPart:
    """One indicator's rows of the indicators table, before they are laid out."""

    info: NodeInfo
    score: IndicatorScore
    provenance: Provenance


def _text(values: Sequence[str | None], take: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[take]`` as a text column of the card (``string``), taken in Arrow."""
    import pyarrow as pa

    arr = pa.array(list(values), type=pa.large_string()).take(pa.array(take, type=pa.int64()))
    column: pd.api.extensions.ExtensionArray = pd.array(arr, dtype="string")
    return column


def _objects(items: list[tuple[str, ...]] | list[None]) -> np.ndarray:
    """A 1-D object array of ``items`` (tuples stay elements, not rows)."""
    return np.fromiter(items, dtype=object, count=len(items))


def _indicator_table(ids: np.ndarray, parts: list[IndicatorPart]) -> pd.DataFrame:
    """The indicators table (:data:`INDICATOR_COLUMNS`) in company order, then rubric order
    within a company: laid out directly (row ``company * indicators + indicator``), typed
    once, without a sort."""
    n, k = len(ids), len(parts)
    company = np.repeat(np.arange(n, dtype=np.int64), k)
    which = np.tile(np.arange(k, dtype=np.int64), n)

    def grid(values: list[np.ndarray], dtype: Any = float) -> np.ndarray:
        out = np.empty((n, k), dtype=dtype)
        for j, v in enumerate(values):
            out[:, j] = v
        return out.reshape(-1)

    evidence_ids = np.empty((n, k), dtype=object)
    mix_codes = np.empty((n, k), dtype=np.int64)
    mix_texts: list[str | None] = []
    for j, p in enumerate(parts):
        evidence_ids[:, j] = _objects(p.provenance.ids)
        assert p.provenance.mix_codes is not None
        assert p.provenance.mix_texts is not None
        mix_codes[:, j] = p.provenance.mix_codes + len(mix_texts)
        mix_texts += p.provenance.mix_texts
    scores = [p.score for p in parts]
    columns = {
        "company_id": _text(ids.tolist(), company),
        "indicator_id": _text([p.info.node.id for p in parts], which),
        "theme_id": _text([p.info.theme_id for p in parts], which),
        "score": pd.array(grid([s.score for s in scores]), dtype="Float64"),
        "raw_value": pd.array(grid([s.raw for s in scores]), dtype="Float64"),
        "evidence_count": pd.array(
            grid([p.provenance.count for p in parts], np.int64), dtype="Int64"
        ),
        "evidence_ids": evidence_ids.reshape(-1),
        "status_mix": _text(mix_texts, mix_codes.reshape(-1)),
        "weight": pd.array(
            np.tile(np.array([p.info.weight for p in parts], dtype=float), n), dtype="Float64"
        ),
        "missing": pd.array(grid([s.missing for s in scores], bool), dtype="boolean"),
        "basis": _text(list(BASIS), grid([s.basis() for s in scores], np.int64)),
    }
    assert list(columns) == list(INDICATOR_COLUMNS)
    return pd.DataFrame(columns, copy=False)


def _node_table(
    ids: np.ndarray,
    node_rows: Sequence[tuple[str, str | None, int]],
    score_of: dict[str, np.ndarray],
    before_of: dict[str, np.ndarray],
    coverage_of: dict[str, np.ndarray],
) -> pd.DataFrame:
    """The nodes table (:data:`NODE_COLUMNS`) in company order, then ``node_rows`` order
    within a company, laid out directly like :func:`_indicator_table`; ``when`` and
    ``when_evidence_ids`` empty (filled by :func:`_with_when`)."""
    n, m = len(ids), len(node_rows)
    company = np.repeat(np.arange(n, dtype=np.int64), m)
    which = np.tile(np.arange(m, dtype=np.int64), n)

    def grid(of: dict[str, np.ndarray]) -> pd.api.extensions.ExtensionArray:
        out = np.empty((n, m), dtype=float)
        for j, (node_id, _, _) in enumerate(node_rows):
            out[:, j] = of[node_id]
        column: pd.api.extensions.ExtensionArray = pd.array(out.reshape(-1), dtype="Float64")
        return column

    columns = {
        "company_id": _text(ids.tolist(), company),
        "node_id": _text([r[0] for r in node_rows], which),
        "parent_id": _text([r[1] for r in node_rows], which),
        "depth": pd.array(
            np.tile(np.array([r[2] for r in node_rows], dtype=np.int64), n), dtype="Int64"
        ),
        "score": grid(score_of),
        "score_before_penalties": grid(before_of),
        "coverage": grid(coverage_of),
        "when": _text([None], np.zeros(n * m, dtype=np.int64)),
        "when_evidence_ids": np.full(n * m, None, dtype=object),
    }
    assert list(columns) == list(NODE_COLUMNS)
    return pd.DataFrame(columns, copy=False)


def _typed(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    return frame.astype({k: v for k, v in columns.items() if v != "object"})[list(columns)]


def _card(
    frames: Frames,
    rubric: Rubric,
    as_of: dt.date,
    prep: Prepared,
    infos: list[NodeInfo],
    score_of: dict[str, np.ndarray],
    before_of: dict[str, np.ndarray],
    coverage_of: dict[str, np.ndarray],
    indicator_parts: list[IndicatorPart],
    effects: list[PenaltyEffect],
    evidence_hash: str | None,
    unused: Callable[[], pd.DataFrame],
) -> ScoreCard:
    ids = prep.company_ids
    n = len(ids)
    indicators = _indicator_table(ids, indicator_parts)
    node_rows = [(ROOT_ID, None, 0)] + [
        (i.node.id, i.parent_id, i.depth) for i in infos if i.node.children is not None
    ]
    nodes = _node_table(ids, node_rows, score_of, before_of, coverage_of)

    penalties = _penalty_table(prep, effects, score_of, before_of)

    # the companies frame's rows in card order (ids are unique: checked by prepare)
    frame_ids = frames.companies["id"].astype("string").to_numpy(dtype=object)
    comp = frames.companies.iloc[_positions(pd.Series(pd.array(ids, dtype="string")), frame_ids)]
    total = score_of[ROOT_ID]
    themes = [(i.node.id, coverage_of[i.node.id]) for i in infos if i.depth == 1]
    min_coverage = rubric.policies.min_coverage
    sufficient, reason = sufficiency(coverage_of[ROOT_ID], themes, min_coverage)
    columns: dict[str, Any] = {
        "company_id": pd.array(ids, dtype="string"),
        "name": comp["name"].astype("string").to_numpy(),
        "total": pd.array(total, dtype="Float64"),
        "total_before_penalties": pd.array(before_of[ROOT_ID], dtype="Float64"),
        "coverage": pd.array(coverage_of[ROOT_ID], dtype="Float64"),
        "rank": ranks(total, sufficient).array,
        "sufficient": pd.array(sufficient, dtype="boolean"),
        "insufficient_reason": pd.Series(reason.to_numpy()).astype("string"),
    }
    for info in infos:
        if info.depth == 1:
            columns[f"theme:{info.node.id}"] = pd.array(score_of[info.node.id], dtype="Float64")
    for attr in COMPANY_ATTRIBUTES:
        if attr in comp.columns:
            # through the values, as the column was always made (the same values and dtype)
            columns[attr] = pd.Series(comp[attr].to_numpy()).astype(comp[attr].dtype)
    companies = pd.DataFrame(columns)

    meta = ScoreMeta(
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        rubric_hash=rubric.content_hash(),
        evidence_hash=evidence_hash if evidence_hash is not None else frames.content_hash(),
        as_of=as_of,
        bhrscore_version=bhrscore_version(),
        options={
            "records_scored": len(prep.ids),
            "records_outside_window": _outside_window(prep, rubric.policies, as_of),
            "records_after_as_of": int((~_known(prep, frames, as_of)).sum()),
            "companies": n,
            "insufficient": int((~sufficient).sum()),
            "min_coverage": min_coverage,
        },
    )
    return ScoreCard(companies, nodes, indicators, penalties, meta, rubric, unused)


def _known(prep: Prepared, frames: Frames, as_of: dt.date) -> np.ndarray:
    """Which evidence records are known at ``as_of``: as prepared, when ``prep`` was
    prepared for it (the card's is)."""
    if prep.known is not None and prep.frame is frames.evidence:
        return prep.known
    return known_at(frames.evidence, as_of)


def _outside_window(prep: Prepared, policies: Policies, as_of: dt.date) -> int:
    """Company-level records dated outside the rubric's window ``[start, as_of]`` (after
    ``as_of`` when the rubric has no window): no rule reads them unless its selection sets
    its own window."""
    outside = prep.day > day_number(as_of)
    if policies.window is not None:
        outside |= prep.day < day_number(policies.window.start(as_of))
    return int(outside.sum())


def _penalty_table(
    prep: Prepared,
    effects: list[PenaltyEffect],
    score_of: dict[str, np.ndarray],
    before_of: dict[str, np.ndarray],
) -> pd.DataFrame:
    """One row per penalty applied to a company (:data:`PENALTY_COLUMNS`), in company id
    order, then penalty id, then rubric order (a stable sort of the effects' rows)."""
    if not effects:
        empty = pd.DataFrame({k: pd.Series([], dtype="object") for k in PENALTY_COLUMNS})
        return _typed(empty, PENALTY_COLUMNS)
    company, which, points, cap = [], [], [], []
    evidence: list[tuple[str, ...]] = []
    for k, eff in enumerate(effects):
        prov = provenance(prep, eff.used, status_mix=False)
        idx = np.flatnonzero((prov.count > 0) & ~np.isnan(before_of[eff.penalty.node]))
        company.append(idx)
        which.append(np.full(len(idx), k, dtype=np.int64))
        points.append(eff.points[idx])
        cap.append(eff.cap[idx])
        evidence += [prov.ids[i] for i in idx.tolist()]
    penalty_ids = [eff.penalty.id for eff in effects]
    rank = {p: r for r, p in enumerate(sorted(set(penalty_ids)))}
    which_all = np.concatenate(which)
    # company codes follow the sorted company ids: a stable sort by (company, penalty id)
    order = np.lexsort(
        (np.array([rank[p] for p in penalty_ids])[which_all], np.concatenate(company))
    )
    columns = {
        "company_id": _text(prep.company_ids.tolist(), np.concatenate(company)[order]),
        "penalty_id": _text(penalty_ids, which_all[order]),
        "node_id": _text([eff.penalty.node for eff in effects], which_all[order]),
        "points": pd.array(np.concatenate(points)[order], dtype="Float64"),
        "cap": pd.array(np.concatenate(cap)[order], dtype="Float64"),
        "evidence_ids": _objects(evidence)[order],
    }
    assert list(columns) == list(PENALTY_COLUMNS)
    return pd.DataFrame(columns, copy=False)
