"""``--format text|csv|json`` for every command, and where messages go.

``text`` (the default) is for people: tables fitted to the terminal (:mod:`.render`).
``csv`` and ``json`` are for programs: stdout then holds only the document, and every note,
warning or "wrote FILE" line goes to stderr, so ``bhrscore score … --format json | jq`` always
parses. The JSON shapes are documented in ``docs/cli.md``. ``github`` (validate and check
only) prints GitHub Actions annotations (:mod:`.github`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    import pandas as pd

F = TypeVar("F", bound=Callable[..., Any])

#: old spellings still accepted: ``--format table`` was the text format of compare and
#: sensitivity.
ALIASES = {"table": "text"}


class FormatChoice(click.Choice):  # type: ignore[type-arg]
    """A click choice that also accepts the old aliases (:data:`ALIASES`)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            value = ALIASES.get(value.lower(), value)
        return super().convert(value, param, ctx)


def format_option(*extra: str, help: str | None = None) -> Callable[[F], F]:
    """``--format text|csv|json`` (plus ``extra`` choices), default ``text``, as ``fmt``."""
    choices = ["text", "csv", "json", *extra]
    return click.option(
        "--format",
        "fmt",
        type=FormatChoice(choices, case_sensitive=False),
        default="text",
        show_default=True,
        help=help
        or "Output: text for people; csv or json for programs (stdout then holds only the "
        "document, notes go to stderr).",
    )


def is_machine(fmt: str) -> bool:
    """True for formats whose stdout must hold nothing but the document."""
    return fmt != "text"


def _echo(text: str, nl: bool = True) -> None:
    """Machine output on stdout: unchanged when piped (data stays data), with control
    characters shown as escapes when stdout is a terminal (a person is reading it)."""
    import sys

    from .safe_text import safe

    isatty = getattr(sys.stdout, "isatty", None)
    click.echo(safe(text) if callable(isatty) and isatty() else text, nl=nl)


def emit_json(doc: Any) -> None:
    """Print one JSON document on stdout (UTF-8, indented, keys in the order given)."""
    _echo(json.dumps(doc, indent=2, ensure_ascii=False, default=_jsonable))


def emit_csv(frame: pd.DataFrame) -> None:
    """Print a table as CSV on stdout, with the same sanitising as the CSV exports
    (formula-like text neutralised, lists joined)."""
    from ..export.tables import csv_text

    _echo(csv_text(frame), nl=False)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON records (missing values as null, tuples as lists, dates as ISO)."""
    from ..export.tables import records

    return records(frame)


def note(message: str, fmt: str = "text", quiet: bool = False, style: str | None = None) -> None:
    """A line for the reader that is not part of the result ("wrote FILE", a hint): stdout in
    text format, stderr in machine formats, nothing with ``quiet`` in machine formats."""
    from .common import print_text
    from .safe_text import safe

    if is_machine(fmt):
        if not quiet:
            print_text(safe(message), stderr=True, style=style)
        return
    print_text(safe(message), style=style)


def warn(message: str, quiet: bool = False) -> None:
    """A warning on stderr (``warning: ...``), silenced by ``--quiet``."""
    from .common import err_console
    from .safe_text import safe

    if not quiet:
        err_console.print(f"warning: {safe(message)}", markup=False, style="yellow")


def _jsonable(value: Any) -> Any:
    """json.dumps fallback: dates, numpy scalars, tuples/sets and pandas' NA."""
    import datetime as dt

    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    item = getattr(value, "item", None)
    if callable(item):  # numpy scalar
        return item()
    if str(value) in ("<NA>", "NaT"):
        return None
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
