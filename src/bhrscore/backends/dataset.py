"""Evidence as a Parquet dataset directory, partitioned by company, for the Dask backend.

Layout (written by :func:`write_parquet_dataset`, or by any program that keeps it)::

    DIR/
      bhrscore-dataset.json        {"format": "bhrscore-evidence-dataset", "version": 1,
                                    "partitioned_by": "company_id",
                                    "files": ["evidence/part-000000.parquet", ...]}
      companies.parquet            the companies frame (one row per company)
      evidence/part-000000.parquet the evidence frame, one file per partition
      evidence/part-000001.parquet ...

Both tables hold the frames' columns (the flat names and dtypes of
:func:`~bhrscore.evidence.frame.evidence_dtypes` and
:func:`~bhrscore.evidence.frame.company_dtypes`, derived columns included, lists of values
as Parquet lists), so a file is read straight into a frame. **Partitioned by company**: all
the records of a company are in one file (several companies per file); group-level records
(no ``company_id``) may be in any file. A partition is scored on its own because a company's
scores read only its own records. Files are read one at a time (never the whole dataset);
each partition is checked like any frame at the engine's boundary
(:func:`~bhrscore.evidence.frame_check.check_frames`), and the backend checks across files
that no company is split and no record id repeats (:mod:`.dask`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..evidence.evidence_set import EvidenceSet
from ..evidence.frame import Frames, Table, company_dtypes, evidence_dtypes
from ..io import atomic_path

MANIFEST = "bhrscore-dataset.json"
FORMAT = "bhrscore-evidence-dataset"
VERSION = 1
COMPANIES_FILE = "companies.parquet"
EVIDENCE_DIR = "evidence"
#: Records per evidence file written by default (a partition: tens of MB in memory).
RECORDS_PER_FILE = 250_000

PathLike = str | os.PathLike[str]


class DatasetError(ValueError):
    """A Parquet dataset that is not in the layout, or holds data unfit for scoring; the
    message names the file (and column)."""


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A typed frame -> an Arrow table (categoricals as dictionaries, tuples as lists)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    for f in table.schema:
        if pa.types.is_list(f.type) and pa.types.is_null(f.type.value_type):
            fields.append(pa.field(f.name, pa.list_(pa.string())))  # only empty lists
        else:
            fields.append(f)
    return table.cast(pa.schema(fields)).replace_schema_metadata(None)


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """One frame -> one Parquet file, written atomically."""
    with atomic_path(path) as tmp:
        pq.write_table(_arrow(frame), tmp)


def _company_order(evidence: pd.DataFrame) -> np.ndarray:
    """Rows in (company id, record id) order; group-level records last."""
    company = evidence["company_id"].astype("string")
    codes, _ = pd.factorize(company, sort=True, use_na_sentinel=True)
    codes = np.where(codes < 0, np.iinfo(np.int64).max, codes)
    ids, _ = pd.factorize(evidence["id"].astype("string"), sort=True)
    return np.lexsort((ids, codes))


def _cuts(company_sorted: pd.Series, per_file: int) -> list[tuple[int, int]]:
    """Row ranges of about ``per_file`` rows that never split a company's records."""
    n = len(company_sorted)
    if n == 0:
        return [(0, 0)]
    values = company_sorted.astype("string").fillna("\x00group").to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])  # first row of each company
    ranges = []
    begin = 0
    while begin < n:
        want = begin + per_file
        if want >= n:
            end = n
        else:
            k = int(np.searchsorted(starts, want, side="left"))  # next company start >= want
            end = int(starts[k]) if k < len(starts) else n
        ranges.append((begin, end))
        begin = end
    return ranges


def write_parquet_dataset(
    evidence: EvidenceSet | Frames,
    path: PathLike,
    *,
    records_per_file: int = RECORDS_PER_FILE,
) -> Path:
    """Write ``evidence`` as a Parquet dataset directory partitioned by company (see the
    module docstring): ``companies.parquet``, ``evidence/part-*.parquet`` of about
    ``records_per_file`` records each (a company's records are never split) and the
    manifest. ``path`` must not exist or be an empty directory. Returns ``path``."""
    if records_per_file < 1:
        raise ValueError("records_per_file must be at least 1")
    frames = evidence.frames() if isinstance(evidence, EvidenceSet) else evidence
    writer = DatasetWriter(path)
    ev = frames.evidence
    order = _company_order(ev)
    ordered = ev.iloc[order].reset_index(drop=True)
    for begin, end in _cuts(ordered["company_id"], records_per_file):
        writer.add(ordered.iloc[begin:end])
    return writer.close(frames.companies)


