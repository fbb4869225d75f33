"""Typed pandas frames of an evidence set.

Column names are the flat names of :mod:`.flat` (``union.status``, ``benchmark.amount``), so
the CSV layout, rubric field references and frames use one vocabulary. Dtypes are fixed:
vocabularies are categoricals with all their values as categories, dates are ``datetime64``,
numbers are nullable (``Float64``, ``Int64``), booleans ``boolean``, text ``string`` and
lists of values tuples. Derived columns are computed here, never typed: those every kind
declares through ``derived_columns()`` (the first source, ``effective_date``, ``known_date``,
wage's ``benchmark_ratio`` ...) and, for companies, ``ultimate_parent_id``, ``parent_depth``
and the resolved ``origin_country``.

Lists of objects (``sources``) are kept beside the frames as long tables (one row per item,
``owner`` = the record's row), so that the frames hold everything the models hold.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel

from .flat import Column, columns
from .frame_schema import table_schema
from .hooks import DerivedColumn, FrameView
from .model import Company, EvidenceBase
from .registry import evidence_kinds, kinds_version
from .sectors import SectorVocabulary

if TYPE_CHECKING:
    from concurrent.futures import Future
from .vocab import SourceType

Table = Literal["companies", "evidence"]


class _DerivedEvidence(Mapping[str, Any]):
    """Derived evidence columns other than the first source's, name -> dtype, read live from
    the registered kinds (``effective_date``, ``known_date``, ``benchmark_ratio`` ...)."""

    def _current(self) -> dict[str, Any]:
        return {
            name: dtype
            for name, dtype in evidence_dtypes().items()
            if name not in base_evidence_dtypes() and name not in SOURCE_COLUMNS
        }

    def __getitem__(self, name: str) -> Any:
        return self._current()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


#: the columns describing each record's first source (derived from ``sources``)
SOURCE_COLUMNS: dict[str, Any] = {
    "source_count": "Int64",
    "source_url": "string",
    "source_title": "string",
    "source_publisher": "string",
    "source_type": pd.CategoricalDtype([v.value for v in SourceType]),
    "source_published": "datetime64[ns]",
}
DERIVED_EVIDENCE: Mapping[str, Any] = _DerivedEvidence()
DERIVED_COMPANY: dict[str, Any] = {
    "ultimate_parent_id": "string",
    "origin_country": "string",
    "parent_depth": "Int64",
}
#: companies-frame names of model fields whose frame name differs
COMPANY_RENAMES = {"origin_country": "origin_country_explicit"}


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


def _derived_union(models: Iterable[type[BaseModel]]) -> dict[str, DerivedColumn]:
    from .frame_schema import model_schema

    out: dict[str, DerivedColumn] = {}
    for model in models:
        for derived in model_schema(model).derived:
            seen = out.get(derived.name)
            if seen is not None and str(pd.api.types.pandas_dtype(seen.dtype)) != str(
                pd.api.types.pandas_dtype(derived.dtype)
            ):
                raise TypeError(f"derived column {derived.name!r} has two types across kinds")
            out.setdefault(derived.name, derived)
    return out


@lru_cache(maxsize=8)
def _base_evidence_dtypes(version: int) -> tuple[tuple[str, Any], ...]:
    kinds = evidence_kinds()
    dtypes: dict[str, Any] = {}
    for model in kinds.values():
        for name, dtype in _scalar_columns(model).items():
            if name == "kind":
                dtype = pd.CategoricalDtype(list(kinds))
            if name in dtypes and str(dtypes[name]) != str(dtype):
                raise TypeError(f"evidence column {name!r} has two types across kinds")
            dtypes[name] = dtype
    return tuple(dtypes.items())


@lru_cache(maxsize=8)
def _evidence_dtypes(version: int) -> tuple[tuple[str, Any], ...]:
    base = dict(_base_evidence_dtypes(version))
    for name, derived in _derived_union(evidence_kinds().values()).items():
        if name in base:
            raise TypeError(f"derived column {name!r} is also a field")
        base[name] = derived.dtype
    return tuple(base.items())


def evidence_dtypes() -> dict[str, Any]:
    """Column -> dtype of the evidence frame, over all registered kinds (follows the
    registry: a kind registered later adds its columns)."""
    return dict(_evidence_dtypes(kinds_version()))


def base_evidence_dtypes() -> dict[str, Any]:
    """The evidence columns that hold fields (no derived columns)."""
    return dict(_base_evidence_dtypes(kinds_version()))


@lru_cache(maxsize=1)
def _company_dtypes() -> tuple[tuple[str, Any], ...]:
    dtypes = _base_company_dtypes()
    for name, derived in _derived_union([Company]).items():
        dtypes[name] = derived.dtype
    return tuple({**dtypes, **DERIVED_COMPANY}.items())


def _base_company_dtypes() -> dict[str, Any]:
    dtypes = _scalar_columns(Company)
    for old, new in COMPANY_RENAMES.items():
        dtypes[new] = dtypes.pop(old)
    return dtypes


def company_dtypes() -> dict[str, Any]:
    """Column -> dtype of the companies frame."""
    return dict(_company_dtypes())


def base_dtypes(table: Table) -> dict[str, Any]:
    """The columns of ``table`` that hold fields (frame names)."""
    if table == "evidence":
        return base_evidence_dtypes()
    return dict(_cached_company_base())


@lru_cache(maxsize=1)
def _cached_company_base() -> tuple[tuple[str, Any], ...]:
    return tuple(_base_company_dtypes().items())


def table_dtypes(table: Table) -> dict[str, Any]:
    return evidence_dtypes() if table == "evidence" else company_dtypes()


def item_dtypes(table: Table, path: str) -> dict[str, Any]:
    """Column -> dtype of the long table of the list of objects at ``path``."""
    return dict(_item_dtypes(table_schema(table).lists[path].item.model))


@lru_cache(maxsize=32)
def _item_dtypes(model: type[BaseModel]) -> tuple[tuple[str, Any], ...]:
    return (("owner", "int64"), *_scalar_columns(model).items())


def item_paths(table: Table) -> tuple[str, ...]:
    return tuple(table_schema(table).lists)


# --- models -> frames ----------------------------------------------------------------------


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is list:
        return tuple(v.value if isinstance(v, Enum) else v for v in value)
    if isinstance(value, Enum):
        return value.value
    return value


def _flat_row(data: dict[str, Any], lists: frozenset[str], prefix: str = "") -> dict[str, Any]:
    """A ``model_dump`` dict -> flat columns, lists of objects left out. ``model_dump``
    yields plain dicts and lists, so exact type checks suffice."""
    row: dict[str, Any] = {}
    for key, value in data.items():
        name = prefix + key
        if name in lists:
            continue
        if type(value) is dict:
            row.update(_flat_row(value, lists, f"{name}."))
        else:
            row[name] = _plain(value)
    return row


def typed_column(values: Sequence[Any], dtype: Any) -> pd.Series:
    """Python values (``None`` = missing) -> a Series of ``dtype``."""
    raw = pd.Series(list(values), dtype="object")
    if isinstance(dtype, str) and dtype == "object":
        return raw.map(lambda v: v if isinstance(v, tuple) else ()).astype("object")
    if isinstance(dtype, str) and dtype.startswith("datetime64"):
        out: pd.Series = pd.Series(pd.to_datetime(raw, errors="raise")).astype(dtype)  # type: ignore[call-overload]
        return out
    return raw.astype(dtype)


def typed_frame(rows: Sequence[Mapping[str, Any]], dtypes: Mapping[str, Any]) -> pd.DataFrame:
    """Flat rows -> a frame with exactly ``dtypes`` (missing values where a row has none)."""
    data = {name: typed_column([r.get(name) for r in rows], dt_) for name, dt_ in dtypes.items()}
    frame = pd.DataFrame(data)
    if not rows:
        frame = frame.iloc[:0]
    return frame.reset_index(drop=True)


@dataclass
class Parts:
    """A table's field columns (frame names) and its lists of objects, before derivation."""

    base: pd.DataFrame
    items: dict[str, pd.DataFrame]

    def __len__(self) -> int:
        return len(self.base)


