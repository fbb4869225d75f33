"""``bhrscore validate PATH...``: check evidence files and print a readable report."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from ..evidence.load import load_evidence
from ..evidence.report import ValidationReport
from .common import AS_OF, EXIT_DATA, console, existing_path


def _print_report(report: ValidationReport, counts: dict[str, Any]) -> None:
    status = "[green]valid[/]" if report.ok else "[bold red]invalid[/]"
    console.print(f"Evidence bundle: {status}  ({len(report.files)} file(s) read)")
    summary = Table(title=None, show_edge=False, box=None, pad_edge=False)
    for col in ("table", "read", "valid", "rejected"):
        summary.add_column(col, justify="right" if col != "table" else "left")
    for table in ("companies", "evidence"):
        summary.add_row(
            table,
            str(report.read[table]),
            str(report.valid[table]),
            str(report.rejected_count(table)),
        )
    console.print(summary)
    if counts["kind"]:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(counts["kind"].items()))
        statuses = ", ".join(f"{k} {n}" for k, n in sorted(counts["status"].items()))
        console.print(f"By kind: {kinds}")
        console.print(f"By status: {statuses}")
    for file, problems in report.by_file().items():
        errors = sum(p.severity == "error" for p in problems)
        console.print(
            f"\n[bold]{escape(file)}[/]: {errors} error(s), {len(problems) - errors} warning(s)"
        )
        for p in problems:
            colour = "red" if p.severity == "error" else "yellow"
            where = ""
            if p.sheet:
                where += f"sheet {p.sheet} "
            if p.row is not None:
                where += f"row {p.row}" + (f" col {p.column}" if p.column else "")
            elif p.pointer is not None:
                where += p.pointer
            field = f"{p.field}: " if p.field else ""
            value = f" (got {p.value!r})" if p.value is not None else ""
            text = escape(f"{where.strip() or '-'}: {field}{p.message}{value}")
            console.print(f"  [{colour}]{p.severity}[/] {text}", markup=True)


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@AS_OF
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option("--allow-unknown-fields", is_flag=True, help="Ignore unknown columns (warn).")
def validate(
    paths: tuple[str, ...], as_of: dt.date | None, fmt: str, allow_unknown_fields: bool
) -> None:
    """Validate evidence files or bundles: exit 0 if valid, 1 if not, 2 on usage errors."""
    for p in paths:
        existing_path(p)
    evidence = load_evidence(
        *paths, strict=False, as_of=as_of, allow_unknown_fields=allow_unknown_fields
    )
    report = evidence.report
    counts = evidence.counts()
    if fmt == "json":
        doc = report.to_dict() | {"counts": {k: dict(v) for k, v in counts.items()}}
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        _print_report(report, counts)
    if not report.ok:
        raise click.exceptions.Exit(EXIT_DATA)
