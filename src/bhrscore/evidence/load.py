"""``load_evidence``: find the files of a bundle, read them, validate every record and every
cross-record rule, and return an :class:`EvidenceSet` with a complete report.

A bundle is a directory holding ``companies.<ext>`` and one or more ``evidence*.<ext>`` files
(``<ext>`` one of json, jsonl, csv, xlsx) or a ``bundle.json``/``bundle.xlsx``; a workbook with
``Companies`` and ``Evidence`` sheets; or a JSON file ``{"companies": [...], "evidence":
[...]}``. Several paths may be given.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .checks import COMPANY_CHECKS, EVIDENCE_CHECKS, CheckContext
from .evidence_set import EvidenceSet
from .flat import columns
from .model import Company, EvidenceBase
from .parse import Located, parse_company, parse_evidence
from .read import FLAT_FORMATS, READERS, Layout, Limits, RawRecord, Table
from .registry import evidence_kinds
from .report import EvidenceValidationError, Problem, Rejected, ValidationReport
from .sectors import bundle_sector_vocabulary, use_sector_vocabulary

PathLike = str | os.PathLike[str]


def layouts() -> dict[str, Layout]:
    """The flat layouts of the two tables (evidence: the union over all kinds)."""
    evidence_cols = {c.name: c for model in evidence_kinds().values() for c in columns(model)}
    base = {c.name for c in columns(EvidenceBase)}
    required = [c for c in evidence_cols.values() if c.name in base]
    lay = Layout.from_columns(list(evidence_cols.values()))
    req = Layout.from_columns(required).required
    return {
        "companies": Layout.from_columns(list(columns(Company))),
        "evidence": Layout(lay.known, req, lay.lists),
    }


def _table_of(path: Path) -> Table | None:
    stem = path.name.split(".")[0].lower()
    if stem == "companies":
        return "companies"
    if stem.startswith("evidence"):
        return "evidence"
    return None


def discover(paths: Iterable[PathLike]) -> tuple[list[tuple[Path, Table | None]], list[Problem]]:
    """The data files named by ``paths`` and the table each holds (None: a bundle file)."""
    found: list[tuple[Path, Table | None]] = []
    problems: list[Problem] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise FileNotFoundError(2, "No such file or directory", str(path))
        if path.is_dir():
            data = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in READERS)
            if not data:
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
                problems.append(
                    Problem(
                        str(path),
                        "no companies file (companies.json, .jsonl, .csv or .xlsx)",
                        code="no-companies",
                        severity="warning",
                    )
                )
        elif path.suffix.lower() not in READERS:
            problems.append(
                Problem(
                    str(path),
                    f"unsupported file type {path.suffix!r}; use {', '.join(sorted(READERS))}",
                    code="unsupported-format",
                )
            )
        else:
            table = _table_of(path)
            bundle_like = path.suffix.lower() in {".xlsx", ".json"} and table is None
            found.append((path, None if bundle_like else table or "evidence"))
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


def _read(
    found: list[tuple[Path, Table | None]],
    limits: Limits,
    allow_unknown: bool,
) -> tuple[list[RawRecord], list[Problem]]:
    lay = layouts()
    records: list[RawRecord] = []
    problems: list[Problem] = []
    for path, table in found:
        reader = READERS[path.suffix.lower()]
        kwargs: dict[str, Any] = {}
        if path.suffix.lower() in FLAT_FORMATS:
            kwargs["allow_unknown"] = allow_unknown
            # a workbook may hold both tables whatever its name; other files hold one
            layout: Any = lay if table is None or path.suffix.lower() == ".xlsx" else lay[table]
        else:
            layout = None
        result = reader(path, table, layout, limits, **kwargs)
        records += result.records
        problems += result.problems
    return records, problems


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def load_evidence(
    *paths: PathLike,
    strict: bool = True,
    as_of: dt.date | None = None,
    allow_unknown_fields: bool = False,
    limits: Limits | None = None,
) -> EvidenceSet:
    """Load and validate an evidence bundle.

    Every problem of every file is collected. In strict mode (the default) any error raises
    :class:`EvidenceValidationError` carrying the whole report. In lenient mode
    (``strict=False``) the valid records are returned and the rejected ones are listed in
    ``evidence_set.report.rejected``; ``valid + rejected == read`` for each table.

    >>> from bhrscore import load_evidence
    >>> ev = load_evidence("examples/kazakhstan", as_of=dt.date(2026, 11, 23))  # doctest: +SKIP
    >>> ev.report.ok  # doctest: +SKIP
    True
    """
    if not paths:
        raise ValueError("give at least one path")
    # Sector codes are checked against the packaged ones plus the bundles' vocabulary.yaml.
    vocabulary, vocabulary_problems = bundle_sector_vocabulary(paths)
    with use_sector_vocabulary(vocabulary):
        return _load(paths, strict, as_of, allow_unknown_fields, limits, vocabulary_problems)


def _load(
    paths: tuple[PathLike, ...],
    strict: bool,
    as_of: dt.date | None,
    allow_unknown_fields: bool,
    limits: Limits | None,
    vocabulary_problems: list[Problem],
) -> EvidenceSet:
    report = ValidationReport()
    found, problems = discover(paths)
    problems += vocabulary_problems
    report.files = [str(p) for p, _ in found]
    raws, file_problems = _read(found, limits or Limits(), allow_unknown_fields)
    report.add(problems + file_problems)

    record_problems: dict[int, list[Problem]] = {}
    companies: list[Located[Company]] = []
    company_raw_idx: list[int] = []
    evidence: list[Located[EvidenceBase]] = []
    evidence_raw_idx: list[int] = []
    for idx, raw in enumerate(raws):
        report.read[raw.table] += 1
        if raw.problems:
            record_problems[idx] = list(raw.problems)
            continue
        if raw.table == "companies":
            company, errs = parse_company(raw)
            if company is not None:
                companies.append(Located(company, raw))
                company_raw_idx.append(idx)
        else:
            record, errs = parse_evidence(raw)
            if record is not None:
                evidence.append(Located(record, raw))
                evidence_raw_idx.append(idx)
        if errs:
            record_problems[idx] = errs

    ctx = CheckContext(companies, evidence, as_of)
    bad_companies: set[int] = set()
    for check in COMPANY_CHECKS.values():
        for _table, i, problem in check(ctx):
            record_problems.setdefault(company_raw_idx[i], []).append(problem)
            bad_companies.add(i)
    kept_companies = [c for i, c in enumerate(companies) if i not in bad_companies]
    rejected_ids = frozenset(c.model.id for i, c in enumerate(companies) if i in bad_companies)
    ctx = CheckContext(kept_companies, evidence, as_of, rejected_ids)
    bad_evidence: set[int] = set()
    for check in EVIDENCE_CHECKS.values():
        for _table, i, problem in check(ctx):
            record_problems.setdefault(evidence_raw_idx[i], []).append(problem)
            bad_evidence.add(i)
    kept_evidence = [e for i, e in enumerate(evidence) if i not in bad_evidence]

    for idx in sorted(record_problems):
        raw = raws[idx]
        report.rejected.append(
            Rejected(
                raw.file,
                raw.data,
                tuple(record_problems[idx]),
                raw.row,
                raw.sheet,
                raw.pointer,
                raw.table,
            )
        )
        report.add(record_problems[idx])
    report.problems = _unique(report.problems)
    report.valid["companies"] = len(kept_companies)
    report.valid["evidence"] = len(kept_evidence)
    for table in ("companies", "evidence"):
        assert report.valid[table] + report.rejected_count(table) == report.read[table]
    if strict and not report.ok:
        raise EvidenceValidationError(report)
    return EvidenceSet(
        tuple(c.model for c in kept_companies), tuple(e.model for e in kept_evidence), report
    )
