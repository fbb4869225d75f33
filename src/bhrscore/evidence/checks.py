"""Cross-record validation: rules that need more than one record to decide, vectorised.

Each rule is a function registered with :func:`cross_check`; it receives the field columns
of the records that passed per-record validation (:class:`CheckContext`) and returns
findings ``(table, position, problem)``: an error rejects the record at ``position`` of its
table; a warning with position ``None`` is about the whole set. Company rules run first;
evidence rules see only the accepted companies.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .report import Problem

TableName = Literal["companies", "evidence"]
Finding = tuple[TableName, int | None, Problem]


class Locator(Protocol):
    """Words a problem about a record, located where the user will look for it."""

    def problem(
        self, position: int, code: str, message: str, field: str | None = None, value: Any = None
    ) -> Problem: ...

    def where(self, position: int) -> str: ...


@dataclass(frozen=True)
class CheckContext:
    """What the rules see: field columns (model names) of the records accepted so far."""

    companies: pd.DataFrame
    evidence: pd.DataFrame
    as_of: dt.date | None
    locate: Mapping[str, Locator]
    rejected_company_ids: frozenset[str] = frozenset()
    known_date: pd.Series | None = None  # per evidence row: the latest date it mentions
    companies_read: bool = True  # False: no company was read (no companies file given)


CheckFn = Callable[[CheckContext], list[Finding]]
COMPANY_CHECKS: dict[str, CheckFn] = {}
EVIDENCE_CHECKS: dict[str, CheckFn] = {}


def cross_check(name: str, table: TableName) -> Callable[[CheckFn], CheckFn]:
    """Register a cross-record rule for ``table``."""

    def register(fn: CheckFn) -> CheckFn:
        (COMPANY_CHECKS if table == "companies" else EVIDENCE_CHECKS)[name] = fn
        return fn

    return register


def _ids(frame: pd.DataFrame, column: str = "id") -> np.ndarray:
    values: np.ndarray = frame[column].astype("string").to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    return values


def _arrow_text(frame: pd.DataFrame, column: str) -> pa.Array | pa.ChunkedArray | None:
    """A text column's Arrow data, shared (None: the column is not stored in Arrow)."""
    dtype = frame[column].dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return pa.array(frame[column].array)
    return None


def _bytes_hold(text: pa.Array | pa.ChunkedArray, needle: bytes) -> bool:
    """Whether the UTF-8 bytes behind Arrow text hold ``needle`` (False: no value holds it;
    True may also come from bytes across two values, or outside a slice)."""
    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    search = _literal(needle)
    for chunk in chunks:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return True  # another layout: let the exact search decide
        data = chunk.buffers()[2]
        if data is not None and search(memoryview(data)) is not None:
            return True
    return False


@lru_cache(maxsize=8)
def _literal(needle: bytes) -> Callable[[memoryview], re.Match[bytes] | None]:
    """A search for ``needle`` in a buffer where it is (``re`` reads the buffer itself: no
    copy of the text's bytes, which ``bytes.find`` would need)."""
    return re.compile(re.escape(needle)).search


