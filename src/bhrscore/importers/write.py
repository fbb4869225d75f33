"""Write an :class:`~.base.Imported` as a bundle directory.

Layout (what ``bhrscore validate OUT`` reads is only the first two)::

    OUT/companies.csv         companies (or .jsonl)
    OUT/evidence.csv          evidence records (or .jsonl)
    OUT/rubric.yaml           the publisher's method as a bhrscore rubric
    OUT/import.yaml           what was read: importer, layout, files with SHA-256, options
    OUT/published/scores.csv  the publisher's own scores, for comparison (not evidence)
    OUT/...                   further files the importer gives (a region grouping, LICENSE)

Nothing is written when the import has errors, when the rubric does not validate, or when
``OUT`` already holds other bundle data files (they would be read together with the new
ones); every file is written atomically.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import BaseModel

from ..evidence.flat import columns, expand, flatten
from ..evidence.read import READERS
from ..evidence.report import ValidationReport
from ..io import atomic_write_text
from ..rubric.model import parse_rubric
from .base import PUBLISHED_COLUMNS, Imported, ImporterError

FORMATS = ("csv", "jsonl")
RUBRIC_FILE = "rubric.yaml"
MANIFEST_FILE = "import.yaml"
PUBLISHED_FILE = "published/scores.csv"


class ImportProblemsError(ValueError):
    """Rows of the publisher's files could not be mapped; carries the whole report."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        n = len(report.errors)
        shown = "\n".join(f"  {p}" for p in report.errors[:20])
        more = f"\n  … and {n - 20} more" if n > 20 else ""
        super().__init__(
            f"{n} problem{'s' if n != 1 else ''} in the source files; nothing was written:\n"
            f"{shown}{more}"
        )


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


def _compact_csv(models: Sequence[BaseModel]) -> str:
    """Flat CSV with only the columns the records use, in the models' column order (the
    loader needs no more: absent optional columns are empty)."""
    rows = [flatten(_dump(m)) for m in models]
    used = {k for row in rows for k in row}
    slots = max(
        (sum(k.endswith(".url") and k.startswith("sources.") for k in r) for r in rows), default=1
    )
    order: list[str] = []
    for model in dict.fromkeys(type(m) for m in models):
        for name in expand(columns(model), slots=max(slots, 1)):
            if name in used and name not in order:
                order.append(name)
    header = [h for h in order if not h.startswith("sources.")] + [
        h for h in order if h.startswith("sources.")
    ]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header or ["id"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: ("true" if v is True else "false" if v is False else v) for k, v in row.items()}
        )
    return buf.getvalue()


def _jsonl(models: Sequence[BaseModel]) -> str:
    return "".join(json.dumps(_dump(m), ensure_ascii=False) + "\n" for m in models)


def _published_csv(imported: Imported) -> str:
    frame = imported.published
    missing = [c for c in PUBLISHED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"published scores lack columns {missing}")
    frame = frame[list(PUBLISHED_COLUMNS)].sort_values(["company_id", "node"], kind="stable")
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n", float_format=_shortest)
    return buf.getvalue()


def _shortest(value: object) -> str:
    """The shortest text that reads back as the same float (``48``, ``17.424242424242426``):
    published scores are kept exactly as the publisher's file gave them."""
    return repr(float(cast(float, value))).removesuffix(".0")


def _yaml(doc: Any, header: str) -> str:
    body = yaml.safe_dump(
        json.loads(json.dumps(doc)), sort_keys=False, allow_unicode=True, width=100
    )
    return header + body


def _conflicts(out: Path, fmt: str) -> list[Path]:
    """Bundle data files already in ``out`` that this import would not replace."""
    if not out.exists():
        return []
    if not out.is_dir():
        raise ImporterError(f"{out}: exists and is not a directory")
    ours = {f"companies.{fmt}", f"evidence.{fmt}"}
    found = []
    for p in sorted(out.iterdir()):
        if not p.is_file() or p.suffix.lower() not in READERS or p.name in ours:
            continue
        stem = p.name.split(".")[0].lower()  # the loader's rule (evidence/load.py)
        if stem in ("companies", "bundle") or stem.startswith("evidence"):
            found.append(p)
    return found


def write_import(imported: Imported, out: str | Path, fmt: str = "csv") -> list[Path]:
    """Write ``imported`` into the bundle directory ``out``; returns the files written.

    Raises :class:`ImportProblemsError` when rows could not be mapped (nothing written),
    :class:`ImporterError` for an unknown format or conflicting files in ``out``, and
    :class:`~bhrscore.rubric.model.RubricError` if the importer produced an invalid rubric.
    """
    if fmt not in FORMATS:
        raise ImporterError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not imported.ok:
        raise ImportProblemsError(imported.report)
    parse_rubric(imported.rubric, f"{imported.importer} rubric")  # never write a broken one
    out = Path(out)
    conflicts = _conflicts(out, fmt)
    if conflicts:
        names = ", ".join(str(p) for p in conflicts)
        raise ImporterError(
            f"{out} already holds bundle data files this import would not replace ({names}); "
            "they would be read with the new files: remove them or choose another directory"
        )
    companies = sorted(imported.companies, key=lambda c: c.id)
    evidence = sorted(imported.evidence, key=lambda e: e.id)
    render = _compact_csv if fmt == "csv" else _jsonl
    texts: dict[str, str] = {
        f"companies.{fmt}": render(companies),
        f"evidence.{fmt}": render(evidence),
        RUBRIC_FILE: _yaml(
            imported.rubric,
            f"# Written by `bhrscore import {imported.importer}` from release "
            f"{imported.release} (layout {imported.layout}); see {MANIFEST_FILE}.\n",
        ),
        PUBLISHED_FILE: _published_csv(imported),
        MANIFEST_FILE: _yaml(
            imported.manifest,
            "# What `bhrscore import` read to make this bundle.\n",
        ),
    }
    for name, text in imported.files.items():
        if name in texts or Path(name).is_absolute() or ".." in Path(name).parts:
            raise ValueError(f"importer file name {name!r} is reserved or not inside the bundle")
        texts[name] = text
    written = []
    for name, text in texts.items():
        target = out / name
        atomic_write_text(target, text)
        written.append(target)
    return written