def parts_from_models(models: Sequence[BaseModel], table: Table) -> Parts:
    """Models -> field columns and item tables (one Python step per record: for records
    that pydantic validated, and for sets built from models)."""
    paths = item_paths(table)
    lists = frozenset(paths)
    rows = []
    item_rows: dict[str, list[dict[str, Any]]] = {p: [] for p in paths}
    for position, model in enumerate(models):
        dumped = model.model_dump()
        rows.append(_flat_row(dumped, lists))
        for path in paths:
            node: Any = dumped
            for part in path.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            for item in node or ():
                item_rows[path].append({"owner": position, **_flat_row(item, frozenset())})
    if table == "companies":
        for row in rows:
            for old, new in COMPANY_RENAMES.items():
                row[new] = row.pop(old, None)
    base = typed_frame(rows, base_dtypes(table))
    items = {p: typed_frame(item_rows[p], item_dtypes(table, p)) for p in paths}
    return Parts(base, items)


def concat_parts(
    pieces: Sequence[tuple[Parts, np.ndarray]], table: Table, consume: bool = False
) -> Parts:
    """Join parts, putting rows in the order of their sequence numbers. Rows already in that
    order (the loader's usual case) are not reordered (no copy). ``consume``: the pieces'
    columns are dropped as they are joined, so that the pieces and the joined parts are
    never all in memory at once (the pieces are unusable afterwards)."""
    dtypes = base_dtypes(table)
    paths = item_paths(table)
    pieces = [(p, np.asarray(s, dtype=np.int64)) for p, s in pieces if len(p)]
    if not pieces:
        empty = typed_frame([], dtypes)
        return Parts(empty, {p: typed_frame([], item_dtypes(table, p)) for p in paths})
    if len(pieces) == 1 and np.all(np.diff(pieces[0][1]) > 0):
        return pieces[0][0]
    seq = np.concatenate([s for _, s in pieces])
    in_order = bool(np.all(np.diff(seq) > 0))
    order = np.arange(len(seq)) if in_order else np.argsort(seq, kind="stable")
    names = list(pieces[0][0].base.columns)
    sizes = [len(p) for p, _ in pieces]  # before ``consume`` empties the pieces
    columns_of = [dict(p.base.items()) for p, _ in pieces]
    if consume:  # only the columns above hold the data now: each is freed once joined
        for p, _ in pieces:
            p.base = p.base.iloc[:0]
    columns: dict[str, pd.Series] = {}
    for name in names:
        column = pd.concat(
            [c.pop(name) if consume else c[name] for c in columns_of], ignore_index=True
        )
        if not in_order:
            column = column.iloc[order].reset_index(drop=True)
        if str(column.dtype) != str(dtypes.get(name, column.dtype)):
            column = column.astype(dtypes[name])
        columns[name] = column
    base = pd.DataFrame(columns, copy=False)
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    items = {}
    for path in paths:
        offset = 0
        frames = []
        for (part, _), size in zip(pieces, sizes, strict=True):
            item = part.items[path]
            owner = position[item["owner"].to_numpy(dtype=np.int64) + offset]
            frames.append(item.assign(owner=owner))
            offset += size
            if consume:
                part.items[path] = item.iloc[:0]
        joined = pd.concat(frames, ignore_index=True)
        del frames
        if not joined["owner"].is_monotonic_increasing:
            joined = joined.sort_values("owner", kind="stable").reset_index(drop=True)
        items[path] = joined.astype(item_dtypes(table, path))
    return Parts(base, items)


