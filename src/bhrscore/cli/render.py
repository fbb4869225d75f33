"""One table renderer for every command: numbers and ids are never cut.

A table is a list of :class:`Column` (header and kind) and rows of plain-text cells. The
renderer measures the cells itself and sets every column's width, so rich never has to
shrink a column:

- **number** and **id** columns keep their full width (they never wrap, fold or end in
  ``…``); their header wraps at spaces if it is longer;
- **text** columns wrap at word boundaries and give up width first, down to
  :data:`TEXT_MIN` cells;
- when the columns cannot fit even so, the table switches to a **vertical** layout: one block
  per record, the key columns as the block's heading, then ``header value`` pairs packed into
  lines (a pair is never split) and text fields wrapped below.

Every cell passes :func:`bhrscore.cli.safe_text.safe` (control characters shown as escapes)
and is printed as :class:`rich.text.Text`, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .safe_text import safe

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

Kind = Literal["number", "id", "text"]
#: a cell: its text, or (text, rich style) for a highlighted cell such as a warning.
Cell = str | tuple[str, str]

#: narrowest a text column is squeezed to before the vertical layout is used instead (wider
#: when a word is longer, up to :data:`TEXT_WORD_MAX`: longer words fold).
TEXT_MIN = 10
TEXT_WORD_MAX = 24
#: spaces between columns.
GAP = 2


@dataclass(frozen=True)
class Column:
    """A table column. ``key`` columns head each record in the vertical layout (e.g. rank and
    company id); ``justify`` defaults to right for numbers and left otherwise."""

    header: str
    kind: Kind = "number"
    key: bool = False
    justify: Literal["left", "right"] | None = None

    @property
    def align(self) -> Literal["left", "right"]:
        if self.justify is not None:
            return self.justify
        return "right" if self.kind == "number" else "left"


def _split(cell: Cell) -> tuple[str, str]:
    return (cell, "") if isinstance(cell, str) else cell


def _clean(column: Column, text: str) -> str:
    return safe(text, inline=column.kind != "text")


def _width(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.split("\n")), default=0)


def _longest_word(text: str) -> int:
    return max((_width(w) for w in text.split()), default=0)


def layout_widths(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], total: int
) -> list[int] | None:
    """Column widths (without gaps) that fit ``total`` cells, or None when the table needs
    the vertical layout. ``rows`` hold cleaned cell text."""
    natural = [
        max([_width(c.header), *(_width(r[i]) for r in rows)]) for i, c in enumerate(columns)
    ]
    fixed = [
        max([_longest_word(c.header), *(_width(r[i]) for r in rows)]) for i, c in enumerate(columns)
    ]
    words = [
        min(TEXT_WORD_MAX, max([_longest_word(c.header), *(_longest_word(r[i]) for r in rows)]))
        for i, c in enumerate(columns)
    ]
    minimum = [
        fixed[i] if c.kind != "text" else min(natural[i], max(TEXT_MIN, words[i]))
        for i, c in enumerate(columns)
    ]
    available = total - GAP * (len(columns) - 1)
    if sum(minimum) > available:
        return None
    widths = [natural[i] if c.kind == "text" else fixed[i] for i, c in enumerate(columns)]
    spare = available - sum(minimum)
    for i, c in enumerate(columns):  # a header on one line when there is room for it
        if c.kind != "text" and natural[i] > fixed[i] and natural[i] - fixed[i] <= spare:
            spare -= natural[i] - fixed[i]
            widths[i] = natural[i]
    excess = sum(widths) - available
    while excess > 0:  # take width from the widest text column still above its minimum
        shrinkable = [
            i for i, c in enumerate(columns) if c.kind == "text" and widths[i] > minimum[i]
        ]
        widest = max(shrinkable, key=lambda i: widths[i])
        others = [widths[i] for i in shrinkable if i != widest]
        step = min(excess, widths[widest] - max([minimum[widest], *others]) or 1)
        widths[widest] -= step
        excess -= step
    return widths


def print_indented(text: str | Text, indent: int = 4, console: Console | None = None) -> None:
    """Wrapped text with every line indented and no trailing padding (``text`` is taken as
    already safe when it is a :class:`rich.text.Text`, else it passes :func:`safe`)."""
    from rich.text import Text

    from .common import console as default_console

    out = console if console is not None else default_console
    body = text if isinstance(text, Text) else Text(safe(text))
    for line in body.wrap(out, max(out.width - indent, 8), overflow="fold"):
        line.rstrip()
        out.print(Text(" " * indent) + line, soft_wrap=True)


def print_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    *,
    title: str | None = None,
    console: Console | None = None,
    vertical: bool | None = None,
) -> None:
    """Print a table that fits the console width without cutting a number or an id.

    ``vertical`` forces a layout (None: horizontal when it fits)."""
    from .common import console as default_console

    out = console if console is not None else default_console
    split = [[_split(cell) for cell in row] for row in rows]
    texts = [[_clean(columns[i], t) for i, (t, _s) in enumerate(row)] for row in split]
    styles = [[s for _t, s in row] for row in split]
    widths = None if vertical else layout_widths(columns, texts, out.width)
    if title:
        from rich.text import Text

        out.print(Text(safe(title), style="bold"), overflow="fold", soft_wrap=False)
    if widths is None and vertical is not False:
        _print_vertical(out, columns, texts, styles)
    else:
        _print_horizontal(out, columns, texts, styles, widths)


def _print_horizontal(
    out: Console,
    columns: Sequence[Column],
    texts: list[list[str]],
    styles: list[list[str]],
    widths: list[int] | None,
) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, GAP - 1, 0, 0),
        collapse_padding=False,
        header_style="bold",
    )
    for i, c in enumerate(columns):
        table.add_column(
            Text(safe(c.header, inline=True), justify=c.align, no_wrap=False, overflow="fold"),
            justify=c.align,
            width=widths[i] if widths else None,
            no_wrap=c.kind != "text",
            overflow="fold",
        )
    for row, row_styles in zip(texts, styles, strict=True):
        table.add_row(
            *(
                Text(t, style=s, no_wrap=c.kind != "text", overflow="fold")
                for c, t, s in zip(columns, row, row_styles, strict=True)
            )
        )
    out.print(table, soft_wrap=False)


def _print_vertical(
    out: Console, columns: Sequence[Column], texts: list[list[str]], styles: list[list[str]]
) -> None:
    """One block per record: the key cells as heading, then ``header value`` pairs packed into
    lines of the console width (a pair is never split), then text cells wrapped below."""
    from rich.text import Text

    width = out.width
    keys = [i for i, c in enumerate(columns) if c.key] or [0]
    for n, (row, row_styles) in enumerate(zip(texts, styles, strict=True)):
        if n:
            out.print()
        heading = Text()
        for i in keys:
            if heading:
                heading.append("  ")
            heading.append(row[i], style=row_styles[i] or "bold")
        out.print(heading, soft_wrap=True)
        line = Text("  ")
        for i, c in enumerate(columns):
            if i in keys or c.kind == "text":
                continue
            pair = Text()
            pair.append(safe(c.header, inline=True), style="dim")
            pair.append(" ")
            pair.append(row[i], style=row_styles[i])
            if line.cell_len > 2 and line.cell_len + 3 + pair.cell_len > width:
                out.print(line, soft_wrap=True)
                line = Text("  ")
            if line.cell_len > 2:
                line.append("   ")
            line.append_text(pair)
        if line.cell_len > 2:
            out.print(line, soft_wrap=True)
        for i, c in enumerate(columns):
            if i in keys or c.kind != "text" or not row[i]:
                continue
            field = Text()
            field.append(safe(c.header, inline=True), style="dim")
            field.append(" ")
            field.append(row[i], style=row_styles[i])
            print_indented(field, 2, out)
