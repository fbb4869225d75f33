"""``load_evidence``: find the files of a bundle, read them, validate every record and every
cross-record rule, and return an :class:`EvidenceSet` with a complete report.

A bundle is a directory holding ``companies.<ext>`` and one or more ``evidence*.<ext>`` files
(``<ext>`` one of json, jsonl, csv, xlsx) or a ``bundle.json``/``bundle.xlsx``; a workbook with
``Companies`` and ``Evidence`` sheets; or a JSON file ``{"companies": [...], "evidence":
[...]}``. Several paths may be given.

Validation is columnar (:mod:`.columnar`): whole columns are checked at once against the frame
schema derived from the models, and only the records it cannot vouch for go through pydantic,
which words their problems. ``engine="records"`` validates every record with pydantic (the
reference the columnar path is tested against; same report, same records).
"""

from __future__ import annotations

import contextvars
import ctypes
import datetime as dt
import os
import stat
import sys
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from .checks import COMPANY_CHECKS, EVIDENCE_CHECKS, CheckContext, Finding
from .columnar import Limits as FastLimits
from .columnar import take, validate
from .evidence_set import EvidenceSet
from .flat import columns
from .frame import (
    COMPANY_RENAMES,
    Parts,
    Table,
    concat_parts,
    parts_from_models,
)
from .frame_schema import table_schema
from .hooks import FrameView
from .model import Company, EvidenceBase
from .parse import parse_record, validate_despite
from .read import FLAT_FORMATS, READERS, Batch, Layout, Limits, RawRecord, readers
from .registry import evidence_kinds, kinds_version
from .report import EvidenceValidationError, Problem, Rejected, ValidationReport, shorten
from .sectors import bundle_sector_vocabulary, use_sector_vocabulary

PathLike = str | os.PathLike[str]
Engine = Literal["columnar", "records"]
T = TypeVar("T")


def layouts() -> dict[str, Layout]:
    """The flat layouts of the two tables (evidence: the union over all kinds)."""
    return dict(_layouts(kinds_version()))


_LAYOUTS: dict[int, dict[str, Layout]] = {}


def _layouts(version: int) -> dict[str, Layout]:
    if version not in _LAYOUTS:
        evidence_cols = {c.name: c for m in evidence_kinds().values() for c in columns(m)}
        base = {c.name for c in columns(EvidenceBase)}
        required = [c for c in evidence_cols.values() if c.name in base]
        lay = Layout.from_columns(list(evidence_cols.values()))
        req = Layout.from_columns(required).required
        _LAYOUTS.clear()
        _LAYOUTS[version] = {
            "companies": Layout.from_columns(list(columns(Company))),
            "evidence": Layout(lay.known, req, lay.lists),
        }
    return _LAYOUTS[version]


def _table_of(path: Path) -> Table | None:
    stem = path.name.split(".")[0].lower()
    if stem == "companies":
        return "companies"
    if stem.startswith("evidence"):
        return "evidence"
    return None


def _not_regular(path: Path) -> str | None:
    """Why a directory entry named like a data file cannot be read (None: a regular file).
    Never opens the entry, so a FIFO cannot block."""
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    if stat.S_ISLNK(mode):
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            if exc.errno is not None and exc.errno == 40:  # ELOOP
                return "is a symbolic link that loops; it was not read"
            return "is a symbolic link to nothing (dangling); it was not read"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a data file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file; it was not read"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file; it was not read"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file; it was not read"
    return "is not a regular file; it was not read"


COMPANIES_FILES = tuple(f"companies{suffix}" for suffix in READERS if suffix != ".ndjson")


def _no_companies(folder: Path, given: list[Path] | None) -> Problem:
    """The warning that no companies file was read, naming the bundle directory and the
    file names it looks for (``given``: the evidence files given on their own)."""
    names = ", ".join(COMPANIES_FILES)
    there = [folder / n for n in COMPANIES_FILES if (folder / n).is_file()]
    if given is None:
        message = f"no companies file was read: the bundle directory holds none of {names}"
    elif there:
        message = (
            f"no companies file was read: only evidence files were given; give the bundle "
            f"directory {str(folder)!r} (it holds {there[0].name}) or add {str(there[0])!r}"
        )
    else:
        message = (
            f"no companies file was read: only evidence files were given, and their "
            f"directory {str(folder)!r} holds none of {names}"
        )
    return Problem(
        str(folder),
        message + "; evidence naming a company is rejected",
        code="no-companies",
        severity="warning",
    )


