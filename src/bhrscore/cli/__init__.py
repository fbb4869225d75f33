"""The ``bhrscore`` command line.

Each command lives in its own module and is loaded only when invoked, so ``bhrscore --help``
stays fast. Exit codes: 0 success, 1 the data (or a check) failed, 2 usage error.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from .common import (
    freeze_at_exit,
    limit_malloc_arenas,
    relax_gc,
    restore_arrow_pool,
    run_main,
    system_arrow_pool,
)

#: command name -> "module:attribute" (modules under bhrscore.cli)
COMMANDS: dict[str, str] = {
    "validate": "validate:validate",
    "schema": "schema:schema",
    "template": "template:template",
    "check": "check:check",
    "score": "score:score",
    "diff": "diff:diff",
    "compare": "compare:compare",
    "sensitivity": "sensitivity:sensitivity",
    "brief": "brief:brief",
    "import": "import_bundle:import_bundle",
}


#: command name -> one-line help for ``bhrscore --help`` (kept here so that listing the
#: commands imports none of them; tests check it matches each command's own help).
SUMMARIES: dict[str, str] = {
    "brief": "Write the investor briefing workbook.",
    "check": "Validate rubric files and run their golden cases.",
    "compare": "Compare scores between groups of companies.",
    "diff": "Show how scores and ranks move between two rubric versions.",
    "import": "Import a published benchmark dataset into an evidence bundle.",
    "schema": "Write JSON Schemas for companies, evidence and rubrics.",
    "score": "Score the companies of an evidence bundle with a rubric.",
    "sensitivity": "Rank stability under weight perturbations and alternative policies.",
    "template": "Write an evidence-entry workbook.",
    "validate": "Validate evidence files or bundles.",
}


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use; ``--help`` lists them from
    :data:`SUMMARIES` without importing any (and so without pandas)."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUMMARIES.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        module = importlib.import_module(f"{__name__}.{module_name}")
        command: click.Command = getattr(module, attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bhrscore")
def cli() -> None:
    """Corporate accountability scoring on labour rights."""


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    limit_malloc_arenas()
    system_arrow_pool()
    relax_gc()
    freeze_at_exit()
    try:
        return run_main(cli, argv)
    finally:  # a caller in the same process (a notebook, a test) gets its environment back
        restore_arrow_pool()
