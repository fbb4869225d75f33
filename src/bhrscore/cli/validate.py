"""``bhrscore validate PATH...``: check evidence files and print a readable report."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from .common import AS_OF, EXIT_DATA, console, existing_path
from .formats import emit_csv, emit_json, format_option
from .inputs import PERSONAL_DATA
from .progress import QUIET, steps
from .render import Cell, Column, print_table
from .safe_text import markup

if TYPE_CHECKING:
    from ..evidence.report import Problem, ValidationReport


def _print_report(report: ValidationReport, counts: dict[str, Any]) -> None:
    status = "[green]valid[/]" if report.ok else "[bold red]invalid[/]"
    console.print(f"Evidence bundle: {status}  ({len(report.files)} file(s) read)")
    columns = [Column("table", "id", key=True), Column("read"), Column("valid"), Column("rejected")]
    rows: list[list[Cell]] = [
        [
            table,
            str(report.read[table]),
            str(report.valid[table]),
            str(report.rejected_count(table)),
        ]
        for table in ("companies", "evidence")
    ]
    print_table(columns, rows)
    if counts["kind"]:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(counts["kind"].items()))
        statuses = ", ".join(f"{k} {n}" for k, n in sorted(counts["status"].items()))
        console.print(f"By kind: {markup(kinds)}", soft_wrap=False)
        console.print(f"By status: {markup(statuses)}", soft_wrap=False)
    for file, problems in report.by_file().items():
        errors = sum(p.severity == "error" for p in problems)
        console.print(
            f"\n[bold]{markup(file)}[/]: {errors} error(s), {len(problems) - errors} warning(s)"
        )
        for p in problems:
            colour = "red" if p.severity == "error" else "yellow"
            text = markup(f"{_where(p) or '-'}: {_message(p)}")
            console.print(f"  [{colour}]{p.severity}[/] {text}", markup=True)


def _where(p: Problem) -> str:
    where = ""
    if p.sheet:
        where += f"sheet {p.sheet} "
    if p.row is not None:
        where += f"row {p.row}" + (f" col {p.column}" if p.column else "")
    elif p.pointer is not None:
        where += p.pointer
    return where.strip()


def _message(p: Problem) -> str:
    field = f"{p.field}: " if p.field else ""
    value = f" (got {p.value!r})" if p.value is not None else ""
    return f"{field}{p.message}{value}"


def _line(p: Problem) -> tuple[int | None, int | None]:
    """Line and column of a problem in its file: CSV and JSON Lines rows are file lines; a
    JSON pointer is looked up; spreadsheet rows have no line."""
    from .github import pointer_line

    if p.sheet or p.file.lower().endswith((".xlsx", ".xlsm")):
        return None, None
    if p.row is not None:
        return p.row, None
    if p.pointer is not None:
        found = pointer_line(p.file, p.pointer)
        if found is not None:
            return found
    return None, None


def problem_annotations(report: ValidationReport) -> list[Any]:
    """``--format github``: one annotation per problem, on its file and line."""
    from .github import Annotation

    notes = []
    for p in report.problems:
        line, col = _line(p)
        title = f"bhrscore validate: {p.field or p.code}"
        if line is None and _where(p):
            title += f" ({_where(p)})"
        level = "error" if p.severity == "error" else "warning"
        notes.append(Annotation(level, p.file, _message(p), title, line, col))  # type: ignore[arg-type]
    return notes


PROBLEM_COLUMNS = (
    "file",
    "sheet",
    "row",
    "column",
    "pointer",
    "line",
    "field",
    "severity",
    "code",
    "message",
    "value",
)


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@AS_OF
@format_option(
    "github",
    help="Output: text for people; json (the report) or csv (one row per problem) for "
    "programs; github for GitHub Actions annotations on each problem's file and line.",
)
@click.option("--allow-unknown-fields", is_flag=True, help="Ignore unknown columns (warn).")
@QUIET
@click.option(
    "--bundle-dirs",
    is_flag=True,
    help="Validate the directory of each PATH as one bundle (for pre-commit, which passes "
    "the changed files); each directory is checked on its own.",
)
@PERSONAL_DATA
def validate(
    paths: tuple[str, ...],
    as_of: dt.date | None,
    fmt: str,
    allow_unknown_fields: bool,
    quiet: bool,
    bundle_dirs: bool,
    include_personal_data: bool,
) -> None:
    """Validate evidence files or bundles: exit 0 if valid, 1 if not, 2 on usage errors.
    Names of persons in sensitive evidence are redacted in the problems shown, and no value
    of a rejected record that is (or may be) sensitive is echoed, unless
    --include-personal-data."""
    from ..evidence.load import load_evidence
    from ..evidence.privacy import Privacy

    for p in paths:
        existing_path(p)
    if bundle_dirs:
        from pathlib import Path

        groups: list[tuple[str, ...]] = [(d,) for d in sorted({str(Path(p).parent) for p in paths})]
    else:
        groups = [paths]
    loaded = []
    with steps(quiet) as step:
        for group in groups:
            step(f"Loading and validating {', '.join(group)}")
            evidence = load_evidence(
                *group, strict=False, as_of=as_of, allow_unknown_fields=allow_unknown_fields
            )
            report = evidence.report
            if not include_personal_data:
                report = Privacy.of(evidence).report(report)
            loaded.append((group, report, evidence.counts()))
    docs = {
        ", ".join(group): report.to_dict() | {"counts": {k: dict(v) for k, v in counts.items()}}
        for group, report, counts in loaded
    }
    if fmt == "json":
        emit_json(docs if bundle_dirs else next(iter(docs.values())))
    elif fmt == "csv":
        import pandas as pd

        rows = [{**p.to_dict(), "line": _line(p)[0]} for _g, r, _c in loaded for p in r.problems]
        emit_csv(pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS)))
    elif fmt == "github":
        from .github import print_annotations

        for _group, report, _counts in loaded:
            print_annotations(problem_annotations(report))
    else:
        for n, (group, report, counts) in enumerate(loaded):
            if bundle_dirs:
                console.print(("\n" if n else "") + f"[bold]{markup(group[0])}[/]")
            _print_report(report, counts)
    if not all(report.ok for _g, report, _c in loaded):
        raise click.exceptions.Exit(EXIT_DATA)