def discover(paths: Iterable[PathLike]) -> tuple[list[tuple[Path, Table | None]], list[Problem]]:
    """The data files named by ``paths`` and the table each holds (None: a bundle file).
    Entries named like data files that are not regular files (dangling or looping symlinks,
    FIFOs, devices) are errors: nothing is left out silently."""
    found: list[tuple[Path, Table | None]] = []
    problems: list[Problem] = []
    warned: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.exists() and not path.is_symlink():
            raise FileNotFoundError(2, "No such file or directory", str(path))
        if path.is_dir():
            entries = sorted(p for p in path.iterdir() if p.suffix.lower() in READERS)
            data = []
            for p in entries:
                why = _not_regular(p)
                if why is None:
                    data.append(p)
                elif why != "is a directory, not a data file" or _table_of(p) is not None:
                    problems.append(Problem(str(p), why, code="unreadable-file"))
            if not data and not problems:
                problems.append(Problem(str(path), "no data files", code="empty-bundle"))
            for p in data:
                table = _table_of(p)
                if p.stem.lower() == "bundle" and p.suffix.lower() in {".json", ".xlsx"}:
                    found.append((p, None))
                elif table is None:
                    problems.append(
                        Problem(
                            str(p),
                            "not read: data files in a bundle are named companies.* or evidence*.*",
                            code="ignored-file",
                            severity="warning",
                        )
                    )
                else:
                    found.append((p, table))
            if data and not any(t != "evidence" and p.parent == path for p, t in found):
                problems.append(_no_companies(path, None))
                warned.add(path)
        elif path.suffix.lower() not in READERS:
            problems.append(
                Problem(
                    str(path),
                    f"unsupported file type {path.suffix!r}; use {', '.join(sorted(READERS))}",
                    code="unsupported-format",
                )
            )
        elif (why := _not_regular(path)) is not None:
            problems.append(Problem(str(path), why, code="unreadable-file"))
        else:
            table = _table_of(path)
            bundle_like = path.suffix.lower() in {".xlsx", ".json"} and table is None
            found.append((path, None if bundle_like else table or "evidence"))
    if found and all(t == "evidence" for _, t in found):
        # only evidence files were given: say so, where the companies file would be
        for folder in sorted({p.parent for p, _ in found} - warned):
            problems.append(_no_companies(folder, [p for p, _ in found if p.parent == folder]))
    companies_files = [p for p, t in found if t == "companies"]
    if len(companies_files) > 1:
        problems.append(
            Problem(
                str(companies_files[1]),
                f"a second companies file (first: {companies_files[0]})",
                code="two-companies-files",
            )
        )
    return found, problems


def _no_companies_read(
    found: list[tuple[Path, Table | None]], problems: list[Problem], batches: list[Batch]
) -> list[Problem]:
    """A warning when evidence was read but no company (a workbook without a ``Companies``
    sheet, a JSON bundle without ``companies``), unless the files already got one or a
    companies file was given (an empty one is the user's choice)."""
    if any(p.code == "no-companies" for p in problems):
        return []
    if any(t == "companies" for _, t in found) or any(b.table == "companies" for b in batches):
        return []
    evidence = [b for b in batches if b.table == "evidence" and b.n]
    if not evidence:
        return []
    files = list(dict.fromkeys(b.file for b in evidence))
    return [
        Problem(
            files[0],
            "no companies were read: no companies file, and no Companies sheet or 'companies' "
            f"list in {', '.join(map(repr, files))}; evidence naming a company is rejected",
            code="no-companies",
            severity="warning",
        )
    ]


def read_all(
    found: list[tuple[Path, Table | None]],
    limits: Limits,
    allow_unknown: bool,
    problems: list[Problem],
) -> Iterator[Batch]:
    """Every file's batches, in file order, one at a time (large JSON Lines files come in
    chunks, so that only one chunk's raw data is in memory); file-level problems are
    appended to ``problems`` as they are found."""
    lay = layouts()
    by_suffix = readers()
    for path, table in found:
        suffix = path.suffix.lower()
        reader = by_suffix[suffix]
        kwargs: dict[str, Any] = {}
        if suffix in FLAT_FORMATS:
            kwargs["allow_unknown"] = allow_unknown
            # a workbook may hold both tables whatever its name; other files hold one
            layout: Any = lay if table is None or suffix == ".xlsx" else lay[table]
        else:
            layout = None
        try:
            result = reader(path, table, layout, limits, **kwargs)
            yield from result.batches
        except OSError as exc:
            problems.append(Problem(str(path), f"cannot be read: {exc}", code="unreadable-file"))
            continue
        problems += result.problems