def all_distinct(text: pa.Array | pa.ChunkedArray) -> bool:
    """Whether every value of Arrow text is there once (one null at most), as
    ``count_distinct(text, mode="all") == len(text)`` says, decided in sorted order: values
    already strictly increasing (ids as generators and exports write them) need no sort, the
    others are sorted (a sort and one comparison of neighbours take a fifth of the time of
    Arrow's hash count)."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    n = len(text)
    if n < 2:
        return True
    if text.null_count > 1:
        return False
    if not text.null_count and pc.all(pc.less(text[:-1], text[1:])).as_py():
        return True
    ordered = text.take(pc.sort_indices(text))  # the null, if any, last
    if text.null_count:
        ordered = ordered[: n - 1]
    return not pc.any(pc.equal(ordered[:-1], ordered[1:])).as_py()


def _duplicates(table: TableName, ctx: CheckContext) -> list[Finding]:
    frame = ctx.companies if table == "companies" else ctx.evidence
    text = _arrow_text(frame, "id")
    if text is not None and all_distinct(text):
        return []  # every id once (a missing one at most): no Python strings needed
    ids = pd.Series(_ids(frame))
    later = np.flatnonzero(ids.duplicated(keep="first").to_numpy())
    if not len(later):
        return []
    first = pd.Series(np.arange(len(ids))).groupby(ids.to_numpy()).transform("first").to_numpy()
    locate = ctx.locate[table]
    return [
        (
            table,
            int(i),
            locate.problem(
                int(i),
                "duplicate-id",
                f"id is already used at {locate.where(int(first[i]))}",
                "id",
                ids.iloc[i],
            ),
        )
        for i in later
    ]


@cross_check("duplicate-company-id", "companies")
def duplicate_company_ids(ctx: CheckContext) -> list[Finding]:
    return _duplicates("companies", ctx)


@cross_check("parent", "companies")
def unknown_or_cyclic_parent(ctx: CheckContext) -> list[Finding]:
    """Parents must exist, and following parent_id must end at a company without parent.

    Vectorised: each company points at its parent's row (the last company with that id),
    roots and companies with unknown parents at themselves; after log2(n) doublings of the
    pointers every acyclic chain has reached its root, so a pointer that does not rest on a
    root marks a chain ending in a cycle."""
    frame = ctx.companies
    n = len(frame)
    if not n:
        return []
    ids = _ids(frame)
    parents = _ids(frame, "parent_id")
    last = pd.Series(np.arange(n), index=ids).groupby(level=0).last()
    has_parent = np.array([p is not None for p in parents], dtype=bool)
    target = last.reindex(pd.Index(parents, dtype=object)).to_numpy()
    known = has_parent & ~pd.isna(target)
    unknown = has_parent & ~known
    step = np.arange(n)
    step[known] = target[known].astype(np.int64)
    jump = step.copy()
    for _ in range(max(1, int(np.ceil(np.log2(n + 1))) + 1)):
        jump = jump[jump]
    cyclic = known & (step[jump] != jump)
    locate = ctx.locate["companies"]
    out: list[Finding] = []
    parent_of: dict[str, str | None] | None = None
    for i in np.flatnonzero(unknown | cyclic):
        pid = parents[i]
        if unknown[i]:
            out.append(
                (
                    "companies",
                    int(i),
                    locate.problem(
                        int(i),
                        "unknown-parent",
                        "parent company is not in the companies file",
                        "parent_id",
                        pid,
                    ),
                )
            )
            continue
        if parent_of is None:
            parent_of = dict(zip(ids, parents, strict=True))
        seen = [ids[i]]
        node: str | None = pid
        while node is not None and node in parent_of and node not in seen:
            seen.append(node)
            node = parent_of[node]
        cycle = " -> ".join([*seen[seen.index(node) :], str(node)]) if node in seen else str(pid)
        out.append(
            (
                "companies",
                int(i),
                locate.problem(
                    int(i), "parent-cycle", f"parent chain is a cycle: {cycle}", "parent_id", pid
                ),
            )
        )
    return out


@cross_check("duplicate-evidence-id", "evidence")
def duplicate_evidence_ids(ctx: CheckContext) -> list[Finding]:
    return _duplicates("evidence", ctx)


def unknown_company_message(rejected: bool, companies_read: bool) -> str:
    """Why an evidence record's ``company_id`` is refused (shared with the reference path)."""
    if rejected:
        return "names a company that was rejected (see the companies' problems)"
    if not companies_read:
        return "names a company, but no companies were read (see the warnings: no companies file?)"
    return "names a company that is not in the companies file"


@cross_check("company", "evidence")
def unknown_company(ctx: CheckContext) -> list[Finding]:
    named = _arrow_text(ctx.evidence, "company_id")
    known_ids = _arrow_text(ctx.companies, "id")
    if named is not None and known_ids is not None:
        if isinstance(known_ids, pa.ChunkedArray):
            known_ids = known_ids.combine_chunks()
        found = pc.sum(pc.is_in(named, value_set=known_ids, skip_nulls=True)).as_py() or 0
        if found == len(named) - named.null_count:
            return []  # every company named is known: no Python strings needed
    cid = pd.Series(_ids(ctx.evidence, "company_id"), dtype=object)
    known = set(_ids(ctx.companies))
    given = cid.notna().to_numpy()
    missing = given & ~cid.isin(known).to_numpy()
    locate = ctx.locate["evidence"]
    out: list[Finding] = []
    for i in np.flatnonzero(missing):
        value = cid.iloc[i]
        why = unknown_company_message(value in ctx.rejected_company_ids, ctx.companies_read)
        out.append(
            (
                "evidence",
                int(i),
                locate.problem(int(i), "unknown-company", why, "company_id", value),
            )
        )
    return out


