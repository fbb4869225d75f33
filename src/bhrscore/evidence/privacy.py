"""One privacy policy for every output: who is protected, how their names are found, and what
replaces them.

Protected persons are the names listed in ``persons`` of evidence marked ``sensitive`` (and of
rejected records that are, or may be, sensitive). People named in this data face arrest and
reprisals, so every output starts from the redacted form unless the caller opts in
(``include_personal_data=True`` / ``--include-personal-data``).

Matching
--------
A name is reduced to a *key*: Unicode NFKD, combining marks stripped, case folded, split into
letter/digit tokens ("José Núñez" -> ``jose``, ``nunez``). Each key letter becomes a character
class of every code point with that key (``e`` matches ``e E é É ê ｅ`` ...), optionally
followed by combining marks, invisible format characters or their percent-encoded forms, so
NFC, NFD, NFKC, upper, lower, accent-less and percent-encoded spellings all match the same
pattern, applied to the text as it is (no normalised copy whose positions would have to be
mapped back). Tokens may be separated by white space, ``- _ . + '``, their percent-encodings,
or nothing where a capital starts the next token (``MukhtarUmbetov``; ``mukhtarumbetov`` is
not matched), and may come in either order (surname first), so the same pattern finds names
in free text, URL slugs (``mukhtar-umbetov``, ``mukhtar_umbetov``, ``Mukhtar%20Umbetov``)
and record ids (``ud-mukhtar-umbetov-2021``). A match must start and end at a word edge: not
inside a run of letters, except where a capital starts a camel-case part.

Replacement
-----------
- free text: each match becomes ``[redacted]`` (:data:`REDACTED`);
- a URL carrying a name: no link target; the text ``[link removed] <domain>: <title>``
  (domain and title redacted), so a reader still sees where the claim comes from;
- an id carrying a name: a stable opaque id, ``rec-`` + the first 10 hex digits of
  SHA-256 of a fixed salt and the id: the same in every output and every run;
- ``persons`` of a sensitive record: ``[redacted: N persons]``; protected names listed in
  other records: ``[redacted]``.

Counts of what was replaced (records, cells, links, ids) travel with the result, so the
briefing's Data quality sheet can say so.

Scores never depend on the redaction: :func:`bhrscore.score` scores the evidence as given and
redacts the score card's ids afterwards (record ids break ties in some aggregates, so
renaming them before scoring could move a score).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..rubric.scorecard import ScoreCard
    from .evidence_set import EvidenceSet
    from .frame import Frames
    from .report import Problem, ValidationReport

#: what a protected name becomes in text (the wording the briefing always used)
REDACTED = "[redacted]"
#: what a withheld value of a rejected sensitive record becomes in messages
WITHHELD = "[withheld: sensitive record]"
#: the opaque id prefix and the salt of its hash (fixed: ids stay stable across runs, rubrics
#: and bundles; the salt only keeps the digest from being a plain hash of the id)
OPAQUE_PREFIX = "rec-"
_SALT = b"bhrscore/privacy/opaque-id/v1:"
LINK_REMOVED = "[link removed]"

#: evidence frame columns that are codes or slugs of companies and vocabularies, not text
#: that could name a person (record ids are handled as ids, URLs as URLs)
NOT_TEXT = frozenset(
    {"id", "company_id", "country", "group.origin_group", "group.sector", "currency",
     "framework", "question_id", "kind"}
)  # fmt: skip
#: evidence frame columns holding URLs (the item tables' ``url`` too)
URL_COLUMNS = ("source_url", "company_response.url")
#: list columns of free text (``persons`` has its own rule; topics and standards are codes)
TEXT_LISTS = ("tags",)


# --- the matcher ---------------------------------------------------------------------------


def _strip_marks(text: str) -> str:
    return "".join(c for c in text if not unicodedata.category(c).startswith("M"))


def key_of(text: str) -> str:
    """``text`` reduced for comparison: NFKD, combining marks stripped, case folded."""
    return _strip_marks(unicodedata.normalize("NFKD", text)).casefold()


#: where letters with a key of their own live: Latin, Greek, Cyrillic and the other alphabetic
#: scripts, letterlike symbols, ligatures, full-width forms, mathematical alphanumerics
#: (scripts outside, e.g. CJK, match themselves)
_PLANES = (
    range(0x20, 0x3000),
    range(0xFB00, 0xFB50),
    range(0xFF00, 0xFFF0),
    range(0x1D400, 0x1D800),
)


@lru_cache(maxsize=1)
def _fold_table() -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """Key character -> every code point with that key, and two-letter keys (``ß`` -> ss)
    -> their code points."""
    single: dict[str, list[int]] = defaultdict(list)
    double: dict[str, list[int]] = defaultdict(list)
    cps = list(itertools.chain(*_PLANES))
    for cp, key in zip(cps, _keys_of(cps), strict=True):
        if len(key) == 1 and key.isalnum():
            single[key].append(cp)
        elif len(key) == 2 and key.isalnum():
            double[key].append(cp)
    return (
        {k: tuple(v) for k, v in single.items()},
        {k: tuple(v) for k, v in double.items()},
    )


def _keys_of(cps: list[int]) -> list[str]:
    """:func:`key_of` of each code point, in a few calls on one string instead of a Python
    loop over each (it is built once per process, on the way to the first redaction):
    NFKD, case folding and the removal of marks act on each character alone, and the
    characters are kept apart by NULs (a starter: marks are not reordered across it)."""
    norm = unicodedata.normalize("NFKD", "\0".join(map(chr, cps)))
    codes = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32)
    category = unicodedata.category
    marks = [u for u in np.unique(codes).tolist() if category(chr(u)).startswith("M")]
    kept = codes[~np.isin(codes, np.array(marks, dtype=np.uint32))]
    return kept.tobytes().decode("utf-32-le").casefold().split("\0")


def _ranges(cps: Iterable[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for cp in sorted(set(cps)):
        if out and cp == out[-1][1] + 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def _cls(cps: Iterable[int]) -> str:
    """A character class for Python's ``re``. Code points past ASCII are written as they
    are (nothing there is special in a class, and a literal parses several times faster
    than an escape: the names pattern holds thousands of them); ASCII ones as ``\\U``
    escapes (``] \\ ^ -`` and the rest need no thought)."""
    parts = []
    for lo, hi in _ranges(cps):
        parts.append(_esc(lo) if lo == hi else f"{_esc(lo)}-{_esc(hi)}")
    return "[" + "".join(parts) + "]"


def _esc(cp: int) -> str:
    return chr(cp) if cp >= 0x80 else f"\\U{cp:08X}"


@lru_cache(maxsize=1)
def _marks_unit() -> str:
    """Combining marks, invisible format characters, and percent-encoded combining
    diacritics (U+0300-U+036F are ``%CC%80``-``%CD%AF``), any number of them."""
    marks = [
        cp
        for cp in itertools.chain(range(0x300, 0x370), range(0x1AB0, 0x1B00),
                                  range(0x1DC0, 0x1E00), range(0x20D0, 0x2100),
                                  range(0xFE20, 0xFE30))
        if unicodedata.category(chr(cp)).startswith("M")
    ]  # fmt: skip
    invisible = [0xAD, 0x34F, *range(0x200B, 0x2010), *range(0x2060, 0x2065), 0xFEFF]
    return f"(?:{_cls(marks + invisible)}|%[cC][cCdD]%[89aAbB][0-9a-fA-F])*"


_SEPARATOR = (
    "(?:[\\s\\-_.,+'\u2019\u2018\u00b7\u00ad\u200b-\u200f\u2060\ufeff]"
    "|%20|%2[dDeE]|%5[fF]|%27|%[eE]2%80%99)"
)


def _percent(cp: int) -> str:
    return "".join(f"%{b:02X}" for b in chr(cp).encode("utf-8"))


@lru_cache(maxsize=4096)
def _char_unit(key: str) -> str:
    """One letter of a key: any code point with that key, or the percent-encoding of one
    (two bytes: ``%C3%A9``, in upper or lower case hex)."""
    single, _ = _fold_table()
    cps = single.get(key, (ord(key),))
    encoded = [_percent(cp) for cp in cps if 0x80 <= cp < 0x800]
    if not encoded:
        return f"(?:{_cls(cps)})"
    return f"(?:{_cls(cps)}|{_trie(sorted({*encoded, *(e.lower() for e in encoded)}))})"


def _trie(strings: list[str]) -> str:
    """A pattern matching exactly ``strings`` (distinct, of one length, ASCII without regex
    syntax: percent-encodings), as a trie whose branches with the same rest share one
    class (``%C3%A8 %C3%A9 %C3%AA`` -> ``%C3%[8A][89]...``). It compiles in a fraction of
    the time of one alternative per string; the strings are all of one length, so at most
    one can match at a place and the order of the branches does not matter."""
    if len(strings[0]) == 1:
        return _ascii_class(strings)
    rests: dict[str, list[str]] = defaultdict(list)
    for s in strings:
        rests[s[0]].append(s[1:])
    firsts: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for first, rest in rests.items():
        firsts[tuple(rest)].append(first)
    parts = [_ascii_class(f) + _trie(list(rest)) for rest, f in firsts.items()]
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


def _ascii_class(chars: list[str]) -> str:
    return chars[0] if len(chars) == 1 else "[" + "".join(chars) + "]"


@lru_cache(maxsize=4096)
def _token_pattern(token: str) -> str:
    _, double = _fold_table()
    marks = _marks_unit()
    out: list[str] = []
    i = 0
    while i < len(token):
        pair = token[i : i + 2]
        if len(pair) == 2 and pair in double:
            two = _char_unit(pair[0]) + marks + _char_unit(pair[1]) + marks
            out.append(f"(?:{two}|{_cls(double[pair])}{marks})")
            i += 2
        else:
            out.append(_char_unit(token[i]) + marks)
            i += 1
    return "".join(out)


def name_tokens(name: str) -> tuple[str, ...]:
    """The key tokens of a name: "José Núñez" -> ("jose", "nunez")."""
    return tuple(t for t in re.split(r"[\W_]+", key_of(name)) if t)


@lru_cache(maxsize=1)
def _upper() -> frozenset[int]:
    """The capitals that may start a camel-case part (those of :data:`_PLANES`)."""
    return frozenset(cp for cp in itertools.chain(*_PLANES) if chr(cp).isupper())


@lru_cache(maxsize=1)
def _upper_class() -> str:
    return _cls(_upper())


@lru_cache(maxsize=4096)
def _first_upper(token: str) -> frozenset[int]:
    """The capitals a match of :func:`_token_pattern` of ``token`` can start with: those
    of its first unit's class (and of the two-letter class where the token starts with
    one, ``æ``); its percent-encodings start with ``%``."""
    single, double = _fold_table()
    first = set(single.get(token[0], (ord(token[0]),)))
    if len(token) > 1 and token[:2] in double:
        first.update(double[token[:2]])
    return _upper() & first


@lru_cache(maxsize=4096)
def _written_upper(char: str) -> frozenset[int]:
    """The capitals that ``char`` matches case-insensitively (asked of ``re`` itself, so
    its own case rules hold: the Kelvin sign is a ``k``)."""
    match = re.compile(re.escape(char), re.IGNORECASE).match
    return frozenset(cp for cp in _upper() if match(chr(cp)))


def _camel(capitals: frozenset[int]) -> str:
    """The camel-case branch of an assertion: ``|(?=[...])`` of ``capitals``, or nothing
    when there are none (such a branch could never hold)."""
    return f"|(?={_cls(capitals)})" if capitals else ""


@lru_cache(maxsize=64)
def _compile(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """The pattern of :func:`names_matcher`.

    Where a capital may start a camel-case part (between tokens, at the start), the
    lookahead names only the capitals the next token can begin with, not every capital:
    the token must match right there, so a capital it cannot begin with would fail anyway
    and the matches are the same (tests/test_privacy_matcher.py keeps the earlier form,
    every capital in each lookahead, and checks both find the same spans). The end
    assertion looks at the character after the name, any capital."""
    tokens = {name_tokens(n) for n in names}
    tokens.discard(())
    # surname first ("Umbetov Mukhtar") is as common a spelling as the given order
    tokens |= {t[::-1] for t in tokens if len(t) > 1}
    if not tokens:
        return None
    ordered = sorted(tokens, key=lambda t: (-sum(map(len, t)), t))
    # between tokens: separators, or none where a capital starts the next (camel case);
    # "Janeexample" is another word, "JaneExample" and "jane-example" are the name
    separators = f"(?:{_SEPARATOR}+"
    alternatives = "|".join(
        _token_pattern(ts[0])
        + "".join(f"{separators}{_camel(_first_upper(t))}){_token_pattern(t)}" for t in ts[1:])
        for ts in ordered
    )
    # the names as written come first, punctuation included ("J. (Jo) Smith+")
    literal = sorted(
        {tuple(n.split()) for n in names if n.split()}, key=lambda p: -len(" ".join(p))
    )
    written = "|".join("\\s+".join(re.escape(w) for w in p) for p in literal)
    alternatives = f"(?i:{written})|{alternatives}"
    capitals = frozenset().union(
        *(_first_upper(ts[0]) for ts in ordered), *(_written_upper(p[0][0]) for p in literal)
    )
    start = f"(?:(?<![^\\W\\d_]){_camel(capitals)})"
    end = f"(?:(?![^\\W\\d_])|(?={_upper_class()}))"
    return re.compile(f"{start}(?:{alternatives}){end}")


def names_matcher(names: Iterable[str]) -> re.Pattern[str] | None:
    """One regex finding any of ``names`` in any Unicode form, case, accent-less spelling,
    slug or percent-encoding (see the module docstring); ``None`` without names."""
    return _compile(tuple(sorted({n for n in names if n and n.strip()})))


@lru_cache(maxsize=64)
def _any_tokens(names: tuple[str, ...]) -> bool:
    """Whether :func:`names_matcher` of ``names`` is not None, without compiling it (the
    pattern takes a few tenths of a second to compile: it is compiled only where the
    pre-filter finds a candidate, or text is replaced)."""
    return any(name_tokens(n) for n in names if n and n.strip())


@lru_cache(maxsize=64)
def _prefilter(names: tuple[str, ...]) -> str:
    """The RE2 pattern of the pre-filter: the key tokens of each name (and reversed), any
    non-alphanumerics between them, on text that is NFKD-normalised, without marks and
    format characters, lower-cased and with ``ß`` as ``ss``."""
    alternatives = set()
    for name in names:
        tokens = name_tokens(name)
        if tokens:
            alternatives.add("[^\\pL\\pN]*".join(re.escape(t) for t in tokens))
            alternatives.add("[^\\pL\\pN]*".join(re.escape(t) for t in tokens[::-1]))
    return "|".join(sorted(alternatives))


@lru_cache(maxsize=64)
def _ascii_prefilter(names: tuple[str, ...]) -> str:
    """:func:`_prefilter` for ASCII text: ``[^a-zA-Z0-9]`` between the tokens, which on
    ASCII is ``[^\\pL\\pN]``, and which RE2 compiles in a tenth of a millisecond instead
    of five (Arrow compiles the pattern at every call: a few calls per column). On text
    with non-ASCII letters it matches more, never less; the non-ASCII rows are searched
    again, normalised, with :func:`_prefilter` (see :func:`_chunk_candidates`)."""
    return _prefilter(names).replace("[^\\pL\\pN]", "[^a-zA-Z0-9]")


#: rows per block of the pre-filter's first pass (one RE2 search per block of text, not per
#: row: the per-row overhead of RE2 dominates on short cells)
_BLOCK = 1024
#: at most this many distinct literals (:func:`_required`) are looked for in the blocks
#: before the pattern: a literal search runs at memory speed when the literal is absent, the
#: pattern (an RE2 automaton) at a tenth of that; more literals than this would cost more
#: than the pattern they spare
_LITERALS = 4
#: at most this many runs of blocks holding a literal are searched as slices (one RE2 call
#: each); past that the pattern searches every block
_RUNS = 16


@lru_cache(maxsize=64)
def _required(names: tuple[str, ...]) -> tuple[str, ...]:
    """Literals of which a text matching :func:`_prefilter` holds at least one (ignoring
    case): each name's longest token, which each of its two alternatives spells out."""
    longest = {max(tokens, key=len) for n in names if (tokens := name_tokens(n))}
    return tuple(sorted(longest))


