"""Validate whole columns at once against the frame schema of :mod:`.frame_schema`.

Readers hand over :class:`Cells`: one table's records column by column, as read (text cells
of CSV/XLSX, or typed JSON values). :func:`validate` converts every column to its frame dtype
and decides, per row, whether the row is *certainly valid*: every value has the right type,
is in its vocabulary, matches its pattern, length and bounds, required fields are there,
nothing is given that the kind does not have, and the kinds' frame checks pass. Such rows go
straight into the frames. Every other row (invalid, or merely doubtful: an unusual number
format, a non-ASCII value under a Unicode-sensitive pattern, an undecidable validator) goes
through pydantic, which is authoritative and words the messages.

The acceptance test is a sufficient condition for pydantic's acceptance with the same values;
the property tests compare this path with the record-by-record one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .frame import COMPANY_RENAMES, Parts, Table, base_dtypes, item_dtypes
from .frame_schema import (
    NO_DEFAULT,
    PYDANTIC_WHITESPACE,
    ItemList,
    Leaf,
    ModelSchema,
    table_schema,
)
from .hooks import FrameView, as_mask

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
Flavor = Literal["flat", "json"]

# datetime64[ns] holds 1677-09-21 .. 2262-04-11; whole years inside that range are accepted
MIN_YEAR, MAX_YEAR = 1678, 2261
_FLAT_INT = r"^-?(0|[1-9][0-9]{0,17})$"
_FLAT_FLOAT = r"^-?(0|[1-9][0-9]{0,300})(\.[0-9]{1,300})?([eE][-+]?[0-9]{1,3})?$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_MIN_DAY = int((np.datetime64(f"{MIN_YEAR}-01-01") - np.datetime64("1970-01-01")).astype(int))
_MAX_DAY = int((np.datetime64(f"{MAX_YEAR}-12-31") - np.datetime64("1970-01-01")).astype(int))
_LIST_JOIN = "\x1f"


@dataclass
class Items:
    """The items of one list of objects (``sources``), one row per item in owner order."""

    owner: IntArray
    valid: BoolArray  # False: the item itself is null (``[null]`` in JSON)
    cells: Cells
    given: BoolArray | None = None  # per owner row: the list is given (JSON ``[]`` counts)


@dataclass
class Cells:
    """One table's records as read, column by column (leaf names of the frame schema)."""

    n: int
    flavor: Flavor
    values: dict[str, pa.Array] = field(default_factory=dict)
    lists: dict[str, pa.Array] = field(default_factory=dict)  # list<...> per row
    present: dict[str, BoolArray] = field(default_factory=dict)  # objects (JSON only)
    items: dict[str, Items] = field(default_factory=dict)
    undecided: BoolArray | None = None  # rows that must go to pydantic whatever their values
    #: required top-level fields whose column is missing from the header: reported once by
    #: the reader (every row is rejected for it), so their absence alone sends no row to
    #: pydantic; the rows' other problems still do
    header_missing: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Limits:
    """What the fast path must leave to pydantic (and the readers' checks)."""

    max_chars: int = 131_072
    max_digits: int = 18


# --- small helpers --------------------------------------------------------------------------


