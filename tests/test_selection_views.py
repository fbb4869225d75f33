"""Conditions read from the prepared column views (numbers, codes) give the same rows as
read from the evidence columns themselves, on every kind of column, with missing values."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from bhrscore.rubric import default_rubric
from bhrscore.rubric.engine import prepare
from bhrscore.rubric.selection import _view_mask, condition_mask
from bhrscore.rubric.spec import Condition
from bhrscore.synthetic import DEFAULT_AS_OF, synthetic_frames

CASES: list[tuple[str, Any]] = [
    # categoricals (mostly missing for other kinds)
    ("union.status", "independent"),
    ("union.status", {"ne": "independent"}),
    ("union.status", ["independent", "company_controlled"]),
    ("union.status", {"not_in": ["independent"]}),
    ("union.status", {"present": True}),
    ("union.status", {"present": False}),
    ("action", {"in": ["killing", "not-a-value"]}),
    ("status", {"eq": "verified", "present": True}),
    # lists
    ("topics", {"contains": ["living_wage", "non_retaliation"]}),
    ("topics", {"contains_all": ["freedom_of_association", "collective_bargaining"]}),
    ("topics", {"present": True}),
    ("topics", {"present": False}),
    # numbers (Float64 and Int64 with NA)
    ("benchmark_ratio", {"ge": 0.8}),
    ("benchmark_ratio", {"gt": 0.5, "le": 1.0}),
    ("benchmark_ratio", {"lt": 0.9}),
    ("arrears.days", {"eq": 134}),
    ("arrears.days", {"in": [134, 160, 90]}),
    ("arrears.days", {"ne": 134}),
    ("arrears.days", {"not_in": [134]}),
    ("arrears.days", {"present": False}),
    # dates (with NaT)
    ("company_response.date", {"ge": dt.date(2020, 1, 1)}),
    ("company_response.date", {"lt": dt.date(2022, 6, 1), "present": True}),
    ("effective_date", {"in": [dt.date(2022, 8, 27), dt.date(2021, 3, 5)]}),
    ("effective_date", {"ne": dt.date(2022, 8, 27)}),
]


@pytest.fixture(scope="module")
def prep() -> Any:
    frames = synthetic_frames(50, 3000, seed=3)
    return prepare(frames, default_rubric().policies, DEFAULT_AS_OF)


@pytest.mark.parametrize(("name", "cond"), CASES)
def test_view_mask_matches_the_column(prep: Any, name: str, cond: Any) -> None:
    condition = Condition.model_validate(cond)
    rng = np.random.default_rng(0)
    every = np.arange(len(prep.ids))
    for rows in (every, np.sort(rng.choice(every, 500, replace=False)), every[:0]):
        view = prep.view(name)
        assert view is not None
        fast = _view_mask(view, rows, condition)
        assert fast is not None
        slow = condition_mask(prep.column(name, rows), condition)
        assert fast.dtype == bool
        assert fast.tolist() == slow.tolist()
    # the data exercise both answers (not a vacuous comparison)
    whole = condition_mask(prep.column(name, every), condition)
    assert whole.any()
    assert not whole.all() or name == "status"


def test_views_leave_text_and_errors_to_the_column(prep: Any) -> None:
    # text columns are read as text
    assert prep.view("country") is None
    # a comparison of a categorical is the column's error, not the view's
    view = prep.view("status")
    rows = np.arange(10)
    assert _view_mask(view, rows, Condition.model_validate({"gt": 1})) is None
    with pytest.raises(TypeError):
        condition_mask(prep.column("status", rows), Condition.model_validate({"gt": 1}))
    # values other than text for a categorical: the column answers
    assert _view_mask(view, rows, Condition.model_validate({"eq": 1})) is None


def test_a_score_card_keeps_no_column_views() -> None:
    """The card computes its unused records on demand from the prepared frame; the column
    views the rules made (an array per column read, ~100 MB at a million records) are not
    kept with it, and the unused records are the same."""
    import gc

    from bhrscore import score
    from bhrscore.rubric.selection import Prepared

    frames = synthetic_frames(20, 400, seed=2)
    card = score(frames, default_rubric(), DEFAULT_AS_OF)
    # what the card's unused-records source holds (through closures and partials)
    kept: list[Prepared] = []
    todo: list[Any] = [card.unused_source]
    for _ in range(5):
        found = []
        for obj in todo:
            for ref in gc.get_referents(obj):
                if isinstance(ref, Prepared):
                    kept.append(ref)
                elif callable(ref) or isinstance(ref, tuple) or type(ref).__name__ == "cell":
                    found.append(ref)
        todo = found
    assert len(kept) == 1  # the card's prepared frame, for its unused records
    assert kept[0].views == {}
    again = score(frames, default_rubric(), DEFAULT_AS_OF)
    assert len(card.unused) == len(again.unused) > 0
    assert card.unused.equals(again.unused)