def _derive(parts: Parts, table: Table) -> pd.DataFrame:
    """The frame of ``table``: field columns plus every derived column, in frame order."""
    base = parts.base
    n = len(base)
    schema = table_schema(table)
    view = FrameView({c: base[c] for c in base.columns}, n, items=parts.items)
    if table == "companies":
        view = FrameView(
            {
                **{c: base[c] for c in base.columns},
                "origin_country": base["origin_country_explicit"],
            },
            n,
            items=parts.items,
        )
    out = dict(base.items())
    kind = None
    if table == "evidence":
        cats = list(base["kind"].cat.categories)
        kind = np.asarray([*cats, None], dtype=object)[base["kind"].cat.codes.to_numpy()]
    groups: dict[int, tuple[DerivedColumn, list[str]]] = {}
    for name, model in schema.models.items():
        for derived in model.derived:
            groups.setdefault(id(derived), (derived, []))[1].append(name)
    dtypes = table_dtypes(table)
    for derived, kinds in groups.values():
        values = pd.Series(derived.compute(view)).reset_index(drop=True)
        values = _as_dtype(values, dtypes[derived.name], n)
        if kind is not None and len(kinds) < len(schema.models):
            values = values.mask(~np.isin(kind, kinds))
        if derived.name in out and kind is not None:
            out[derived.name] = out[derived.name].where(~np.isin(kind, kinds), values)
        else:
            out[derived.name] = values
    if table == "companies":
        frame = pd.DataFrame(out)
        resolved = resolve_parents(frame).astype(DERIVED_COMPANY)
        return resolved[list(company_dtypes())]
    # the columns in frame order at once, sharing the field columns' data (no copies)
    return pd.DataFrame({name: out[name] for name in dtypes}, copy=False)