class DatasetWriter:
    """Writes a dataset a partition at a time, in bounded memory (e.g. a generator's chunks):
    each :meth:`add` writes one evidence file and must hold all the records of its
    companies; :meth:`close` writes the companies file and, last, the manifest, so a
    directory without a manifest was not finished."""

    def __init__(self, path: PathLike) -> None:
        self.root = Path(path)
        if self.root.exists() and (not self.root.is_dir() or any(self.root.iterdir())):
            raise DatasetError(f"{self.root}: exists and is not an empty directory")
        (self.root / EVIDENCE_DIR).mkdir(parents=True, exist_ok=True)
        self.files: list[str] = []

    def add(self, evidence: pd.DataFrame) -> None:
        name = f"{EVIDENCE_DIR}/part-{len(self.files):06d}.parquet"
        write_frame(evidence.reset_index(drop=True), self.root / name)
        self.files.append(name)

    def close(self, companies: pd.DataFrame) -> Path:
        write_frame(companies.reset_index(drop=True), self.root / COMPANIES_FILE)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "partitioned_by": "company_id",
            "files": self.files,
        }
        with atomic_path(self.root / MANIFEST) as tmp:
            Path(tmp).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return self.root


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParquetDataset:
    """An evidence dataset directory (see the module docstring): its companies file and its
    evidence files, one partition each."""

    root: Path
    files: tuple[Path, ...]

    @property
    def companies_file(self) -> Path:
        return self.root / COMPANIES_FILE

    def __iter__(self) -> Iterator[Path]:
        return iter(self.files)


def is_dataset(path: PathLike) -> bool:
    """Whether ``path`` is a dataset directory (holds the manifest)."""
    return (Path(path) / MANIFEST).is_file()


def open_dataset(path: PathLike) -> ParquetDataset:
    """The dataset at ``path``, its manifest checked (files exist, inside the directory)."""
    root = Path(path)
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise DatasetError(f"{root}: not a bhrscore Parquet dataset (no {MANIFEST})")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{manifest_path}: cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise DatasetError(f"{manifest_path}: 'format' must be {FORMAT!r}")
    if manifest.get("version") != VERSION:
        raise DatasetError(f"{manifest_path}: unsupported version {manifest.get('version')!r}")
    if manifest.get("partitioned_by") != "company_id":
        raise DatasetError(f"{manifest_path}: 'partitioned_by' must be 'company_id'")
    names = manifest.get("files")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DatasetError(f"{manifest_path}: 'files' must be a list of paths")
    files = []
    base = root.resolve()
    for name in names:
        file = (root / name).resolve()
        if base not in file.parents:
            raise DatasetError(f"{manifest_path}: {name!r} lies outside the dataset directory")
        if not file.is_file():
            raise DatasetError(f"{manifest_path}: {name!r} does not exist")
        files.append(root / name)
    if not (root / COMPANIES_FILE).is_file():
        raise DatasetError(f"{root}: no {COMPANIES_FILE}")
    return ParquetDataset(root, tuple(files))


def _tuples(column: pa.ChunkedArray) -> pd.Series:
    """A list column -> a Series of tuples, built once per distinct list (vectorised)."""
    joined = pc.binary_join(column, "\x1f")
    nulls = pc.is_null(column).to_numpy(zero_copy_only=False)
    codes, uniques = pd.factorize(pd.Series(joined.to_numpy(zero_copy_only=False), dtype=object))
    table = np.empty(len(uniques) + 1, dtype=object)
    for i, text in enumerate(uniques):
        table[i] = tuple(str(text).split("\x1f")) if text != "" else ()
    table[-1] = ()
    codes = np.where(nulls, len(uniques), codes)
    return pd.Series(table[codes], dtype="object")