# --- where records are -------------------------------------------------------------------


@dataclass
class _Locator:
    """Locates the records of one table by their batch and position in it."""

    batches: list[Batch]
    batch: np.ndarray  # per record: index into batches
    index: np.ndarray  # per record: position in its batch

    def raw(self, position: int) -> RawRecord:
        b = self.batches[int(self.batch[position])]
        return b.raw(int(self.index[position]))

    def _located(self, position: int) -> tuple[Batch, int]:
        return self.batches[int(self.batch[position])], int(self.index[position])

    def problem(
        self, position: int, code: str, message: str, field: str | None = None, value: Any = None
    ) -> Problem:
        b, i = self._located(position)
        pointer = b.pointer(i)
        if pointer is not None and field:
            pointer += "/" + field.replace(".", "/")
        return Problem(
            file=b.file,
            code=code,
            message=message,
            row=b.row(i),
            sheet=b.sheet,
            pointer=pointer,
            field=field,
            value=shorten(value),
            column=b.letters.get(field) if field else None,
        )

    def where(self, position: int) -> str:
        return self.problem(position, "", "").where


def _select(locator: _Locator, keep: np.ndarray) -> _Locator:
    return _Locator(locator.batches, locator.batch[keep], locator.index[keep])


# --- the columnar path ----------------------------------------------------------------------


@dataclass
class _Table:
    """One table's accepted records and where each came from, in reading order."""

    parts: Parts
    seq: np.ndarray  # global reading order
    locator: _Locator


@dataclass
class _Accepting:
    """Collects one table's accepted records batch by batch."""

    table: Table
    limits: Limits
    pieces: list[tuple[Parts, np.ndarray]] = field(default_factory=list)
    batch_of: list[np.ndarray] = field(default_factory=list)
    index_of: list[np.ndarray] = field(default_factory=list)
    slow_models: list[Any] = field(default_factory=list)
    slow_seq: list[int] = field(default_factory=list)
    slow_batch: list[int] = field(default_factory=list)
    slow_index: list[int] = field(default_factory=list)

    def add(
        self, batch: Batch, b_idx: int, offset: int, record_problems: dict[int, list[Problem]]
    ) -> None:
        """Validate one batch: whole columns first, pydantic for the rest."""
        table = self.table
        for i, found in batch.problems.items():
            record_problems[offset + i] = list(found)
        accepted = np.zeros(batch.n, dtype=bool)
        if batch.cells is not None and batch.cells.n:
            fast = FastLimits(
                max_chars=self.limits.max_field_chars, max_digits=self.limits.max_integer_digits
            )
            parts, ok = validate(batch.cells, table, fast)
            # rows with header problems (unknown, missing columns) are validated, not accepted
            held = np.zeros(batch.n, dtype=bool)
            held[list(batch.problems)] = True
            held = held[batch.cell_rows]
            rows = np.flatnonzero(ok & ~held)
            if len(rows):
                self.pieces.append((take(parts, rows, table), offset + batch.cell_rows[rows]))
                self.batch_of.append(np.full(len(rows), b_idx))
                self.index_of.append(batch.cell_rows[rows])
                accepted[batch.cell_rows[rows]] = True
            accepted[batch.cell_rows[ok & held]] = True  # only the header's problems
        for i, found in batch.problems.items():
            if not validate_despite(found):
                accepted[i] = True  # rejected by the reader: not validated further
        for i in np.flatnonzero(~accepted).tolist():
            raw = batch.raw(i)
            model, errs = parse_record(raw)
            if errs:
                record_problems[offset + i] = errs
                continue
            self.slow_models.append(model)
            self.slow_seq.append(offset + i)
            self.slow_batch.append(b_idx)
            self.slow_index.append(i)

    def finish(self, batches: list[Batch]) -> _Table:
        pieces, batch_of, index_of = self.pieces, self.batch_of, self.index_of
        if self.slow_models:
            slow = parts_from_models(self.slow_models, self.table)
            pieces.append((slow, np.array(self.slow_seq, np.int64)))
            batch_of.append(np.array(self.slow_batch, np.int64))
            index_of.append(np.array(self.slow_index, np.int64))
        seq_all = np.concatenate([s for _, s in pieces]) if pieces else np.zeros(0, np.int64)
        order = np.argsort(seq_all, kind="stable")
        parts = concat_parts(pieces, self.table, consume=True)
        pieces.clear()  # the pieces' columns were dropped as they were joined
        b_all = np.concatenate(batch_of) if batch_of else np.zeros(0, np.int64)
        i_all = np.concatenate(index_of) if index_of else np.zeros(0, np.int64)
        return _Table(parts, seq_all[order], _Locator(batches, b_all[order], i_all[order]))