def _as_dtype(values: pd.Series, dtype: Any, n: int) -> pd.Series:
    if len(values) != n:
        raise ValueError(f"a derived column has {len(values)} values for {n} rows")
    if isinstance(dtype, str) and dtype.startswith("datetime64"):
        dated: pd.Series = pd.Series(pd.to_datetime(values)).astype(dtype)  # type: ignore[call-overload]
        return dated
    if isinstance(dtype, str) and dtype in ("Float64", "Int64"):
        # numbers already: no round trip through Python objects (NaN and NA both missing)
        if dtype == "Float64" and values.dtype.kind in "iuf":
            floats = values.to_numpy(dtype="float64", na_value=np.nan)
            return pd.Series(floats, index=values.index).astype("Float64")
        if dtype == "Int64" and str(values.dtype) == "Int64":
            return values
        if dtype == "Int64" and isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu":
            return values.astype("Int64")
        numeric = pd.to_numeric(values.astype("object").where(values.notna(), None))
        typed: pd.Series = pd.Series(numeric, dtype="float64" if dtype == "Float64" else None)
        return typed.astype(dtype)  # type: ignore[call-overload,no-any-return]
    return values.astype(dtype)


def frame_of(parts: Parts, table: Table) -> pd.DataFrame:
    """Field columns and items -> the typed frame of ``table`` with its derived columns."""
    return _derive(parts, table)


def evidence_frame(records: Iterable[EvidenceBase]) -> pd.DataFrame:
    """One row per evidence record with the dtypes of :func:`evidence_dtypes`."""
    return frame_of(parts_from_models(list(records), "evidence"), "evidence")


def company_frame(companies: Iterable[Company]) -> pd.DataFrame:
    """One row per company with the dtypes of :func:`company_dtypes`."""
    return frame_of(parts_from_models(list(companies), "companies"), "companies")


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
    walked = _walk_parents(companies, ids)
    if walked is not None:
        out = companies.copy()
        out["ultimate_parent_id"], out["parent_depth"], out["origin_country"] = walked
        return out
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
        top = top.mask(has, ancestor)  # (``top[has] = ...`` first tries the mask as labels)
        depth += has
        origin = origin.fillna(ancestor.map(explicit))
        ancestor = ancestor.map(parent)
    origin = origin.fillna(top.map(hq))
    out = companies.copy()
    out["ultimate_parent_id"] = top.to_numpy()
    out["parent_depth"] = depth
    out["origin_country"] = origin.to_numpy()
    return out


