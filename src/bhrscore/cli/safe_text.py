"""Text from users and evidence made safe for a terminal.

Evidence summaries, group descriptions, company names, ids and file names come from files we
do not control. Printed raw, an ESC byte starts a terminal control sequence: it can move the
cursor, rewrite what was printed before (hiding an error), change the window title (OSC) or
make a hyperlink; bidi overrides (U+202E) reorder what the reader sees. :func:`safe` shows
every such character as a visible escape (``\\x1b``, ``\\u202e``), and :func:`markup` also
escapes rich markup so that ``[red]`` in a summary stays text. Every command prints user
and evidence text through one of them (or through the table renderer, which uses them).
"""

from __future__ import annotations

import re
from typing import Any

#: C0 controls except TAB and LF, DEL, C1 controls (U+0080-U+009F: 0x9B is CSI on its own),
#: bidi embeddings/overrides/isolates, and line/paragraph separators that some terminals act on.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
#: the same, with TAB and LF also neutralised (for one-line cells such as ids and names).
_UNSAFE_INLINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(value: Any, *, inline: bool = False) -> str:
    """``value`` as text with every control character shown as an escape (``\\x1b``).

    TAB and LF are kept unless ``inline`` (then they are shown as ``\\x09``/``\\x0a`` too, for
    cells that must stay on one line). The result contains no character a terminal acts on.
    """
    text = value if isinstance(value, str) else str(value)
    return (_UNSAFE_INLINE if inline else _UNSAFE).sub(_visible, text)


def markup(value: Any, *, inline: bool = False) -> str:
    """:func:`safe`, then escaped for rich markup: for text inside a markup string."""
    from rich.markup import escape

    return escape(safe(value, inline=inline))
