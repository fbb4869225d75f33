"""The columnar validator's shortcuts agree with the work they skip: trimming only columns
whose values may hold whitespace at an edge, and dates converted by Arrow's strict cast
without the pattern when it accepts every value."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from bhrscore.evidence import columnar
from bhrscore.evidence.columnar import MAX_YEAR, MIN_YEAR, Limits, _convert_date, _maybe_padded
from bhrscore.evidence.frame_schema import PYDANTIC_WHITESPACE, Leaf

TEXTS = [
    ["syn-e1", "Fictional Drilling", None, ""],
    ["Ωmega", "tail é"],  # non-ASCII at an edge: maybe (Unicode spaces are non-ASCII)
    [" lead", "x"],
    ["x", "trail\t"],
    ["a\u3000"],
    [None, None],
    [],
]


@pytest.mark.parametrize("values", TEXTS)
@pytest.mark.parametrize("typ", [pa.string(), pa.large_string()])
def test_a_column_said_unpadded_is_unchanged_by_trimming(
    values: list[str | None], typ: pa.DataType
) -> None:
    arr = pa.array(values, typ)
    trimmed = pc.utf8_trim(arr, characters=PYDANTIC_WHITESPACE)
    if not _maybe_padded(arr):
        assert trimmed.equals(arr)
    if not trimmed.equals(arr):
        assert _maybe_padded(arr)


def test_padding_is_found_in_a_slice_of_an_array() -> None:
    """Offsets of a sliced array start inside its buffers (the rows outside are not read)."""
    arr = pa.array([" padded", "clean", "also clean", "end "])
    assert not _maybe_padded(arr.slice(1, 2))
    assert _maybe_padded(arr.slice(0, 2))
    assert _maybe_padded(arr.slice(2, 2))
    assert _maybe_padded(arr)


def test_padding_is_seen_as_ascii_whitespace_or_non_ascii_at_an_edge() -> None:
    assert [_maybe_padded(pa.array([v])) for v in ("a b", " a", "a\n", "\xa0a", "aé", "é")] == [
        False,
        True,
        True,
        True,
        True,
        True,
    ]


def test_string_conversion_is_the_same_with_and_without_the_trim_shortcut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    leaf = Leaf(
        name="id",
        parent=None,
        type="str",
        strip=True,
        min_length=1,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
    )
    for values in TEXTS:
        arr = pa.array(values, pa.string())
        fast = columnar._convert_str(arr, leaf, "json", Limits())
        with monkeypatch.context() as m:
            m.setattr(columnar, "_maybe_padded", lambda _text: True)
            slow = columnar._convert_str(arr, leaf, "json", Limits())
        assert fast.values.equals(slow.values)
        assert (fast.ok == slow.ok).all()


def _expected(value: str | None) -> dt.date | None:
    """The date a value is, when the validator accepts it (by hand: the ISO shape, a real
    calendar day, a year datetime64[ns] can hold)."""
    if value is None or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if MIN_YEAR <= day.year <= MAX_YEAR else None


GOOD = ["2024-02-29", "1678-01-01", "2261-12-31", None, "2025-12-01"]
BAD = [
    "2025-02-29",
    "1677-12-31",
    "2262-01-01",
    "0000-01-01",
    "2025-1-01",
    "+025-01-01",
    "2025-01-01T",
    "2025-01-01 ",
    "２０２５-01-01",
    "2025/01/01",
    "",
]


@pytest.mark.parametrize(
    "values",
    [GOOD, BAD, GOOD + BAD, [None, None], [], ["9999-12-31", "2024-01-01"]],
)
def test_dates_match_the_rule_whichever_way_they_are_converted(values: list[str | None]) -> None:
    """All values castable (the cast alone), some not (the pattern and the calendar by
    hand), out of datetime64[ns] range (castable, refused by the bounds)."""
    conv = _convert_date(pa.array(values, pa.string()))
    expected = [_expected(v) for v in values]
    assert conv.ok.tolist() == [e is not None for e in expected]
    got = [None if np.isnat(v) else dt.date.fromisoformat(str(v)[:10]) for v in conv.values]
    assert got == expected


@pytest.mark.parametrize(("min_length", "max_length"), [(1, 3), (None, 3), (2, None), (1, None)])
def test_length_bounds_count_characters_not_bytes(
    min_length: int | None, max_length: int | None
) -> None:
    """Byte lengths decide most bounds; characters decide when bytes cannot (``ééé`` is six
    bytes, three characters). Nulls fail a bound (they are not given: never accepted)."""
    leaf = Leaf(
        name="region", parent=None, type="str", min_length=min_length, max_length=max_length
    )
    values = ["", "a", "ab", "abc", "abcd", "é", "ééé", "éééé", "日本", None]
    conv = columnar._convert_str(pa.array(values, pa.string()), leaf, "json", Limits())

    def accepted(v: str | None) -> bool:  # the rule by hand, on characters
        if v is None:
            return False
        return (min_length is None or len(v) >= min_length) and (
            max_length is None or len(v) <= max_length
        )

    assert conv.ok.tolist() == [accepted(v) for v in values]


def test_the_character_limit_counts_characters() -> None:
    """Limits.max_chars: a value of more bytes than the limit but as many characters passes."""
    leaf = Leaf(name="summary", parent=None, type="str")
    conv = columnar._convert_str(
        pa.array(["éé", "ééé", "abc", "abcd"]), leaf, "json", Limits(max_chars=3)
    )
    assert conv.ok.tolist() == [True, True, True, False]


def test_validity_and_masks_are_read_from_the_bitmaps() -> None:
    """Arrow bitmaps unpacked by hand agree with Arrow's own conversion, for sliced arrays
    (offsets not on a byte), struct fields and flattened lists, with and without nulls."""
    rng = np.random.default_rng(3)
    values = [None if x < 0.3 else f"v{i}" for i, x in enumerate(rng.random(203))]
    text = pa.array(values, pa.string())
    struct = pa.StructArray.from_arrays([text], ["a"], mask=pa.array(rng.random(203) < 0.2))
    lists = pa.array([[v, None] if v else None for v in values], pa.list_(pa.string()))
    arrays = [
        text,
        text.slice(5),
        text.slice(13, 77),
        pc.struct_field(struct, [0]),
        pc.struct_field(struct.slice(3), [0]),
        pc.list_flatten(lists),
        pa.array(["x"] * 9),
        pa.array([], pa.string()),
    ]
    for arr in arrays:
        expected = arr.is_valid().to_numpy(zero_copy_only=False).tolist()
        assert columnar._given(arr, len(arr)).tolist() == expected
        mask = pc.match_substring(arr, "1")
        assert columnar._np(mask).tolist() == pc.fill_null(mask, False).to_pylist()
        assert (
            columnar._np(mask.slice(1)).tolist() == pc.fill_null(mask.slice(1), False).to_pylist()
        )


URLS = [
    "https://example.org/a",
    "http://example.org",
    "http://x",
    "https://x",
    "https://",
    "http://",
    "http:/x",
    "ftp://example.org",
    "HTTP://example.org",
    "https://exa mple.org",
    "https://example.org\n",
    "https://tab\there",
    "https://v\x0bt",
    "https://é.example",
    " https://example.org",
    "",
    None,
    "a|b",
    "|",
    "line\nbreak",
    "tab\tbed",
    "Ωmega",
]


IDS = [
    "syn-e0000001",
    "A",
    "a.b_c:d-e",
    "Z9",
    "-lead",
    ".dot",
    "_under",
    ":colon",
    "9:00",
    "tail-",
    "sp ace",
    "é-id",
    "id\n",
    "",
    None,
    "x|y",
    "Ωmega",
]

#: per pattern: pieces the twin must decide when every value is built from them
DECIDED = {
    r"^https?://\S+$": ["http", "https", "://", ":/", "s", "x", "é", "/", ".", "", "\u3000"],
    r"^[^|]*$": ["http", "https", "://", ":/", "s", "x", "é", "/", ".", "", "\u3000"],
    r"^[A-Za-z0-9][A-Za-z0-9._:-]*$": ["syn", "-", "e0", ".", "_", ":", "Z", "9", ""],
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$": ["C", "-", "10", ".", "_", "b", ""],
}


@pytest.mark.parametrize("pattern", sorted(columnar.PATTERN_TWINS))
def test_pattern_twins_match_as_the_pattern_does(pattern: str) -> None:
    """Each twin gives RE2's answer (nulls: False), or declines (None) when it cannot tell;
    on text built from the pieces it is meant for it decides. Random strings built from the
    pattern's own pieces, other pieces, pipes, newlines, spaces and non-ASCII text too."""
    twin = columnar.PATTERN_TWINS[pattern]
    rng = np.random.default_rng(7)
    mine = DECIDED[pattern]
    pieces = [*mine, "http", "://", "é", "/", "\u3000", ":", "-", "A"]
    fuzz = ["".join(rng.choice(pieces, size=rng.integers(0, 6))) for _ in range(2000)]
    decided = ["".join(rng.choice(mine, size=rng.integers(0, 6))) for _ in range(2000)]
    with_pipes = [
        "".join(rng.choice([*pieces, "|", "\n", " "], size=rng.integers(0, 6))) for _ in range(500)
    ]
    clean = [u for u in URLS if u is None or not any(ord(c) <= 0x20 for c in u)]
    clean_ids = [u for u in IDS if u is None or (u.isascii() and u.isprintable() and " " not in u)]
    cases: tuple[Sequence[str | None], ...] = (
        URLS,
        clean,
        IDS,
        clean_ids,
        fuzz,
        decided,
        with_pipes,
        [None, None],
        [],
        [""],
    )
    for values, typ in itertools.product(cases, (pa.string(), pa.large_string())):
        arr = pa.array(values, typ)
        expected = pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_pylist()
        got = twin(arr)
        if got is not None:
            assert got.tolist() == expected
        for part in (arr.slice(1), arr.slice(0, max(len(arr) - 2, 0))):
            sliced = twin(part)
            if sliced is not None:
                want = pc.fill_null(pc.match_substring_regex(part, pattern), False).to_pylist()
                assert sliced.tolist() == want
    assert twin(pa.array(decided, pa.string())) is not None  # it decides text it can read
    assert twin(pa.array(decided, pa.large_string())) is not None