def _walk_parents(
    companies: pd.DataFrame, ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`resolve_parents`' walk on row positions (numpy) instead of labels (a
    ``Series.map`` per level and column): the same ultimate parents, depths and origins.
    None (the walk on labels decides) when ids repeat or a parent is not among the ids."""
    index = pd.Index(ids)
    if not index.is_unique:
        return None
    parent_ids = companies["parent_id"].astype("string").to_numpy()
    has_parent = ~pd.isna(parent_ids)
    up = index.get_indexer(parent_ids)  # -1: no parent (or one not among the ids)
    if (up[has_parent] < 0).any():
        return None
    explicit = companies["origin_country_explicit"].astype("string").to_numpy()
    hq = companies["hq_country"].astype("string").to_numpy()
    top = np.arange(len(ids), dtype=np.int64)
    origin = explicit.copy()
    depth = np.zeros(len(ids), dtype=np.int64)
    ancestor = up
    for _ in range(MAX_PARENT_DEPTH):
        has = ancestor >= 0
        if not has.any():
            break
        top = np.where(has, ancestor, top)
        depth += has
        fill = has & pd.isna(origin)
        origin[fill] = explicit[ancestor[fill]]
        ancestor = np.where(has, up[np.maximum(ancestor, 0)], -1)
    fill = pd.isna(origin)
    origin[fill] = hq[top[fill]]
    return ids[top], depth, origin


# --- frames -> models (on demand) ---------------------------------------------------------


def _python(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).date()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _nest(row: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for name in names:
        value = _python(row[name])
        if value is None or value == []:
            continue
        node = nested
        *parents, leaf = name.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


def models_from(frame: pd.DataFrame, items: Mapping[str, pd.DataFrame], table: Table) -> list[Any]:
    """Rebuild the validated models from a frame and its item tables."""
    names = list(base_dtypes(table))
    rows = frame[names].astype(object).to_dict("records")
    grouped: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for path, long in items.items():
        cols = [c for c in long.columns if c != "owner"]
        by_owner: dict[int, list[dict[str, Any]]] = {}
        for rec in long.astype(object).to_dict("records"):
            by_owner.setdefault(int(rec["owner"]), []).append(_nest(rec, cols))  # type: ignore[arg-type]
        grouped[path] = by_owner
    kinds = evidence_kinds()
    out = []
    for position, row in enumerate(rows):
        data = _nest(row, names)  # type: ignore[arg-type]
        if table == "companies":
            for old, new in COMPANY_RENAMES.items():
                if new in data:
                    data[old] = data.pop(new)
        for path, by_owner in grouped.items():
            found = by_owner.get(position)
            if found:
                node = data
                *parents, leaf = path.split(".")
                for part in parents:
                    node = node.setdefault(part, {})
                node[leaf] = found
        model = Company if table == "companies" else kinds[str(row["kind"])]
        out.append(model.model_validate(data))
    return out


# --- hashing and the Frames pair ----------------------------------------------------------

#: columns are hashed on this many threads (hashlib and Arrow release the GIL on big buffers)
_HASH_THREADS = 4
#: frames with fewer rows than this are hashed on the calling thread: it is quick anyway, and
#: each worker thread's malloc arena would add resident memory for every later stage
_HASH_THREADED_ROWS = 500_000


class _Inline:
    """An executor that runs each task at once on the calling thread."""

    def submit(self, work: Any) -> bytes:
        return work()  # type: ignore[no-any-return]

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _sha(*parts: Any) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


def _text_buffers(arr: pa.Array) -> tuple[np.ndarray, Any]:
    """The offsets (of this slice) and the data buffer of a ``large_string`` array."""
    _, offsets_buf, data_buf = arr.buffers()
    if offsets_buf is None:
        return np.zeros(0, np.int64), None
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    return offsets, data_buf


def _text_digest(arr: pa.ChunkedArray | pa.Array) -> bytes:
    """Text hashed straight from its Arrow buffers, chunk by chunk (never copied into one):
    three streams, alike whatever the chunking: each row's validity byte, each row's length
    and the UTF-8 bytes (a null is hashed as empty text with its validity off)."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    valid_sha, length_sha, data_sha = hashlib.sha256(), hashlib.sha256(), hashlib.sha256()
    for chunk in chunks:
        if chunk.type != pa.large_string():
            chunk = chunk.cast(pa.large_string())
        valid = np.ones(len(chunk), dtype=bool)
        if chunk.null_count:
            valid = np.asarray(chunk.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        offsets, data_buf = _text_buffers(chunk)
        lengths = np.diff(offsets) if len(offsets) else np.zeros(0, np.int64)
        if chunk.null_count and lengths[~valid].any():  # a null slot over some bytes
            offsets, data_buf = _text_buffers(pc.fill_null(chunk, ""))
            lengths = np.diff(offsets)
        valid_sha.update(valid.data)
        length_sha.update(np.ascontiguousarray(lengths).data)
        if len(offsets) and data_buf is not None:
            data_sha.update(memoryview(data_buf)[int(offsets[0]) : int(offsets[-1])])
    return _sha(b"text", valid_sha.digest(), length_sha.digest(), data_sha.digest())


def _fixed_digest(values: np.ndarray, missing: np.ndarray | None) -> bytes:
    """Fixed-width values hashed as their bytes (missing ones zeroed, their mask hashed)."""
    values = np.ascontiguousarray(values)
    if missing is None:
        return _sha(values.dtype.str.encode(), values.view(np.uint8))
    missing = np.asarray(missing, dtype=bool)
    if missing.any():
        values = np.where(missing, np.zeros(1, values.dtype), values)
    return _sha(values.dtype.str.encode(), np.packbits(missing), values.view(np.uint8))


def _category_digest(col: pd.Series) -> bytes:
    """Categories hashed as the names of the dtype's categories (in its order) and the code
    of each row: the dtype is part of the content (the frame schema fixes it)."""
    codes = np.asarray(col.array.codes)
    names = "\x1f".join(str(c) for c in col.cat.categories)
    return _sha(b"category", names.encode("utf-8", "surrogatepass"), codes.tobytes())


def _object_digest(col: pd.Series) -> bytes:
    """Tuple (and other object) columns: their distinct values, hashed once each, plus the
    code of each row (first-appearance order, as ``pd.factorize`` gives them). The rows are
    grouped by the *address* of their object first (few distinct tuples are shared by many
    rows), then the distinct objects by content: the same codes, without hashing every
    row's tuple."""
    values = np.ascontiguousarray(col.to_numpy(dtype=object))
    n = len(values)
    if n and ctypes.sizeof(ctypes.c_size_t) == values.itemsize:
        # the array's slots are the objects' addresses (read while ``values`` holds them)
        slots = (ctypes.c_size_t * n).from_address(values.ctypes.data)
        by_object, _ = pd.factorize(np.ctypeslib.as_array(slots))
        one_row = np.empty(int(by_object.max()) + 1, dtype=np.int64)
        one_row[by_object] = np.arange(n)  # a row of each distinct object (any one will do)
        by_content, uniques = pd.factorize(pd.Series(values[one_row], dtype=object))
        codes = by_content[by_object]
    else:
        codes, uniques = pd.factorize(col)
    joined = "\x1e".join("\x1f".join(map(str, v)) for v in uniques)
    return _sha(
        b"object", joined.encode("utf-8", "surrogatepass"), codes.astype(np.int64).tobytes()
    )


def _column_digest(col: pd.Series) -> bytes:
    """Bytes that identify a column's values, hashed in their native form: Arrow text from
    its buffers (whatever pandas' string storage), numbers and dates as their bytes (never
    turned into text), categoricals as codes, tuple columns as distinct values plus codes."""
    dtype = col.dtype
    if _is_text(col):
        return _text_digest(_text_array(col))
    if isinstance(dtype, pd.CategoricalDtype):
        return _category_digest(col)
    if isinstance(col.array, _MASKED):  # values and mask as pandas holds them (no copy)
        masked: Any = col.array
        return _fixed_digest(masked._data, masked._mask)
    if isinstance(dtype, np.dtype) and dtype.kind in "biufmM":
        return _fixed_digest(col.to_numpy(), None)
    if dtype.kind == "O":
        return _object_digest(col)
    return _sha(  # any other extension dtype: pandas' own hash of the values
        str(dtype).encode(), pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes()
    )


#: pandas' nullable numbers and booleans (values plus a mask of the missing ones)
_MASKED = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)