def _bits(bitmap: pa.Buffer, offset: int, n: int) -> BoolArray:
    """``n`` bits of an Arrow bitmap from bit ``offset`` (least significant bit first)."""
    start = offset // 8
    raw = np.frombuffer(bitmap, dtype=np.uint8)[start : (offset + n + 7) // 8 + 1]
    bits = np.unpackbits(raw, bitorder="little")[offset - 8 * start : offset - 8 * start + n]
    return bits.view(bool)


def _given(raw: pa.Array | None, n: int) -> BoolArray:
    if raw is None or pa.types.is_null(raw.type):
        return np.zeros(n, dtype=bool)
    if not raw.null_count:  # most columns: no validity bitmap to unpack
        return np.ones(len(raw), dtype=bool)
    if isinstance(raw, pa.Array) and not pa.types.is_union(raw.type):
        validity = raw.buffers()[0]
        if validity is not None:  # the bitmap itself, unpacked (no boolean array built)
            return _bits(validity, raw.offset, len(raw))
    return np.asarray(raw.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def _np(mask: Any) -> BoolArray:
    """A pyarrow boolean array (nulls = False) -> numpy."""
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    if pa.types.is_boolean(mask.type) and mask.buffers()[1] is not None:
        values = _bits(mask.buffers()[1], mask.offset, len(mask))
        validity = mask.buffers()[0]
        if mask.null_count and validity is not None:
            values &= _bits(validity, mask.offset, len(mask))  # nulls are False
        return values
    if mask.null_count:
        mask = pc.fill_null(mask, False)
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _is_text(raw: pa.Array) -> bool:
    return bool(pa.types.is_string(raw.type) or pa.types.is_large_string(raw.type))


def _null_strings(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def _maybe_padded(text: pa.Array) -> bool:
    """Whether some value of a string array may start or end with whitespace (False: trimming
    cannot change it). Reads the first and last byte of each value from Arrow's buffers: a
    value is maybe padded when one of them is not visible ASCII (ASCII whitespace, control
    characters, or part of a non-ASCII character, the Unicode spaces among them)."""
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        return True
    _, offsets_buf, data_buf = text.buffers()
    if data_buf is None or offsets_buf is None or not len(text):
        return False
    kind = np.int64 if pa.types.is_large_string(text.type) else np.int32
    offsets: IntArray = np.asarray(
        np.frombuffer(offsets_buf, dtype=kind)[text.offset : text.offset + len(text) + 1]
    )
    data = np.frombuffer(data_buf, dtype=np.uint8)
    if not len(data):
        return False
    # an empty value (or a null's slot) reads a neighbour's byte: at worst a needless trim
    first = data[np.minimum(offsets[:-1], len(data) - 1)]
    last = data[offsets[1:] - 1]  # -1 (an empty first value) reads the last byte
    # outside the visible ASCII range 0x21-0x7E (a superset of the edge bytes): uint8 wraps
    return bool(((first - np.uint8(0x21)) > 0x5D).any() or ((last - np.uint8(0x21)) > 0x5D).any())


def _http_url(text: pa.Array) -> BoolArray | None:
    """Twin of ``^https?://\\S+$`` (RE2: ``\\s`` is ``[\\t\\n\\f\\r ]``): ``http://`` or
    ``https://`` and at least one more character, none of them whitespace. Decides only text
    without any byte up to 0x20 (None: the pattern decides); a prefix and a length instead of
    a regular expression per value."""
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        return None
    data = text.buffers()[2]
    if data is not None and bool((np.frombuffer(data, dtype=np.uint8) <= 0x20).any()):
        return None
    length = pc.binary_length(text)
    secure = pc.and_(pc.starts_with(text, "https://"), pc.greater_equal(length, 9))
    plain = pc.and_(pc.starts_with(text, "http://"), pc.greater_equal(length, 8))
    return _np(pc.or_(secure, plain))


def _no_pipe(text: pa.Array) -> BoolArray | None:
    """Twin of ``^[^|]*$`` (every value without ``|``, newlines included): decides text that
    holds no ``|`` byte at all (then every value matches), else None (the pattern decides)."""
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        return None
    data = text.buffers()[2]
    if data is not None and bool((np.frombuffer(data, dtype=np.uint8) == 0x7C).any()):
        return None
    return _given(text, len(text))


def _byte_ranges(chars: str) -> tuple[tuple[int, int], ...]:
    """The ASCII characters ``chars`` as runs of consecutive byte values."""
    runs: list[list[int]] = []
    for code in sorted({ord(c) for c in chars}):
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return tuple((lo, hi) for lo, hi in runs)


def _in_ranges(data: npt.NDArray[np.uint8], ranges: tuple[tuple[int, int], ...]) -> BoolArray:
    """Whether each byte is in one of ``ranges`` (one subtraction per run: uint8 wraps)."""
    out = np.zeros(len(data), dtype=bool)
    for lo, hi in ranges:
        out |= (data - np.uint8(lo)) <= np.uint8(hi - lo)
    return out


_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _charset_twin(first: str, rest: str) -> Callable[[pa.Array], BoolArray | None]:
    """Twin of ``^[first][rest]*$`` for ASCII classes (``first`` within ``rest``): when every
    byte of the text is in ``rest``, a value matches when it is not empty and its first byte
    is in ``first`` (one range test over the bytes and one per value, instead of a regular
    expression per value); text holding any other byte (non-ASCII, spaces, newlines, in a
    null's slot too) is left to the pattern (None)."""
    first_ranges, rest_ranges = _byte_ranges(first), _byte_ranges(rest)

    def twin(text: pa.Array) -> BoolArray | None:
        if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
            return None
        n = len(text)
        _, offsets_buf, data_buf = text.buffers()
        if offsets_buf is None or not n:
            return np.zeros(n, dtype=bool)
        kind = np.int64 if pa.types.is_large_string(text.type) else np.int32
        offsets: IntArray = np.asarray(
            np.frombuffer(offsets_buf, dtype=kind)[text.offset : text.offset + n + 1], np.int64
        )
        data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else None
        if data is None or not len(data):
            return np.zeros(n, dtype=bool)  # every value empty (or null): no match
        if not _in_ranges(data[offsets[0] : offsets[-1]], rest_ranges).all():
            return None
        firsts = data[np.minimum(offsets[:-1], len(data) - 1)]  # read only where not empty
        matched: BoolArray = (
            _given(text, n) & (np.diff(offsets) > 0) & _in_ranges(firsts, first_ranges)
        )
        return matched

    return twin


#: vectorised twins of common field patterns, keyed by the pattern: each gives the pattern's
#: match for every value (False for nulls), or None to leave it to the regular expression
PATTERN_TWINS: dict[str, Callable[[pa.Array], BoolArray | None]] = {
    r"^https?://\S+$": _http_url,
    r"^[^|]*$": _no_pipe,
    r"^[A-Za-z0-9][A-Za-z0-9._:-]*$": _charset_twin(_ALNUM, _ALNUM + "._:-"),  # ids
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$": _charset_twin(_ALNUM, _ALNUM + "._-"),  # sector codes
}


def _take_valid(values: pa.Array, valid: BoolArray) -> pa.Array:
    """``values`` with entries where not ``valid`` set to null."""
    return pc.if_else(pa.array(valid), values, pa.scalar(None, values.type))


# --- value conversion: raw column -> (frame values, certainly valid) -------------------------


@dataclass
class Converted:
    values: Any  # pyarrow array (string/choice codes/...) or numpy
    ok: BoolArray  # value certainly valid (meaningful where given)


def _convert_str(raw: pa.Array, leaf: Leaf, flavor: Flavor, limits: Limits) -> Converted:
    n = len(raw)
    if pa.types.is_null(raw.type):
        return Converted(_null_strings(n), np.ones(n, dtype=bool))
    if not _is_text(raw):
        return Converted(_null_strings(n), np.zeros(n, dtype=bool))
    s = raw
    if flavor == "json" and leaf.strip and _maybe_padded(s):
        s = pc.utf8_trim(s, characters=PYDANTIC_WHITESPACE)
    ok = np.ones(n, dtype=bool)
    byte_length = pc.binary_length(s)
    longest = pc.max(byte_length).as_py() if n else 0
    chars: pa.Array | None = None
    if longest is not None and longest > limits.max_chars:
        chars = pc.utf8_length(s)
        ok &= _np(pc.less_equal(chars, limits.max_chars))
    if n and (leaf.min_length is not None or leaf.max_length is not None):
        # a value has at most as many characters as bytes, and one at least when it has a
        # byte: byte lengths (no decoding) decide the usual bounds; nulls fail them
        ok &= _given(s, n)
        if leaf.min_length is not None and leaf.min_length <= 1:
            ok &= _np(pc.greater_equal(byte_length, leaf.min_length))
        elif leaf.min_length is not None:
            chars = pc.utf8_length(s) if chars is None else chars
            ok &= _np(pc.greater_equal(chars, leaf.min_length))
        if leaf.max_length is not None and longest is not None and longest > leaf.max_length:
            chars = pc.utf8_length(s) if chars is None else chars
            ok &= _np(pc.less_equal(chars, leaf.max_length))
    if leaf.pattern is not None:
        twin = PATTERN_TWINS.get(leaf.pattern)
        matched = twin(s) if twin is not None else None
        if matched is not None:
            ok &= matched
        else:
            try:
                ok &= _np(pc.match_substring_regex(s, leaf.pattern))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                ok[:] = False  # a pattern RE2 cannot run: pydantic decides
        if leaf.unicode_sensitive:
            ok &= _np(pc.string_is_ascii(s))
    for check in leaf.checks:
        ok &= _np(check.accepts(pc.fill_null(s, "")))
    return Converted(s, ok)


def _convert_choice(raw: pa.Array, leaf: Leaf) -> Converted:
    n = len(raw)
    choices = list(leaf.choices or ())
    if pa.types.is_null(raw.type) or not choices:
        return Converted(pa.nulls(n, pa.int32()), np.zeros(n, dtype=bool))
    if not _is_text(raw):
        return Converted(pa.nulls(n, pa.int32()), np.zeros(n, dtype=bool))
    codes = pc.index_in(raw, value_set=pa.array(choices, pa.string()))
    ok = np.asarray(codes.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    return Converted(codes, ok)


def _days_in_month(year: IntArray, month: IntArray) -> IntArray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    table = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    days = table[np.clip(month - 1, 0, 11)]
    out: IntArray = days + ((month == 2) & leap)
    return out


def _convert_date(raw: pa.Array) -> Converted:
    n = len(raw)
    empty = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if pa.types.is_null(raw.type):
        return Converted(empty, np.ones(n, dtype=bool))
    if not _is_text(raw):
        return Converted(empty, np.zeros(n, dtype=bool))
    # Arrow's strict cast accepts exactly the values shaped YYYY-MM-DD that are calendar
    # dates (tested against the pattern): when it accepts every value, no pattern is run
    try:
        dates = pc.cast(raw, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        dates = None
    if dates is not None:
        given = _given(raw, n)
        days = np.asarray(
            pc.fill_null(dates.cast(pa.int32()), 0).to_numpy(zero_copy_only=False), np.int64
        )
        ok = given & (days >= _MIN_DAY) & (days <= _MAX_DAY)
        values = days.astype("datetime64[D]").astype("datetime64[ns]")
        values[~ok] = np.datetime64("NaT")
        return Converted(values, ok)
    shaped = _np(pc.match_substring_regex(raw, _ISO_DATE))
    safe = pc.if_else(pa.array(shaped), raw, pa.scalar("1970-01-01"))
    safe = pc.fill_null(safe, "1970-01-01")
    year = pc.cast(pc.utf8_slice_codeunits(safe, 0, 4), pa.int64()).to_numpy()
    month = pc.cast(pc.utf8_slice_codeunits(safe, 5, 7), pa.int64()).to_numpy()
    day = pc.cast(pc.utf8_slice_codeunits(safe, 8, 10), pa.int64()).to_numpy()
    ok = shaped & (year >= MIN_YEAR) & (year <= MAX_YEAR) & (month >= 1) & (month <= 12)
    ok &= (day >= 1) & (day <= _days_in_month(year, month))
    y = np.where(ok, year, 1970)
    m = np.where(ok, month, 1)
    d = np.where(ok, day, 1)
    stamp = (
        (y - 1970).astype("datetime64[Y]").astype("datetime64[M]")
        + (m - 1).astype("timedelta64[M]")
    ).astype("datetime64[D]") + (d - 1).astype("timedelta64[D]")
    values = stamp.astype("datetime64[ns]")
    values[~ok] = np.datetime64("NaT")
    return Converted(values, ok)


def _bounds_ok(values: Any, bounds: tuple[tuple[str, float], ...]) -> BoolArray:
    ok = np.ones(len(values), dtype=bool)
    for op, bound in bounds:
        with np.errstate(invalid="ignore"):
            if op == "gt":
                ok &= values > bound
            elif op == "ge":
                ok &= values >= bound
            elif op == "lt":
                ok &= values < bound
            elif op == "le":
                ok &= values <= bound
    return ok


def _convert_int(raw: pa.Array, leaf: Leaf, flavor: Flavor, limits: Limits) -> Converted:
    n = len(raw)
    if pa.types.is_null(raw.type):
        return Converted(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    if flavor == "flat" and _is_text(raw):
        shaped = _np(pc.match_substring_regex(raw, _FLAT_INT))
        safe = pc.fill_null(pc.if_else(pa.array(shaped), raw, pa.scalar("0")), "0")
        values = pc.cast(safe, pa.int64()).to_numpy()
        ok = shaped
    elif pa.types.is_integer(raw.type):
        values = pc.fill_null(pc.cast(raw, pa.int64()), 0).to_numpy()
        ok = np.ones(n, dtype=bool)
        if limits.max_digits < 19:
            ok &= np.abs(values) < 10**limits.max_digits
    else:
        return Converted(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool))
    ok &= _bounds_ok(values, leaf.bounds)
    return Converted(values, ok)


def _convert_float(raw: pa.Array, leaf: Leaf, flavor: Flavor, limits: Limits) -> Converted:
    n = len(raw)
    if pa.types.is_null(raw.type):
        return Converted(np.zeros(n), np.ones(n, dtype=bool))
    if flavor == "flat" and _is_text(raw):
        shaped = _np(pc.match_substring_regex(raw, _FLAT_FLOAT))
        safe = pc.fill_null(pc.if_else(pa.array(shaped), raw, pa.scalar("0")), "0")
        values = pc.cast(safe, pa.float64()).to_numpy()
        ok = shaped & np.isfinite(values)
    elif pa.types.is_floating(raw.type) or pa.types.is_integer(raw.type):
        values = pc.fill_null(pc.cast(raw, pa.float64()), 0.0).to_numpy()
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(values) & ~((values == 0) & np.signbit(values))
            ok &= np.abs(values) < 10.0**limits.max_digits
    else:
        return Converted(np.zeros(n), np.zeros(n, dtype=bool))
    ok &= _bounds_ok(values, leaf.bounds)
    return Converted(values, ok)


def _convert_bool(raw: pa.Array, flavor: Flavor) -> Converted:
    n = len(raw)
    if pa.types.is_null(raw.type):
        return Converted(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    if flavor == "flat" and _is_text(raw):
        true = _np(pc.equal(raw, "true"))
        false = _np(pc.equal(raw, "false"))
        return Converted(true, true | false)
    if pa.types.is_boolean(raw.type):
        return Converted(_np(raw), np.ones(n, dtype=bool))
    return Converted(np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))


def _convert_scalar(raw: pa.Array, leaf: Leaf, flavor: Flavor, limits: Limits) -> Converted:
    if leaf.type == "str":
        return _convert_str(raw, leaf, flavor, limits)
    if leaf.type == "choice":
        return _convert_choice(raw, leaf)
    if leaf.type == "date":
        return _convert_date(raw)
    if leaf.type == "int":
        return _convert_int(raw, leaf, flavor, limits)
    if leaf.type == "float":
        return _convert_float(raw, leaf, flavor, limits)
    return _convert_bool(raw, flavor)


# --- converted values -> frame Series --------------------------------------------------------


def string_series(values: pa.Array) -> pd.Series:
    """A pandas ``string`` Series from a pyarrow string array (no copy through Python
    objects where pandas stores strings in pyarrow, as it does from pandas 3)."""
    if pd.StringDtype().storage == "pyarrow":
        return pd.Series(pd.arrays.ArrowStringArray(values.cast(pa.large_string())))
    return pd.Series(values.to_pylist(), dtype="string")  # pragma: no cover - pandas < 3


def _series(conv: Converted, leaf: Leaf, dtype: Any, keep: BoolArray) -> pd.Series:
    """Frame values where ``keep`` (given and certainly valid), missing elsewhere."""
    n = len(keep)
    if leaf.type == "str":
        values = _take_valid(conv.values, keep) if not keep.all() else conv.values
        return string_series(values)
    if leaf.type == "choice":
        cats = list(dtype.categories)
        remap = np.array([cats.index(c) for c in (leaf.choices or ())] + [-1], dtype=np.int64)
        codes = pc.fill_null(conv.values, len(remap) - 1).to_numpy(zero_copy_only=False)
        codes = np.where(keep, remap[np.asarray(codes, dtype=np.int64)], -1)
        return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype, validate=False))
    if leaf.type == "date":
        values = np.where(keep, conv.values, np.datetime64("NaT", "ns")).astype("datetime64[ns]")
        return pd.Series(values)
    if leaf.type == "int":
        return pd.Series(pd.arrays.IntegerArray(np.asarray(conv.values, dtype=np.int64), ~keep))
    if leaf.type == "float":
        return pd.Series(pd.arrays.FloatingArray(np.asarray(conv.values, dtype=np.float64), ~keep))
    return pd.Series(pd.arrays.BooleanArray(np.asarray(conv.values, dtype=bool), ~keep[:n]))


def _fill(series: pd.Series, rows: BoolArray, leaf: Leaf) -> pd.Series:
    """``series`` with the leaf's default where ``rows``."""
    if leaf.default is NO_DEFAULT or leaf.default is None or not rows.any():
        return series
    if leaf.many:
        default = tuple(leaf.default)
        if default == ():
            return series  # missing lists already hold ()
        out = series.to_numpy(dtype=object, copy=True)
        filler = np.empty(int(rows.sum()), dtype=object)
        filler[:] = [default] * len(filler)
        out[rows] = filler
        return pd.Series(out, dtype=object)
    return series.where(~rows, leaf.default)


# --- lists of values --------------------------------------------------------------------------


def _list_parts(raw: pa.Array) -> tuple[pa.Array, IntArray, IntArray, BoolArray]:
    """Flattened items, owner of each item, item count per row, row given."""
    given = np.asarray(raw.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    lengths = pc.fill_null(pc.list_value_length(raw), 0).to_numpy().astype(np.int64)
    flat = pc.list_flatten(raw)
    owner = np.repeat(np.arange(len(raw), dtype=np.int64), lengths)
    return flat, owner, lengths, given


def _tuples(items: pa.Array, lengths: IntArray, keep: BoolArray) -> tuple[pd.Series, BoolArray]:
    """Rows' items as shared tuples (one tuple object per distinct list); rows whose items
    hold the join character are reported as not representable."""
    n = len(lengths)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    if pa.types.is_null(items.type):
        items = pa.nulls(len(items), pa.string())
    bad = np.zeros(n, dtype=bool)
    text = items.cast(pa.string())
    data = text.buffers()[2] if len(text) else None
    # the join character is searched per item only when it is somewhere in the text at all
    if data is not None and bool((np.frombuffer(data, dtype=np.uint8) == 0x1F).any()):
        holds = _np(pc.match_substring(items, _LIST_JOIN))
        if holds.any():
            owner = np.repeat(np.arange(n), lengths)
            bad[owner[holds]] = True
    lists = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), text)
    joined = pc.binary_join(lists, _LIST_JOIN)
    encoded = (
        pc.dictionary_encode(joined).combine_chunks()
        if isinstance(joined, pa.ChunkedArray)
        else pc.dictionary_encode(joined)
    )
    uniques = encoded.dictionary.to_pylist()
    shared = np.empty(len(uniques) + 1, dtype=object)
    shared[: len(uniques)] = [tuple(u.split(_LIST_JOIN)) if u else () for u in uniques]
    shared[len(uniques)] = ()
    idx = pc.fill_null(encoded.indices, len(uniques)).to_numpy(zero_copy_only=False)
    idx = np.where(keep & (lengths > 0), np.asarray(idx, dtype=np.int64), len(uniques))
    return pd.Series(shared[idx], dtype=object), bad


def _convert_many(
    raw: pa.Array | None, leaf: Leaf, flavor: Flavor, limits: Limits, n: int
) -> tuple[pd.Series, BoolArray, BoolArray]:
    """(tuples, given, certainly valid) for a list-of-values leaf."""
    if raw is None or pa.types.is_null(raw.type):
        empty = np.empty(n, dtype=object)
        empty[:] = [()] * n
        return pd.Series(empty, dtype=object), np.zeros(n, bool), np.ones(n, bool)
    if not (pa.types.is_list(raw.type) or pa.types.is_large_list(raw.type)):
        empty = np.empty(n, dtype=object)
        empty[:] = [()] * n
        given = _given(raw, n)
        return pd.Series(empty, dtype=object), given, ~given
    flat, owner, lengths, given = _list_parts(raw)
    item_leaf = Leaf(**{**leaf.__dict__, "many": False})
    conv = _convert_scalar(flat, item_leaf, flavor, limits)
    item_ok = conv.ok & _given(flat, len(flat))
    ok = np.ones(n, dtype=bool)
    if len(owner):
        ok &= np.bincount(owner[~item_ok], minlength=n) == 0
    if leaf.list_min is not None:
        ok &= lengths >= leaf.list_min
    if leaf.list_max is not None:
        ok &= lengths <= leaf.list_max
    if leaf.type == "str":
        items = conv.values
    elif leaf.type == "choice":
        items = pc.take(pa.array(list(leaf.choices or ()), pa.string()), conv.values)
    else:  # lists of numbers or dates: no such field today; pydantic decides
        return _convert_many_generic(n, given)
    tuples, unrepresentable = _tuples(items, lengths, given & ok)
    return tuples, given, ok & ~unrepresentable


def _convert_many_generic(n: int, given: BoolArray) -> tuple[pd.Series, BoolArray, BoolArray]:
    empty = np.empty(n, dtype=object)
    empty[:] = [()] * n
    return pd.Series(empty, dtype=object), given, ~given


# --- the model walk -------------------------------------------------------------------------


class _ChoiceListGroups:
    """A list-of-choices leaf whose kinds differ in their choices (``topics``): the lists
    taken apart, their items looked up and the rows' tuples built once for every group,
    instead of once per group with a ``where``. Each row keeps its list where its kind's
    group accepts it (the first group's for rows of no group), as the groups' conversions
    give it; then the groups' defaults."""

    def __init__(
        self,
        raw: pa.Array,
        groups: list[tuple[Leaf, list[int]]],
        kind_codes: IntArray,
        n_kinds: int,
    ) -> None:
        self.groups = groups
        self.flat, self.owner, self.lengths, self.given = _list_parts(raw)
        union = list(dict.fromkeys(c for leaf, _ in groups for c in (leaf.choices or ())))
        found = pc.index_in(self.flat, value_set=pa.array(union, pa.string()))
        self.codes = np.asarray(
            pc.fill_null(found, len(union)).to_numpy(zero_copy_only=False), np.int64
        )
        self.item_given = _given(self.flat, len(self.flat))
        self.allowed = np.zeros((len(groups), len(union) + 1), dtype=bool)
        group_of_kind = np.zeros(n_kinds + 1, dtype=np.int64)  # no group (-1): the first
        for g, (leaf, ks) in enumerate(groups):
            self.allowed[g, [union.index(c) for c in (leaf.choices or ())]] = True
            group_of_kind[ks] = g
        self.group = group_of_kind[kind_codes]
        self.oks: list[BoolArray] = []
        self.fills: list[tuple[BoolArray, Leaf]] = []

    @classmethod
    def of(
        cls,
        raw: pa.Array | None,
        groups: list[tuple[Leaf, list[int]]],
        kind_codes: IntArray,
        n_kinds: int,
    ) -> _ChoiceListGroups | None:
        """The shared conversion, or None (each group converts) unless the column holds
        lists of text and no choice holds the character the lists are joined with."""
        if raw is None or not (pa.types.is_list(raw.type) or pa.types.is_large_list(raw.type)):
            return None
        item = raw.type.value_type
        if not (pa.types.is_string(item) or pa.types.is_large_string(item)):
            return None
        if any(_LIST_JOIN in c for leaf, _ in groups for c in (leaf.choices or ())):
            return None
        return cls(raw, groups, kind_codes, n_kinds)

    def ok(self, g: int) -> BoolArray:
        """Rows whose list group ``g`` accepts: every item one of its choices, and the
        group's bounds on the number of items."""
        leaf = self.groups[g][0]
        n = len(self.lengths)
        item_ok = self.allowed[g][self.codes] & self.item_given
        ok = np.ones(n, dtype=bool)
        if len(self.owner):
            ok &= np.bincount(self.owner[~item_ok], minlength=n) == 0
        if leaf.list_min is not None:
            ok &= self.lengths >= leaf.list_min
        if leaf.list_max is not None:
            ok &= self.lengths <= leaf.list_max
        self.oks.append(ok)
        return ok

    def series(self, given: BoolArray) -> pd.Series:
        keep = self.given & np.stack(self.oks)[self.group, np.arange(len(self.group))]
        out, _ = _tuples(self.flat, self.lengths, keep)  # kept lists hold choices only
        for missing, leaf in self.fills:
            out = _fill(out, missing, leaf)
        return out


class _ChoiceGroups:
    """A choice leaf whose kinds differ in their choices (``kind``: one value per kind): the
    values looked up once among the frame's categories, then each group's choices as a table
    of categories, instead of one lookup, one Series and one ``where`` per group. The column
    is the one the groups' conversions give: each row's value kept where given and allowed by
    its kind's group (the first group's for rows of no group), then the groups' defaults."""

    def __init__(
        self,
        raw: pa.Array | None,
        groups: list[tuple[Leaf, list[int]]],
        dtype: pd.CategoricalDtype,
        kind_codes: IntArray,
        n_kinds: int,
    ) -> None:
        n = len(kind_codes)
        self.dtype = dtype
        cats = list(dtype.categories)
        missing = len(cats)
        if raw is None or not _is_text(raw):
            self.codes = np.full(n, missing, dtype=np.int64)
        else:
            found = pc.index_in(raw, value_set=pa.array(cats, pa.string()))
            self.codes = np.asarray(
                pc.fill_null(found, missing).to_numpy(zero_copy_only=False), np.int64
            )
        self.allowed = np.zeros((len(groups), missing + 1), dtype=bool)
        group_of_kind = np.zeros(n_kinds + 1, dtype=np.int64)  # no group (-1): the first
        for g, (leaf, ks) in enumerate(groups):
            self.allowed[g, [cats.index(c) for c in (leaf.choices or ())]] = True
            group_of_kind[ks] = g
        self.group = group_of_kind[kind_codes]
        self.fills: list[tuple[BoolArray, Leaf]] = []

    def ok(self, g: int) -> BoolArray:
        """Whether each value is one of group ``g``'s choices."""
        ok: BoolArray = self.allowed[g][self.codes]
        return ok

    def series(self, given: BoolArray) -> pd.Series:
        keep = given & self.allowed[self.group, self.codes]
        codes = np.where(keep, self.codes, -1)
        out = pd.Series(pd.Categorical.from_codes(codes, dtype=self.dtype, validate=False))
        for missing, leaf in self.fills:
            out = _fill(out, missing, leaf)
        return out


@dataclass
class _Result:
    columns: dict[str, pd.Series]
    bad: BoolArray
    items: dict[str, pd.DataFrame]
    present: dict[str, BoolArray]


def _validate(
    cells: Cells,
    models: list[ModelSchema],
    codes: IntArray,
    dtypes: Mapping[str, Any],
    item_types: Mapping[str, Mapping[str, Any]],
    limits: Limits,
) -> _Result:
    n = cells.n
    bad = np.zeros(n, dtype=bool) if cells.undecided is None else cells.undecided.copy()
    bad |= codes < 0
    masks: dict[tuple[int, ...], BoolArray] = {}

    def of_kinds(ks: list[int]) -> BoolArray:
        key = tuple(sorted(set(ks)))
        if key not in masks:
            if len(key) == len(models) and not (codes < 0).any():
                masks[key] = np.ones(n, dtype=bool)
            else:  # a lookup per row (the last slot, for codes of -1, is False)
                member = np.zeros(len(models) + 1, dtype=bool)
                member[list(key)] = True
                masks[key] = member[codes]
        return masks[key]

    for k, model in enumerate(models):
        if not model.decidable:
            bad |= codes == k
    leaf_owners: dict[str, list[tuple[Leaf, int]]] = {}
    for k, model in enumerate(models):
        for name, leaf in model.leaves.items():
            leaf_owners.setdefault(name, []).append((leaf, k))
    # objects: presence (JSON: the object itself; flat: any value under it)
    obj_owners: dict[str, list[tuple[Any, int]]] = {}  # path -> (Obj, kind)
    for k, model in enumerate(models):
        for path, obj in model.objects.items():
            obj_owners.setdefault(path, []).append((obj, k))
    given_of: dict[str, BoolArray] = {}
    for name, owners in leaf_owners.items():
        leaf0 = owners[0][0]
        raw = cells.lists.get(name) if leaf0.many else cells.values.get(name)
        if leaf0.many and raw is None:
            raw = cells.values.get(name)  # a scalar where a list belongs: pydantic decides
        given_of[name] = _given(raw, n)
    for name, raw in [*cells.values.items(), *cells.lists.items()]:
        if name not in leaf_owners:  # a value no kind has: pydantic words it
            bad |= _given(raw, n)
    present: dict[str, BoolArray] = {}
    for path in obj_owners:
        if cells.flavor == "json" and path in cells.present:
            present[path] = cells.present[path]
        else:
            prefix = path + "."
            under = [g for name, g in given_of.items() if name.startswith(prefix)]
            present[path] = np.logical_or.reduce(under) if under else np.zeros(n, dtype=bool)
    for path, mask in cells.present.items():
        if path not in obj_owners:
            bad |= mask
    for path, owners in obj_owners.items():
        kinds = [k for _, k in owners]
        bad |= present[path] & ~of_kinds(kinds)
        for spec, k in owners:
            if spec.required:
                bad |= (codes == k) & ~present[path]
    # leaves: convert, then extra values, required values and defaults per kind group
    columns: dict[str, pd.Series] = {}
    for name, owners in leaf_owners.items():
        given = given_of[name]
        kinds = [k for _, k in owners]
        bad |= given & ~of_kinds(kinds)
        dtype = dtypes.get(name, "object" if owners[0][0].many else "string")
        groups: dict[Leaf, list[int]] = {}
        for leaf, k in owners:
            groups.setdefault(leaf, []).append(k)
        series: pd.Series | None = None
        shared: _ChoiceGroups | _ChoiceListGroups | None = None
        if len(groups) > 1 and all(leaf.type == "choice" for leaf in groups):
            if isinstance(dtype, pd.CategoricalDtype) and not any(leaf.many for leaf in groups):
                shared = _ChoiceGroups(
                    cells.values.get(name), list(groups.items()), dtype, codes, len(models)
                )
            elif all(leaf.many for leaf in groups):
                shared = _ChoiceListGroups.of(
                    cells.lists.get(name), list(groups.items()), codes, len(models)
                )
        for g, (leaf, ks) in enumerate(groups.items()):
            rows = of_kinds(ks) if len(groups) > 1 else np.ones(n, dtype=bool)
            if shared is not None:  # one lookup for every group (e.g. ``kind``)
                ok = shared.ok(g)
            elif leaf.many:
                raw = cells.lists.get(name)
                if raw is None:
                    raw = cells.values.get(name)
                part, _given_k, ok = _convert_many(raw, leaf, cells.flavor, limits, n)
            else:
                raw = cells.values.get(name)
                conv = _convert_scalar(
                    raw if raw is not None else pa.nulls(n), leaf, cells.flavor, limits
                )
                ok = conv.ok
                part = _series(conv, leaf, dtype, given & ok)
            rows_k = of_kinds(ks)
            if not leaf.decidable:
                bad |= rows_k & given
            bad |= rows_k & given & ~ok
            materialized = _materialized(leaf.parent, rows_k, present, models, codes)
            missing = rows_k & materialized & ~given
            if leaf.required and not (leaf.parent is None and name in cells.header_missing):
                bad |= missing
            if shared is not None:
                shared.fills.append((missing, leaf))
                continue
            part = _fill(part, missing, leaf)
            series = part if series is None else series.where(~rows, part)
        if shared is not None:
            series = shared.series(given)
        assert series is not None
        columns[name] = series
    # lists of objects
    items_out: dict[str, pd.DataFrame] = {}
    list_owners: dict[str, list[tuple[Any, int]]] = {}
    for k, model in enumerate(models):
        for path, lst in model.lists.items():
            list_owners.setdefault(path, []).append((lst, k))
    for path in cells.items:
        if path not in list_owners:
            bad |= np.bincount(cells.items[path].owner, minlength=n) > 0
    for path, holders in list_owners.items():
        lst0: ItemList = holders[0][0]
        got = cells.items.get(path)
        if got is None:
            got = Items(np.zeros(0, np.int64), np.zeros(0, bool), Cells(0, cells.flavor))
        count = np.bincount(got.owner, minlength=n) if len(got.owner) else np.zeros(n, np.int64)
        given = got.given if got.given is not None else count > 0
        bad |= given & ~of_kinds([k for _, k in holders])
        for lst, k in holders:
            rows = codes == k
            if not lst.decidable:
                bad |= rows & given
            if lst.required:
                bad |= rows & ~given
            if lst.list_min is not None:
                bad |= rows & given & (count < lst.list_min)
            if lst.list_max is not None:
                bad |= rows & (count > lst.list_max)
        item_codes = np.zeros(len(got.owner), dtype=np.int64)
        sub = _validate(
            got.cells,
            [lst0.item],
            item_codes,
            item_types[path],
            {},
            limits,
        )
        item_bad = sub.bad | ~got.valid
        if len(got.owner):
            bad |= np.bincount(got.owner[item_bad], minlength=n) > 0
        item_frame = pd.DataFrame({"owner": got.owner, **sub.columns})
        items_out[path] = item_frame
    # frame checks (the twins of the model validators)
    view = FrameView(dict(columns), n, present=present, items=items_out)
    seen: dict[int, tuple[str | None, Any, list[int]]] = {}
    for k, model in enumerate(models):
        for scope, check in model.checks:
            seen.setdefault(id(check), (scope, check, []))[2].append(k)
    for scope, check, ks in seen.values():
        rows = of_kinds(ks)
        if not rows.any():
            continue
        if scope is not None:
            rows &= _materialized(scope, rows, present, models, codes, include_self=True)
            failing = check.failing(view.scope(scope))
        else:
            failing = check.failing(view)
        bad |= rows & failing
    return _Result(columns, bad, items_out, present)


def _materialized(
    path: str | None,
    rows: BoolArray,
    present: Mapping[str, BoolArray],
    models: list[ModelSchema],
    codes: IntArray,
    include_self: bool = True,
) -> BoolArray:
    """Rows where the object at ``path`` exists (given, or created by its default)."""
    if path is None:
        return np.ones(len(rows), dtype=bool)
    out = present.get(path, np.zeros(len(rows), dtype=bool)).copy()
    for k, model in enumerate(models):
        obj = model.objects.get(path)
        if obj is not None and obj.materialized:
            out |= codes == k
    parent = path.rsplit(".", 1)[0] if "." in path else None
    if parent is not None:
        out &= _materialized(parent, rows, present, models, codes)
    return out


def validate(cells: Cells, table: Table, limits: Limits | None = None) -> tuple[Parts, BoolArray]:
    """Typed field columns and item tables for every row, and which rows are certainly
    valid (only those rows' values are meaningful)."""
    limits = limits or Limits()
    schema = table_schema(table)
    models = list(schema.models.values())
    n = cells.n
    if table == "evidence":
        raw = cells.values.get("kind")
        if raw is None or not _is_text(raw):
            codes = np.full(n, -1, dtype=np.int64)
        else:
            found = pc.index_in(raw, value_set=pa.array(list(schema.kinds), pa.string()))
            codes = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), np.int64)
    else:
        codes = np.zeros(n, dtype=np.int64)
    dtypes = dict(base_dtypes(table))
    if table == "companies":
        for old, new in COMPANY_RENAMES.items():
            dtypes[old] = dtypes.pop(new)
    item_types = {path: item_dtypes(table, path) for path in schema.lists}
    result = _validate(cells, models, codes, dtypes, item_types, limits)
    ok = ~result.bad
    # the columns in frame order at once (no reordering copy); absent ones all missing
    renames = COMPANY_RENAMES if table == "companies" else {}
    data = {}
    for name, dtype in dtypes.items():
        column = result.columns.get(name)
        if column is None:
            column = pd.Series([None] * n, dtype="object").astype(dtype)
        data[renames.get(name, name)] = column
    base = pd.DataFrame(data, copy=False)
    items = {path: _as_types(frame, item_types[path]) for path, frame in result.items.items()}
    return Parts(base.reset_index(drop=True), items), ok


