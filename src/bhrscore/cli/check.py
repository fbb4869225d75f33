"""``bhrscore check RUBRIC_OR_DIR...``: validate rubric files and run their golden cases."""

from __future__ import annotations

import click
from rich.markup import escape

from .common import EXIT_DATA, EXIT_OK, EXIT_USAGE, console, err_console


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="RUBRIC_OR_DIR...")
@click.option("-q", "--quiet", is_flag=True, help="Print only failures and the summary.")
def check(paths: tuple[str, ...], quiet: bool) -> None:
    """Validate rubric files and run their golden cases (sibling NAME.cases.yaml files).

    In a directory, data files that are not rubrics (no ``tree``) are skipped with a note.
    Exit 0 when every rubric is valid and every case passes, 1 otherwise, 2 on usage errors
    (e.g. a path that does not exist).
    """
    from ..rubric.check import check_paths

    report = check_paths(paths)
    missing = [e for e in report.errors if e.endswith("no such file or directory")]
    for error in report.errors:
        err_console.print(f"[bold red]error:[/] {escape(error)}", markup=True, highlight=False)
    if not quiet:
        for note in report.notes:
            console.print(f"note: {note}", markup=False)
    for rubric_path, rubric in report.rubrics.items():
        if rubric is not None and not quiet:
            console.print(f"{rubric_path}: valid ({rubric.id} {rubric.version})")
    for case in report.cases:
        if case.ok:
            if not quiet:
                console.print(f"[green]PASS[/] {case.file}::{case.name}", markup=True)
        else:
            console.print(f"[bold red]FAIL[/] {case.file}::{case.name}", markup=True)
            if case.error:
                console.print(f"  {case.error}", markup=False)
            for m in case.mismatches:
                console.print(f"  {m}", markup=False)
    console.print(report.summary())
    if missing and not report.rubrics and not report.cases:
        raise SystemExit(EXIT_USAGE)
    raise SystemExit(EXIT_OK if report.ok and not missing else EXIT_DATA)
