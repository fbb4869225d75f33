"""Progress for long CLI work: a spinner with the current step on stderr.

Loading 200,000 records and writing a briefing takes most of a minute; without a sign of
life a user cannot tell work from a hang. :func:`steps` shows the step being worked on
(``Loading evidence…``, ``Scoring…``) with a spinner and the elapsed time, on stderr, and
only when stderr is a terminal: piped or captured output (CI logs, ``2> file``) gets nothing,
and ``--quiet`` turns it off. The display is transient: it disappears when the work ends, so
the command's own output is what stays on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.console import Console

#: call with the description of the step that starts now.
Step = Callable[[str], None]

QUIET = click.option(
    "-q",
    "--quiet",
    "quiet",
    is_flag=True,
    help="No progress display and no notes on stderr (errors are still printed).",
)


def _ignore(_description: str) -> None:
    return None


@contextmanager
def steps(quiet: bool = False, console: Console | None = None) -> Iterator[Step]:
    """A context whose value starts a new step: ``step("Scoring")``. Silent when ``quiet``
    or when the console (stderr by default) is not a terminal."""
    if quiet:  # before the console is made: a quiet command need not import rich
        yield _ignore
        return
    from .common import err_console

    out = console if console is not None else err_console
    if not out.is_terminal:
        yield _ignore
        return
    from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    ) as progress:
        current: list[TaskID] = []

        def step(description: str) -> None:
            from .safe_text import markup

            for task in current:
                progress.update(task, completed=1, total=1, visible=False)
            current[:] = [progress.add_task(markup(description) + "…", total=None)]

        yield step
