"""The evidence trail's fast paths (bhrscore.export.briefing.trail) agree with the plain pandas
ones: category columns put in order as codes, company names looked up in Arrow, persons joined
for the rows that list someone only, redaction before the reorder; with missing values,
non-ASCII text, group testimony and empty frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from bhrscore.evidence.privacy import Privacy
from bhrscore.export.briefing.trail import (
    Trail,
    _companies,
    _in_order,
    _joined_persons,
    _trail_order,
    build_trail,
)
from bhrscore.export.cells import join_lists, listed_rows, redact_persons


def test_category_columns_in_order_equal_text_in_order() -> None:
    values = ["alleged", None, "verified", "Évalué", "alleged", None]
    order = np.array([5, 3, 0, 1, 4, 2], dtype=np.intp)
    cat = pd.Series(values, dtype=pd.CategoricalDtype(["alleged", "verified", "Évalué", "unused"]))
    got = _in_order(cat, order)
    want = cat.astype("string").take(order).reset_index(drop=True)
    pd.testing.assert_series_equal(got, want)
    assert got.tolist()[:2] == [pd.NA, "Évalué"]
    # categories that are not text take the plain path, with the same result
    numbers = pd.Series([1, None, 3], dtype="category")
    got = _in_order(numbers, np.array([2, 1, 0], dtype=np.intp))
    want = numbers.astype("string").take([2, 1, 0]).reset_index(drop=True)
    pd.testing.assert_series_equal(got, want)
    assert str(got.dtype) == "string"
    assert len(_in_order(cat.iloc[:0], np.zeros(0, dtype=np.intp))) == 0


@pytest.mark.parametrize("index_kind", ["text", "repeated", "numbers"])
def test_company_names_agree_with_a_pandas_lookup(index_kind: str) -> None:
    ids = pd.Series(["c1", None, "c2", "c9", "c1", None], dtype="string")
    description = pd.Series(["x", "Ünïon group", None, "y", "z", None], dtype="string")
    keys: list[object] = ["c1", "c2", "c3"]
    if index_kind == "numbers":
        keys = [1, 2, 3]
    names = pd.Series(["Fictional Drilling", pd.NA, "Example Mining Ç"], index=keys, dtype=object)
    if index_kind == "repeated":  # pandas refuses a lookup in a repeated index, so does the trail
        names = pd.Series(["A", "B"], index=["c1", "c1"], dtype=object)
        with pytest.raises(pd.errors.InvalidIndexError):
            _companies(ids, names, description)
        return
    got = _companies(ids, names, description)
    want = ids.map(names).astype("string")
    testimony = ids.isna()
    want = want.mask(testimony, "Group: " + description.fillna("(unnamed group)"))
    pd.testing.assert_series_equal(got, want)
    if index_kind == "text":
        # c2's name is missing, c9 is unknown; testimony rows name their group
        assert got.tolist() == [
            "Fictional Drilling",
            "Group: Ünïon group",
            pd.NA,
            pd.NA,
            "Fictional Drilling",
            "Group: (unnamed group)",
        ]


def test_joined_persons_visit_only_rows_that_list_someone() -> None:
    persons = pd.Series(
        [(), ("Ana Example", "Zé Example"), None, math.nan, "Sam Example", ("",), [], ("x",)],
        dtype=object,
    )
    got = _joined_persons(persons)
    want = join_lists(persons, ", ")
    # rows listing no one are missing (an empty list, missing values, a list of "")
    assert got.tolist() == [
        pd.NA, "Ana Example, Zé Example", pd.NA, pd.NA, "Sam Example", pd.NA, pd.NA, "x"
    ]  # fmt: skip
    assert got.fillna("-").tolist() == want.fillna("-").tolist()
    assert str(got.dtype) == "string"
    assert len(_joined_persons(pd.Series([], dtype=object))) == 0


def test_listed_rows_follow_pandas_lengths() -> None:
    values = [(), ("a",), None, math.nan, pd.NA, "", "b", [], ["c", "d"], 3]
    series = pd.Series(values, dtype=object)
    want = np.flatnonzero(series.str.len().fillna(0).to_numpy() > 0)
    assert listed_rows(series).tolist() == want.tolist() == [1, 6, 8]
    plain = pd.Series([(), ("a",), ("b", "c")], dtype=object)  # no missing values: one pass
    assert listed_rows(plain).tolist() == [1, 2]


def test_persons_of_sensitive_rows_become_a_count_and_names_elsewhere_are_redacted() -> None:
    pattern = Privacy(("Ana Example",)).pattern
    assert pattern is not None
    persons = pd.Series(
        [
            ("Ana Example", "Bo Example"),
            ("ana example",),
            ("Bo Example",),
            (),
            None,
            ["Cy Example"],  # a list: one person
            "Bo Example | Cy Example |",  # text as a CSV cell holds it: two persons
        ],
        dtype=object,
    )
    sensitive = np.array([True, False, False, True, False, True, True])
    out, changed = redact_persons(persons, sensitive, pattern)
    assert out.tolist() == [
        ("[redacted: 2 persons]",),
        ("[redacted]",),
        ("Bo Example",),
        (),
        None,
        ("[redacted: 1 person]",),
        ("[redacted: 2 persons]",),
    ]
    assert changed.tolist() == [True, True, False, False, False, True, True]
    assert persons.iloc[0] == ("Ana Example", "Bo Example")  # the input is untouched


def evidence(categorical: bool) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "id": ["e3", "ana-example-2021", "e1", "e2", "e4"],
            "company_id": ["c2", "c1", None, "c1", "c1"],
            "group.description": [None, None, "Workers of Ana Example's site", None, None],
            "kind": ["strike", "wage", "testimony", None, "wage"],
            "effective_date": pd.to_datetime(
                ["2024-01-02", "2023-05-01", "2022-01-01", "2023-05-01", None]
            ),
            "status": ["alleged", "verified", "alleged", "alleged", None],
            "reliability": ["high", "low", None, "high", "high"],
            "country": ["KZ", "KZ", None, "FR", "FR"],
            "summary": [
                "Ana Example was arrested",
                "Wages paid late",
                "ANA EXAMPLE spoke",
                None,
                "Ünïcode text",
            ],
            "source_title": ["Report", "Ana-Example profile", None, "Post", "Post"],
            "source_url": [
                "https://news.example/ana-example",
                "https://example.org/a",
                None,
                "https://example.org/b%20c",
                "https://example.org/d",
            ],
            "sensitive": pd.array([True, False, False, False, None], dtype="boolean"),
            "persons": [("Ana Example",), (), (), ("Ana Example", "Bo Example"), None],
        }
    )
    text = [c for c in frame.columns if c not in ("effective_date", "sensitive", "persons")]
    for c in text:
        frame[c] = frame[c].astype("category" if categorical else object)
    return frame


def assert_same_trail(a: Trail, b: Trail) -> None:
    """Same frame, same redaction counts."""
    pd.testing.assert_frame_equal(a.frame, b.frame)
    counts = ("redacted_records", "redacted_cells", "redacted_urls", "redacted_ids")
    assert [getattr(a, c) for c in counts] == [getattr(b, c) for c in counts]


@pytest.mark.parametrize("include", [False, True])
def test_a_trail_of_category_columns_equals_one_of_plain_text(include: bool) -> None:
    names = pd.Series(["Fictional Drilling", "Example Mining"], index=["c1", "c2"])
    a = build_trail(evidence(True), names, include_personal_data=include)
    assert_same_trail(a, build_trail(evidence(False), names, include_personal_data=include))
    frame = a.frame
    # sorted by company id, date, id; testimony (no company id) last
    assert frame["id"].tolist()[-1] == "e1"
    assert frame["company"].tolist()[-1].startswith("Group: ")
    if include:
        assert frame["summary"].tolist()[0] == "Wages paid late"
        assert (a.redacted_records, a.redacted_cells) == (0, 0)
        return
    text = " ".join(str(v) for v in frame.astype(object).to_numpy().ravel())
    assert "ana" not in text.casefold().replace("[redacted", "")
    # records: e3 (summary, url, persons), the named id (id, title), e1 (summary, group),
    # e2 (persons) = 4; cells: e3 summary + persons, named title, e1 summary + group, e2
    # persons = 6; urls: e3's; ids: the one carrying the name
    assert (a.redacted_records, a.redacted_cells, a.redacted_urls, a.redacted_ids) == (4, 6, 1, 1)


def test_trail_order_is_a_stable_sort_by_company_date_and_id() -> None:
    """Company ids sorted by their ranks (integers) put the records where a sort of the text
    puts them: code point order ("Z" before "a", "É" after both), missing values last,
    equal keys in their original order."""
    company = pd.Series(["b", "a", None, "É", "Z", "a", "a", "b"], dtype="string")
    when = pd.Series(
        pd.to_datetime(
            ["2021-01-01", "2022-01-01", "2020-01-01", None, "2020-01-01", None, "2022-01-01",
             "2021-01-01"]
        )
    )  # fmt: skip
    ids = pd.Series(["e1", "e9", "e2", "e3", "e4", "e5", "e9", "e0"], dtype="string")
    order = _trail_order(company, when, ids)
    # Z(4); a: 2022 e9 (1), 2022 e9 (6, after 1), no date (5); b: 2021 e0 (7), 2021 e1 (0);
    # É (3); missing company (2)
    assert order.tolist() == [4, 1, 6, 5, 7, 0, 3, 2]
    want = (
        pd.DataFrame({"c": company, "w": when, "i": ids})
        .sort_values(["c", "w", "i"], kind="stable", na_position="last")
        .index
    )
    assert order.tolist() == want.tolist()


def test_chunked_arrow_columns_are_handled() -> None:
    """Arrow-backed columns may come in several chunks (concatenated or sliced frames)."""
    import pyarrow as pa

    def chunked(*parts: list[str | None]) -> pd.Series:
        arrays = [pa.array(p, type=pa.large_string()) for p in parts]
        return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(arrays)))

    ids = chunked(["c1", None], [None, "c2"])
    description = chunked(["x", "Group one"], [None, "y"])
    names = pd.Series(chunked(["Fictional Drilling"], ["Example Mining"]).array, index=["c1", "c2"])
    got = _companies(ids, names, description)
    assert got.tolist() == [
        "Fictional Drilling",
        "Group: Group one",
        "Group: (unnamed group)",
        "Example Mining",
    ]
    persons = pd.Series([("A Example",), (), ("B Example", "C Example")], dtype=object)
    assert _joined_persons(persons).tolist() == ["A Example", pd.NA, "B Example, C Example"]


@pytest.mark.parametrize("include", [False, True])
def test_a_trail_of_chunked_columns_equals_one_of_whole_columns(include: bool) -> None:
    """Evidence loaded from files holds Arrow columns in several chunks (and empty ones)."""
    import pyarrow as pa

    whole = evidence(False)
    for c in ("id", "company_id", "group.description", "summary", "source_title", "source_url"):
        whole[c] = whole[c].astype("string")
    chunked = whole.copy()
    for c in ("id", "company_id", "group.description", "summary", "source_title", "source_url"):
        values = whole[c].tolist()
        parts = [values[:2], [], values[2:]]
        arrays = [
            pa.array([None if v is pd.NA else v for v in p], pa.large_string()) for p in parts
        ]
        chunked[c] = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(arrays)))
        assert chunked[c].array._pa_array.num_chunks == 3
    names = pd.Series(["Fictional Drilling", "Example Mining"], index=["c1", "c2"])
    a = build_trail(chunked, names, include_personal_data=include)
    assert_same_trail(a, build_trail(whole, names, include_personal_data=include))
