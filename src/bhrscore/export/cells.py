"""Safe spreadsheet cells: formula-injection neutralisation, redaction of named persons, and
hyperlinks restricted to http(s).

Every text cell bhrscore writes to a workbook goes through :class:`SheetWriter` (or, for
frames, :func:`clean_text_series` and :func:`formula_like_mask`), so the rules live here once.

Formula injection
-----------------
Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, also after leading
spaces, and the full-width forms ``＝ ＋ － ＠``, is *formula-like*; so is text that becomes
formula-like once control and invisible format characters are dropped (``"\x00=1+1"``), as a
program reading the file may drop them. In a workbook we

1. always write it as a **string-typed cell** (``write_string``; never ``write`` or
   ``write_formula``), so Excel and LibreOffice show it and never evaluate it, and
2. give the cell the **quotePrefix** style (``quote_prefix`` in XlsxWriter). That is the
   apostrophe Excel shows in the formula bar: if a reader edits the cell and presses Enter it
   stays text instead of turning into a live formula.

The stored value is left *exactly* as the evidence had it (``=HYPERLINK("http://x","click")``
reads back as that text with openpyxl, pandas or our loader), which is why we do not prepend an
apostrophe to the value itself: that would change the data, show a stray ``'`` to every
reader, and be read back as part of the text. A CSV file has no cell types, so formula-like
text written to CSV (score card tables, CLI output, the companion file for evidence beyond the
sheet row limit) *is* prefixed with ``'`` by :func:`csv_safe_series`, the OWASP
recommendation; nothing else in CSV text is changed.

Characters that XML 1.0 cannot hold (C0 controls other than tab, line feed and carriage
return; lone surrogates; U+FFFE/U+FFFF) are removed, carriage returns become line feeds (the
line break of a spreadsheet cell; a stored CR would be escaped as ``_x000D_``, which some
readers show literally) and text is cut at Excel's 32,767 characters per cell.

Hyperlinks
----------
:func:`safe_url_mask` is the one check of a hyperlink target: an http(s) URL without spaces,
quotes or control characters, at most 2,079 UTF-16 code units long (Excel's limit, counted as
XlsxWriter counts it: a character outside the Basic Multilingual Plane counts twice).

Redaction
---------
The names listed in ``persons`` of *all* evidence marked ``sensitive`` form one pattern
(:func:`names_pattern`, which is the matcher of the one privacy policy,
:func:`bhrscore.evidence.privacy.names_matcher`: whole words in any Unicode form, case or
accent-less spelling, slugs and percent-encodings). Ids and links carrying a name are handled
by :class:`bhrscore.evidence.privacy.Privacy`, which every output uses. Unless the caller
opts in with ``include_personal_data=True``, :func:`redact_frame` replaces every match by
``[redacted]`` in the text columns it is given, in every row (a protected person named in
another record, a non-sensitive record or a source title is redacted too), and in the
``persons`` lists of other records; the ``persons`` field of sensitive records becomes
``[redacted: N persons]``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

import numpy as np
import pandas as pd

from ..evidence.flat import LIST_DELIMITER

#: characters that make a spreadsheet treat typed text as a formula (incl. full-width forms)
FORMULA_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")

# Character sets as code-point ranges, written out for both regex engines in use: Python's
# ``re`` and, for pyarrow-backed string columns, RE2 through pandas (C++, much faster on
# large columns). Explicit sets keep the two in agreement (RE2's ``\s`` is ASCII only).
_Ranges = tuple[tuple[int, int], ...]
#: white space as ``str.isspace`` (and ``re``'s ``\s``) has it
_SPACE: _Ranges = (
    (0x09, 0x0D), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680),
    (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)  # fmt: skip
#: white space other than tab and carriage return (those are triggers themselves)
_SPACE_NO_TAB_CR: _Ranges = ((0x0A, 0x0C), *_SPACE[1:])
#: characters a reader may drop or not show before the text it parses: controls other than
#: tab, line feed and carriage return (NUL, DEL, C1), and invisible format characters (soft
#: hyphen, zero-width and direction marks, word joiner, byte-order mark)
_INVISIBLE: _Ranges = (
    (0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x200B, 0x200F),
    (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF),
)  # fmt: skip
_TRIGGERS: _Ranges = tuple((ord(c), ord(c)) for c in "=+-@\uff1d\uff0b\uff0d\uff20")
#: characters XML 1.0 cannot hold (surrogates only exist in Python strings)
_ILLEGAL: _Ranges = ((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0xFFFE, 0xFFFF))
#: characters that end a hyperlink target: white space, controls, quotes and the like
_NOT_IN_URL: _Ranges = (
    *_SPACE, (0x00, 0x1F), (0x7F, 0x7F),
    *((ord(c), ord(c)) for c in '"<>\\^`{|}'),
)  # fmt: skip


def _set(ranges: _Ranges, engine: str) -> str:
    """The inside of a character class for ``engine`` ("py" or "re2")."""
    out = []
    for lo, hi in ranges:
        for cp in (lo, hi) if hi != lo else (lo,):
            out.append(f"\\x{{{cp:X}}}" if engine == "re2" else f"\\U{cp:08X}")
            if cp == lo and hi != lo:
                out.append("-")
    return "".join(out)


def _patterns(engine: str) -> dict[str, str]:
    inv, ws = _set(_INVISIBLE, engine), _set(_SPACE_NO_TAB_CR, engine)
    illegal = _set(_ILLEGAL, engine) + ("\\uD800-\\uDFFF" if engine == "py" else "")
    return {
        # formula-like: a trigger first, or white space then =, +, -, @ (or their full-width
        # forms), where the invisible characters may come anywhere before the trigger
        # ("\x00=1+1" is formula-like: it is "=1+1" once the NUL is dropped)
        "formula": f"^[{inv}]*(?:[\\t\\r]|[{ws}{inv}]*[{_set(_TRIGGERS, engine)}])",
        "illegal": f"[{illegal}]",
        "url": f"^[hH][tT][tT][pP][sS]?://[^{_set(_NOT_IN_URL, engine)}]+$",
        # what a workbook's inline-string XML must escape or mark (see book.py)
        "not_simple": (
            f"[&<>{_set(((0x00, 0x08), (0x0B, 0x1F), (0xFFFE, 0xFFFF)), engine)}]|_x"
            f"|^[{_set(_SPACE, engine)}]|[{_set(_SPACE, engine)}]$"
        ),
    }


_PY = {name: re.compile(pattern) for name, pattern in _patterns("py").items()}
_RE2 = _patterns("re2")
_FORMULA_RE = _PY["formula"]
_ILLEGAL_XML_RE = _PY["illegal"]
_URL_RE = _PY["url"]
MAX_CELL_CHARS = 32_767
MAX_URL_CHARS = 2_079  # Excel's limit on a hyperlink target, in UTF-16 code units
MAX_URLS_PER_SHEET = 65_530  # Excel's limit on hyperlinks in one worksheet
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")
REDACTED = "[redacted]"


def text_dtype() -> pd.StringDtype:
    """The dtype pandas names ``"string"`` (its storage as ``mode.string_storage`` says when
    called), made directly: pandas looks a dtype given by name up in its registry of
    extension types each time (15-40 us a call; the briefing asks for it thousands of
    times)."""
    return pd.StringDtype()


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula if it were typed in."""
    return _FORMULA_RE.match(text) is not None