def _text_array(col: pd.Series) -> pa.ChunkedArray | pa.Array:
    """The Arrow text of a string column (no copy when pandas stores it in Arrow)."""
    if getattr(col.dtype, "storage", None) == "pyarrow" or isinstance(col.dtype, pd.ArrowDtype):
        return col.array.__arrow_array__()
    return pa.array(col.array, type=pa.large_string())


def _is_text(col: pd.Series) -> bool:
    dtype = col.dtype
    return isinstance(dtype, pd.StringDtype) or (
        isinstance(dtype, pd.ArrowDtype) and pa.types.is_string(dtype.pyarrow_dtype)
    )


def _row_order(ids: pd.Series) -> np.ndarray | None:
    """The stable order of the rows by ``id`` (``None``: they are in that order already)."""
    arr = _text_array(ids) if _is_text(ids) else pa.array(ids.astype(str).to_numpy())
    if len(arr) < 2:
        return None
    in_order = pc.all(pc.less_equal(arr[:-1], arr[1:]), skip_nulls=False).as_py()
    if in_order:
        return None
    return np.asarray(pc.sort_indices(arr).to_numpy(), dtype=np.int64)


class HashMemo:
    """Column digests remembered between calls, trusted only where the column cannot have
    changed: an Arrow-backed column is the *same* immutable Arrow array object (pandas
    replaces the array on any assignment; the memo holds a reference, so its id is never
    reused), and the row order is that of the same ``id`` array. Other columns (numpy-backed,
    writable in place) are hashed again on every call.

    While :meth:`Frames.warm_hash`'s thread fills it (``filling``), a copy or a pickle of
    the memo waits for the thread first. It is a plain class, not a dataclass, so that
    ``dataclasses.asdict`` of a :class:`Frames` copies it through :meth:`__deepcopy__`
    instead of walking its dictionaries while the thread adds to them. Like a ``dict``, it
    is not meant to be hashed into on one thread while another copies it."""

    def __init__(self) -> None:
        self.orders: dict[int, tuple[Any, np.ndarray | None]] = {}
        self.columns: dict[tuple[int, str], tuple[Any, Any, bytes]] = {}
        self.filling: Future[None] | None = None

    def settled(self) -> None:
        """Wait for the thread filling the memo, if any (a failure only leaves digests to
        compute later)."""
        filling = self.filling
        if filling is not None:
            filling.exception()  # every caller waits, not only the first one to look
            self.filling = None

    def __getstate__(self) -> dict[str, Any]:
        self.settled()
        return {"orders": self.orders, "columns": self.columns}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.orders, self.columns, self.filling = state["orders"], state["columns"], None

    def __deepcopy__(self, memo: dict[int, Any]) -> HashMemo:
        self.settled()
        # Shallow: a deep copy of a frame keeps the same immutable Arrow arrays, so the
        # entries stay valid for it; deep-copied keys would never match again.
        copied = HashMemo()
        copied.orders, copied.columns = dict(self.orders), dict(self.columns)
        return copied


