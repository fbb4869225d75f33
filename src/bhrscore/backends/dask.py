"""The Dask backend: evidence partitioned by company, scored partition by partition on a
Dask cluster through the same engine, joined and ranked after (:mod:`.partitioned`).

``score_dask(evidence, rubric, as_of, scheduler=None, n_workers=None)`` takes

- a Parquet dataset directory (:mod:`.dataset`; a path or a :class:`~.dataset.ParquetDataset`):
  its evidence files are read as a Dask dataframe (one partition per file,
  ``dask.dataframe.from_map``), never all at once. A first pass reads only the ``id`` and
  ``company_id`` columns to check, across files, that every company's records are in one file,
  that every company is known and that no record id repeats; each partition is then checked
  like any frame at the engine's boundary and scored;
- or an :class:`EvidenceSet` / :class:`Frames` in memory (checked once, as the pandas backend
  does), split into ``partitions`` runs of whole companies.

``scheduler``: ``None`` starts a ``LocalCluster`` for the call (``n_workers`` workers of one
thread; ``processes`` and ``memory_limit`` as in Dask: the limit is per worker and workers
spill to disk beyond it), an address (``tcp://host:8786``) connects to a running cluster, and
a ``distributed.Client`` is used as it is. The scoring code must be importable on the workers.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask.delayed import delayed
from distributed import Client, LocalCluster, as_completed

from ..evidence.evidence_set import EvidenceSet
from ..evidence.frame import Frames, evidence_dtypes
from ..evidence.frame_check import check_frames
from ..rubric.model import Rubric
from ..rubric.replicates import record_keys
from ..rubric.scorecard import ScoreCard
from ..rubric.uncertainty import Uncertainty, UncertaintyLike, resolve_uncertainty
from .dataset import (
    DatasetError,
    ParquetDataset,
    file_digest,
    open_dataset,
    read_frame,
    read_ids,
)
from .partitioned import PartScore, dataset_hash, merge_partitions, score_partition

#: Dask settings for a run: tuple columns stay tuples (not Arrow strings); long timeouts, so
#: that a busy machine (workers and client competing for cores) does not drop connections.
DASK_CONFIG: dict[str, Any] = {
    "dataframe.convert-string": False,
    "distributed.comm.timeouts.connect": "120s",
    "distributed.comm.timeouts.tcp": "300s",
}
#: Partitions an in-memory set is split into per worker (a few, to balance the load).
PARTITIONS_PER_WORKER = 2
MAX_LISTED = 5


def empty_evidence() -> pd.DataFrame:
    """An evidence frame with no rows (the meta of the Dask dataframe)."""
    return pd.DataFrame({k: pd.Series([], dtype=v) for k, v in evidence_dtypes().items()})


@contextmanager
def dask_client(
    scheduler: str | Client | None = None,
    *,
    n_workers: int | None = None,
    processes: bool = False,
    memory_limit: str | int | None = "auto",
) -> Iterator[Client]:
    """A client: of ``scheduler`` (an address or a client), else of a ``LocalCluster``
    started for the block (``n_workers`` workers of one thread each, default 1)."""
    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise DatasetError(f"cannot connect to the Dask scheduler {scheduler}: {exc}") from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=n_workers or 1,
            threads_per_worker=1,
            processes=processes,
            memory_limit=memory_limit,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@dataclass(frozen=True)
class _Summary:
    """One evidence file's first pass: its companies and the hashes of its record ids."""

    companies: np.ndarray
    keys: np.ndarray


def _summary(ids: pd.DataFrame) -> _Summary:
    named = np.asarray(ids["company_id"].dropna().unique(), dtype=object)
    return _Summary(named, record_keys(ids["id"].to_numpy(dtype=object)))


def _listed(values: Sequence[str]) -> str:
    shown = ", ".join(repr(v) for v in values[:MAX_LISTED])
    return shown + (f" and {len(values) - MAX_LISTED} more" if len(values) > MAX_LISTED else "")


