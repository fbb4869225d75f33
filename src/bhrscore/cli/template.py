"""``bhrscore template --out evidence-template.xlsx``: the evidence-entry workbook."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, fail, output_path


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
def template(out: str, no_examples: bool) -> None:
    """Write an evidence-entry workbook: Companies and Evidence sheets with dropdowns from the
    vocabularies, hints on every column and an example row per evidence kind. Check a filled
    template with `bhrscore validate FILE`."""
    from ..export.template import write_template

    target = Path(out)
    if target.suffix.lower() != ".xlsx":
        fail(f"--out must name an .xlsx file, not {out!r}")
    output_path(target)  # a directory, a parent that is a file, a name too long, ...
    write_template(target, examples=not no_examples)
    console.print(
        f"Wrote {target}: fill in the Companies and Evidence sheets (row 1 is the header; "
        "delete the fictional example rows), then run `bhrscore validate "
        f"{target}`.",
        markup=False,
    )