def _frame_digests(
    frame: pd.DataFrame, index: int, memo: HashMemo | None, pool: Any, text_only: bool = False
) -> list[Any]:
    ids = frame["id"]
    id_array = _text_array(ids) if _is_text(ids) and memo is not None else None
    held_order = memo.orders.get(index) if memo is not None else None
    if held_order is not None and id_array is not None and held_order[0] is id_array:
        order = held_order[1]
    else:
        order = _row_order(ids)
        if memo is not None and id_array is not None:
            memo.orders[index] = (id_array, order)
    out: list[Any] = []
    for name in frame.columns:
        col = frame[name]
        keeper = _text_array(col) if memo is not None and _is_text(col) else None
        key = (index, str(name))
        if keeper is not None and memo is not None and key in memo.columns:
            held, held_ids, digest = memo.columns[key]
            if held is keeper and held_ids is id_array:
                out.append(digest)
                continue
        if text_only and keeper is None:
            continue

        def work(col: pd.Series = col, keeper: Any = keeper, key: Any = key) -> bytes:
            digest = _column_digest(col if order is None else col.take(order))
            if keeper is not None and memo is not None:
                memo.columns[key] = (keeper, id_array, digest)
            return digest

        out.append(pool.submit(work))
    return out


def _warm_text(frames: tuple[pd.DataFrame, ...], memo: HashMemo) -> None:
    """The digests of the frames' Arrow text columns (and their row order) into ``memo``
    (on a few threads for large frames, as :func:`frame_hash` hashes them)."""
    from concurrent.futures import ThreadPoolExecutor

    threaded = sum(len(frame) for frame in frames) >= _HASH_THREADED_ROWS
    with ThreadPoolExecutor(_HASH_THREADS) if threaded else _Inline() as pool:  # waits for all
        for index, frame in enumerate(frames):
            _frame_digests(frame, index, memo, pool, text_only=True)