def test_list_rows_holding_the_join_character_are_not_representable() -> None:
    """Rows' items become shared tuples; a row with an item holding the join character
    (searched per item only when the text holds it) is reported, the others are not."""
    items = pa.array(["a", "b", "x\x1fy", "c", "a", "b"], pa.string())
    lengths = np.array([2, 1, 0, 1, 2], dtype=np.int64)  # rows: [a b] [x\x1fy] [] [c] [a b]
    keep = np.ones(5, dtype=bool)
    tuples, bad = columnar._tuples(items, lengths, keep)
    assert bad.tolist() == [False, True, False, False, False]
    assert [tuples[0], tuples[2], tuples[3]] == [("a", "b"), (), ("c",)]
    assert tuples[0] is tuples[4]  # one object per distinct list
    clean = pa.array(["a", "b", "c"], pa.string())
    tuples, bad = columnar._tuples(clean, np.array([2, 1], dtype=np.int64), np.ones(2, bool))
    assert not bad.any()
    assert tuples.tolist() == [("a", "b"), ("c",)]


def _records_with_odd_kinds() -> list[dict[str, object]]:
    """Valid fictional records of every kind, and copies with an unknown kind, no kind, a
    capitalised kind, a non-ASCII kind, another record's kind, an empty kind and a status no
    kind allows."""
    from bhrscore import synthetic_evidence
    from bhrscore.evidence.write import _dump

    records = [_dump(m) for m in synthetic_evidence(5, 60, seed=3).evidence]
    odd: list[dict[str, object]] = []
    for i, value in enumerate(["bogus", None, "Wage", "wagé", "statement", ""]):
        record = dict(records[i])
        if value is None:
            record.pop("kind")
        else:
            record["kind"] = value
        odd.append(record)
    bad_status = dict(records[7])
    bad_status["status"] = "rumoured"
    return [*records, *odd, bad_status]


