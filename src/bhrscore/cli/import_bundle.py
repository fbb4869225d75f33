"""``bhrscore import NAME SRC OUT``: a publisher's released files -> a bhrscore bundle."""

from __future__ import annotations

import datetime as dt

import click

from .common import EXIT_DATA, console, err_console, existing_path, fail, parse_date


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
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
    help="Format of companies.* and evidence.*.",
)
def import_bundle(
    name: str,
    src: str,
    out: str,
    release: str | None,
    date: dt.date | None,
    source_url: str | None,
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
        for problem in imported.report.problems:
            (err_console if not imported.ok else console).print(str(problem), markup=False)
        written = write_import(imported, out, fmt)
    except ImporterError as exc:
        fail(str(exc))
    except ImportProblemsError as exc:
        n = len(exc.report.errors)
        err_console.print(
            f"error: {n} row(s) or file(s) could not be mapped (listed above); nothing was "
            f"written to {out}",
            markup=False,
        )
        raise click.exceptions.Exit(EXIT_DATA) from None
    counts = imported.manifest.get("counts", {})
    console.print(
        f"Imported {name} release {imported.release} (layout {imported.layout}): "
        f"{len(imported.companies)} companies, {len(imported.evidence)} records "
        f"({counts.get('not_applicable', 0)} not applicable), "
        f"{counts.get('indicators_scored_by_rubric', 0)} indicators in the rubric.",
        markup=False,
    )
    console.print("Wrote " + ", ".join(str(p) for p in written), markup=False)
    as_of = date.isoformat() if date else "YYYY-MM-DD"
    console.print(
        f"Next: bhrscore validate {out} --as-of {as_of}\n"
        f"      bhrscore score {out} --rubric {out}/rubric.yaml --as-of {as_of}",
        markup=False,
    )