def _duplicate_ids(files: Sequence[Path], summaries: Sequence[_Summary]) -> None:
    """Raise naming the files when a record id occurs twice in the dataset (64-bit hashes
    first; the few candidate files are then read to compare the ids themselves)."""
    keys = np.concatenate([s.keys for s in summaries]) if summaries else np.zeros(0, np.uint64)
    part = np.repeat(np.arange(len(summaries)), [len(s.keys) for s in summaries])
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    same = np.flatnonzero(ordered[1:] == ordered[:-1])
    if not len(same):
        return
    suspects = np.unique(part[order[np.r_[same, same + 1]]])
    frames = []
    for p in suspects.tolist():
        ids = read_ids(files[p])["id"]
        frames.append(pd.DataFrame({"id": ids.to_numpy(dtype=object), "file": str(files[p])}))
    joined = pd.concat(frames, ignore_index=True)
    repeated = joined[joined["id"].duplicated(keep=False)]
    if repeated.empty:  # a hash collision of different ids
        return
    where = repeated.groupby("id", sort=True)["file"].agg(lambda f: " and ".join(sorted(set(f))))
    lines = [f"{i!r} in {f}" for i, f in where.head(MAX_LISTED).items()]
    raise DatasetError("duplicate evidence ids: " + "; ".join(lines))


def _assign(
    companies: pd.DataFrame, files: Sequence[Path], summaries: Sequence[_Summary]
) -> list[np.ndarray]:
    """Rows of ``companies`` per partition: those its file names; companies without records
    spread over the partitions in turn. Raises when a company's records are split over
    files or name an unknown company."""
    ids = pd.Index(companies["id"].astype("string").to_numpy(dtype=object))
    owner = np.full(len(ids), -1, dtype=np.int64)
    for p, s in enumerate(summaries):
        rows = ids.get_indexer(s.companies)
        unknown = s.companies[rows < 0]
        if len(unknown):
            raise DatasetError(
                f"{files[p]}: evidence refers to unknown companies: {_listed(sorted(unknown))}"
            )
        split = rows[owner[rows] >= 0]
        if len(split):
            first = files[int(owner[split[0]])]
            raise DatasetError(
                f"{files[p]}: the records of {_listed([str(ids[r]) for r in split])} are also "
                f"in {first}: the dataset must be partitioned by company (all of a company's "
                "records in one file)"
            )
        owner[rows] = p
    k = max(len(summaries), 1)
    free = np.flatnonzero(owner < 0)
    owner[free] = np.arange(len(free)) % k
    return [np.flatnonzero(owner == p) for p in range(k)]


