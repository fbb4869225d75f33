"""Cross-record rules: ids, companies, parents, as-of dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from bhrscore.evidence.checks import (
    CheckContext,
    all_distinct,
    duplicate_company_ids,
    duplicate_evidence_ids,
    template_example_evidence,
    unknown_company,
)
from bhrscore.evidence.load import load_evidence
from bhrscore.evidence.report import EvidenceValidationError, Problem
from tests.conftest import company, record


def errors(ev: Any) -> list[tuple[str, str | None, str]]:
    return [(p.code, p.field, p.value) for p in ev.report.errors]


def test_duplicate_ids(bundle: Any) -> None:
    ev = load_evidence(
        bundle([company(), company()], [record(id="a"), record(id="a")]), strict=False
    )
    assert errors(ev) == [("duplicate-id", "id", "acme"), ("duplicate-id", "id", "a")]
    assert "companies.jsonl:1" in ev.report.errors[0].message  # points at the first use
    assert len(ev.companies) == 1
    assert len(ev.evidence) == 1


def test_unknown_company(bundle: Any) -> None:
    ev = load_evidence(bundle(evidence=[record(company_id="ghost")]), strict=False)
    assert errors(ev) == [("unknown-company", "company_id", "ghost")]


def test_unknown_parent_and_cascade_to_evidence(bundle: Any) -> None:
    ev = load_evidence(bundle([company(parent_id="ghost")], [record()]), strict=False)
    assert errors(ev) == [
        ("unknown-parent", "parent_id", "ghost"),
        ("unknown-company", "company_id", "acme"),
    ]
    assert "was rejected" in ev.report.errors[1].message


def test_parent_cycle(bundle: Any) -> None:
    cos = [
        company("a", parent_id="b"),
        company("b", parent_id="c"),
        company("c", parent_id="a"),
        company("d", parent_id="a"),
        company("acme"),
    ]
    ev = load_evidence(bundle(cos, [record()]), strict=False)
    codes = [(p.code, p.row) for p in ev.report.errors]
    assert codes == [
        ("parent-cycle", 1),
        ("parent-cycle", 2),
        ("parent-cycle", 3),
        ("parent-cycle", 4),
    ]
    assert "a -> b -> c -> a" in ev.report.errors[0].message
    assert [c.id for c in ev.companies] == ["acme"]


def test_dates_after_as_of_are_kept_with_one_warning(bundle: Any) -> None:
    # Scoring the past: records that mention a later date are kept (the engine leaves out
    # what was not known at as_of) and one warning counts them, instead of one error each.
    late = record(
        id="late",
        date="2025-01-02",
        sources=[{"url": "https://example.org", "title": "t", "published": "2025-02-01"}],
    )
    later = record(
        id="later",
        date="2024-06-01",
        company_response={"status": "responded", "date": "2025-03-01"},
    )
    path = bundle(evidence=[record(id="ok", date="2025-01-01"), late, later])
    ev = load_evidence(path, strict=False, as_of=dt.date(2025, 1, 1))
    assert errors(ev) == []
    [warning] = ev.report.warnings
    assert warning.code == "after-as-of"
    assert warning.message.startswith("2 records mention a date after the as-of date 2025-01-01")
    assert "'late'" in warning.message  # the first one is named, and located
    assert warning.row == 2
    assert [e.id for e in ev.evidence] == ["ok", "late", "later"]
    known = ev.frames().evidence.set_index("id")["known_date"]
    # the latest date each record mentions: its own date, a source's publication, a response
    assert known["ok"] == pd.Timestamp("2025-01-01")
    assert known["late"] == pd.Timestamp("2025-02-01")
    assert known["later"] == pd.Timestamp("2025-03-01")
    assert load_evidence(path, as_of=dt.date(2025, 3, 1)).report.warnings == []


def test_strict_mode_raises_with_every_problem(bundle: Any) -> None:
    path = bundle(evidence=[record(id="a", company_id="ghost"), record(id="b", status="rumoured")])
    with pytest.raises(EvidenceValidationError) as info:
        load_evidence(path)
    assert len(info.value.report.errors) == 2
    assert info.value.report.read["evidence"] == 2


class _Where:
    """A locator that words problems by position (enough to compare findings)."""

    def problem(
        self, position: int, code: str, message: str, field: str | None = None, value: Any = None
    ) -> Problem:
        return Problem(f"row {position}", message, code=code, field=field, value=value)

    def where(self, position: int) -> str:
        return f"row {position}"


def _text(values: list[str | None], arrow: bool, chunks: int = 1) -> pd.Series:
    """Text stored in Arrow (``chunks`` pieces, as joined batches are), or as objects (the
    rules' general path)."""
    if not arrow:
        return pd.Series(values, dtype=object)
    size = -(-len(values) // chunks) if values else 1
    pieces = [
        pd.Series(values[i : i + size], dtype="string[pyarrow]")
        for i in range(0, len(values), size)
    ]
    return (
        pd.concat(pieces, ignore_index=True) if pieces else pd.Series([], dtype="string[pyarrow]")
    )


ID_CASES = [
    (["a", "b", "c"], ["a", "b", "a"]),
    (["a", "b", "c"], ["a", "b", "c"]),
    (["Ω-1", "b"], ["Ω-1", None, "ghost", "Ω-1"]),
    (["a"], [None, None]),
    ([], ["a"]),
    (["a", "a"], []),
]


@pytest.mark.parametrize(("company_ids", "named"), ID_CASES)
@pytest.mark.parametrize("chunks", [1, 2])
def test_id_rules_read_arrow_text_as_they_read_objects(
    company_ids: list[str | None], named: list[str | None], chunks: int
) -> None:
    """Duplicate ids and unknown companies: the shortcut for Arrow-stored text (nothing to
    report, no Python strings) and the general path give the same findings."""

    ids: list[str | None] = [v if v is not None else f"e{i}" for i, v in enumerate(named)]

    def findings(arrow: bool) -> list[Any]:
        ctx = CheckContext(
            pd.DataFrame({"id": _text(company_ids, arrow, chunks)}),
            pd.DataFrame(
                {"id": _text(ids, arrow, chunks), "company_id": _text(named, arrow, chunks)}
            ),
            None,
            {"companies": _Where(), "evidence": _Where()},
        )
        return [
            *duplicate_company_ids(ctx),
            *duplicate_evidence_ids(ctx),
            *unknown_company(ctx),
        ]

    general = findings(arrow=False)
    assert findings(arrow=True) == general
    # by hand: a repeated id is reported at each later use; a given company_id not in the
    # companies is unknown
    later = [i for i, v in enumerate(ids) if v in ids[:i]]
    later_c = [i for i, v in enumerate(company_ids) if v in company_ids[:i]]
    unknown = [i for i, v in enumerate(named) if v is not None and v not in company_ids]
    assert [(t, i, p.code) for t, i, p in general] == [
        *[("companies", i, "duplicate-id") for i in later_c],
        *[("evidence", i, "duplicate-id") for i in later],
        *[("evidence", i, "unknown-company") for i in unknown],
    ]


DISTINCT_CASES: list[list[str | None]] = [
    [],
    ["a"],
    [None],
    ["a", "b", "c"],  # increasing: no sort
    ["c", "a", "b"],
    ["a", "b", "a"],
    ["a", "a"],
    ["a", None, "b"],
    ["b", None, "a"],
    [None, "a", None],
    ["a", None, "a"],
    [None, None],
    ["Ω", "é", "e", "E"],
    ["é", "é"],
    ["", ""],
    ["", None],
    ["ab", "a", "abc", "b"],
]


@pytest.mark.parametrize("values", DISTINCT_CASES)
@pytest.mark.parametrize("chunks", [1, 2])
def test_all_distinct_agrees_with_arrows_count_of_distinct_values(
    values: list[str | None], chunks: int
) -> None:
    """The sorted-order test of distinct ids says what Arrow's hash count says (a null counts
    as one value), sorted or not, with nulls, non-ASCII and empty text, in chunks; random
    ids with and without repeats too."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    def same(vals: list[str | None]) -> None:
        for typ in (pa.string(), pa.large_string()):
            half = len(vals) // 2
            text: Any = (
                pa.array(vals, typ)
                if chunks == 1
                else pa.chunked_array([pa.array(vals[:half], typ), pa.array(vals[half:], typ)])
            )
            want = pc.count_distinct(text, mode="all").as_py() == len(vals)
            assert all_distinct(text) is want
            # by hand: no value twice, and at most one null
            assert want == (len(set(vals)) == len(vals))

    same(values)
    rng = np.random.default_rng(len(values) + chunks)
    for _ in range(30):
        pool = [f"e{int(i)}" for i in rng.integers(0, 40, size=int(rng.integers(0, 30)))]
        same([*pool, *([None] * int(rng.integers(0, 3)))])
        same(list[str | None](sorted(set(pool))))


@pytest.mark.parametrize(
    "summaries",
    [
        ["a", "EXAMPLE (fictional) row", None, "b EXAMPLE (fictional)"],
        ["nothing", "here", None],
        ["ends EXAMPLE (fict", "ional) across two values"],  # in the bytes, in no value
        ["Ω EXAMPLE (fictional) Ω"],
        [],
    ],
)
@pytest.mark.parametrize("chunks", [1, 2])
def test_template_rows_are_found_in_arrow_text_as_in_objects(
    summaries: list[str | None], chunks: int
) -> None:
    """The template marker: the byte search over Arrow text (nothing found: no rows) and the
    per-value search find the same rows: those whose summary holds it."""

    def findings(arrow: bool) -> list[Any]:
        ctx = CheckContext(
            pd.DataFrame({"id": _text([], arrow)}),
            pd.DataFrame({"summary": _text(summaries, arrow, chunks)}),
            None,
            {"companies": _Where(), "evidence": _Where()},
        )
        return template_example_evidence(ctx)

    general = findings(arrow=False)
    assert findings(arrow=True) == general
    rows = [i for i, s in enumerate(summaries) if s is not None and "EXAMPLE (fictional)" in s]
    assert len(general) == (1 if rows else 0)
    if rows:
        assert general[0][2].message.startswith("the entry template's fictional")
        assert f"{len(rows)} row" in general[0][2].message