def clean_text(value: Any) -> str:
    """``value`` as text that a workbook can hold: illegal XML characters removed, at most
    32,767 characters. The content is otherwise unchanged."""
    text = value if isinstance(value, str) else str(value)
    text = _ILLEGAL_XML_RE.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text


def csv_safe(value: Any) -> str:
    """Text for a CSV cell: prefixed with ``'`` when formula-like (CSV has no cell types, so
    the apostrophe is the only neutraliser spreadsheet programs honour). The scalar form of
    :func:`csv_safe_series`."""
    text = value if isinstance(value, str) else str(value)
    return str(csv_safe_series(pd.Series([text], dtype=text_dtype())).iloc[0])


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how Excel and XlsxWriter count)."""
    return len(text) + len(_ASTRAL_RE.findall(text))


def safe_url(value: Any) -> str | None:
    """``value`` (stripped) when it is an http(s) URL that can be a hyperlink target, else
    ``None`` (``javascript:``, ``file:``, ``mailto:``, relative paths and over-long URLs never
    become links; they are shown as text). The scalar form of :func:`safe_url_mask`."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    ok = safe_url_mask(pd.Series([url], dtype=text_dtype()))
    return url if bool(ok[0]) else None


# --- vectorised forms, for frames of evidence ------------------------------------------------


