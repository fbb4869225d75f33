"""``bhrscore schema``: regenerate (or check) the JSON Schemas in ``schemas/``."""

from __future__ import annotations

from pathlib import Path

import click

from .common import EXIT_DATA
from .formats import emit_json, format_option, note


@click.command()
@click.option(
    "--out",
    "out",
    default="schemas",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory for the schema files.",
)
@click.option(
    "--check", is_flag=True, help="Only check that the files are up to date (exit 1 if not)."
)
@format_option(help="Output: text for people; csv or json (files written or stale) for programs.")
def schema(out: str, check: bool, fmt: str) -> None:
    """Write JSON Schemas for companies, evidence and rubrics, generated from the models."""
    from ..schema import SCHEMAS, render, write_schemas

    if check:
        stale = [
            n
            for n in SCHEMAS
            if not (Path(out) / n).exists() or (Path(out) / n).read_text("utf-8") != render(n)
        ]
        _emit(fmt, "stale", [str(Path(out) / n) for n in stale])
        if fmt == "text":
            for name in stale:
                note(f"stale: {Path(out) / name} (run `bhrscore schema --out {out}`)")
            if not stale:
                note(f"{len(SCHEMAS)} schemas up to date in {out}")
        if stale:
            raise click.exceptions.Exit(EXIT_DATA)
        return
    paths = [str(p) for p in write_schemas(out)]
    _emit(fmt, "written", paths)
    if fmt == "text":
        for path in paths:
            note(f"wrote {path}")


def _emit(fmt: str, key: str, paths: list[str]) -> None:
    """``{key: [paths]}`` as JSON, or a one-column CSV of the paths (nothing for text)."""
    if fmt == "json":
        emit_json({key: paths})
    elif fmt == "csv":
        import csv
        import io

        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([[key], *([p] for p in paths)])
        click.echo(buffer.getvalue(), nl=False)