def _model_columns(parts: Parts, table: Table) -> pd.DataFrame:
    """Field columns under the models' names (the companies frame renames one)."""
    if table == "companies":
        return parts.base.rename(columns={v: k for k, v in COMPANY_RENAMES.items()})
    return parts.base


def _known_date(parts: Parts) -> pd.Series:
    schema = table_schema("evidence")
    view = FrameView(
        {c: parts.base[c] for c in parts.base.columns}, len(parts.base), items=parts.items
    )
    for model in schema.models.values():
        for derived in model.derived:
            if derived.name == "known_date":
                return pd.Series(pd.to_datetime(pd.Series(derived.compute(view))))
    return pd.Series(pd.NaT, index=range(len(parts.base)))


def _run_checks(
    checks: Iterable[Any],
    ctx: CheckContext,
    table: Table,
    tbl: _Table,
    record_problems: dict[int, list[Problem]],
    report_problems: list[Problem],
) -> np.ndarray:
    bad = np.zeros(len(tbl.seq), dtype=bool)
    for check in checks:
        findings: list[Finding] = check(ctx)
        for _table, position, found in findings:
            if position is None:
                report_problems.append(found)
                continue
            record_problems.setdefault(int(tbl.seq[position]), []).append(found)
            if found.severity == "error":
                bad[position] = True
    return bad


def load_evidence(
    *paths: PathLike,
    strict: bool = True,
    as_of: dt.date | None = None,
    allow_unknown_fields: bool = False,
    limits: Limits | None = None,
    engine: Engine = "columnar",
) -> EvidenceSet:
    """Load and validate an evidence bundle.

    Every problem of every file is collected. In strict mode (the default) any error raises
    :class:`EvidenceValidationError` carrying the whole report. In lenient mode
    (``strict=False``) the valid records are returned and the rejected ones are listed in
    ``evidence_set.report.rejected``; ``valid + rejected == read`` for each table. Records
    mentioning a date after ``as_of`` are kept, with one warning that counts them.

    >>> from bhrscore import load_evidence
    >>> ev = load_evidence("examples/kazakhstan", as_of=dt.date(2026, 11, 23))  # doctest: +SKIP
    >>> ev.report.ok  # doctest: +SKIP
    True
    """
    if not paths:
        raise ValueError("give at least one path")
    if engine not in ("columnar", "records"):
        raise ValueError(f"unknown engine {engine!r}; use 'columnar' or 'records'")
    # Sector codes are checked against the packaged ones plus the bundles' vocabulary.yaml;
    # both engines (and the cross-record checks) read it from the context variable.
    vocabulary, vocabulary_problems = bundle_sector_vocabulary(paths)
    try:
        with use_sector_vocabulary(vocabulary):
            return _load(
                paths,
                strict,
                as_of,
                allow_unknown_fields,
                limits or Limits(),
                engine,
                vocabulary_problems,
            )
    finally:  # once the loader's temporaries are gone
        give_back_memory()


