"""``rules._union`` (the evidence of a ``say_do_gap`` rule and of screened silences) against
a plain-Python reference: each (row, company code) as often as in the part that holds it
most often, with its largest weight, in (row, company code) order."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest

from bhrscore.rubric.rules import _union
from bhrscore.rubric.selection import Selection


@dataclass
class _Ctx:
    n: int


def _sel(rows: list[int], company: list[int], weight: list[float]) -> Selection:
    return Selection(
        np.array(rows, dtype=np.int64), np.array(company, dtype=np.int64), np.array(weight)
    )


def _reference(parts: list[Selection]) -> list[tuple[int, int, float]]:
    count: dict[tuple[int, int], int] = {}
    weight: dict[tuple[int, int], float] = {}
    for p in parts:
        seen = Counter(zip(p.rows.tolist(), p.company.tolist(), strict=True))
        for key, c in seen.items():
            count[key] = max(count.get(key, 0), c)
        for r, c, w in zip(p.rows.tolist(), p.company.tolist(), p.weight.tolist(), strict=True):
            weight[(r, c)] = max(weight.get((r, c), 0.0), w)
    return [(r, c, weight[(r, c)]) for (r, c) in sorted(count) for _ in range(count[(r, c)])]


def _triples(sel: Selection) -> list[tuple[int, int, float]]:
    return list(zip(sel.rows.tolist(), sel.company.tolist(), sel.weight.tolist(), strict=True))


def test_union_of_hand_made_parts() -> None:
    # part a holds (1, 0) twice with weights 0.5 then 0.9 (a rising run: its largest, 0.9),
    # part b holds it three times at 0.7: three copies at 0.9; (2, 1) only in b; (0, 1) in
    # a once at 0.4 and in b once at 0.6: once at 0.6
    a = _sel([0, 1, 1], [1, 0, 0], [0.4, 0.5, 0.9])
    b = _sel([0, 1, 1, 1, 2], [1, 0, 0, 0, 1], [0.6, 0.7, 0.7, 0.7, 0.3])
    got = _union([a, b], _Ctx(2))
    assert _triples(got) == [(0, 1, 0.6), (1, 0, 0.9), (1, 0, 0.9), (1, 0, 0.9), (2, 1, 0.3)]
    assert got.rows.dtype == np.int64
    assert got.company.dtype == np.int64


def test_union_edge_cases() -> None:
    empty = _sel([], [], [])
    assert len(_union([], _Ctx(3))) == 0
    assert len(_union([empty, empty], _Ctx(3))) == 0
    sorted_part = _sel([1, 3], [0, 0], [0.5, 0.75])
    alone = _union([sorted_part], _Ctx(1))
    assert _triples(alone) == [(1, 0, 0.5), (3, 0, 0.75)]
    # the union's arrays are its own: changing them leaves the part (e.g. a cached base
    # selection) alone
    assert not np.shares_memory(alone.weight, sorted_part.weight)
    one = _sel([4, 2], [0, 1], [0.5, 0.25])  # not in (row, company) order: sorted first
    assert _triples(_union([one], _Ctx(2))) == [(2, 1, 0.25), (4, 0, 0.5)]
    assert _triples(_union([empty, one], _Ctx(2))) == [(2, 1, 0.25), (4, 0, 0.5)]


@pytest.mark.parametrize("seed", range(20))
def test_union_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 6))
    parts = []
    for _ in range(int(rng.integers(1, 4))):
        size = int(rng.integers(0, 40))
        rows = rng.integers(0, 15, size)
        company = rng.integers(0, n, size)
        # copies of a stacked row share a weight; some parts break that on purpose
        weight = rng.choice([0.25, 0.5, 1.0], size) if rng.random() < 0.5 else rows / 15 + 0.1
        order = np.lexsort((company, rows)) if rng.random() < 0.7 else np.arange(size)
        parts.append(Selection(rows[order], company[order], weight[order]))
    assert _triples(_union(parts, _Ctx(n))) == _reference(parts)


def test_select_any_stacked_is_the_union_of_the_stacked_selections() -> None:
    """Over bootstrap replicates, ``RuleContext.select_any`` stacks the union of the base
    selections; that is the union of the stacked selections (a record's multiplicity is the
    same in every selection of a replicate): same rows, codes, weights, order and dtypes."""
    import datetime as dt

    from bhrscore.rubric import default_rubric
    from bhrscore.rubric.engine import prepare
    from bhrscore.rubric.replicates import Replicates, record_keys
    from bhrscore.rubric.rules import RuleContext
    from bhrscore.rubric.spec import Select
    from bhrscore.synthetic import DEFAULT_AS_OF, synthetic_frames

    frames = synthetic_frames(30, 2000, seed=5)
    rubric = default_rubric()
    prep = prepare(frames, rubric.policies, DEFAULT_AS_OF)
    selects = [
        Select.model_validate({"kind": "retaliation", "where": {"actor": "company"}}),
        Select.model_validate({"kind": "retaliation", "where": {"remedy": {"present": True}}}),
        Select.model_validate({"kind": "union_dialogue"}),
    ]
    policies = rubric.policies
    reps = Replicates(record_keys(prep.ids), 3, 0, 7)
    ctx = RuleContext(prep, DEFAULT_AS_OF, policies.window, policies.decay, reps)
    got = ctx.select_any(selects)
    expected = _union([ctx.select(s) for s in selects], ctx)
    assert len(got) > len(ctx._base(selects[0]))  # not vacuous: stacked over 7 replicates
    for a, b in ((got.rows, expected.rows), (got.company, expected.company)):
        assert a.dtype == b.dtype
        assert a.tolist() == b.tolist()
    assert got.weight.tolist() == expected.weight.tolist()
    # the overlapping parts (the first two share rows) hold some rows more than once
    assert len(np.unique(got.rows)) < len(got.rows)
    plain = RuleContext(prep, dt.date(2025, 6, 30), policies.window, policies.decay)
    assert _triples(plain.select_any(selects)) == _reference([plain.select(s) for s in selects])