def _as_types(frame: pd.DataFrame, dtypes: Mapping[str, Any]) -> pd.DataFrame:
    """``frame.astype(dtypes)``, skipped when every column has its dtype already (the item
    columns are built with them: no copy of every column)."""
    if all(
        name in frame.columns and frame[name].dtype == pd.api.types.pandas_dtype(dtype)
        for name, dtype in dtypes.items()
    ):
        return frame
    return frame.astype(dtypes)


def take(parts: Parts, rows: IntArray, table: Table) -> Parts:
    """The parts of the given rows, renumbered 0..len(rows)-1."""
    if len(rows) == len(parts.base) and (not len(rows) or rows[-1] == len(rows) - 1):
        return parts  # every row, in order
    base = parts.base.iloc[rows].reset_index(drop=True)
    position = np.full(len(parts.base), -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    items = {}
    for path, long in parts.items.items():
        owner = long["owner"].to_numpy(dtype=np.int64)
        keep = position[owner] >= 0 if len(owner) else np.zeros(0, dtype=bool)
        kept = long.loc[keep].copy()
        kept["owner"] = position[owner[keep]]
        items[path] = kept.reset_index(drop=True).astype(item_dtypes(table, path))
    return Parts(base, items)


__all__ = ["Cells", "Items", "Limits", "as_mask", "take", "validate"]