def _categorical(column: pa.ChunkedArray, dtype: pd.CategoricalDtype) -> pd.Series:
    """A text or dictionary column -> a categorical of ``dtype``, mapping each distinct value
    once. Values outside the vocabulary are kept as categories of their own (the frame
    check then names them), never turned into missing values."""
    arr = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr.cast(pa.string()))
    values = np.asarray(arr.dictionary.cast(pa.string()).to_pylist(), dtype=object)
    indices = arr.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    vocabulary = {v: i for i, v in enumerate(dtype.categories)}
    mapping = np.array([vocabulary.get(v, -2) for v in values] + [-1], dtype=np.int64)
    codes = mapping[indices]  # index -1 (null) reads the last entry, -1
    unknown = codes == -2
    if unknown.any():
        used = sorted(set(values[indices[indices >= 0]].tolist()))
        series = pd.Series(values[np.where(indices >= 0, indices, 0)], dtype="object")
        series[indices < 0] = None
        return series.astype(pd.CategoricalDtype(used))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype))


def _typed(table: pa.Table, kind: Table, file: Path) -> pd.DataFrame:
    """An Arrow table -> the frame of ``kind`` with its dtypes; a column that cannot hold
    them raises :class:`DatasetError` naming the file and column. Categorical values outside
    the vocabulary are kept as categories, so the frame check names them."""
    expected = evidence_dtypes() if kind == "evidence" else company_dtypes()
    missing = [c for c in expected if c not in table.column_names]
    if missing:
        raise DatasetError(f"{file}: missing column(s) {', '.join(map(repr, missing))}")
    extra = [c for c in table.column_names if c not in expected]
    if extra:
        raise DatasetError(f"{file}: unknown column(s) {', '.join(map(repr, extra))}")
    out: dict[str, Any] = {}
    for name, dtype in expected.items():
        col = table.column(name)
        try:
            if isinstance(dtype, str) and dtype == "object":
                if not pa.types.is_list(col.type) and not pa.types.is_large_list(col.type):
                    raise TypeError(f"a list column, not {col.type}")
                out[name] = _tuples(col)
            elif isinstance(dtype, pd.CategoricalDtype):
                out[name] = _categorical(col, dtype)
            elif isinstance(dtype, str) and dtype == "string":
                out[name] = pd.Series(col.cast(pa.string()).to_pandas(), dtype="string")
            else:
                out[name] = pd.Series(col.to_pandas()).astype(dtype)
        except (TypeError, ValueError, pa.ArrowException) as exc:
            raise DatasetError(f"{file}: column {name!r} ({col.type}): {exc}") from None
    return pd.DataFrame(out)


def read_table(file: Path, kind: Table, columns: Sequence[str] | None = None) -> pa.Table:
    try:
        return pq.read_table(file, columns=list(columns) if columns is not None else None)
    except (OSError, pa.ArrowException) as exc:
        raise DatasetError(f"{file}: cannot be read as Parquet: {exc}") from None


def file_digest(file: Path) -> str:
    """SHA-256 of a file's bytes (a dataset's content hash is made of its files')."""
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_frame(file: Path, kind: Table) -> pd.DataFrame:
    """One dataset file as a typed frame."""
    return _typed(read_table(file, kind), kind, file)


def read_ids(file: Path) -> pd.DataFrame:
    """The ``id`` and ``company_id`` columns of an evidence file (a cheap first pass)."""
    table = read_table(file, "evidence", ["id", "company_id"])
    return pd.DataFrame(
        {
            "id": pd.Series(table.column("id").cast(pa.string()).to_pandas(), dtype="string"),
            "company_id": pd.Series(
                table.column("company_id").cast(pa.string()).to_pandas(), dtype="string"
            ),
        }
    )


def privacy_frame(dataset: ParquetDataset) -> pd.DataFrame:
    """The columns the privacy policy reads (``id``, ``sensitive``, ``persons``) of every
    evidence file, so that a card scored from a dataset is redacted like any other."""
    parts = []
    for file in dataset:
        table = read_table(file, "evidence", ["id", "sensitive", "persons"])
        parts.append(
            pd.DataFrame(
                {
                    "id": pd.Series(
                        table.column("id").cast(pa.string()).to_pandas(), dtype="string"
                    ),
                    "sensitive": pd.Series(table.column("sensitive").to_pandas()).astype("boolean"),
                    "persons": _tuples(table.column("persons")),
                }
            )
        )
    if not parts:
        return pd.DataFrame({"id": pd.Series(dtype="string"), "persons": pd.Series(dtype=object)})
    return pd.concat(parts, ignore_index=True)
