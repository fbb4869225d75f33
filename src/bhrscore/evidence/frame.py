"""Typed pandas frames of an evidence set.

Column names are the flat names of :mod:`.flat` (``union.status``, ``benchmark.amount``), so
the CSV layout, rubric field references and frames use one vocabulary. Dtypes are fixed:
vocabularies are categoricals with all their values as categories, dates are ``datetime64``,
numbers are nullable (``Float64``, ``Int64``), booleans ``boolean``, text ``string`` and
lists of values tuples. Derived columns (``effective_date``, ``benchmark_ratio``,
``ultimate_parent_id``, ``origin_country``, the first source) are computed here, never typed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from .flat import Column, columns
from .model import Company, EvidenceBase, Source
from .registry import evidence_kinds
from .vocab import SourceType

SOURCE_COLUMNS: dict[str, Any] = {
    "source_count": "Int64",
    "source_url": "string",
    "source_title": "string",
    "source_publisher": "string",
    "source_type": pd.CategoricalDtype([v.value for v in SourceType]),
    "source_published": "datetime64[ns]",
}
DERIVED_EVIDENCE: dict[str, Any] = {
    "effective_date": "datetime64[ns]",
    "benchmark_ratio": "Float64",
}
DERIVED_COMPANY: dict[str, Any] = {
    "ultimate_parent_id": "string",
    "origin_country": "string",
    "parent_depth": "Int64",
}


def dtype_for(column: Column) -> Any:
    """The pandas dtype of a flat column."""
    if column.shape == "list":
        return "object"
    tp = column.type
    if isinstance(tp, type) and issubclass(tp, Enum):
        return pd.CategoricalDtype([m.value for m in tp])
    if tp is dt.date:
        return "datetime64[ns]"
    if tp is bool:
        return "boolean"
    if tp is int:
        return "Int64"
    if tp is float:
        return "Float64"
    return "string"


def _scalar_columns(model: type[BaseModel]) -> dict[str, Any]:
    return {c.name: dtype_for(c) for c in columns(model) if c.shape != "model_list"}


@cache
def evidence_dtypes() -> dict[str, Any]:
    """Column -> dtype of the evidence frame, over all registered kinds."""
    dtypes: dict[str, Any] = {}
    for model in evidence_kinds().values():
        for name, dtype in _scalar_columns(model).items():
            if name == "kind":
                dtype = pd.CategoricalDtype(list(evidence_kinds()))
            if name in dtypes and str(dtypes[name]) != str(dtype):
                raise TypeError(f"evidence column {name!r} has two types across kinds")
            dtypes[name] = dtype
    return {**dtypes, **SOURCE_COLUMNS, **DERIVED_EVIDENCE}


@cache
def company_dtypes() -> dict[str, Any]:
    """Column -> dtype of the companies frame."""
    dtypes = _scalar_columns(Company)
    dtypes["origin_country_explicit"] = dtypes.pop("origin_country")
    return {**dtypes, "source_count": "Int64", **DERIVED_COMPANY}


def _flat_row(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A ``model_dump`` dict -> flat columns. ``model_dump`` yields plain dicts and lists, so
    exact type checks suffice (much faster than ABC ``isinstance`` checks per value)."""
    row: dict[str, Any] = {}
    for key, value in data.items():
        kind = type(value)
        if kind is dict:
            row.update(_flat_row(value, f"{prefix}{key}."))
        elif kind is list:
            row[prefix + key] = tuple(v.value if isinstance(v, Enum) else v for v in value)
        elif isinstance(value, Enum):
            row[prefix + key] = value.value
        else:
            row[prefix + key] = value
    return row


def _first_source(sources: Sequence[Source]) -> dict[str, Any]:
    first = sources[0] if sources else None
    return {
        "source_count": len(sources),
        "source_url": first.url if first else None,
        "source_title": first.title if first else None,
        "source_publisher": first.publisher if first else None,
        "source_type": first.type.value if first else None,
        "source_published": first.published if first else None,
    }


