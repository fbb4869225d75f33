"""Typed frames, derived columns and the order-independent content hash."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.evidence.frame import company_dtypes, evidence_dtypes, frame_hash
from bhrscore.evidence.load import load_evidence
from bhrscore.evidence.model import Company
from bhrscore.evidence.registry import evidence_kinds
from tests.conftest import company, record


def test_frames_have_documented_dtypes(bundle: Any) -> None:
    ev = load_evidence(
        bundle(evidence=[record(id="a"), record("wage", id="b"), record("statement", id="c")])
    )
    frames = ev.frames()
    assert list(frames.evidence.columns) == list(evidence_dtypes())
    assert list(frames.companies.columns) == list(company_dtypes())
    e = frames.evidence.set_index("id")
    assert isinstance(e["status"].dtype, pd.CategoricalDtype)
    assert set(e["status"].cat.categories) == {
        "alleged",
        "corroborated",
        "verified",
        "disputed",
        "retracted",
    }
    assert e["date"].dtype == "datetime64[ns]"
    assert e.loc["b", "benchmark_ratio"] == 0.5  # 150000 / 300000
    assert pd.isna(e.loc["a", "benchmark_ratio"])
    assert e.loc["c", "topics"] == ("freedom_of_association", "non_retaliation")
    assert e.loc["a", "source_url"] == "https://example.org/report"
    assert e.loc["a", "effective_date"] == pd.Timestamp("2024-02-01")


def test_ultimate_parent_and_origin_through_three_levels() -> None:
    cos = [
        Company.model_validate(c)
        for c in (
            company("top", hq_country="CN"),
            company("mid", hq_country="HK", parent_id="top"),
            company("low", hq_country="KZ", parent_id="mid"),
            company("own", hq_country="KZ", parent_id="mid", origin_country="RU"),
            company("holding", hq_country="CY", origin_country="CN"),
            company("via-holding", hq_country="KZ", parent_id="holding"),
            company("unknown", hq_country=None),
        )
    ]
    frame = EvidenceSet(tuple(cos), ()).frames().companies.set_index("id")
    assert frame.loc["low", "ultimate_parent_id"] == "top"
    assert frame.loc["low", "parent_depth"] == 2
    assert frame.loc["low", "origin_country"] == "CN"  # the ultimate parent's HQ
    assert frame.loc["own", "origin_country"] == "RU"  # explicit origin wins
    assert frame.loc["top", "parent_depth"] == 0
    assert frame.loc["via-holding", "origin_country"] == "CN"  # an ancestor's explicit origin
    assert pd.isna(frame.loc["unknown", "origin_country"])


def test_content_hash_ignores_row_order_but_not_content() -> None:
    kinds = evidence_kinds()
    recs = [kinds["retaliation"].model_validate(record(id=i)) for i in ("a", "b", "c")]
    cos = (Company.model_validate(company()),)
    h1 = EvidenceSet(cos, tuple(recs)).content_hash()
    h2 = EvidenceSet(cos, tuple(reversed(recs))).content_hash()
    changed = [*recs[:2], kinds["retaliation"].model_validate(record(id="c", status="verified"))]
    assert h1 == h2
    assert h1 != EvidenceSet(cos, tuple(changed)).content_hash()


def _three() -> EvidenceSet:
    kinds = evidence_kinds()
    recs = [
        kinds["retaliation"].model_validate(record(id=i, summary=f"Fictional case {i}"))
        for i in ("a", "b", "c")
    ]
    recs.append(kinds["wage"].model_validate(record("wage", id="d")))
    return EvidenceSet((Company.model_validate(company()),), tuple(recs))


def test_content_hash_ignores_chunking_and_storage_but_not_nulls() -> None:
    frames = _three().frames()
    h = frames.content_hash()
    ev = frames.evidence
    # the same text in two Arrow chunks, or in Python string storage: the same content
    summary = pa.chunked_array([pa.array(ev["summary"].tolist()[:2]), ev["summary"].tolist()[2:]])
    chunked = ev.assign(summary=pd.Series(pd.arrays.ArrowStringArray(summary)))
    python = ev.assign(summary=ev["summary"].astype("string[python]"))
    assert frame_hash(frames.companies, chunked) == h
    assert frame_hash(frames.companies, python) == h
    # equal tuples that are distinct objects (not shared between rows): the same content
    one = ("fictional", "tag")
    shared = pd.Series([one] * len(ev), dtype=object, index=ev.index)
    distinct = pd.Series(
        [("fictional", t) for t in ["tag"] * len(ev)], dtype=object, index=ev.index
    )
    assert distinct.iloc[0] is not distinct.iloc[1]
    assert frame_hash(frames.companies, ev.assign(tags=shared)) == frame_hash(
        frames.companies, ev.assign(tags=distinct)
    )
    assert frame_hash(frames.companies, ev.assign(tags=shared)) != h
    # one category value changed is another content
    status = ev["status"].copy()
    status.iloc[0] = "verified" if status.iloc[0] != "verified" else "alleged"
    assert frame_hash(frames.companies, ev.assign(status=status)) != h
    # a missing value is not an empty text; a missing number is not a zero
    region = ev["region"].copy()
    region.iloc[0] = pd.NA if not pd.isna(region.iloc[0]) else ""
    assert frame_hash(frames.companies, ev.assign(region=region)) != h
    amount = ev["amount"].copy()
    amount.iloc[0] = 0.0 if pd.isna(amount.iloc[0]) else pd.NA
    assert frame_hash(frames.companies, ev.assign(amount=amount)) != h


def test_content_hash_memo_sees_changes_made_in_place() -> None:
    frames = _three().frames()
    first = frames.content_hash()
    assert frames.content_hash() == first  # memo reused: the same answer
    # each change below is made in place in the frame the memo has seen
    ev = frames.evidence
    ev.loc[ev.index[0], "summary"] = "Fictional case changed"
    second = frames.content_hash()
    assert second != first
    ev.loc[ev.index[1], "date"] = pd.Timestamp("2001-01-01")
    third = frames.content_hash()
    assert third != second
    ev.loc[ev.index[2], "tags"] = ("changed",)
    fourth = frames.content_hash()
    assert fourth != third
    ev.loc[ev.index[0], "id"] = "z"  # the row order by id changes
    assert frames.content_hash() != fourth
    # and a fresh hash of the changed frames agrees with the memo's
    assert frame_hash(frames.companies, frames.evidence) == frames.content_hash()
    # frames replaced from these start with a memo of their own
    fewer = dataclasses.replace(frames, evidence=frames.evidence.iloc[:2])
    assert fewer._hash_memo is not frames._hash_memo
    assert fewer.content_hash() == frame_hash(frames.companies, frames.evidence.iloc[:2])
    assert fewer.content_hash() != frames.content_hash()


@pytest.mark.parametrize("threaded_from", [500_000, 1])
def test_content_hash_warmed_on_a_thread_is_the_hash_of_the_frames_as_they_are(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, threaded_from: int
) -> None:
    """A loaded set starts hashing its text columns on a background thread: the content
    hash is the one computed afresh, the text digests come from the memo, and a frame
    changed after loading (while or after the thread ran) is hashed as it is then."""
    from bhrscore.evidence import frame as frame_module
    from tests.conftest import write_jsonl

    monkeypatch.setattr(frame_module, "_HASH_THREADED_ROWS", threaded_from)  # 1: on threads
    write_jsonl(tmp_path / "companies.jsonl", [company()])
    write_jsonl(
        tmp_path / "evidence.jsonl",
        [record(id=f"e{i}", summary=f"Fictional case {i}") for i in range(5)],
    )
    loaded = load_evidence(tmp_path)
    frames = loaded.frames()
    assert "_warming" in vars(frames)  # started by the loader
    fresh = frame_hash(frames.companies, frames.evidence)
    assert frames.content_hash() == fresh
    assert "_warming" not in vars(frames)
    assert (1, "summary") in frames._hash_memo.columns  # a text digest from the thread
    # warmed again, then changed before the hash is asked for
    again = load_evidence(tmp_path).frames()
    again.evidence.loc[again.evidence.index[0], "summary"] = "Fictional case changed"
    assert again.content_hash() == frame_hash(again.companies, again.evidence)
    assert again.content_hash() != fresh
    # a loaded set is pickled and copied as before (the thread is waited for, not kept)
    import copy
    import pickle

    warm = load_evidence(tmp_path)
    restored = pickle.loads(pickle.dumps(warm))
    assert restored.content_hash() == fresh
    assert copy.deepcopy(load_evidence(tmp_path).frames()).content_hash() == fresh
    assert dataclasses.asdict(load_evidence(tmp_path).frames()).keys() == {
        "companies",
        "evidence",
        "values_checked",
        "sector_vocabulary",
        "_hash_memo",
    }
    # frames built directly are not warmed: the hash is computed when asked, the same way
    direct = _three().frames()
    assert "_warming" not in vars(direct)
    assert direct.content_hash() == frame_hash(direct.companies, direct.evidence)


def _slow_warm(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Make the warming thread wait for the returned event, then add 1,000 entries (key
    index 9) to the memo: copies made meanwhile must wait for all of them."""
    from bhrscore.evidence import frame as frame_module

    go = threading.Event()

    def slow_warm(frames: Any, memo: Any) -> None:
        go.wait(5)
        for i in range(1000):
            memo.columns[(9, f"c{i}")] = (None, None, b"x")

    monkeypatch.setattr(frame_module, "_warm_text", slow_warm)
    return go


