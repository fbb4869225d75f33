"""``check_frames``: are two frames fit for scoring? Checked at the engine's boundary.

Frames built by :func:`~bhrscore.load_evidence` are valid by construction; frames built by
hand (or by another program) may not be: an upper-cased ``status`` column once moved a mean
total from 53.6 to 43.1 without a word. The checks come from the same frame schema the
loader validates with (:mod:`.frame_schema`): every column present with its dtype,
vocabularies as the categories of categoricals, required values present, codes in their
vocabularies, ids unique, evidence naming known companies. Each is one vectorised pass, cheap
enough to run on every ``score()``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from .frame import Frames, company_dtypes, evidence_dtypes
from .frame_schema import NO_DEFAULT, table_schema
from .sectors import active_sector_vocabulary, use_sector_vocabulary

MAX_LISTED = 10


def _dtype_problem(name: str, col: pd.Series, expected: Any) -> str | None:
    actual = col.dtype
    if isinstance(expected, pd.CategoricalDtype):
        if not isinstance(actual, pd.CategoricalDtype):
            return (
                f"column {name!r} has dtype {actual}; expected a categorical of "
                f"{', '.join(map(str, expected.categories))}"
            )
        if list(actual.categories) != list(expected.categories):
            extra = [c for c in actual.categories if c not in set(expected.categories)]
            shown = ", ".join(repr(c) for c in (extra or list(actual.categories))[:5])
            return (
                f"column {name!r}: categories ({shown}{', …' if len(extra) > 5 else ''}) "
                f"are not the vocabulary ({', '.join(map(str, expected.categories))})"
            )
        return None
    exp = str(expected)
    ok = {
        "string": isinstance(actual, pd.StringDtype),
        "object": actual == np.dtype(object),
        "boolean": pd.api.types.is_bool_dtype(actual),
        "Int64": pd.api.types.is_integer_dtype(actual),
        "Float64": pd.api.types.is_float_dtype(actual) or pd.api.types.is_integer_dtype(actual),
    }.get(exp)
    if ok is None and exp.startswith("datetime64"):
        ok = pd.api.types.is_datetime64_dtype(actual) and getattr(actual, "tz", None) is None
    if ok:
        return None
    return f"column {name!r} has dtype {actual}; expected {exp}"


def _non_tuples(name: str, col: pd.Series) -> str | None:
    if not len(col):
        return None
    kinds = pd.api.types.infer_dtype(col.to_numpy(), skipna=False)
    if kinds in ("string", "empty", "integer", "floating", "boolean", "datetime", "date"):
        return f"column {name!r} must hold tuples of values (one tuple per row), not {kinds}s"
    return None


def _schema_problems(frame: pd.DataFrame, table: Literal["companies", "evidence"]) -> list[str]:
    """Columns and dtypes (one look per column)."""
    expected = evidence_dtypes() if table == "evidence" else company_dtypes()
    out: list[str] = []
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        out.append(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}"
        )
    for name, dtype in expected.items():
        if name not in frame.columns:
            continue
        col = frame[name]
        if isinstance(col, pd.DataFrame):
            out.append(f"column {name!r} appears twice")
            continue
        found = _dtype_problem(name, col, dtype)
        if found is None and str(dtype) == "object":
            found = _non_tuples(name, col)
        if found:
            out.append(found)
    return out


def _data_problems(frame: pd.DataFrame, table: Literal["companies", "evidence"]) -> list[str]:
    """Values (one vectorised pass per column)."""
    out = _required(frame, table) + _codes(frame, table)
    ids = frame["id"]
    if not ids.is_unique:
        dup = ids[ids.duplicated()].astype("string").head(3).tolist()
        out.append(f"duplicate ids: {', '.join(map(repr, dup))}")
    return out


def _required(frame: pd.DataFrame, table: Literal["companies", "evidence"]) -> list[str]:
    """Top-level values every record has (required, or filled by a default)."""
    schema = table_schema(table)
    kinds: pd.Series | None = None
    if table == "evidence":
        kinds = frame["kind"]
        if kinds.isna().any():
            return ["column 'kind' has missing values"]
    out: list[str] = []
    codes = None if kinds is None else kinds.cat.codes.to_numpy()
    order = list(kinds.cat.categories) if kinds is not None else []
    for name, leaf in schema.leaves.items():
        if leaf.parent is not None or leaf.many or name not in frame.columns:
            continue
        owners = [
            kind
            for kind, model in schema.models.items()
            if name in model.leaves
            and not model.leaves[name].nullable
            and (
                model.leaves[name].required or model.leaves[name].default not in (NO_DEFAULT, None)
            )
        ]
        if not owners:
            continue
        col = frame[name]
        if codes is None or len(owners) == len(schema.models):
            missing = col.isna().to_numpy(dtype=bool)
        else:
            missing = np.isin(codes, [order.index(k) for k in owners]) & col.isna().to_numpy(
                dtype=bool
            )
        if missing.any():
            out.append(f"column {name!r} has {int(missing.sum()):,} missing value(s)")
    return out


def _items(col: pd.Series) -> pd.Series:
    """The values of a column of tuples, one row per item (empty tuples give none)."""
    return pd.Series(col.explode().dropna().to_numpy(dtype=object), dtype="object")


def _codes(frame: pd.DataFrame, table: Literal["companies", "evidence"]) -> list[str]:
    """Text columns, and columns of tuples of text, whose model checks codes (countries,
    currencies, sectors) hold known codes."""
    out: list[str] = []
    for name, leaf in table_schema(table).leaves.items():
        frame_name = (
            "origin_country_explicit" if (table, name) == ("companies", "origin_country") else name
        )
        if not leaf.checks or frame_name not in frame.columns:
            continue
        col = _items(frame[frame_name]) if leaf.many else frame[frame_name]
        values = pa.array(col.array) if isinstance(col.dtype, pd.StringDtype) else None
        if values is None:
            values = pa.array(col.astype("string").to_numpy(dtype=object, na_value=None))  # type: ignore[call-overload]
        values = values.drop_null()
        if not len(values):
            continue
        if pa.types.is_large_string(values.type):
            values = values.cast(pa.string())
        ok = np.ones(len(values), dtype=bool)
        for check in leaf.checks:
            ok &= np.asarray(check.accepts(values).to_numpy(zero_copy_only=False), dtype=bool)
        if not ok.all():
            bad = pd.unique(np.asarray(values.to_pylist(), dtype=object)[~ok])[:3]
            out.append(
                f"column {frame_name!r} holds values that are not valid codes: "
                f"{', '.join(map(repr, bad))}"
            )
    return out


def check_frames(frames: Frames) -> None:
    """Raise ``ValueError`` naming each column and problem when ``frames`` are not fit for
    scoring: a missing column, a wrong dtype, categories that are not the vocabulary, missing
    required values, unknown codes, duplicate ids, evidence naming an unknown company.

    Columns and dtypes are checked on every call (one look per column). Values are checked
    once per :class:`Frames` object (frames an :class:`EvidenceSet` holds were validated when
    they were built): change values in place after that and only the dtypes are checked again.
    """
    problems: list[str] = []
    for table, frame in (("companies", frames.companies), ("evidence", frames.evidence)):
        if not isinstance(frame, pd.DataFrame):
            problems.append(f"{table}: not a DataFrame ({type(frame).__name__})")
            continue
        problems += [f"{table} frame: {p}" for p in _schema_problems(frame, table)]  # type: ignore[arg-type]
    if not problems and not frames.values_checked:
        # sector codes are those of the vocabulary the records were validated with
        vocabulary = frames.sector_vocabulary
        with use_sector_vocabulary(
            vocabulary if vocabulary is not None else active_sector_vocabulary()
        ):
            for table, frame in (("companies", frames.companies), ("evidence", frames.evidence)):
                problems += [f"{table} frame: {p}" for p in _data_problems(frame, table)]  # type: ignore[arg-type]
    if not problems and not frames.values_checked:
        company_ids = frames.companies["id"]
        named = frames.evidence["company_id"].dropna()
        unknown = ~named.isin(company_ids)
        if unknown.any():
            shown = ", ".join(str(v) for v in pd.unique(named[unknown].astype("string"))[:5])
            problems.append(
                f"evidence frame: column 'company_id' refers to unknown companies: {shown}"
            )
    if not problems:
        frames.mark_checked()
        return
    if problems:
        listed = "\n  ".join(problems[:MAX_LISTED])
        more = f"\n  … and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        raise ValueError(f"the frames are not fit for scoring:\n  {listed}{more}")