@lru_cache(maxsize=1)
def _warm_pool() -> Any:
    """One background thread for :meth:`Frames.warm_hash` (started on first use)."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="bhrscore-hash")


def frame_hash(*frames: pd.DataFrame, memo: HashMemo | None = None) -> str:
    """A content hash of frames that ignores row order (rows are taken in ``id`` order).
    Columns are hashed from their native storage (on a few threads for large frames);
    ``memo`` remembers the digests of columns that cannot change in place (see
    :class:`HashMemo`)."""
    from concurrent.futures import Future, ThreadPoolExecutor

    digest = hashlib.sha256()
    rows = sum(len(frame) for frame in frames)
    threaded = rows >= _HASH_THREADED_ROWS
    with ThreadPoolExecutor(_HASH_THREADS) if threaded else _Inline() as pool:
        parts = [
            (frame.columns, _frame_digests(frame, i, memo, pool)) for i, frame in enumerate(frames)
        ]
        for names, digests in parts:
            digest.update(len(names).to_bytes(8, "little"))
            for name, part in zip(names, digests, strict=True):
                digest.update(str(name).encode())
                digest.update(part.result() if isinstance(part, Future) else part)
    return digest.hexdigest()


@dataclass(frozen=True)
class Frames:
    """The two frames the engine reads. Build them with :meth:`EvidenceSet.frames`, or
    directly (e.g. the synthetic generator) with the dtypes of :func:`evidence_dtypes` and
    :func:`company_dtypes`; :func:`bhrscore.evidence.frame_check.check_frames` says whether
    a pair is fit for scoring.

    ``sector_vocabulary`` is the sector vocabulary the records were validated with (an
    :class:`EvidenceSet` records the bundle's); ``None``: the one in effect when checked."""

    companies: pd.DataFrame
    evidence: pd.DataFrame
    values_checked: bool = field(default=False, compare=False, repr=False)
    sector_vocabulary: SectorVocabulary | None = field(default=None, compare=False, repr=False)

    _hash_memo: HashMemo = field(
        default_factory=lambda: HashMemo(), init=False, compare=False, repr=False
    )

    def content_hash(self) -> str:
        """Order-independent hash of both frames (column digests that cannot have changed
        since the last call are reused: see :class:`HashMemo`)."""
        self._warmed()
        return frame_hash(self.companies, self.evidence, memo=self._hash_memo)

    def _warmed(self) -> None:
        """Wait for :meth:`warm_hash`'s thread, if any (the memo is its own until then). Its
        future is an attribute, not a field: ``dataclasses.replace``, ``asdict`` and equality
        never see it."""
        self.__dict__.pop("_warming", None)
        self._hash_memo.settled()

    def __getstate__(self) -> dict[str, Any]:
        """Pickled and copied as they are, without the warming thread (waited for)."""
        self._warmed()
        return dict(self.__dict__)

    def warm_hash(self) -> None:
        """Start hashing the Arrow text columns (most of the work of :meth:`content_hash`)
        on a background thread, so that the first :meth:`content_hash` (the score card's, at
        the end of scoring) finds their digests in the memo. The digests are remembered as
        :class:`HashMemo` remembers them (only for the very Arrow arrays hashed), so a frame
        changed meanwhile is hashed as it is when asked."""
        if "_warming" not in self.__dict__:
            memo = self._hash_memo
            frames = (self.companies, self.evidence)
            warming = _warm_pool().submit(_warm_text, frames, memo)
            memo.filling = warming
            object.__setattr__(self, "_warming", warming)

    def mark_checked(self) -> None:
        """Record that the values were checked (by the loader or by ``check_frames``)."""
        object.__setattr__(self, "values_checked", True)