@pytest.mark.parametrize("copier", ["asdict", "deepcopy", "pickle"])
def test_a_memo_being_filled_is_copied_after_the_thread(
    copier: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """asdict, deepcopy and pickle of frames whose hash is warming wait for the thread: the
    copy holds what the thread added (before, asdict walked the memo's dictionaries while
    the thread added to them: "dictionary changed size during iteration")."""
    import copy
    import pickle

    go = _slow_warm(monkeypatch)
    frames = _three().frames()
    frames.warm_hash()
    threading.Timer(0.2, go.set).start()
    if copier == "asdict":
        memo = dataclasses.asdict(frames)["_hash_memo"]
    elif copier == "deepcopy":
        memo = copy.deepcopy(frames)._hash_memo
    else:
        memo = pickle.loads(pickle.dumps(frames))._hash_memo
    assert len([k for k in memo.columns if k[0] == 9]) == 1000
    assert memo.filling is None
    assert frames._hash_memo.filling is None


def test_a_second_waiter_also_waits_for_the_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """While one thread already waits for the warming thread, a copy made on another thread
    waits too (before, the first waiter cleared the future and the copy walked the memo
    while the thread still added to it)."""
    import copy

    go, waiting = _slow_warm(monkeypatch), threading.Event()
    frames = _three().frames()
    frames.warm_hash()
    memo = frames._hash_memo
    filling = memo.filling
    assert filling is not None

    def first_waiter() -> None:
        waiting.set()
        memo.settled()

    threading.Thread(target=first_waiter).start()
    waiting.wait(5)
    threading.Timer(0.2, go.set).start()
    copied = copy.deepcopy(frames)._hash_memo
    assert len([k for k in copied.columns if k[0] == 9]) == 1000
    assert filling.done()


def test_a_deep_copy_keeps_its_memo_useful(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deep copy of hashed frames digests no more columns than the original does when
    asked again: its memo entries still match its (shared, immutable) Arrow arrays."""
    import copy

    from bhrscore.evidence import frame as frame_module

    frames = _three().frames()
    digest = frame_module._column_digest
    calls: list[int] = []

    def counted(col: pd.Series) -> bytes:
        calls.append(1)
        return digest(col)

    monkeypatch.setattr(frame_module, "_column_digest", counted)
    first = frames.content_hash()
    total = len(calls)
    calls.clear()
    assert frames.content_hash() == first
    again = len(calls)
    assert again < total  # the memo saves digests at all (text columns are Arrow-backed)
    copied = copy.deepcopy(frames)
    calls.clear()
    assert copied.content_hash() == first
    assert len(calls) == again


@pytest.mark.parametrize("seed", range(6))
def test_parents_walked_on_positions_as_on_labels(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ultimate parents, depths and origins found by walking row positions are those the
    walk on labels finds: random forests of fictional companies (chains, cycles, missing
    origins and head-office countries, unknown parents, repeated ids, no company)."""
    import numpy as np

    from bhrscore.evidence import frame as frame_module

    rng = np.random.default_rng(seed)
    n = [0, 1, 7, 40, 200, 20][seed]
    ids = [f"c{i}" for i in range(n)]
    parents: list[str | None] = [
        ids[int(rng.integers(0, n))] if n and rng.random() < 0.6 else None for _ in ids
    ]
    if seed == 4 and n:
        parents[0] = "not-a-company"
    if seed == 5 and n > 1:
        ids[1] = ids[0]
    countries = ["KZ", "DE", None]
    companies = pd.DataFrame(
        {
            "id": pd.array(ids, dtype="string"),
            "parent_id": pd.array(parents, dtype="string"),
            "origin_country_explicit": pd.array(
                [countries[int(rng.integers(0, 3))] for _ in ids], dtype="string"
            ),
            "hq_country": pd.array([countries[int(rng.integers(0, 3))] for _ in ids], "string"),
        }
    )
    if seed == 5:  # repeated ids: the walk on labels refuses them, and so does this one
        with pytest.raises(pd.errors.InvalidIndexError):
            frame_module.resolve_parents(companies)
        return
    fast = frame_module.resolve_parents(companies).astype(frame_module.DERIVED_COMPANY)
    monkeypatch.setattr(frame_module, "_walk_parents", lambda *args: None)
    plain = frame_module.resolve_parents(companies).astype(frame_module.DERIVED_COMPANY)
    pd.testing.assert_frame_equal(fast, plain)
    if seed == 3:  # by hand, for one company: its chain up to a root or around a cycle
        row, steps = 0, 0
        while parents[row] is not None and steps < frame_module.MAX_PARENT_DEPTH:
            row, steps = ids.index(str(parents[row])), steps + 1
        assert fast.loc[0, "ultimate_parent_id"] == ids[row]
        assert fast.loc[0, "parent_depth"] == steps


def test_empty_evidence_set_has_typed_empty_frames() -> None:
    frames = EvidenceSet((), ()).frames()
    assert len(frames.evidence) == 0
    assert frames.evidence["effective_date"].dtype == "datetime64[ns]"
    assert dt.date(2020, 1, 1)  # frames need no clock


def test_content_hash_is_the_same_on_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    from bhrscore.evidence import frame

    frames = _three().frames()
    inline = frame_hash(frames.companies, frames.evidence)
    monkeypatch.setattr(frame, "_HASH_THREADED_ROWS", 0)  # large-frame path: worker threads
    assert frame_hash(frames.companies, frames.evidence) == inline


@pytest.mark.parametrize("shuffled", [False, True])
def test_known_date_is_each_records_latest_date(shuffled: bool) -> None:
    """The ``known_date`` column is the latest date each record mentions, as the model says
    (``latest_date``), whether the sources come in owner order (one pass) or not."""
    import numpy as np

    from bhrscore import synthetic_evidence
    from bhrscore.evidence.hooks import FrameView
    from bhrscore.evidence.model import _known_date

    ev = synthetic_evidence(20, 400, seed=5)
    frame = ev.frames().evidence
    sources = ev.items("evidence", "sources")
    if shuffled:
        sources = sources.iloc[np.random.default_rng(0).permutation(len(sources))]
    view = FrameView({c: frame[c] for c in frame.columns}, len(frame), items={"sources": sources})
    got = [d.date() for d in _known_date(view)]
    assert got == [record.latest_date() for record in ev.evidence]
