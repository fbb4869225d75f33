"""``bhrscore schema``: regenerate (or check) the JSON Schemas in ``schemas/``."""

from __future__ import annotations

from pathlib import Path

import click

from ..schema import SCHEMAS, render, write_schemas
from .common import EXIT_DATA, console


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
def schema(out: str, check: bool) -> None:
    """Write JSON Schemas for companies, evidence and rubrics, generated from the models."""
    if check:
        stale = [
            n
            for n in SCHEMAS
            if not (Path(out) / n).exists() or (Path(out) / n).read_text("utf-8") != render(n)
        ]
        for name in stale:
            console.print(f"stale: {Path(out) / name} (run `bhrscore schema --out {out}`)")
        if stale:
            raise click.exceptions.Exit(EXIT_DATA)
        console.print(f"{len(SCHEMAS)} schemas up to date in {out}")
        return
    for path in write_schemas(out):
        console.print(f"wrote {path}")
