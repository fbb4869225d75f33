"""Scoring by partitions of companies: each partition through the engine, then the
cross-company steps on the joined per-company tables.

A company's indicator, node and penalty scores, coverage, sufficiency, provenance, unused
records and bootstrap replicate totals read only that company's records (the replicates'
multiplicities are a hash of each record id, :mod:`bhrscore.rubric.replicates`), so
:func:`score_partition` runs the engine's own :func:`~bhrscore.rubric.engine.score_parts` on
a partition (some companies and all their records), and :func:`merge_partitions` joins the
parts in the card's order and computes what compares companies: ranks, the rank and total
intervals of :func:`~bhrscore.rubric.uncertainty.with_uncertainty` (over all companies'
replicates) and the counts of the metadata. Pure pandas: the Dask backend (:mod:`.dask`)
only decides where partitions run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..evidence.frame import Frames
from ..evidence.sectors import SectorVocabulary
from ..rubric.engine import score_parts
from ..rubric.model import Rubric
from ..rubric.scorecard import ScoreCard, ScoreMeta
from ..rubric.sufficiency import ranks
from ..rubric.uncertainty import Uncertainty, with_uncertainty
from .dataset import DatasetError

#: meta.options counts that add up over partitions
SUMMED = ("records_scored", "records_outside_window", "records_after_as_of", "companies")


@dataclass(frozen=True)
class PartScore:
    """What one partition sends back: its tables (card order), its counts, its replicate
    totals (replicates x its companies) and the content hash of its frames."""

    companies: pd.DataFrame
    nodes: pd.DataFrame
    indicators: pd.DataFrame
    penalties: pd.DataFrame
    unused: pd.DataFrame
    options: dict[str, Any]
    replicates: np.ndarray | None
    content_hash: str
    meta: ScoreMeta


def score_partition(
    companies: pd.DataFrame,
    evidence: pd.DataFrame,
    rubric: Rubric,
    as_of: dt.date,
    options: Uncertainty | None,
    *,
    label: str,
    checked: bool = False,
    vocabulary: SectorVocabulary | None = None,
    content_hash: str | None = None,
) -> PartScore:
    """Score one partition: ``companies`` (the companies it holds) and ``evidence`` (all
    their records, plus any group-level records). The frames are checked at the engine's
    boundary unless ``checked`` (a slice of frames already checked); a problem raises
    :class:`~.dataset.DatasetError` starting with ``label`` (e.g. the file)."""
    frames = Frames(
        companies.reset_index(drop=True),
        evidence.reset_index(drop=True),
        values_checked=checked,
        sector_vocabulary=vocabulary,
    )
    try:
        card, replicates = score_parts(frames, rubric, as_of, "", options)
    except ValueError as exc:
        raise DatasetError(f"{label}: {exc}") from None
    digest = content_hash if content_hash is not None else frames.content_hash()
    return PartScore(
        card.companies,
        card.nodes,
        card.indicators,
        card.penalties,
        card.unused,
        dict(card.meta.options),
        replicates,
        digest,
        card.meta,
    )


def _in_order(table: pd.DataFrame, position: pd.Index) -> pd.DataFrame:
    """``table`` in the merged company order. Stable, so each company keeps its part's own
    row order (indicators in rubric order, penalties by id), as the engine writes them."""
    code = position.get_indexer(pd.Index(table["company_id"].to_numpy(dtype=object)))
    return table.iloc[np.argsort(code, kind="stable")].reset_index(drop=True)


def _concat(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    joined = pd.concat(list(tables), ignore_index=True)
    for name in tables[0].columns:  # concat of differing categoricals falls back to object
        if str(joined[name].dtype) != str(tables[0][name].dtype):
            joined[name] = joined[name].astype(tables[0][name].dtype)
    return joined


def _unused_order(unused: pd.DataFrame) -> pd.DataFrame:
    """By company (group-level last), then id: the order of :mod:`bhrscore.rubric.unused`."""
    company_code, _ = pd.factorize(unused["company_id"], sort=True, use_na_sentinel=True)
    company_code = np.where(company_code < 0, np.iinfo(np.int64).max, company_code)
    id_code, _ = pd.factorize(unused["evidence_id"], sort=True)
    order = np.lexsort((id_code, company_code))
    return unused.iloc[order].reset_index(drop=True)


def dataset_hash(parts: Sequence[str]) -> str:
    """One hash of a partitioned dataset: of its partitions' content hashes in order."""
    digest = hashlib.sha256(b"bhrscore-partitioned\x00")
    for h in parts:
        digest.update(h.encode() + b"\x00")
    return digest.hexdigest()


def merge_partitions(
    parts: Sequence[PartScore],
    rubric: Rubric,
    as_of: dt.date,
    options: Uncertainty | None,
    *,
    evidence_hash: str | None = None,
    backend: dict[str, Any] | None = None,
) -> ScoreCard:
    """The score card of all partitions: their rows joined in card order (companies by id),
    ranks recomputed over every company, the uncertainty intervals over every company's
    replicates, the counts summed. ``evidence_hash`` defaults to :func:`dataset_hash` of the
    parts; ``backend`` is recorded in ``meta.options["backend"]``."""
    if not parts:
        raise ValueError("no partitions to merge")
    companies = _concat([p.companies for p in parts])
    ids = companies["company_id"].to_numpy(dtype=object)
    if len(pd.unique(ids)) != len(ids):
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].head(3).tolist()
        raise DatasetError(f"companies scored in two partitions: {', '.join(map(str, dup))}")
    order = np.argsort(ids, kind="stable")  # the engine's order: np.sort of the ids
    companies = companies.iloc[order].reset_index(drop=True)
    position = pd.Index(ids[order])
    total = companies["total"].to_numpy(dtype=float, na_value=np.nan)
    sufficient = companies["sufficient"].to_numpy(dtype=bool, na_value=False)
    companies["rank"] = ranks(total, sufficient).array
    nodes = _in_order(_concat([p.nodes for p in parts]), position)
    indicators = _in_order(_concat([p.indicators for p in parts]), position)
    penalties = _in_order(_concat([p.penalties for p in parts]), position)
    unused = _unused_order(_concat([p.unused for p in parts]))
    counts = {k: sum(int(p.options[k]) for p in parts) for k in SUMMED}
    first = parts[0].meta
    meta_options = {
        **counts,
        "insufficient": int((~sufficient).sum()),
        "min_coverage": parts[0].options["min_coverage"],
    }
    if backend is not None:
        meta_options["backend"] = backend
    meta = replace(
        first,
        evidence_hash=evidence_hash or dataset_hash([p.content_hash for p in parts]),
        options=meta_options,
    )
    replicates: np.ndarray | None = None
    if options is not None:
        stacked = [p.replicates for p in parts]
        assert all(r is not None for r in stacked)
        replicates = np.concatenate(stacked, axis=1)[:, order]  # type: ignore[arg-type]
    card = ScoreCard(companies, nodes, indicators, penalties, meta, rubric, lambda: unused)
    return with_uncertainty(card, replicates, options)
