"""``bhrscore check RUBRIC_OR_DIR...``: validate rubric files and run their golden cases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .common import EXIT_DATA, EXIT_OK, EXIT_USAGE, console, err_console
from .formats import emit_csv, emit_json, format_option
from .safe_text import markup, safe

if TYPE_CHECKING:
    from ..rubric.check import CheckReport


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="RUBRIC_OR_DIR...")
@click.option("-q", "--quiet", is_flag=True, help="Print only failures and the summary.")
@format_option(
    "github",
    help="Output: text for people; csv or json for programs; github for GitHub Actions "
    "annotations on the rubric's YAML line.",
)
def check(paths: tuple[str, ...], quiet: bool, fmt: str) -> None:
    """Validate rubric files and run their golden cases (sibling NAME.cases.yaml files).

    In a directory, data files that are not rubrics (no ``tree``) are skipped with a note.
    Exit 0 when every rubric is valid and every case passes, 1 otherwise, 2 on usage errors
    (e.g. a path that does not exist).
    """
    from ..rubric.check import check_paths

    report = check_paths(paths)
    missing = [e for e in report.errors if e.endswith("no such file or directory")]
    if fmt == "json":
        emit_json(check_document(report))
    elif fmt == "csv":
        import pandas as pd

        emit_csv(pd.DataFrame(check_rows(report), columns=list(CSV_COLUMNS)))
    elif fmt == "github":
        from .github import print_annotations

        print_annotations(check_annotations(report))
        err_console.print(report.summary(), markup=False)
    else:
        _print_text(report, quiet)
    if missing and not report.rubrics and not report.cases:
        raise SystemExit(EXIT_USAGE)
    raise SystemExit(EXIT_OK if report.ok and not missing else EXIT_DATA)


def _print_text(report: CheckReport, quiet: bool) -> None:
    for error in report.errors:
        err_console.print(f"[bold red]error:[/] {markup(error)}", markup=True, highlight=False)
    if not quiet:
        for note in report.notes:
            console.print(f"note: {safe(note)}", markup=False)
    for rubric_path, rubric in report.rubrics.items():
        if rubric is not None and not quiet:
            console.print(
                f"{safe(rubric_path)}: valid ({safe(rubric.id)} {safe(rubric.version)})",
                markup=False,
            )
    for case in report.cases:
        where = markup(f"{case.file}::{case.name}")
        if case.ok:
            if not quiet:
                console.print(f"[green]PASS[/] {where}", markup=True)
        else:
            console.print(f"[bold red]FAIL[/] {where}", markup=True)
            if case.error:
                console.print(f"  {safe(case.error)}", markup=False)
            for m in case.mismatches:
                console.print(f"  {safe(str(m))}", markup=False)
    console.print(report.summary(), markup=False)


def _problems(report: CheckReport) -> list[tuple[str, str | None, str, int | None, int | None]]:
    """Every error line as (file, YAML path or None, message, line, column)."""
    from .github import locate, split_problem

    files = [*report.rubrics, *{c.file for c in report.cases}]
    out = []
    for error in report.errors:
        for text in error.splitlines():
            file, path, message = split_problem(text, files)
            line, col = locate(file, path, message)
            out.append((file, path, message, line, col))
    return out


def _case_line(case: Any, mismatch: Any = None) -> int | None:
    from .github import case_line

    if mismatch is None:
        return case_line(case.file, case.name)
    return case_line(case.file, case.name, str(mismatch.company_id), str(mismatch.key))


def check_document(report: CheckReport) -> dict[str, Any]:
    """The ``--format json`` document (shape documented in docs/cli.md)."""
    return {
        "ok": report.ok,
        "summary": report.summary(),
        "rubrics": [
            {
                "file": path,
                "valid": rubric is not None,
                "id": rubric.id if rubric is not None else None,
                "version": rubric.version if rubric is not None else None,
            }
            for path, rubric in report.rubrics.items()
        ],
        "errors": [
            {"file": f, "path": p, "line": line, "message": m}
            for f, p, m, line, _col in _problems(report)
        ],
        "notes": list(report.notes),
        "cases": [
            {
                "file": c.file,
                "name": c.name,
                "ok": c.ok,
                "line": _case_line(c),
                "error": c.error,
                "mismatches": [
                    {
                        "company_id": m.company_id,
                        "key": m.key,
                        "expected": m.expected,
                        "actual": m.actual,
                        "line": _case_line(c, m),
                    }
                    for m in c.mismatches
                ],
            }
            for c in report.cases
        ],
    }


CSV_COLUMNS = ("type", "file", "line", "path", "name", "ok", "message")


def check_rows(report: CheckReport) -> list[tuple[Any, ...]]:
    """``--format csv``: one row per rubric, error, note, case and mismatch."""
    rows: list[tuple[Any, ...]] = []
    for path, rubric in report.rubrics.items():
        label = f"{rubric.id} {rubric.version}" if rubric is not None else "invalid"
        rows.append(("rubric", path, None, None, None, rubric is not None, label))
    for f, p, message, line, _col in _problems(report):
        rows.append(("error", f, line, p, None, False, message))
    for text in report.notes:
        rows.append(("note", None, None, None, None, None, text))
    for c in report.cases:
        rows.append(("case", c.file, _case_line(c), None, c.name, c.ok, c.error or ""))
        for m in c.mismatches:
            rows.append(("mismatch", c.file, _case_line(c, m), None, c.name, False, str(m)))
    return rows


def check_annotations(report: CheckReport) -> list[Any]:
    """``--format github``: an error annotation per rubric problem (on its YAML line) and per
    failing case (on the case, or on the expected value that differs)."""
    from .github import Annotation

    notes: list[Annotation] = []
    for f, p, message, line, col in _problems(report):
        title = f"bhrscore check: {p}" if p else "bhrscore check"
        notes.append(Annotation("error", f, message, title, line, col))
    for c in report.cases:
        if c.ok:
            continue
        title = f"bhrscore check: case {c.name} failed"
        if c.error:
            notes.append(Annotation("error", c.file, c.error, title, _case_line(c)))
        for m in c.mismatches:
            notes.append(Annotation("error", c.file, str(m), title, _case_line(c, m)))
    return notes
