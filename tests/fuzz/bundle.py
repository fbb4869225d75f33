"""The valid bundle every fuzz run starts from, and the checks every damaged copy must pass.

The bundle is small (3 fictional companies, 12 records of every kind) so that one run of the
library load plus the CLI takes a fraction of a second; it is written once per session in
each format: JSON Lines, one JSON document, CSV and an .xlsx workbook (sheets ``Companies``
and ``Evidence``, written by openpyxl from the CSV rows).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.evidence.load import load_evidence
from bhrscore.synthetic import DEFAULT_AS_OF, synthetic_evidence

AS_OF = DEFAULT_AS_OF
TABLES = ("companies", "evidence")

#: examples per fuzz test when ``BHRSCORE_FUZZ_EXAMPLES`` is not set: together about a
#: minute on a quiet two-core machine (the budget issue 12 asks for).
DEFAULT_EXAMPLES: dict[str, int] = {
    "jsonl": 40,
    "json": 30,
    "csv": 40,
    "xlsx-cells": 15,
    "xlsx-bytes": 30,
    "outputs": 4,
    "rubric": 25,
}


def examples(target: str) -> int:
    """Examples for one fuzz test: ``BHRSCORE_FUZZ_EXAMPLES`` (per test; the slow outputs
    test gets a tenth of it) or the default."""
    value = os.environ.get("BHRSCORE_FUZZ_EXAMPLES", "").strip()
    if not value:
        return DEFAULT_EXAMPLES[target]
    n = int(value)
    if n < 1:
        raise ValueError(f"BHRSCORE_FUZZ_EXAMPLES must be a positive integer, got {value!r}")
    return max(1, n // 10) if target == "outputs" else n


def valid_bundle() -> EvidenceSet:
    return synthetic_evidence(3, 12, seed=7, as_of=AS_OF)


class Originals:
    """The valid bundle's files, as bytes, per format (a plain class: Hypothesis would print
    a dataclass field by field on failure)."""

    def __init__(self, files: dict[str, dict[str, bytes]], csv_text: dict[str, str]) -> None:
        self.files = files
        self.csv_text = csv_text  # companies / evidence CSV, the source of the workbook rows

    def __repr__(self) -> str:  # Hypothesis prints the test's arguments on failure
        return f"Originals({', '.join(self.files)})"


def originals(root: Path) -> Originals:
    from bhrscore.evidence.write import write_evidence

    from .mutate import parse_csv, workbook

    ev = valid_bundle()
    files: dict[str, dict[str, bytes]] = {}
    for fmt in ("jsonl", "json", "csv"):
        out = root / fmt
        write_evidence(ev, out, format=fmt)
        files[fmt] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    csv_text = {t: files["csv"][f"{t}.csv"].decode("utf-8") for t in TABLES}
    sheets = {t.title(): parse_csv(csv_text[t]) for t in TABLES}

    class Keep:  # draws nothing: the workbook as written
        def draw(self, strategy: Any) -> Any:
            return "keep"

    files["xlsx"] = {"bundle.xlsx": workbook(Keep(), sheets)}  # type: ignore[arg-type]
    return Originals(files, csv_text)


@contextlib.contextmanager
def bundle_dir(root: Path, files: dict[str, bytes]) -> Iterator[Path]:
    """A fresh directory holding ``files`` (removed afterwards)."""
    with tempfile.TemporaryDirectory(dir=root) as name:
        path = Path(name)
        for file, content in files.items():
            (path / file).write_bytes(content)
        yield path


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """The CLI in-process: (exit code, stdout, stderr). An exception that escapes ``main`` is
    not caught here: it fails the test (and Hypothesis shrinks the input)."""
    from bhrscore.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code
        else:
            raise AssertionError("the CLI returned without an exit code")
    assert isinstance(code, int) or code is None, f"exit code {code!r}"
    return int(code or 0), out.getvalue(), err.getvalue()


def check_load(path: Path) -> EvidenceSet:
    """The library's lenient load: nothing escapes, and the counts add up."""
    ev = load_evidence(path, strict=False, as_of=AS_OF)
    report = ev.report
    for table in TABLES:
        assert report.valid[table] + report.rejected_count(table) == report.read[table], (
            table,
            dict(report.read),
            dict(report.valid),
            report.rejected_count(table),
        )
    assert len(ev.companies) == report.valid["companies"]
    assert len(ev.evidence) == report.valid["evidence"]
    # nothing rejected silently: every rejected record carries its problems, and a report
    # with rejected records is not ok
    assert all(r.problems for r in report.rejected)
    if report.rejected:
        assert not report.ok
    for p in report.problems:
        assert p.file, p
        assert p.message, p
        assert p.code, p
    if os.environ.get("BHRSCORE_FUZZ_ENGINES") == "1":
        same_as_records_engine(path, ev)
    return ev


def same_as_records_engine(path: Path, ev: EvidenceSet) -> None:
    """Opt-in (``BHRSCORE_FUZZ_ENGINES=1``, doubles the cost): the record-by-record reference
    loader reports the same problems and accepts the same records as the columnar one."""
    ref = load_evidence(path, strict=False, as_of=AS_OF, engine="records")
    assert ev.report.problems == ref.report.problems
    assert dict(ev.report.read) == dict(ref.report.read)
    assert dict(ev.report.valid) == dict(ref.report.valid)
    assert ev.evidence == ref.evidence
    assert ev.companies == ref.companies


def check_validate(path: Path, ev: EvidenceSet, fmt: str) -> None:
    """``bhrscore validate``: exit 0 or 1 (matching the library's verdict), no traceback,
    and in JSON the same counts as the library."""
    args = ["validate", str(path), "--as-of", AS_OF.isoformat(), "--format", fmt]
    code, out, err = run_cli(args)
    assert "Traceback" not in out + err, err[-3000:]
    assert code == (0 if ev.report.ok else 1), (code, err[-3000:])
    if fmt == "json":
        doc = json.loads(out)
        assert doc["read"] == dict(ev.report.read)
        assert doc["valid"] == dict(ev.report.valid)
        for table in TABLES:
            assert doc["valid"].get(table, 0) + doc["rejected"][table] == doc["read"].get(table, 0)
        assert len(doc["problems"]) == len(ev.report.problems)


def check_bundle(path: Path, fmt: str) -> EvidenceSet:
    ev = check_load(path)
    check_validate(path, ev, fmt)
    return ev