def _candidates(text: pd.Series, names: tuple[str, ...]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Entries that may hold one of ``names``: those whose normalised form contains a name's
    tokens, and every entry with a ``%`` (percent-encoding is only undone by the exact
    pattern). A superset of the exact matches, computed with pyarrow (C++) and numpy.

    ASCII entries (ids, slugs, most text) need only case folding: NFKD leaves ASCII as it is
    and ASCII holds no marks, format characters or ß. They are searched a block of
    :data:`_BLOCK` rows at a time (a name in a row is in its block; a match across rows only
    makes the block's rows searched one by one), and the rows of matching blocks one by one.
    Entries with non-ASCII bytes are normalised in full and searched one by one. Each Arrow
    chunk is searched where it is (no combined copy)."""
    import pyarrow as pa

    arr = pa.array(text.astype("string").array).cast(pa.large_string())
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    patterns = (_ascii_prefilter(names), _prefilter(names), _required(names))
    found = [_chunk_candidates(chunk, *patterns) for chunk in chunks if len(chunk)]
    return np.concatenate(found) if found else np.zeros(len(text), dtype=bool)


def _chunk_candidates(
    arr: Any, ascii_pattern: str, pattern: str, required: tuple[str, ...] = ()
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """:func:`_candidates` of one Arrow ``large_string`` array (not empty). Blocks and their
    rows are searched with ``ascii_pattern`` (:func:`_ascii_prefilter`): exact for the
    ASCII rows, and a block holding an ASCII row that matches matches too; the non-ASCII
    rows' flags are then replaced by the search of their normalised text with
    ``pattern``, so the result is that of ``pattern`` throughout."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..export.cells import rows_holding

    n = len(arr)
    found = np.zeros(n, dtype=bool)
    buffers = arr.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    text_buffer = buffers[2] if buffers[2] is not None else pa.py_buffer(b"")
    data = np.frombuffer(text_buffer, dtype=np.uint8)
    percent = rows_holding(offsets, data, lambda part: part == 0x25)  # "%"
    wide = rows_holding(offsets, data, lambda part: part >= 0x80)  # non-ASCII
    starts = np.arange(0, n, _BLOCK)
    bounds = np.append(offsets[starts], offsets[-1]).astype(np.int64)
    blocks = pa.Array.from_buffers(
        pa.large_string(), len(starts), [None, pa.py_buffer(bounds), text_buffer]
    )
    hot = _hot_blocks(blocks, ascii_pattern, required)
    if hot.size:
        rows = (hot[:, None] * _BLOCK + np.arange(_BLOCK)).ravel()
        rows = rows[rows < n]
        one = pc.match_substring_regex(
            arr.take(pa.array(rows)), pattern=ascii_pattern, ignore_case=True
        )
        found[rows] = _flags(one, False)
    if wide.size:
        norm = pc.utf8_normalize(arr.take(pa.array(wide)), form="NFKD")
        norm = pc.replace_substring_regex(norm, pattern="[\\pM\\p{Cf}]", replacement="")
        norm = pc.replace_substring(pc.utf8_lower(norm), pattern="ß", replacement="ss")
        found[wide] = _flags(pc.match_substring_regex(norm, pattern=pattern), False)
    found[percent] = True
    return found


def _hot_blocks(blocks: Any, pattern: str, required: tuple[str, ...]) -> np.ndarray[Any, Any]:
    """The positions of the ``blocks`` (Arrow text, no nulls) that match ``pattern``
    (ignoring case). With a few :func:`_required` literals, only the blocks holding one of
    them are searched with the pattern (the others cannot match it), as slices of the
    blocks (no copy of the text) when they form at most :data:`_RUNS` runs."""
    import pyarrow.compute as pc

    def search(part: Any) -> np.ndarray[Any, np.dtype[np.bool_]]:
        return _flags(pc.match_substring_regex(part, pattern=pattern, ignore_case=True), True)

    if required and len(required) <= _LITERALS:
        maybe = np.zeros(len(blocks), dtype=bool)
        for literal in required:
            maybe |= _flags(pc.match_substring(blocks, pattern=literal, ignore_case=True), True)
        edges = np.flatnonzero(np.diff(maybe.astype(np.int8), prepend=0, append=0))
        if edges.size <= 2 * _RUNS:  # (start, end) of each run of blocks holding a literal
            hot = [
                start + np.flatnonzero(search(blocks.slice(start, end - start)))
                for start, end in edges.reshape(-1, 2).tolist()
            ]
            return np.concatenate([np.zeros(0, dtype=np.intp), *hot])
    return np.flatnonzero(search(blocks))


def _flags(values: Any, missing: bool) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """A pyarrow boolean array as a writable numpy array (nulls as ``missing``)."""
    out = values.fill_null(missing).to_numpy(zero_copy_only=False)
    return np.array(out, dtype=bool)


def opaque_id(record_id: str) -> str:
    """The stable opaque id that replaces ``record_id`` when it carries a protected name."""
    digest = hashlib.sha256(_SALT + record_id.encode("utf-8")).hexdigest()
    return OPAQUE_PREFIX + digest[:10]


def domain_of(url: str) -> str:
    """The host of ``url`` (lower case, without ``www.``), or ``"unknown source"``."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        host = ""
    host = host.removeprefix("www.")
    return host or "unknown source"


# --- the policy ----------------------------------------------------------------------------


class Counts(NamedTuple):
    """What a redaction replaced."""

    records: int = 0  # rows in which anything was replaced
    cells: int = 0  # text cells with a name (persons cells included)
    urls: int = 0  # links replaced by domain and title
    ids: int = 0  # ids replaced by opaque ids

    def __add__(self, other: object) -> Counts:  # type: ignore[override]
        if not isinstance(other, Counts):
            return NotImplemented
        return Counts(*(a + b for a, b in zip(self, other, strict=True)))


class Redacted(NamedTuple):
    """A redacted frame and what was replaced in it."""

    frame: pd.DataFrame
    counts: Counts


@dataclasses.dataclass(frozen=True)
class Privacy:
    """The protected names and how they are replaced. Build it with :meth:`of`."""

    names: tuple[str, ...]
    #: the record ids of the evidence the policy was built from that carry a protected name
    #: (``None``: not known; lists of ids are then searched themselves)
    named_ids: frozenset[str] | None = dataclasses.field(default=None, compare=False)

    @classmethod
    def of(
        cls,
        evidence: EvidenceSet | Frames | pd.DataFrame | None,
        report: ValidationReport | None = None,
    ) -> Privacy:
        """The policy of an evidence set (or its frames, or the evidence frame): the persons
        of its sensitive records, and of the rejected records of ``report`` (default: the
        set's report) that are sensitive or whose sensitivity is not known."""
        from ..export.cells import protected_names
        from .evidence_set import EvidenceSet

        frame = _evidence_frame(evidence)
        names = set(protected_names(frame)) if frame is not None else set()
        if report is None and isinstance(evidence, EvidenceSet):
            report = evidence.report
        if report is not None:
            names.update(rejected_names(report))
        policy = cls(tuple(sorted(names)))
        if frame is None or "id" not in frame.columns or not policy:
            return policy
        ids = frame["id"].astype("string")
        named = ids[policy._hits(ids)]
        return dataclasses.replace(policy, named_ids=frozenset(named.dropna().tolist()))

    @property
    def pattern(self) -> re.Pattern[str] | None:
        return names_matcher(self.names)

    def __bool__(self) -> bool:
        return _any_tokens(self.names)

    # --- scalars ---------------------------------------------------------------------------

    def text(self, value: str) -> str:
        """``value`` with every protected name replaced by ``[redacted]``."""
        pattern = self.pattern
        return value if pattern is None else pattern.sub(REDACTED, value)

    def names_in(self, value: str) -> bool:
        pattern = self.pattern
        return pattern is not None and pattern.search(value) is not None

    def link_text(self, url: str, title: str | None) -> str:
        """What replaces a URL carrying a name: its domain and the (redacted) title."""
        shown = f"{LINK_REMOVED} {self.text(domain_of(url))}"
        return shown + (f": {self.text(title)}" if title else "")

    # --- columns ---------------------------------------------------------------------------

    def _hits(self, text: pd.Series) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Which entries hold a protected name: a vectorised pre-filter (RE2 on a normalised
        copy, in C++) picks the candidates, the exact pattern checks only those."""
        hit = np.zeros(len(text), dtype=bool)
        if not self or not len(text):
            return hit
        candidates = np.flatnonzero(_candidates(text, self.names))
        if candidates.size:  # only the candidates become Python strings
            values = text.iloc[candidates].to_numpy(dtype=object)
            pattern = self.pattern
            assert pattern is not None
            search = pattern.search
            hit[candidates] = [type(v) is str and search(v) is not None for v in values]
        return hit

    def text_series(
        self, series: pd.Series
    ) -> tuple[pd.Series, np.ndarray[Any, np.dtype[np.bool_]]]:
        """A text column with names replaced, and which entries changed (only those are
        rewritten)."""
        text = series.astype("string")
        hit = self._hits(text)
        if not hit.any():
            return text, hit
        assert self.pattern is not None
        rows = np.flatnonzero(hit)
        sub = self.pattern.sub
        return _replaced(text, rows, [sub(REDACTED, v) for v in _at(text, rows)]), hit

    def id_series(self, series: pd.Series) -> tuple[pd.Series, np.ndarray[Any, np.dtype[np.bool_]]]:
        """Ids (text cells, or tuples of ids) with every id carrying a name replaced by its
        :func:`opaque_id`, and which entries changed. Only rows holding such an id are
        rebuilt."""
        if not self or len(series) == 0:
            return series, np.zeros(len(series), dtype=bool)
        if series.dtype != object or not _holds_tuples(series):
            text = series.astype("string")
            hit = self._hits(text)
            if not hit.any():
                return text, hit
            rows = np.flatnonzero(hit)
            return _replaced(text, rows, [opaque_id(v) for v in _at(text, rows)]), hit
        if self.named_ids is not None and not self.named_ids:
            return series, np.zeros(len(series), dtype=bool)  # no id carries a name
        flat = series.explode()
        flat = flat[flat.notna()]
        if self.named_ids is not None:
            bad = list(self.named_ids)
        else:
            unique = pd.Series(pd.unique(flat.astype(str).to_numpy()), dtype=object)
            bad = unique[self._hits(unique)].tolist()
        if not bad:
            return series, np.zeros(len(series), dtype=bool)
        mapping = {v: opaque_id(v) for v in bad}
        owners = pd.unique(flat.index[flat.astype(str).isin(mapping).to_numpy()])
        positions = series.index.get_indexer(owners)
        values = series.to_numpy(dtype=object, copy=True)
        for i in positions.tolist():
            values[i] = tuple(mapping.get(str(v), v) for v in values[i])
        hit = np.zeros(len(series), dtype=bool)
        hit[positions] = True
        return pd.Series(values, index=series.index, name=series.name, dtype=object), hit

    def url_series(
        self, urls: pd.Series, titles: pd.Series | None = None
    ) -> tuple[pd.Series, np.ndarray[Any, np.dtype[np.bool_]]]:
        """URLs with each one carrying a name replaced by :meth:`link_text` (no link target),
        and which entries changed."""
        text = urls.astype("string")
        hit = self._hits(text)
        if not hit.any():
            return text, hit
        rows = np.flatnonzero(hit)
        shown_titles = (
            _at(titles.astype("string"), rows) if titles is not None else [None] * rows.size
        )
        links = [
            self.link_text(u, t if isinstance(t, str) else None)
            for u, t in zip(_at(text, rows), shown_titles, strict=True)
        ]
        return _replaced(text, rows, links), hit

    def list_series(
        self, series: pd.Series
    ) -> tuple[pd.Series, np.ndarray[Any, np.dtype[np.bool_]]]:
        """Lists of text (tags): items carrying a name become ``[redacted]``."""
        if not self or series.dtype != object:
            return (
                self.text_series(series)
                if series.dtype != object
                else (
                    series,
                    np.zeros(len(series), dtype=bool),
                )
            )
        flat = series.explode()
        flat = flat[flat.notna()]
        hits = self._hits(flat.astype(str))
        if not hits.any():
            return series, np.zeros(len(series), dtype=bool)
        owners = pd.unique(flat.index[hits])
        positions = series.index.get_indexer(owners)
        values = series.to_numpy(dtype=object, copy=True)
        assert self.pattern is not None
        sub = self.pattern.sub
        for i in positions.tolist():
            values[i] = tuple(sub(REDACTED, str(v)) for v in values[i])
        hit = np.zeros(len(series), dtype=bool)
        hit[positions] = True
        return pd.Series(values, index=series.index, name=series.name, dtype=object), hit

    def frame(
        self,
        frame: pd.DataFrame,
        *,
        text: Sequence[str] = (),
        ids: Sequence[str] = (),
        urls: Sequence[tuple[str, str | None]] = (),
        lists: Sequence[str] = (),
        persons: str | None = "persons",
        sensitive: str = "sensitive",
    ) -> Redacted:
        """``frame`` (a new one; the input is untouched) with names replaced in the ``text``
        columns, ids carrying names made opaque in ``ids``, links carrying names replaced in
        ``urls`` (pairs of URL column and its title column, titles as they were before
        redaction), items of ``lists`` redacted, and the persons column redacted: a
        sensitive row's list becomes ``[redacted: N persons]``, protected names in other
        rows' lists ``[redacted]``. Columns the frame lacks are skipped."""
        if not self:
            return Redacted(frame, Counts())
        out = frame.copy(deep=False)
        touched = np.zeros(len(frame), dtype=bool)
        cells = n_urls = n_ids = 0
        originals = {t: frame[t] for _, t in urls if t is not None and t in frame.columns}
        for column, title in urls:
            if column in out.columns:
                new, hit = self.url_series(out[column], originals.get(title) if title else None)
                if hit.any():
                    out[column], touched, n_urls = new, touched | hit, n_urls + int(hit.sum())
        for column in text:
            if column in out.columns and column != persons:
                new, hit = self.text_series(out[column])
                if hit.any():
                    out[column], touched, cells = new, touched | hit, cells + int(hit.sum())
        for column in lists:
            if column in out.columns:
                new, hit = self.list_series(out[column])
                if hit.any():
                    out[column], touched, cells = new, touched | hit, cells + int(hit.sum())
        for column in ids:
            if column in out.columns:
                new, hit = self.id_series(out[column])
                if hit.any():
                    out[column], touched, n_ids = new, touched | hit, n_ids + int(hit.sum())
        if persons is not None and persons in out.columns:
            from ..export.cells import _sensitive, redact_persons

            # compiled only if a list is rewritten name by name (not a sensitive row's)
            before = out[persons]
            out[persons], changed = redact_persons(
                before, _sensitive(out, sensitive), _SubOnDemand(self.names)
            )
            touched |= changed
            cells += int(changed.sum())
        return Redacted(out, Counts(int(touched.sum()), cells, n_urls, n_ids))

    def evidence_frame(self, frame: pd.DataFrame) -> Redacted:
        """The evidence frame with every text, list, URL and id column redacted."""
        text = [
            c
            for c in frame.columns
            if c not in NOT_TEXT
            and c not in URL_COLUMNS
            and (isinstance(frame[c].dtype, pd.StringDtype) or frame[c].dtype == object)
            and c not in ("persons", "topics", "standards", *TEXT_LISTS)
        ]
        return self.frame(
            frame,
            text=text,
            ids=("id",),
            urls=(("source_url", "source_title"), ("company_response.url", None)),
            lists=TEXT_LISTS,
        )

    # --- whole results ---------------------------------------------------------------------

    def evidence(self, evidence: EvidenceSet | Frames) -> RedactedEvidence:
        """The redacted view of an evidence set: frames (evidence and companies) and item
        tables (sources) with names replaced, in the same row order."""
        from .evidence_set import EvidenceSet
        from .frame import Frames

        frames = evidence.frames() if isinstance(evidence, EvidenceSet) else evidence
        ev = self.evidence_frame(frames.evidence)
        companies = self.frame(
            frames.companies, text=("name", "notes"), lists=("aliases",), persons=None
        )
        items: dict[str, pd.DataFrame] = {}
        counts = ev.counts
        if isinstance(evidence, EvidenceSet):
            for table in ("evidence", "companies"):
                for path, long in evidence._items[table].items():
                    done = self.frame(
                        long,
                        text=("title", "publisher"),
                        urls=(("url", "title"),),
                        persons=None,
                    )
                    items[path if table == "evidence" else f"companies.{path}"] = done.frame
                    counts = counts + Counts(0, done.counts.cells, done.counts.urls, 0)
        view = Frames(
            companies.frame,
            ev.frame,
            values_checked=frames.values_checked,
            sector_vocabulary=frames.sector_vocabulary,
        )
        return RedactedEvidence(view, items, self, counts + Counts(0, companies.counts.cells))

    def card(self, card: ScoreCard) -> ScoreCard:
        """``card`` with evidence ids carrying a name made opaque (indicators, nodes,
        penalties, unused records) and names redacted in company names. Scores are
        untouched. Applying it twice changes nothing more."""
        if not self:
            return card
        indicators = self.frame(card.indicators, ids=("evidence_ids",), persons=None).frame
        nodes = self.frame(card.nodes, ids=("when_evidence_ids",), persons=None).frame
        penalties = self.frame(card.penalties, ids=("evidence_ids",), persons=None).frame
        companies = self.frame(card.companies, text=("name",), persons=None).frame
        source = card.unused_source
        privacy = self

        def unused() -> pd.DataFrame:
            from ..rubric.scorecard import _empty_unused

            frame = source() if source is not None else _empty_unused()
            return privacy.frame(frame, ids=("evidence_id",), text=("detail",), persons=None).frame

        return dataclasses.replace(
            card,
            companies=companies,
            nodes=nodes,
            indicators=indicators,
            penalties=penalties,
            unused_source=unused,
        )

    def report(self, report: ValidationReport) -> ValidationReport:
        """``report`` with names replaced in every message and value, and no value echoed
        at all for records that are sensitive or whose sensitivity is not known."""
        withhold = {
            id(p) for r in report.rejected if _maybe_sensitive(r.record) for p in r.problems
        }
        problems = [self.problem(p, withhold=id(p) in withhold) for p in report.problems]
        return dataclasses.replace(report, problems=problems)

    def problem(self, problem: Problem, *, withhold: bool = False) -> Problem:
        """One problem with names replaced (``withhold``: its value not echoed)."""
        value = problem.value
        if value is not None:
            value = WITHHELD if withhold else self.text(value)
        message = self.text(problem.message) if self.pattern is not None else problem.message
        if value == problem.value and message == problem.message:
            return problem
        return dataclasses.replace(problem, value=value, message=message)


class _SubOnDemand:
    """The names pattern's ``sub`` for a caller that may not need it (the persons column:
    a sensitive row's list becomes a note without it), compiled at the first call only."""

    __slots__ = ("_names", "_sub")

    def __init__(self, names: tuple[str, ...]) -> None:
        self._names = names
        self._sub: Any = None

    def sub(self, repl: str, string: str) -> str:
        if self._sub is None:
            pattern = names_matcher(self._names)
            assert pattern is not None
            self._sub = pattern.sub
        return str(self._sub(repl, string))


@dataclasses.dataclass(frozen=True)
class RedactedEvidence:
    """The redacted view of an evidence set: what every output starts from. ``items`` are
    the long tables of lists of objects (``sources`` of evidence; ``companies.sources``)."""

    frames: Frames
    items: dict[str, pd.DataFrame]
    privacy: Privacy
    counts: Counts


def redact_evidence(evidence: EvidenceSet | Frames) -> RedactedEvidence:
    """The redacted view of ``evidence`` under its own policy (:meth:`Privacy.of`)."""
    return Privacy.of(evidence).evidence(evidence)


def redact_report(
    report: ValidationReport, evidence: EvidenceSet | Frames | pd.DataFrame | None = None
) -> ValidationReport:
    """``report`` as it may be shown: names of ``evidence``'s sensitive records and of
    rejected sensitive records replaced, values of rejected sensitive records withheld."""
    return Privacy.of(evidence, report).report(report)


# --- helpers -------------------------------------------------------------------------------

_FALSE = frozenset({"false", "0", "no", "n", "f"})


def _maybe_sensitive(record: dict[str, Any]) -> bool:
    """Whether a rejected record is, or may be, sensitive: ``sensitive`` not clearly false
    (a record without the field is sensitive only when it lists persons)."""
    if "sensitive" not in record:
        return bool(record.get("persons"))
    value = record["sensitive"]
    if value is False or value is None:
        return bool(record.get("persons")) if value is None else False
    if isinstance(value, str) and value.strip().casefold() in _FALSE:
        return False
    return not (isinstance(value, int | float) and not isinstance(value, bool) and value == 0)


def rejected_names(report: ValidationReport) -> set[str]:
    """Persons listed by rejected records that are, or may be, sensitive."""
    from ..evidence.flat import LIST_DELIMITER

    names: set[str] = set()
    for rejected in report.rejected:  # rejected records only (few)
        record = rejected.record
        if not _maybe_sensitive(record):
            continue
        persons = record.get("persons")
        if isinstance(persons, str):
            names.update(p.strip() for p in persons.split(LIST_DELIMITER) if p.strip())
        elif isinstance(persons, list | tuple):
            names.update(str(p).strip() for p in persons if isinstance(p, str) and p.strip())
        for key, value in record.items():  # flat forms: persons.0, persons.1 ...
            if key.startswith("persons.") and isinstance(value, str) and value.strip():
                names.add(value.strip())
    return names


def _evidence_frame(evidence: Any) -> pd.DataFrame | None:
    from .evidence_set import EvidenceSet
    from .frame import Frames

    if evidence is None:
        return None
    if isinstance(evidence, EvidenceSet):
        return evidence.frames().evidence
    if isinstance(evidence, Frames):
        return evidence.evidence
    return evidence  # type: ignore[no-any-return]


def _at(text: pd.Series, rows: np.ndarray[Any, np.dtype[np.intp]]) -> list[Any]:
    """The entries of a text column at positions ``rows`` as Python values (only those)."""
    return text.iloc[rows].to_numpy(dtype=object).tolist()


def _replaced(
    text: pd.Series, rows: np.ndarray[Any, np.dtype[np.intp]], new: list[str]
) -> pd.Series:
    """``text`` (a ``string`` column) with the entries at ``rows`` replaced by ``new``: in
    Arrow for Arrow-backed text (the other entries are not turned into Python strings),
    through an object array otherwise."""
    if getattr(text.dtype, "storage", "") == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        from ..export.cells import large_strings

        arr = large_strings(text)
        mask = np.zeros(len(text), dtype=bool)
        mask[rows] = True
        done = pc.replace_with_mask(arr, pa.array(mask), pa.array(new, type=pa.large_string()))
        return pd.Series(pd.arrays.ArrowStringArray(done), index=text.index, name=text.name)
    values = text.to_numpy(dtype=object)
    values[rows] = new
    return pd.Series(values, index=text.index, name=text.name, dtype=text.dtype)


def _holds_tuples(series: pd.Series) -> bool:
    first = series.dropna()
    return bool(len(first)) and isinstance(first.iloc[0], tuple | list)
