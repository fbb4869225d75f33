"""The consoles every command prints through: a fixed width when output is not a terminal.

Rich asks the terminal for its size even when stdout is piped (it tries stdin and stderr
too), so ``bhrscore score … | less`` would lay out tables for whatever window started it.
Piped output instead has one known width: ``$COLUMNS`` when set, else 80, and the table
renderer (:mod:`bhrscore.cli.render`) fits its tables to that width without cutting numbers.
"""

from __future__ import annotations

import os
from typing import Any

from rich.console import Console as RichConsole
from rich.console import ConsoleDimensions

#: width of piped output when $COLUMNS is not set.
PIPED_WIDTH = 80


def piped_width() -> int:
    """``$COLUMNS`` when it is a positive number, else :data:`PIPED_WIDTH`."""
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else PIPED_WIDTH


class Console(RichConsole):
    """A rich console whose width is :func:`piped_width` when its file is not a terminal.

    Unless a width is given, the width is read when printing, not when the console is made
    (rich would freeze ``$COLUMNS`` at import time)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kwargs.get("width") is None:
            self._width = None

    @property
    def size(self) -> ConsoleDimensions:
        if self._width is None and not self.is_terminal:
            return ConsoleDimensions(piped_width(), self._height or 25)
        return super().size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size
