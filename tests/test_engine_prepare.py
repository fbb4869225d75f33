"""``engine.prepare``: evidence in record-id order, whatever order the frame holds it in
(already in id order: the rows are taken as they are; otherwise a stable sort)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bhrscore.evidence.frame import Frames
from bhrscore.rubric import default_rubric
from bhrscore.rubric.engine import _ascending, prepare

from .rubric_support import AS_OF, evset, rec


def test_ascending_compares_text_by_code_point_with_ties() -> None:
    def asc(values: list[str | None]) -> bool:
        return _ascending(pd.Series(values, dtype="string"))

    assert asc([])
    assert asc(["x"])
    assert asc(["a", "a", "b", "b10", "b9", "é", "😀"])
    assert not asc(["a", "c", "b"])
    assert not asc(["é", "z"])  # U+00E9 after "z"
    assert not asc(["😀", "é"])  # U+1F600 after U+00E9 (UTF-8 bytes keep code point order)
    assert not asc(["a", None, "b"])  # a missing id: the sort decides


def test_evidence_in_id_order_is_prepared_as_after_the_sort() -> None:
    ids = ["ev-3", "ev-1", "ev-10", "ev-2", "ev_a", "ev-Z", "ev.9", "ev:0"]
    records = [
        rec(
            "union_dialogue",
            i,
            company_id="ab"[k % 2],
            event="meeting",
            date=f"2025-0{k + 1}-01",
        )
        for k, i in enumerate(ids)
    ]
    frames = evset(records).frames()
    ev = frames.evidence
    in_order = ev.iloc[np.argsort(ev["id"].to_numpy(dtype=object), kind="stable")]
    policies = default_rubric().policies
    shuffled = prepare(frames, policies, AS_OF)  # not in id order: sorted
    ordered = prepare(Frames(frames.companies, in_order.reset_index(drop=True)), policies, AS_OF)
    assert shuffled.ids.tolist() == ordered.ids.tolist() == sorted(ids)
    assert ordered.order.tolist() == list(range(len(ids)))  # taken as they are
    # the same records behind each position: companies, dates and weights
    assert shuffled.company.tolist() == ordered.company.tolist()
    assert shuffled.day.tolist() == ordered.day.tolist()
    assert shuffled.base_weight.tolist() == ordered.base_weight.tolist()
    assert list(ev["id"].iloc[shuffled.order]) == sorted(ids)