def _split_frames(frames: Frames, parts: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(company rows, evidence rows) of ``parts`` runs of whole companies, in id order, of
    about equal numbers of records; group-level records go with the last run."""
    companies = frames.companies["id"].astype("string").to_numpy(dtype=object)
    company_order = np.argsort(companies, kind="stable")
    ev_company = frames.evidence["company_id"].astype("string")
    code = pd.Index(companies[company_order]).get_indexer(ev_company.to_numpy(dtype=object))
    code = np.where(ev_company.isna().to_numpy(), len(companies), code)
    count = np.bincount(code[code >= 0], minlength=len(companies) + 1)[: len(companies)]
    target = np.cumsum(count) + np.arange(1, len(companies) + 1) * 1e-9  # ties: by companies
    total = target[-1] if len(target) else 0.0
    bounds = np.searchsorted(target, np.linspace(0, total, parts + 1)[1:-1], side="right")
    edges = np.r_[0, bounds, len(companies)]
    out = []
    for p in range(parts):
        lo, hi = int(edges[p]), int(edges[p + 1])
        members = (code >= lo) & (code < hi)
        if p == parts - 1:
            members |= code == len(companies)
        out.append((company_order[lo:hi], np.flatnonzero(members)))
    return [o for o in out if len(o[0]) or len(o[1])] or [(company_order, np.arange(0))]


def _as_dataset(evidence: Any) -> ParquetDataset | None:
    if isinstance(evidence, ParquetDataset):
        return evidence
    if isinstance(evidence, (str, os.PathLike)):
        return open_dataset(evidence)
    return None


def score_dask(
    evidence: Any,
    rubric: Rubric,
    as_of: dt.date,
    *,
    evidence_hash: str | None = None,
    uncertainty: UncertaintyLike = True,
    scheduler: str | Client | None = None,
    n_workers: int | None = None,
    processes: bool = False,
    memory_limit: str | int | None = "auto",
    partitions: int | None = None,
) -> ScoreCard:
    """Score ``evidence`` (a Parquet dataset directory, or an :class:`EvidenceSet` /
    :class:`Frames`) on a Dask cluster; the card equals the pandas backend's (its metadata
    adds ``backend``; a dataset's ``evidence_hash`` is :func:`~.partitioned.dataset_hash`).
    See the module docstring for ``scheduler``, ``n_workers``, ``processes`` and
    ``memory_limit``; ``partitions`` splits an in-memory set (default: 2 per worker)."""
    if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
        raise TypeError("as_of must be a datetime.date")
    options = resolve_uncertainty(uncertainty)
    dataset = _as_dataset(evidence)
    if dataset is None:
        frames = evidence.frames() if isinstance(evidence, EvidenceSet) else evidence
        if not isinstance(frames, Frames):
            raise TypeError(
                "the dask backend scores a Parquet dataset directory, an EvidenceSet or Frames"
            )
    with (
        dask.config.set(DASK_CONFIG),
        dask_client(
            scheduler, n_workers=n_workers, processes=processes, memory_limit=memory_limit
        ) as client,
    ):
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        if dataset is not None:
            parts = _score_dataset(client, dataset, rubric, as_of, options)
            described = {"name": "dask", "partitions": len(parts), "dataset": str(dataset.root)}
            if evidence_hash is None:  # of the dataset's files: companies, then evidence
                files = [file_digest(dataset.companies_file), *(p.content_hash for p in parts)]
                evidence_hash = dataset_hash(files)
            return merge_partitions(
                parts, rubric, as_of, options, evidence_hash=evidence_hash, backend=described
            )
        check_frames(frames)
        count = partitions or PARTITIONS_PER_WORKER * workers
        parts = _score_frames(client, frames, rubric, as_of, options, count)
    digest = evidence_hash if evidence_hash is not None else frames.content_hash()
    described = {"name": "dask", "partitions": len(parts)}
    return merge_partitions(parts, rubric, as_of, options, evidence_hash=digest, backend=described)


def _score_frames(
    client: Client,
    frames: Frames,
    rubric: Rubric,
    as_of: dt.date,
    options: Uncertainty | None,
    count: int,
) -> list[PartScore]:
    pieces = _split_frames(frames, max(1, count))
    futures = []
    for p, (company_rows, evidence_rows) in enumerate(pieces):
        companies = frames.companies.iloc[company_rows].reset_index(drop=True)
        evidence = frames.evidence.iloc[evidence_rows].reset_index(drop=True)
        comp_f, ev_f = client.scatter([companies, evidence])
        futures.append(
            client.submit(
                score_partition,
                comp_f,
                ev_f,
                rubric,
                as_of,
                options,
                label=f"partition {p}",
                checked=True,
                vocabulary=frames.sector_vocabulary,
                content_hash="",
                pure=False,
            )
        )
    return _gathered(client, futures)


def _score_dataset(
    client: Client,
    dataset: ParquetDataset,
    rubric: Rubric,
    as_of: dt.date,
    options: Uncertainty | None,
) -> list[PartScore]:
    companies = read_frame(dataset.companies_file, "companies")
    files = list(dataset.files)
    if files:
        ids = dd.from_map(read_ids, files, label="bhrscore-ids", enforce_metadata=False)
        summaries: list[_Summary] = list(
            client.compute([delayed(_summary)(p) for p in ids.to_delayed()], sync=True)
        )
    else:
        summaries = []
    _duplicate_ids(files, summaries)
    rows = _assign(companies, files, summaries)
    evidence = (
        dd.from_map(
            partial(read_frame, kind="evidence"),
            files,
            meta=empty_evidence(),
            label="bhrscore-evidence",
            enforce_metadata=False,
        ).to_delayed()
        if files
        else [delayed(empty_evidence)()]
    )
    tasks = []
    for p, part in enumerate(evidence):
        label = str(files[p]) if files else str(dataset.root)
        subset = companies.iloc[rows[p]].reset_index(drop=True)
        tasks.append(
            delayed(score_partition, pure=True)(
                subset,
                part,
                rubric,  # in the graph, not scattered: a restarted worker can recompute
                as_of,
                options,
                label=label,
                content_hash=delayed(file_digest)(files[p]) if files else "",
            )
        )
    return _gathered(client, client.compute(tasks))


def _gathered(client: Client, futures: list[Any]) -> list[PartScore]:
    """The parts in order, each fetched as soon as it is done and released on the cluster,
    so that workers never hold more than the parts in flight."""
    position = {f.key: i for i, f in enumerate(futures)}
    out: list[PartScore | None] = [None] * len(futures)
    for future in as_completed(futures):
        out[position[future.key]] = future.result()
        future.release()
    assert all(o is not None for o in out)
    return out  # type: ignore[return-value]