def _arrow_backed(series: pd.Series) -> bool:
    """Whether ``series`` holds pyarrow-backed strings (RE2 regexes run on them in C++)."""
    dtype = series.dtype
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def _regex_mask(
    series: pd.Series, name: str, *, anchored: bool
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Where the pattern ``name`` matches (``anchored``: at the start) in a string Series,
    missing values ``False``; RE2 on pyarrow strings, Python's ``re`` otherwise (the same
    character sets, see :func:`_patterns`)."""
    text = series.astype(text_dtype())
    arrow = _arrow_backed(text)
    pattern: str | re.Pattern[str] = _RE2[name] if arrow else _PY[name]

    def run(text: pd.Series) -> np.ndarray[Any, np.dtype[np.bool_]]:
        found = text.str.match(pattern) if anchored else text.str.contains(pattern, regex=True)
        return found.fillna(False).to_numpy(dtype=bool)

    rows = _candidates(text, name) if arrow and len(text) >= _PREFILTER_MIN_ROWS else None
    if arrow:
        return _arrow_regex_mask(text, str(pattern), anchored=anchored, rows=rows)
    if rows is None:
        return run(text)
    out = np.zeros(len(text), dtype=bool)  # the regex runs on the entries that may match
    if rows.size:
        out[rows] = run(text.iloc[rows])
    return out


def _arrow_regex_mask(
    text: pd.Series,
    pattern: str,
    *,
    anchored: bool,
    rows: np.ndarray[Any, np.dtype[np.intp]] | None,
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """:func:`_regex_mask` of pyarrow-backed text: what ``text.str.match`` (``anchored``) or
    ``text.str.contains`` does on it (RE2, ``pc.match_substring_regex``), called directly
    (pandas' string methods cost about 0.1 ms a call around it); only on ``rows`` (the
    prefilter's candidates) when given."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if anchored and not pattern.startswith("^"):
        pattern = f"^({pattern})"  # (as pandas anchors str.match)
    chunked = pa.chunked_array(text.array._pa_array)  # type: ignore[attr-defined]
    if rows is not None:
        out = np.zeros(len(text), dtype=bool)  # the regex runs on the entries that may match
        if rows.size:
            found = pc.match_substring_regex(chunked.take(pa.array(rows)), pattern)
            out[rows] = np.asarray(found.fill_null(False).to_numpy(), dtype=bool)
        return out
    found = pc.match_substring_regex(chunked, pattern).fill_null(False)
    return np.asarray(found.to_numpy(), dtype=bool).reshape(len(text))


#: columns at least this long are scanned byte-wise first (:func:`_candidates`)
_PREFILTER_MIN_ROWS = 512


def _byte_set(*ranges: tuple[int, int]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    table = np.zeros(256, dtype=bool)
    for lo, hi in ranges:
        table[lo : hi + 1] = True
    return table


# UTF-8 bytes that can be part of a match, for the patterns with a byte-wise prefilter
# (non-ASCII characters start with a byte >= 0xC2; U+FFFE and U+FFFF with 0xEF)
_CONTROLS = ((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F))
_ANYWHERE = {
    "illegal": _byte_set(*_CONTROLS, (0xEF, 0xEF)),
    "not_simple": _byte_set(*_CONTROLS, (0x09, 0x0D), (0xEF, 0xEF), *((b, b) for b in b"&<>")),
}
#: what the first byte (formula: the only one that matters) or the last byte must be in
_EDGE_SPACE = _byte_set((0x00, 0x20), (0x80, 0xFF))
_FORMULA_START = _byte_set((0x00, 0x20), (0x7F, 0xFF), *((b, b) for b in b"=+-@"))


def _candidates(text: pd.Series, name: str) -> np.ndarray[Any, np.dtype[np.intp]] | None:
    """Positions of the entries of a pyarrow-backed string Series the pattern ``name`` may
    match, found with numpy on the column's UTF-8 bytes (one pass over the data instead of
    a regex per entry); a superset of the matches. ``None``: no prefilter for ``name``."""
    if name not in ("illegal", "not_simple", "formula"):
        return None
    layout = _utf8_layout(text)
    if layout is None:
        return None
    offsets, data, valid = layout
    n = len(valid)
    filled = valid & (offsets[1:] > offsets[:-1])  # entries with at least one byte
    if data is None or not filled.any():
        return np.zeros(0, dtype=np.intp)
    starts, ends = offsets[:-1][filled], offsets[1:][filled]
    where = np.flatnonzero(filled)
    if name == "formula":
        return where[_FORMULA_START[data[starts]]]
    hit = np.zeros(n, dtype=bool)
    hit[where] = (
        _EDGE_SPACE[data[starts]] | _EDGE_SPACE[data[ends - 1]] if name == "not_simple" else False
    )
    hit[rows_holding(offsets, data, _ANYWHERE[name].__getitem__)] = True
    if name == "not_simple":  # "_x" (an _xHHHH_ escape)
        lo, hi = int(offsets[0]), int(offsets[-1])
        body = data[lo:hi]
        under = np.flatnonzero(body[:-1] == ord("_"))
        escapes = under[body[under + 1] == ord("x")] + lo
        hit[np.searchsorted(offsets, escapes, side="right") - 1] = True
    return np.flatnonzero(hit & valid)


_Layout = tuple[
    np.ndarray[Any, np.dtype[np.int64]],
    "np.ndarray[Any, np.dtype[np.uint8]] | None",
    np.ndarray[Any, np.dtype[np.bool_]],
]


def _utf8_layout(text: pd.Series) -> _Layout | None:
    """The UTF-8 bytes of a pyarrow-backed string Series as numpy views: entry offsets
    (``n + 1``), the data buffer (``None`` when empty) and validity; ``None`` when the
    Series is not backed by a pyarrow string array."""
    import pyarrow as pa

    if not _arrow_backed(text):
        return None
    chunked = pa.chunked_array(text.array._pa_array)  # type: ignore[attr-defined]
    array = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    n = len(array)
    buffers = array.buffers()
    width = np.int32 if pa.types.is_string(array.type) else np.int64
    offsets = np.frombuffer(buffers[1], dtype=width)[array.offset : array.offset + n + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else None
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    return offsets.astype(np.int64), data, valid


def large_strings(text: pd.Series) -> Any:
    """A text column as one pyarrow ``large_string`` array: chunks combined, no copy for
    Arrow-backed strings of one chunk (the redaction and the briefing's trail work on it)."""
    import pyarrow as pa

    arr = pa.array(text.astype(text_dtype()).array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


def utf8_bytes(strings: Any) -> memoryview:
    """A pyarrow ``large_string`` array's strings end to end, as UTF-8 bytes (a view of its
    data buffer between the first and the last offset: no copy)."""
    data = strings.buffers()[2] if len(strings) else None
    if data is None:  # no strings, or only empty ones
        return memoryview(b"")
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64)
    first, last = offsets[strings.offset], offsets[strings.offset + len(strings)]
    return memoryview(data)[int(first) : int(last)]


_ByteTest = Callable[[np.ndarray[Any, np.dtype[np.uint8]]], np.ndarray[Any, np.dtype[np.bool_]]]


@lru_cache(maxsize=64)
def _ascii_test(chars: str) -> _ByteTest:
    """A function marking the bytes of an array equal to one of the ASCII ``chars``, as
    :func:`rows_holding` takes it: one numpy comparison per character (for a few characters,
    several times faster than looking each byte up in a table of 256 flags)."""
    codes = sorted({ord(c) for c in chars})

    def test(part: np.ndarray[Any, np.dtype[np.uint8]]) -> np.ndarray[Any, np.dtype[np.bool_]]:
        out = np.zeros(part.shape, dtype=bool)
        for code in codes:
            out |= part == code
        return out

    return test


#: bytes of text scanned at once by :func:`rows_holding` (bounds its temporary arrays)
_SCAN_BYTES = 1 << 24


def rows_holding(
    offsets: np.ndarray[Any, np.dtype[np.int64]],
    data: np.ndarray[Any, np.dtype[np.uint8]],
    found: Callable[[np.ndarray[Any, np.dtype[np.uint8]]], np.ndarray[Any, np.dtype[np.bool_]]],
) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Sorted positions of the entries of an Arrow string array (``offsets``: its ``n + 1``
    byte offsets into ``data``, its data buffer) that hold a byte ``found`` marks (``found``
    maps a slice of bytes to a boolean array), scanned with numpy in slices of
    :data:`_SCAN_BYTES` (each slice's bytes turned into entries at once: a byte found often,
    such as a comma, never makes an array of all its positions in a large column)."""
    start, stop = int(offsets[0]), int(offsets[-1])
    rows = [
        np.unique(np.searchsorted(offsets, hits + lo, side="right") - 1)
        for lo in range(start, stop, _SCAN_BYTES)
        if (hits := np.flatnonzero(found(data[lo : min(lo + _SCAN_BYTES, stop)]))).size
    ]
    if not rows:
        return np.zeros(0, dtype=np.intp)
    return np.unique(np.concatenate(rows)).astype(np.intp)


def ascii_contains_mask(series: pd.Series, chars: str) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Boolean array: which entries of a string Series contain any of the ASCII ``chars``
    (missing values ``False``); exact, from the UTF-8 bytes with numpy for pyarrow-backed
    strings (an ASCII byte is never part of another character in UTF-8)."""
    if any(ord(c) > 0x7F for c in chars):
        raise ValueError("ascii_contains_mask takes ASCII characters only")
    text = series.astype(text_dtype())
    layout = _utf8_layout(text)
    if layout is None:
        pattern = "[" + re.escape(chars) + "]"
        return text.str.contains(pattern, regex=True).fillna(False).to_numpy(dtype=bool)
    offsets, data, valid = layout
    out = np.zeros(len(valid), dtype=bool)
    if data is None or not chars:
        return out
    out[rows_holding(offsets, data, _ascii_test(chars))] = True
    return out & valid


def clean_text_series(series: pd.Series) -> pd.Series:
    """:func:`clean_text` over a string Series (missing values stay missing)."""
    text = series.astype(text_dtype())
    bad = _regex_mask(text, "illegal", anchored=False)
    if bad.any():
        # only the entries that hold such characters are rewritten (in Python: surrogates)
        fixed = text[bad].astype(object).map(lambda v: _ILLEGAL_XML_RE.sub("", v))
        text = text.copy()
        text[bad] = fixed.astype(text_dtype())
    if ascii_contains_mask(text, "\r").any():  # (a byte scan: most text has no \r)
        text = text.str.replace("\r\n", "\n", regex=False).str.replace("\r", "\n", regex=False)
    too_long = text.str.len() > MAX_CELL_CHARS
    if bool(too_long.fillna(False).any()):
        text = text.where(~too_long.fillna(False), text.str.slice(0, MAX_CELL_CHARS - 1) + "…")
    return text


def formula_like_mask(series: pd.Series) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Boolean array: which entries of a string Series are formula-like."""
    return _regex_mask(series, "formula", anchored=True)


def not_simple_regex() -> re.Pattern[str]:
    """The Python form of the check behind :func:`xml_simple_mask` (matches text that is not
    simple)."""
    return _PY["not_simple"]


def xml_simple_mask(series: pd.Series) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Boolean array: which entries of a (cleaned) string Series a workbook can hold as they
    are inside ``<t>...</t>``: no XML escapes, no ``_xHHHH_`` forms or control characters,
    no leading or trailing white space, at most 16,383 characters. Missing values ``False``."""
    text = series.astype(text_dtype())
    short = (text.str.len() <= 16_383).fillna(False).to_numpy(dtype=bool)
    return short & ~_regex_mask(text, "not_simple", anchored=False) & text.notna().to_numpy()


def csv_safe_series(series: pd.Series) -> pd.Series:
    """Text for CSV cells: formula-like entries prefixed with ``'``, everything else (and
    missing values) unchanged. Works on string, object and categorical columns."""
    text = series.astype(text_dtype())
    risky = formula_like_mask(text)
    if not risky.any():
        return text
    return text.where(~pd.Series(risky, index=text.index), "'" + text)


def safe_url_mask(series: pd.Series) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Boolean array: which entries of a string Series (after stripping white space) are
    http(s) URLs that may be hyperlink targets. Missing values are ``False``.

    The length limit is counted in UTF-16 code units, as XlsxWriter does: it silently writes
    nothing for a longer target."""
    text = series.astype(text_dtype()).str.strip()
    ok = _regex_mask(text, "url", anchored=True)
    length = text.str.len().fillna(0).to_numpy(dtype=np.int64)
    ok &= length <= MAX_URL_CHARS
    # only text that could exceed the limit needs counting of astral characters
    near = np.flatnonzero(ok & (2 * length > MAX_URL_CHARS))
    if near.size:
        extra = text.iloc[near].str.count(_ASTRAL_RE.pattern).to_numpy(dtype=np.int64)
        ok[near] = length[near] + extra <= MAX_URL_CHARS
    return ok


def join_lists(
    series: pd.Series | None, sep: str = ", ", *, sort: bool = False, lists: Any = None
) -> pd.Series:
    """Cells holding tuples or lists (evidence ids, sectors, persons) joined with ``sep`` as a
    string Series; other values are kept as text, empty lists and missing values are
    missing. The one place where list cells become text (sheets use ``", "``, CSV files
    :data:`bhrscore.evidence.flat.LIST_DELIMITER`). ``lists``: ``series`` as
    :func:`list_array` gives it, when already made."""
    if series is None:
        return pd.Series([], dtype=text_dtype())
    if series.dtype != object:
        return series.astype(text_dtype())
    if not sort:
        lists = list_array(series) if lists is None else lists
        if lists is not None:
            return _joined(lists, sep, series.index)

    def join(value: Any) -> Any:
        if isinstance(value, tuple | list):
            items = [str(v) for v in value]
            return sep.join(sorted(items) if sort else items) if items else pd.NA
        return value

    text = series.map(join, na_action="ignore").astype(text_dtype())
    return text.mask(text == "")


def list_array(series: pd.Series) -> Any:
    """An object Series of tuples or lists of strings (missing values and empty lists
    allowed), or of plain strings, as one pyarrow array (C++, no Python loop over the
    rows): a ``list<string>`` or a ``string`` array. ``None`` for anything else (other
    element types, a missing element inside a list, strings mixed with lists, pandas' Python
    string storage), which callers handle in Python."""
    import pyarrow as pa

    if len(series) == 0 or pd.StringDtype().storage != "pyarrow":
        return None
    try:
        array = pa.array(series.to_numpy(dtype=object), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return array
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
        return None
    item = kind.value_type
    if not (pa.types.is_string(item) or pa.types.is_large_string(item)):
        return None
    if array.flatten().null_count:  # str(None) inside a list: the Python path says "None"
        return None
    return array


def _joined(array: Any, sep: str, index: pd.Index) -> pd.Series:
    """:func:`join_lists` of a :func:`list_array` result, in pyarrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = pc.binary_join(array, sep)  # null for a missing list, "" for an empty one
    text = pd.Series(pd.arrays.ArrowStringArray(array.cast(pa.large_string())), index=index)
    return text.mask(text == "")


# --- redaction -------------------------------------------------------------------------------


def names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching any of ``names``: whole words only, in any Unicode form, case or
    accent-less spelling, longest names first (so "Anna Ivanova" goes before "Anna"), any
    run of white space (spaces, no-break spaces, line breaks) or slug separator between the
    parts of a name (:func:`bhrscore.evidence.privacy.names_matcher`). ``None`` when there
    are no names."""
    from ..evidence.privacy import names_matcher

    return names_matcher(names)


def redact(text: str, persons: Iterable[str]) -> str:
    """``text`` with each name in ``persons`` replaced by ``[redacted]`` (see
    :func:`names_pattern`)."""
    pattern = names_pattern(persons)
    return text if pattern is None else pattern.sub(REDACTED, text)


def persons_note(persons: Sequence[str]) -> str:
    """What the ``persons`` cell of redacted evidence shows."""
    n = len(persons)
    return f"[redacted: {n} person{'s' if n != 1 else ''}]"


def _sensitive(frame: pd.DataFrame, column: str) -> np.ndarray[Any, np.dtype[np.bool_]]:
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def protected_names(
    frame: pd.DataFrame, *, persons_column: str = "persons", sensitive_column: str = "sensitive"
) -> tuple[str, ...]:
    """All names listed in ``persons`` of the sensitive rows of ``frame``, sorted."""
    if persons_column not in frame.columns:
        return ()
    persons = frame[persons_column][_sensitive(frame, sensitive_column)]
    names: set[str] = set()
    for value in persons.tolist():  # sensitive rows only
        names.update(_as_names(value))
    return tuple(sorted(names))


def redact_series(
    series: pd.Series, pattern: re.Pattern[str] | None
) -> tuple[pd.Series, np.ndarray[Any, np.dtype[np.bool_]]]:
    """``series`` as text with every match of ``pattern`` replaced by ``[redacted]``, and a
    boolean array of the entries that changed. The regex scans each entry once to find the
    ones that match; only those are rewritten."""
    text = series.astype(text_dtype())
    if pattern is None:
        return text, np.zeros(len(text), dtype=bool)
    values = text.to_numpy(dtype=object)  # a copy of the references (NA as pd.NA)
    search = pattern.search
    hit = np.fromiter(
        (type(v) is str and search(v) is not None for v in values), dtype=bool, count=len(values)
    )
    if not hit.any():
        return text, hit
    rows = np.flatnonzero(hit)
    sub = pattern.sub
    values[rows] = [sub(REDACTED, v) for v in values[rows].tolist()]
    return pd.Series(values, index=text.index, name=text.name, dtype=text.dtype), hit


class Redaction(NamedTuple):
    """What :func:`redact_frame` did."""

    frame: pd.DataFrame
    records: int  # rows in which something was redacted
    cells: int  # cells changed (text cells with a name, persons cells)


def redact_frame(
    frame: pd.DataFrame,
    text_columns: Sequence[str],
    *,
    persons_column: str = "persons",
    sensitive_column: str = "sensitive",
    names: Iterable[str] | None = None,
) -> Redaction:
    """Redact protected persons in ``frame`` (a new frame is returned; the input is untouched).

    ``names`` (default: :func:`protected_names` of ``frame``) become one pattern that is
    applied to every row of ``text_columns``. In the persons column (tuples of names), a
    sensitive row's list becomes ``("[redacted: N persons]",)`` and protected names in other
    rows' lists become ``[redacted]``. Work beyond one regex scan per column is proportional to
    the rows that match and the rows that list persons.
    """
    if names is None:
        names = protected_names(
            frame, persons_column=persons_column, sensitive_column=sensitive_column
        )
    pattern = names_pattern(names)
    if pattern is None:
        return Redaction(frame, 0, 0)
    out = frame.copy(deep=False)
    touched = np.zeros(len(frame), dtype=bool)
    cells = 0
    for column in text_columns:
        if column not in out.columns or column == persons_column:
            continue
        text, hit = redact_series(out[column], pattern)
        if hit.any():
            out[column] = text
            touched |= hit
            cells += int(hit.sum())
    if persons_column in out.columns:
        persons, changed = redact_persons(
            out[persons_column], _sensitive(out, sensitive_column), pattern
        )
        out[persons_column] = persons
        touched |= changed
        cells += int(changed.sum())
    return Redaction(out, int(touched.sum()), cells)


def listed_rows(persons: pd.Series) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Positions of the cells of ``persons`` that list someone (a non-empty list or text),
    in one pass; cells without a length (missing values) list no one."""
    values = persons.to_numpy(dtype=object)
    lengths: np.ndarray[Any, Any]
    try:
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    except TypeError:  # missing values among them: pandas' rule (no length -> none listed)
        lengths = persons.str.len().fillna(0).to_numpy(dtype=np.int64)
    return np.flatnonzero(lengths > 0)


class Substitutes(Protocol):
    """What :func:`redact_persons` needs of the names pattern: its ``sub`` (a compiled
    ``re.Pattern`` has it; the privacy policy passes one that compiles on first use)."""

    def sub(self, repl: str, string: str) -> str: ...


def redact_persons(
    persons: pd.Series, sensitive: np.ndarray[Any, np.dtype[np.bool_]], pattern: Substitutes
) -> tuple[pd.Series, np.ndarray[Any, np.dtype[np.bool_]]]:
    """The persons column redacted (a sensitive row's list becomes ``("[redacted: N
    persons]",)``, ``pattern``'s names in other rows' lists ``[redacted]``) and which cells
    changed; only the rows that list someone are visited."""
    values = persons.to_numpy(dtype=object, copy=True)
    changed = np.zeros(len(values), dtype=bool)
    listed = listed_rows(persons)
    # sensitive rows holding a tuple or list (the usual form): the note needs only its length
    rows = listed[sensitive[listed]]
    plain = np.fromiter(
        (type(v) is tuple or type(v) is list for v in values[rows]), dtype=bool, count=rows.size
    )
    rows = rows[plain]
    notes: dict[int, tuple[str, ...]] = {}
    for i, n in zip(rows.tolist(), map(len, values[rows]), strict=True):
        if n not in notes:
            notes[n] = (persons_note(("",) * n),)
        values[i] = notes[n]
    changed[rows] = True
    sub = pattern.sub
    for i in listed[~changed[listed]].tolist():
        names = _as_names(values[i])
        if sensitive[i]:
            new: tuple[str, ...] = (persons_note(names),)
        else:
            new = tuple(sub(REDACTED, p) for p in names)
            if new == names:
                continue
        values[i] = new
        changed[i] = True
    return pd.Series(values, index=persons.index, name=persons.name, dtype=object), changed


def _as_names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split(LIST_DELIMITER) if p.strip())
    if _is_missing(value):
        return ()
    return tuple(str(v) for v in value)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


# --- the cell writer -------------------------------------------------------------------------


class SheetWriter:
    """Writes cells to one XlsxWriter worksheet with the safety rules of this module.

    ``text`` is the only way text reaches a cell: it is cleaned, written string-typed and,
    when formula-like, with a quote-prefixed variant of the requested format. ``link`` adds a
    hyperlink only for http(s) URLs and within Excel's per-sheet limit; anything else is
    written as (safe) text.
    """

    def __init__(self, workbook: Any, worksheet: Any) -> None:
        self.workbook = workbook
        self.sheet = worksheet
        self.links = 0
        self.links_skipped = 0
        self._quoted: dict[int, Any] = {}
        self._plain_quoted = workbook.add_format({"quote_prefix": True})

    def quoted(self, fmt: Any) -> Any:
        """The quote-prefixed twin of ``fmt`` (created once per format)."""
        if fmt is None:
            return self._plain_quoted
        key = id(fmt)
        twin = self._quoted.get(key)
        if twin is None:
            props = _format_props(fmt)
            props["quote_prefix"] = True
            twin = self.workbook.add_format(props)
            self._quoted[key] = twin
        return twin

    def text(self, row: int, col: int, value: Any, fmt: Any = None) -> None:
        if value is None or value is pd.NA:
            return
        text = clean_text(value)
        if is_formula_like(text):
            fmt = self.quoted(fmt)
        self.sheet.write_string(row, col, text, fmt)

    def prepared(self, row: int, col: int, text: str, risky: bool, fmt: Any, qfmt: Any) -> None:
        """Write text already cleaned by :func:`clean_text_series` (hot loops)."""
        self.sheet.write_string(row, col, text, qfmt if risky else fmt)

    def number(self, row: int, col: int, value: Any, fmt: Any = None) -> None:
        if value is None or value is pd.NA:
            return
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            return
        self.sheet.write_number(row, col, number, fmt)

    def date(self, row: int, col: int, value: Any, fmt: Any) -> None:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return
        if isinstance(value, pd.Timestamp):
            if pd.isna(value):
                return
            value = value.to_pydatetime()
        if isinstance(value, dt.datetime):
            value = value.replace(tzinfo=None)
        elif isinstance(value, dt.date):
            value = dt.datetime.combine(value, dt.time())
        else:
            self.text(row, col, value)
            return
        self.sheet.write_datetime(row, col, value, fmt)

    def file_link(self, row: int, col: int, name: str, label: str, fmt: Any) -> bool:
        """``label`` linking to the file ``name`` beside the workbook (a bare file name that
        bhrscore chose, e.g. the companion file); as text when the sheet has no room left."""
        shown = clean_text(label)
        if self.links < MAX_URLS_PER_SHEET:
            cell_format = self.quoted(fmt) if is_formula_like(shown) else fmt
            if self.sheet.write_url(row, col, f"external:{name}", cell_format, shown) == 0:
                self.links += 1
                return True
        self.text(row, col, label)
        return False

    def link(self, row: int, col: int, url: Any, fmt: Any, label: Any = None) -> bool:
        """A hyperlink to ``url`` when it is safe and the sheet still has room; otherwise
        the URL as text. Returns whether a hyperlink was written."""
        target = safe_url(url)
        if target is not None and self.links < MAX_URLS_PER_SHEET:
            shown = clean_text(label if label is not None else target)
            # The displayed string is string-typed; a formula-like label is quote-prefixed.
            cell_format = self.quoted(fmt) if is_formula_like(shown) else fmt
            if self.sheet.write_url(row, col, target, cell_format, shown) == 0:
                self.links += 1
                return True
            self.text(row, col, url if label is None else label)  # refused by XlsxWriter
            return False
        if target is not None:
            self.links_skipped += 1
        self.text(row, col, url if label is None else label)
        return False


@lru_cache(maxsize=1)
def safe_worksheet_class() -> type:
    """XlsxWriter's worksheet, except that text is never written as raw XML.

    XlsxWriter (3.x, constant-memory mode, and its shared strings likewise) treats any string
    that starts with ``<r>`` and ends with ``</r>`` as an already-formatted rich string and
    copies it into the sheet XML unescaped, so evidence text shaped like that could close
    the cell and add a formula cell of its own. bhrscore never writes rich strings: this
    class writes such text as the plain inline string it is (escaped, like all other text).
    """
    from xlsxwriter.utility import _preserve_whitespace
    from xlsxwriter.worksheet import Worksheet

    class SafeWorksheet(Worksheet):  # type: ignore[misc]
        #: its rows may be zipped from their row data file (:func:`_defer_sheet_data`)
        _bhr_defers_rows = True

        def _xml_rich_inline_string(self, string: str, attributes: Any = None) -> None:
            self._xml_inline_string(string, _preserve_whitespace(string), attributes or [])

        def _write_hyperlinks(self) -> None:
            _write_hyperlinks(self)

        def _write_optimized_sheet_data(self) -> None:
            splices = getattr(self, "_bhr_splices", None)
            if splices is None or self.dim_rowmin is None or not hasattr(self.fh, "buffer"):
                super()._write_optimized_sheet_data()
                return
            _defer_sheet_data(self, splices)

        def _opt_reopen(self) -> None:
            if hasattr(self.row_data_fh, "finish"):  # rows deflated as written (book.py)
                self.fh = self.row_data_fh
                return
            super()._opt_reopen()

    return SafeWorksheet


def _defer_sheet_data(ws: Any, splices: dict[str, tuple[int, Any]]) -> None:
    """``<sheetData>`` in constant-memory mode without copying the rows: XlsxWriter copies
    the row data file (text, decoded and encoded again) into the sheet's XML file, which is
    then read back to be zipped. Here the sheet's XML file gets an empty ``<sheetData>``; the
    byte position between its tags and the row data file are recorded in ``splices`` (by the
    XML file's name) for the workbook's zip writer, which puts the rows there as bytes
    (``book._workbook_class``). The row data file is removed by that writer."""
    ws._xml_start_tag("sheetData")
    ws.fh.flush()
    at = ws.fh.buffer.tell()
    ws._xml_end_tag("sheetData")
    rows = ws.row_data_fh
    rows.flush()
    rows.close()
    ws.row_data_fh_closed = True
    # the rows deflated as written (book.py), or the row data file's name
    splices[ws.fh.name] = (at, rows if hasattr(rows, "finish") else ws.row_data_filename)


def _write_hyperlinks(ws: Any) -> None:
    """XlsxWriter's (3.x) ``Worksheet._write_hyperlinks``: the same ``<hyperlinks>`` element,
    byte for byte, and the same relationships, assembled as one string (a briefing's Evidence
    sheet has tens of thousands of links; XlsxWriter's generic attribute writer took about
    9 us a link)."""
    from xlsxwriter.url import UrlTypes
    from xlsxwriter.utility import xl_col_to_name

    hyperlinks = ws.hyperlinks
    if not hyperlinks:
        return
    esc = ws._escape_attributes
    table = ws.table
    external = (UrlTypes.URL, UrlTypes.EXTERNAL)
    letters: dict[int, str] = {}
    parts = ["<hyperlinks>"]
    add = parts.append
    rels = ws.external_hyper_links
    for row_num in sorted(hyperlinks):
        links = hyperlinks[row_num]
        for col_num in sorted(links):
            url = links[col_num]
            # as XlsxWriter: a cell overwritten with a non-string shows the link's text
            if (
                table
                and table[row_num]
                and table[row_num][col_num]
                and table[row_num][col_num].__class__.__name__ != "String"
            ):
                url._is_object_link = True
            letter = letters.get(col_num)
            if letter is None:
                letter = letters[col_num] = xl_col_to_name(col_num)
            ref = f"{letter}{row_num + 1}"
            if url._link_type in external:
                ws.rel_count += 1
                tag = f'<hyperlink ref="{ref}" r:id="rId{ws.rel_count}"'
                if url._anchor:
                    tag += f' location="{esc(url._anchor)}"'
                if url._is_object_link:
                    tag += f' display="{esc(url._text)}"'
                if url._tip:
                    tag += f' tooltip="{esc(url._tip)}"'
                add(tag + "/>")
                rels.append(["/hyperlink", url._target(), "External"])
            else:
                tag = f'<hyperlink ref="{ref}" location="{esc(url._link)}"'
                if url._tip:
                    tag += f' tooltip="{esc(url._tip)}"'
                add(f'{tag} display="{esc(url._text)}"/>')
    add("</hyperlinks>")
    ws.fh.write("".join(parts))


def _format_props(fmt: Any) -> dict[str, Any]:
    """The properties a format was created with (kept by :func:`make_format`)."""
    props = getattr(fmt, "_bhr_props", None)
    if props is None:
        raise ValueError("formats used with SheetWriter must be created with make_format")
    return dict(props)


def make_format(workbook: Any, props: dict[str, Any]) -> Any:
    """``workbook.add_format(props)`` that remembers its properties, so the writer can make a
    quote-prefixed twin of it."""
    fmt = workbook.add_format(props)
    fmt._bhr_props = dict(props)
    return fmt
