"""``bhrscore template --out evidence-template.xlsx``: the evidence-entry workbook."""

from __future__ import annotations

from pathlib import Path

import click

from .common import fail, output_path
from .formats import emit_csv, emit_json, format_option, note


@click.command()
@click.option(
    "--out",
    "out",
    default="evidence-template.xlsx",
    show_default=True,
    metavar="FILE.xlsx",
    help="Workbook to write (replaced atomically).",
)
@click.option("--no-examples", is_flag=True, help="Leave out the fictional example rows.")
@format_option(help="Output: text for people; csv or json (the file written) for programs.")
def template(out: str, no_examples: bool, fmt: str) -> None:
    """Write an evidence-entry workbook: Companies and Evidence sheets with dropdowns from the
    vocabularies, hints on every column and an example row per evidence kind. Check a filled
    template with `bhrscore validate FILE`."""
    from ..export.template import write_template

    target = Path(out)
    if target.suffix.lower() != ".xlsx":
        fail(f"--out must name an .xlsx file, not {out!r}")
    output_path(target)  # a directory, a parent that is a file, a name too long, ...
    write_template(target, examples=not no_examples)
    if fmt == "json":
        emit_json({"path": str(target), "examples": not no_examples})
        return
    if fmt == "csv":
        import pandas as pd

        emit_csv(pd.DataFrame([{"path": str(target), "examples": not no_examples}]))
        return
    note(
        f"Wrote {target}: fill in the Companies and Evidence sheets (row 1 is the header; "
        "delete the fictional example rows), then run `bhrscore validate "
        f"{target}`."
    )
