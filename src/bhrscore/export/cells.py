"""Safe spreadsheet cells: formula-injection neutralisation, redaction of named persons, and
hyperlinks restricted to http(s).

Every text cell bhrscore writes to a workbook goes through :class:`SheetWriter` (or, for
frames, :func:`clean_text_series` and :func:`formula_like_mask`), so the rules live here once.

Formula injection
-----------------
Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, also after leading
spaces, and the full-width forms ``＝ ＋ － ＠``, is *formula-like*. In a workbook we

1. always write it as a **string-typed cell** (``write_string``; never ``write`` or
   ``write_formula``), so Excel and LibreOffice show it and never evaluate it, and
2. give the cell the **quotePrefix** style (``quote_prefix`` in XlsxWriter). That is the
   apostrophe Excel shows in the formula bar: if a reader edits the cell and presses Enter it
   stays text instead of turning into a live formula.

The stored value is left *exactly* as the evidence had it (``=HYPERLINK("http://x","click")``
reads back as that text with openpyxl, pandas or our loader), which is why we do not prepend an
apostrophe to the value itself: that would change the data, show a stray ``'`` to every
reader, and be read back as part of the text. A CSV file has no cell types, so text written to
CSV (the companion file for evidence beyond the sheet row limit) *is* prefixed with ``'`` by
:func:`csv_safe`, the OWASP recommendation.

Characters that XML 1.0 cannot hold (C0 controls other than tab, line feed and carriage
return; lone surrogates; U+FFFE/U+FFFF) are removed, carriage returns become line feeds (the
line break of a spreadsheet cell; a stored CR would be escaped as ``_x000D_``, which some
readers show literally) and text is cut at Excel's 32,767 characters per cell.

Redaction
---------
Names listed in ``persons`` of evidence marked ``sensitive`` are replaced by ``[redacted]`` in
the summary and every other text field, as whole words and case-insensitively, unless the
caller opts in with ``include_personal_data=True``. The ``persons`` field itself becomes
``[redacted: N persons]``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

#: characters that make a spreadsheet treat typed text as a formula (incl. full-width forms)
FORMULA_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
_FORMULA_RE = re.compile(r"^(?:[\t\r]|[^\S\t\r]*[=+\-@\uff1d\uff0b\uff0d\uff20])")
_ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_CELL_CHARS = 32_767
MAX_URL_CHARS = 2_079  # Excel's limit on a hyperlink target
MAX_URLS_PER_SHEET = 65_530  # Excel's limit on hyperlinks in one worksheet
_URL_RE = re.compile(r"^https?://[^\s\x00-\x1f\x7f\"<>\\^`{|}]+$", re.IGNORECASE)
REDACTED = "[redacted]"


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
    """Text for a CSV cell: cleaned, and prefixed with ``'`` when formula-like (CSV has no
    cell types, so the apostrophe is the only neutraliser spreadsheet programs honour)."""
    text = clean_text(value)
    return "'" + text if is_formula_like(text) else text


def safe_url(value: Any) -> str | None:
    """``value`` when it is an http(s) URL that can be a hyperlink target, else ``None``
    (``javascript:``, ``file:``, ``mailto:``, relative paths and over-long URLs never become
    links; they are shown as text)."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if len(url) > MAX_URL_CHARS or _URL_RE.match(url) is None:
        return None
    return url


# --- vectorised forms, for frames of evidence ------------------------------------------------


def clean_text_series(series: pd.Series) -> pd.Series:
    """:func:`clean_text` over a string Series (missing values stay missing)."""
    text = series.astype("string")
    text = text.str.replace(_ILLEGAL_XML_RE, "", regex=True)
    text = text.str.replace("\r\n", "\n", regex=False).str.replace("\r", "\n", regex=False)
    too_long = text.str.len() > MAX_CELL_CHARS
    if bool(too_long.fillna(False).any()):
        text = text.where(~too_long.fillna(False), text.str.slice(0, MAX_CELL_CHARS - 1) + "…")
    return text


def formula_like_mask(series: pd.Series) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Boolean array: which entries of a string Series are formula-like."""
    text = series.astype("string")
    return text.str.match(_FORMULA_RE).fillna(False).to_numpy(dtype=bool)


# --- redaction -------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = sorted({n.strip() for n in names if n and n.strip()}, key=lambda n: (-len(n), n))
    if not cleaned:
        return None
    alternatives = "|".join(re.escape(n) for n in cleaned)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def redact(text: str, persons: Iterable[str]) -> str:
    """``text`` with each name in ``persons`` replaced by ``[redacted]``: whole words only,
    case-insensitive, longest names first (so "Anna Ivanova" goes before "Anna")."""
    pattern = _names_pattern(tuple(persons))
    return text if pattern is None else pattern.sub(REDACTED, text)


def persons_note(persons: Sequence[str]) -> str:
    """What the ``persons`` cell of redacted evidence shows."""
    n = len(persons)
    return f"[redacted: {n} person{'s' if n != 1 else ''}]"


def redact_frame(
    frame: pd.DataFrame,
    text_columns: Sequence[str],
    *,
    persons_column: str = "persons",
    sensitive_column: str = "sensitive",
) -> tuple[pd.DataFrame, int]:
    """Redact named persons of sensitive rows in ``text_columns`` (and the persons column).

    Returns the new frame and the number of rows redacted. Only sensitive rows that list
    persons are touched, so the Python-level work is proportional to those rows.
    """
    if persons_column not in frame.columns or sensitive_column not in frame.columns:
        return frame, 0
    persons = frame[persons_column]
    has_persons = persons.map(lambda v: bool(v) and not _is_missing(v)).to_numpy(dtype=bool)
    sensitive = frame[sensitive_column].astype("boolean").fillna(False).to_numpy(dtype=bool)
    rows = np.flatnonzero(has_persons & sensitive)
    if rows.size == 0:
        return frame, 0
    out = frame.copy()
    names = [_as_names(persons.iloc[i]) for i in rows]
    for column in text_columns:
        if column not in out.columns or column == persons_column:
            continue
        values = out[column].iloc[rows].astype("string")
        redacted = [
            None if pd.isna(v) else redact(str(v), ns) for v, ns in zip(values, names, strict=True)
        ]
        column_values: list[Any] = list(out[column].astype("string"))
        for i, text in zip(rows.tolist(), redacted, strict=True):
            column_values[i] = text
        out[column] = pd.array(column_values, dtype="string")
    notes: list[Any] = list(out[persons_column])
    for i, ns in zip(rows.tolist(), names, strict=True):
        notes[i] = (persons_note(ns),)
    out[persons_column] = pd.Series(notes, index=out.index, dtype="object")
    return out, int(rows.size)


def _as_names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split("|") if p.strip())
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

    def link(self, row: int, col: int, url: Any, fmt: Any, label: Any = None) -> bool:
        """A hyperlink to ``url`` when it is safe and the sheet still has room; otherwise
        the URL as text. Returns whether a hyperlink was written."""
        target = safe_url(url)
        if target is not None and self.links < MAX_URLS_PER_SHEET:
            shown = clean_text(label if label is not None else target)
            # The displayed string is string-typed; a formula-like label is quote-prefixed.
            cell_format = self.quoted(fmt) if is_formula_like(shown) else fmt
            self.sheet.write_url(row, col, target, cell_format, shown)
            self.links += 1
            return True
        if target is not None:
            self.links_skipped += 1
        self.text(row, col, url if label is None else label)
        return False


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