def test_a_choice_of_several_kind_groups_is_looked_up_once_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``kind`` (one choice per kind) converted by one lookup among the categories gives the
    column and the accepted rows of one conversion per kind group, for every row (unknown,
    missing, capitalised and non-ASCII kinds included)."""
    import pandas as pd

    from bhrscore.evidence.read_json import _cells_from_records

    records = _records_with_odd_kinds()
    cells, _ = _cells_from_records(list(enumerate(records)), "evidence")
    fast, fast_ok = columnar.validate(cells, "evidence")
    monkeypatch.setattr(columnar, "_ChoiceGroups", lambda *args: None)
    plain, plain_ok = columnar.validate(cells, "evidence")
    assert fast_ok.tolist() == plain_ok.tolist()
    assert not fast_ok[-7:].any()  # the odd ones go to pydantic
    assert fast_ok[:-7].all()
    pd.testing.assert_series_equal(fast.base["kind"], plain.base["kind"])
    pd.testing.assert_frame_equal(fast.base, plain.base)


def test_a_list_of_choices_of_several_kind_groups_is_converted_once_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``topics`` (statements and screenings allow different choices; screenings need one at
    least) converted once for both groups gives the column and the accepted rows of one
    conversion per group, for every row: a choice of the other group, an unknown choice,
    an empty list, a null item, a missing list, non-ASCII text."""
    import pandas as pd

    from bhrscore.evidence.frame_schema import table_schema
    from bhrscore.evidence.read_json import _cells_from_records

    schema = table_schema("evidence")
    statement = list(schema.models["statement"].leaves["topics"].choices or ())
    screening = list(schema.models["screening"].leaves["topics"].choices or ())
    records = _records_with_odd_kinds()
    by_kind = {r.get("kind"): r for r in records[:60]}
    cases = [
        ("statement", [statement[0]]),
        ("statement", [statement[1], statement[0]]),
        ("statement", [screening[0]]),  # the other group's choice
        ("statement", []),
        ("statement", None),  # no list: the default
        ("statement", ["Ωmega"]),
        ("screening", [screening[0], screening[1]]),
        ("screening", [statement[0]]),
        ("screening", []),  # fewer than one
        ("screening", None),  # required
        ("screening", [screening[2], None]),  # a null item
    ]
    rows: list[dict[str, object]] = []
    for kind, topics in cases:
        record = dict(by_kind[kind])
        if topics is None:
            record.pop("topics", None)
        else:
            record["topics"] = topics
        rows.append(record)
    rows += records
    cells, _ = _cells_from_records(list(enumerate(rows)), "evidence")
    fast, fast_ok = columnar.validate(cells, "evidence")
    monkeypatch.setattr(columnar._ChoiceListGroups, "of", classmethod(lambda cls, *a: None))
    plain, plain_ok = columnar.validate(cells, "evidence")
    assert fast_ok.tolist() == plain_ok.tolist()
    # by hand: the cases accepted are those whose items are all their kind's choices (and
    # a screening names one topic at least); a missing statement list is the default ()
    assert fast_ok[: len(cases)].tolist() == [
        True,
        True,
        False,
        True,
        True,
        False,
        True,
        False,
        False,
        False,
        False,
    ]
    assert fast.base["topics"].iloc[4] == ()
    assert fast.base["topics"].iloc[1] == (statement[1], statement[0])
    pd.testing.assert_series_equal(fast.base["topics"], plain.base["topics"])
    pd.testing.assert_frame_equal(fast.base, plain.base)