#: what marks the example rows of the entry template (:mod:`bhrscore.export.template`): the
#: companies' names and the evidence summaries say so, in words no real record uses
TEMPLATE_MARKERS: dict[TableName, tuple[str, str]] = {
    "companies": ("name", "(fictional, delete this row)"),
    "evidence": ("summary", "EXAMPLE (fictional)"),
}
MAX_ROWS_NAMED = 10


def template_example_warning(table: TableName, n: int, where: list[str], first: Problem) -> Problem:
    """One warning about the ``n`` rows that still hold the entry template's example rows,
    naming the first ones (``where``: ``file:row``); ``first`` locates the first of them."""
    place = first.file + (f"[{first.sheet}]" if first.sheet else "")
    if all(w.startswith((place + ":", place + "#")) for w in where):
        where = [w[len(place) + 1 :] for w in where]  # same file: rows (or pointers) only
    shown = ", ".join(where) + (f" and {n - len(where):,} more" if n > len(where) else "")
    what = (
        "example compan" + ("y" if n == 1 else "ies")
        if table == "companies"
        else ("example evidence record" + ("" if n == 1 else "s"))
    )
    message = (
        f"the entry template's fictional {what} {'is' if n == 1 else 'are'} still in the "
        f"data ({n:,} {'row' if n == 1 else 'rows'}: {shown}); delete "
        f"{'it' if n == 1 else 'them'} before use"
    )
    return Problem(
        file=first.file,
        message=message,
        code="template-example",
        row=first.row,
        sheet=first.sheet,
        pointer=first.pointer,
        severity="warning",
    )


def _template_examples(table: TableName, ctx: CheckContext) -> list[Finding]:
    frame = ctx.companies if table == "companies" else ctx.evidence
    column, marker = TEMPLATE_MARKERS[table]
    if column not in frame.columns or not len(frame):
        return []
    arrow = _arrow_text(frame, column)
    if arrow is not None and not _bytes_hold(arrow, marker.encode("utf-8")):
        return []  # not in the text at all (one byte search, not one per value)
    text = frame[column].astype("string")
    found = np.flatnonzero(text.str.contains(marker, regex=False).to_numpy(bool, na_value=False))
    if not len(found):
        return []
    locate = ctx.locate[table]
    where = [locate.where(int(i)) for i in found[:MAX_ROWS_NAMED]]
    first = locate.problem(int(found[0]), "", "")
    warning = template_example_warning(table, len(found), where, first)
    return [(table, None, warning)]


@cross_check("template-example-companies", "companies")
def template_example_companies(ctx: CheckContext) -> list[Finding]:
    """Example companies of the entry template left in (a warning)."""
    return _template_examples("companies", ctx)


@cross_check("template-example-evidence", "evidence")
def template_example_evidence(ctx: CheckContext) -> list[Finding]:
    """Example evidence rows of the entry template left in (a warning)."""
    return _template_examples("evidence", ctx)


@cross_check("after-as-of", "evidence")
def after_as_of(ctx: CheckContext) -> list[Finding]:
    """Records mentioning a date after ``as_of`` are kept (scores as of that date leave them
    out, see the ``known_date`` column); one warning counts them."""
    if ctx.as_of is None or ctx.known_date is None or not len(ctx.known_date):
        return []
    late = np.flatnonzero(
        (ctx.known_date > pd.Timestamp(ctx.as_of)).to_numpy(dtype=bool, na_value=False)
    )
    if not len(late):
        return []
    first = int(late[0])
    ids = _ids(ctx.evidence)
    message = (
        f"{len(late):,} record{'s' if len(late) != 1 else ''} mention a date after the as-of "
        f"date {ctx.as_of} (first: id {ids[first]!r}); "
        f"such records are kept, and scores as of {ctx.as_of} leave out what was not known "
        "by then"
    )
    located = ctx.locate["evidence"].problem(first, "after-as-of", message)
    warning = Problem(
        file=located.file,
        message=message,
        code="after-as-of",
        row=located.row,
        sheet=located.sheet,
        pointer=located.pointer,
        severity="warning",
    )
    return [("evidence", None, warning)]