def _load(
    paths: tuple[PathLike, ...],
    strict: bool,
    as_of: dt.date | None,
    allow_unknown_fields: bool,
    limits: Limits,
    engine: Engine,
    vocabulary_problems: list[Problem],
) -> EvidenceSet:
    """The body of :func:`load_evidence`, run with the bundle's sector vocabulary in effect."""
    report = ValidationReport()
    found, problems = discover(paths)
    problems += vocabulary_problems
    report.files = [str(p) for p, _ in found]
    file_problems: list[Problem] = []
    stream = read_all(found, limits, allow_unknown_fields, file_problems)
    if engine == "records":
        from ._reference import validate_records

        batches = list(stream)
        file_problems += _no_companies_read(found, problems, batches)
        report.add(problems + file_problems)
        return validate_records(batches, report, strict=strict, as_of=as_of)

    batches = []
    offsets: list[int] = []
    record_problems: dict[int, list[Problem]] = {}
    accepting = {t: _Accepting(t, limits) for t in ("companies", "evidence")}
    offset = 0
    for batch in read_ahead(stream):
        batches.append(batch)
        offsets.append(offset)
        report.read[batch.table] += batch.n
        accepting[batch.table].add(batch, len(batches) - 1, offset, record_problems)
        batch.release()  # keep where records are, not their raw data
        give_back_memory()
        offset += batch.n
    file_problems += _no_companies_read(found, problems, batches)
    report.add(problems + file_problems)
    companies = accepting["companies"].finish(batches)
    evidence = accepting["evidence"].finish(batches)
    set_problems: list[Problem] = []
    locate = {"companies": companies.locator, "evidence": evidence.locator}
    ctx = CheckContext(
        _model_columns(companies.parts, "companies"),
        evidence.parts.base,
        as_of,
        locate,
    )
    bad_companies = _run_checks(
        COMPANY_CHECKS.values(), ctx, "companies", companies, record_problems, set_problems
    )
    ids = companies.parts.base["id"].astype("string").to_numpy(dtype=object)
    rejected_ids = frozenset(str(i) for i in ids[bad_companies])
    kept_c = np.flatnonzero(~bad_companies)
    company_parts = take(companies.parts, kept_c, "companies")
    ctx = CheckContext(
        _model_columns(company_parts, "companies"),
        evidence.parts.base,
        as_of,
        locate,
        rejected_ids,
        _known_date(evidence.parts) if as_of is not None else None,
        companies_read=report.read["companies"] > 0,
    )
    bad_evidence = _run_checks(
        EVIDENCE_CHECKS.values(), ctx, "evidence", evidence, record_problems, set_problems
    )
    evidence_parts = take(evidence.parts, np.flatnonzero(~bad_evidence), "evidence")
    _finish_report(report, batches, offsets, record_problems, set_problems)
    report.valid["companies"] = len(company_parts)
    report.valid["evidence"] = len(evidence_parts)
    for table in ("companies", "evidence"):
        assert report.valid[table] + report.rejected_count(table) == report.read[table]
    if strict and not report.ok:
        raise EvidenceValidationError(report)
    return EvidenceSet.from_parts(company_parts, evidence_parts, report)


#: what ``next`` gives :func:`read_ahead`'s worker at the end of the items
_END = object()


def read_ahead(items: Iterator[T]) -> Generator[T, None, None]:
    """``items`` read one ahead on a worker thread: the next chunk is parsed (pyarrow, outside
    the GIL) while this one is validated. The worker runs in a copy of the caller's context
    (the sector vocabulary in effect); its errors are raised here; when the caller stops
    early, the item being read is finished and dropped."""
    context = contextvars.copy_context()

    def following() -> object:
        return context.run(next, items, _END)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bhrscore-read") as pool:
        pending = pool.submit(following)
        while (item := pending.result()) is not _END:
            pending = pool.submit(following)
            yield cast(T, item)


@lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim`` (``None`` elsewhere, e.g. macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def give_back_memory() -> None:
    """Return memory freed while loading to the operating system: glibc keeps the pages of
    freed objects (the temporaries of each chunk) and Arrow's pool its freed blocks, so the
    resident memory would otherwise stay at its high-water mark for every later stage."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _finish_report(
    report: ValidationReport,
    batches: list[Batch],
    offsets: list[int],
    record_problems: dict[int, list[Problem]],
    set_problems: list[Problem],
) -> None:
    """Rejected records in reading order, their problems, then problems about the set."""
    starts = np.array(offsets, dtype=np.int64)
    for idx in sorted(record_problems):
        b_idx = int(np.searchsorted(starts, idx, side="right") - 1)
        batch = batches[b_idx]
        raw = batch.raw(idx - int(starts[b_idx]))
        found = record_problems[idx]
        if any(p.severity == "error" for p in found):
            report.rejected.append(
                Rejected(
                    raw.file,
                    raw.data,
                    tuple(found),
                    raw.row,
                    raw.sheet,
                    raw.pointer,
                    raw.table,
                )
            )
        report.add(found)
    report.add(set_problems)
    report.problems = unique(report.problems)


def unique(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out