def _typed(rows: list[dict[str, Any]], dtypes: Mapping[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=list(dtypes)) if rows else None
    data = {}
    for name, dtype in dtypes.items():
        raw = frame[name] if frame is not None else pd.Series([], dtype="object")
        if dtype == "object":
            data[name] = raw.map(lambda v: v if isinstance(v, tuple) else ()).astype("object")
        elif dtype == "datetime64[ns]":
            data[name] = pd.to_datetime(raw, errors="raise").astype("datetime64[ns]")
        else:
            data[name] = raw.astype(dtype)
    return pd.DataFrame(data)


def evidence_frame(records: Iterable[EvidenceBase]) -> pd.DataFrame:
    """One row per evidence record with the dtypes of :func:`evidence_dtypes`."""
    rows = []
    for record in records:
        row = _flat_row(record.model_dump(exclude={"sources"}))
        row.update(_first_source(record.sources))
        row["effective_date"] = record.effective_date
        row.update(record.derived())
        rows.append(row)
    return _typed(rows, evidence_dtypes())


MAX_PARENT_DEPTH = 64


def resolve_parents(companies: pd.DataFrame) -> pd.DataFrame:
    """Add ``ultimate_parent_id``, ``parent_depth`` and the resolved ``origin_country``.

    The origin is the first explicit ``origin_country`` met walking up the parent chain (the
    company's own, then its parent's, ...), else the ultimate parent's ``hq_country``: a
    holding registered abroad can carry its owners' origin for all its subsidiaries. The walk
    is vectorised, one step per level for all companies at once. Assumes parents exist and
    chains have no cycle (the validator checks both).
    """
    ids = companies["id"].astype("string").to_numpy()
    parent = pd.Series(companies["parent_id"].astype("string").to_numpy(), index=ids)
    explicit = pd.Series(
        companies["origin_country_explicit"].astype("string").to_numpy(), index=ids
    )
    hq = pd.Series(companies["hq_country"].astype("string").to_numpy(), index=ids)
    top = pd.Series(ids, index=ids, dtype="string")
    origin = explicit.copy()
    depth = np.zeros(len(ids), dtype=np.int64)
    ancestor = parent.copy()
    for _ in range(MAX_PARENT_DEPTH):
        has = ancestor.notna().to_numpy()
        if not has.any():
            break
        top[has] = ancestor[has]
        depth += has
        origin = origin.fillna(ancestor.map(explicit))
        ancestor = ancestor.map(parent)
    origin = origin.fillna(top.map(hq))
    out = companies.copy()
    out["ultimate_parent_id"] = top.to_numpy()
    out["parent_depth"] = depth
    out["origin_country"] = origin.to_numpy()
    return out


def company_frame(companies: Iterable[Company]) -> pd.DataFrame:
    """One row per company with the dtypes of :func:`company_dtypes`."""
    rows = []
    for company in companies:
        row = _flat_row(company.model_dump(exclude={"sources"}))
        row["origin_country_explicit"] = row.pop("origin_country")
        row["source_count"] = len(company.sources)
        rows.append(row)
    base = {k: v for k, v in company_dtypes().items() if k not in DERIVED_COMPANY}
    frame = _typed(rows, base)
    resolved = resolve_parents(frame).astype(DERIVED_COMPANY)
    return resolved[list(company_dtypes())]


def _column_digest(col: pd.Series) -> bytes:
    """Bytes that identify a column's values, hashed in their native dtype (numbers and dates
    are not turned into text; text hashes alike whatever pandas' string storage). Tuple
    columns are hashed as their distinct values plus the code of each row."""
    if col.dtype == "object":
        # Few distinct tuples: hash each once, plus the codes (first-appearance order).
        codes, uniques = pd.factorize(col)
        joined = pd.Series(["\x1f".join(map(str, v)) for v in uniques], dtype="object")
        hashed = pd.util.hash_pandas_object(joined, index=False).to_numpy()
        return codes.astype(np.int64).tobytes() + hashed.tobytes()
    return pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes()


def frame_hash(*frames: pd.DataFrame) -> str:
    """A content hash of frames that ignores row order (rows are sorted by ``id``)."""
    digest = hashlib.sha256()
    for frame in frames:
        ordered = frame.sort_values("id", kind="stable").reset_index(drop=True)
        for name in ordered.columns:
            digest.update(name.encode())
            digest.update(_column_digest(ordered[name]))
    return digest.hexdigest()


@dataclass(frozen=True)
class Frames:
    """The two frames the engine reads. Build them with :meth:`EvidenceSet.frames`, or
    directly (e.g. the synthetic generator) with the dtypes of :func:`evidence_dtypes` and
    :func:`company_dtypes`."""

    companies: pd.DataFrame
    evidence: pd.DataFrame

    def content_hash(self) -> str:
        return frame_hash(self.companies, self.evidence)
