"""``bhrscore import NAME SRC OUT``: a publisher's released files -> a bhrscore bundle."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .common import EXIT_DATA, err_console, existing_path, fail, parse_date
from .formats import emit_csv, emit_json, format_option, note
from .safe_text import safe

if TYPE_CHECKING:
    from ..importers import Imported


def _importer_names() -> list[str]:
    from ..importers import importers

    return list(importers())


@click.command(name="import")
@click.argument("name", metavar="NAME")
@click.argument("src", metavar="SRC")
@click.argument("out", metavar="OUT")
@click.option(
    "--release",
    default=None,
    metavar="ID",
    help="Which release in SRC to read (e.g. 2022); default: the newest.",
)
@click.option(
    "--date",
    "date",
    callback=parse_date,
    default=None,
    metavar="YYYY-MM-DD",
    help="Publication date of the release; every record is dated to it.",
)
@click.option(
    "--source-url",
    default=None,
    metavar="URL",
    help="Where the files are published (best pinned to a commit); records cite URL/FILE.",
)
@click.option(
    "--out-format",
    "out_format",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
    help="Format of OUT/companies.* and OUT/evidence.*.",
)
@format_option(
    help="Output: text for people; csv or json (what was imported and written) for programs."
)
def import_bundle(
    name: str,
    src: str,
    out: str,
    release: str | None,
    date: dt.date | None,
    source_url: str | None,
    out_format: str,
    fmt: str,
) -> None:
    """Import a published benchmark dataset (NAME: rdr) from SRC into the bundle directory
    OUT: companies, one assessment per company and indicator sourced to the published file,
    the publisher's method as OUT/rubric.yaml and its own scores in OUT/published/scores.csv.
    Rows that cannot be mapped are listed with file, line and column; then nothing is
    written (exit 1)."""
    from ..importers import (
        ImporterError,
        ImportOptions,
        ImportProblemsError,
        read_import,
        write_import,
    )

    names = _importer_names()
    if name not in names:
        fail(f"unknown importer {name!r} (known: {', '.join(names)})")
    existing_path(src)
    try:
        imported = read_import(
            name, src, ImportOptions(release=release, source_url=source_url, date=date)
        )
    except ImporterError as exc:
        fail(str(exc))
    for problem in imported.report.problems:  # errors, and warnings of machine formats: stderr
        if imported.ok and fmt == "text":
            note(str(problem))
        else:
            err_console.print(safe(str(problem)), markup=False)
    try:
        written = write_import(imported, out, out_format)
    except ImporterError as exc:
        fail(str(exc))
    except ImportProblemsError as exc:
        _emit(fmt, _summary(name, out, imported, []))
        n = len(exc.report.errors)
        err_console.print(
            f"error: {n} row(s) or file(s) could not be mapped (listed above); nothing was "
            f"written to {out}",
            markup=False,
        )
        raise click.exceptions.Exit(EXIT_DATA) from None
    summary = _summary(name, out, imported, written)
    if fmt != "text":
        _emit(fmt, summary)
        return
    note(
        f"Imported {name} release {imported.release} (layout {imported.layout}): "
        f"{summary['companies']} companies, {summary['records']} records "
        f"({summary['not_applicable']} not applicable), "
        f"{summary['indicators']} indicators in the rubric."
    )
    note("Wrote " + ", ".join(str(p) for p in written))
    as_of = date.isoformat() if date else "YYYY-MM-DD"
    note(
        f"Next: bhrscore validate {out} --as-of {as_of}\n"
        f"      bhrscore score {out} --rubric {out}/rubric.yaml --as-of {as_of}"
    )


def _summary(name: str, out: str, imported: Imported, written: list[Path]) -> dict[str, Any]:
    """What was imported and written, for ``--format json|csv`` (docs/cli.md)."""
    counts = imported.manifest.get("counts", {})
    return {
        "ok": imported.ok and bool(written),
        "importer": name,
        "release": imported.release,
        "layout": imported.layout,
        "out": out,
        "companies": len(imported.companies),
        "records": len(imported.evidence),
        "not_applicable": counts.get("not_applicable", 0),
        "indicators": counts.get("indicators_scored_by_rubric", 0),
        "written": [str(p) for p in written],
        "problems": [p.to_dict() for p in imported.report.problems],
    }


def _emit(fmt: str, summary: dict[str, Any]) -> None:
    """The summary as one JSON document, or as one CSV row (lists joined, problems counted)."""
    if fmt == "json":
        emit_json(summary)
    elif fmt == "csv":
        import pandas as pd

        row = summary | {"problems": len(summary["problems"])}
        emit_csv(pd.DataFrame([row]))
