"""The frame schema follows the models and the registry; kinds describe themselves; the
engine refuses frames that are not fit for scoring."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import pytest
from pydantic import AfterValidator, Field, model_validator

from bhrscore import load_rubric, score, synthetic_frames
from bhrscore.evidence.frame import Frames, evidence_dtypes
from bhrscore.evidence.frame_check import check_frames
from bhrscore.evidence.frame_schema import evidence_schema
from bhrscore.evidence.hooks import DerivedColumn, FrameCheck, VectorCheck
from bhrscore.evidence.load import load_evidence
from bhrscore.evidence.model import EvidenceBase
from bhrscore.evidence.registry import KINDS, evidence_kind, evidence_kinds
from tests.conftest import KIND_FIELDS, company, record, write_jsonl


@pytest.fixture
def grievance() -> Iterator[type[EvidenceBase]]:
    """A plug-in kind registered after the registry was first used: a derived column, a
    cross-field rule with its vectorised twin, and a code checked by a validator."""
    evidence_dtypes()  # the caches are warm before the kind arrives

    def check_channel(value: str) -> str:
        if value not in {"hotline", "union"}:
            raise ValueError("unknown channel")
        return value

    def channels(array: Any) -> Any:
        import pyarrow as pa
        import pyarrow.compute as pc

        return pc.is_in(array, value_set=pa.array(["hotline", "union"]))

    @evidence_kind("grievance")
    class Grievance(EvidenceBase):
        kind: Literal["grievance"] = "grievance"
        channel: Annotated[str, AfterValidator(check_channel), VectorCheck(channels)]
        opened: dt.date
        closed: dt.date | None = None

        @model_validator(mode="after")
        def _closed_after_opened(self) -> Grievance:
            if self.closed is not None and self.closed < self.opened:
                raise ValueError("closed before it was opened")
            return self

        @classmethod
        def frame_checks(cls) -> tuple[FrameCheck, ...]:
            return (FrameCheck("closed before opened", lambda v: v["closed"] < v["opened"]),)

        @classmethod
        def derived_columns(cls) -> tuple[DerivedColumn, ...]:
            return (
                DerivedColumn(
                    "days_open",
                    "Int64",
                    lambda v: (v["closed"] - v["opened"]).dt.days,
                ),
            )

    try:
        yield Grievance
    finally:
        KINDS.unregister("grievance")


def grievance_record(id: str, **kw: Any) -> dict[str, Any]:
    base = record("retaliation", id=id)
    for key in KIND_FIELDS["retaliation"]:
        base.pop(key)
    return base | {"kind": "grievance", "channel": "hotline", "opened": "2024-01-01"} | kw


def test_a_kind_registered_late_reaches_frames_with_its_derived_column(
    tmp_path: Path, grievance: type[EvidenceBase]
) -> None:
    assert "days_open" in evidence_dtypes()  # the cached dtypes follow the registry
    assert list(evidence_dtypes()["kind"].categories)[-1] == "grievance"
    write_jsonl(tmp_path / "companies.jsonl", [company()])
    write_jsonl(
        tmp_path / "evidence.jsonl",
        [
            grievance_record("g1", closed="2024-01-31"),
            grievance_record("g2"),
            grievance_record("bad-order", closed="2023-12-01"),
            grievance_record("bad-channel", channel="fax"),
            record("wage", id="w1"),
        ],
    )
    for engine in ("columnar", "records"):
        ev = load_evidence(tmp_path, strict=False, engine=engine)  # type: ignore[arg-type]
        frame = ev.frames().evidence.set_index("id")
        assert frame.loc["g1", "kind"] == "grievance"  # not NaN
        assert frame.loc["g1", "days_open"] == 30  # 2024-01-01 .. 2024-01-31
        assert pd.isna(frame.loc["g2", "days_open"])
        assert pd.isna(frame.loc["w1", "days_open"])  # other kinds: missing
        assert frame.loc["w1", "benchmark_ratio"] == 0.5  # 150000 / 300000
        assert sorted((p.row, p.field) for p in ev.report.errors) == [(3, None), (4, "channel")]
    ev = load_evidence(tmp_path, strict=False)
    check_frames(ev.frames())


def test_the_twins_are_read_from_the_schema(grievance: type[EvidenceBase]) -> None:
    schema = evidence_schema().models["grievance"]
    assert schema.decidable
    assert "closed before opened" in [c.description for _, c in schema.checks]
    assert len(schema.leaves["channel"].checks) == 1
    assert evidence_schema().models["wage"].leaves["currency"].checks  # ISO 4217 twin


def test_a_validator_without_twin_sends_its_rows_to_pydantic(tmp_path: Path) -> None:
    @evidence_kind("note")
    class Note(EvidenceBase):
        kind: Literal["note"] = "note"
        words: Annotated[str, AfterValidator(str.lower)] = Field(default="x")

        @model_validator(mode="after")
        def _anything(self) -> Note:
            return self

    try:
        schema = evidence_schema().models["note"]
        assert not schema.decidable  # a model validator without frame_checks
        assert not schema.leaves["words"].decidable  # an AfterValidator without a twin
        write_jsonl(tmp_path / "companies.jsonl", [company()])
        base = grievance_record("n1")
        for key in ("channel", "opened"):
            base.pop(key)
        write_jsonl(tmp_path / "evidence.jsonl", [base | {"kind": "note", "words": "LOUD"}])
        [note] = load_evidence(tmp_path).evidence
        assert note.words == "loud"  # type: ignore[attr-defined]  # pydantic's value
    finally:
        KINDS.unregister("note")
    assert "note" not in evidence_kinds()
    assert "words" not in evidence_dtypes()


# --- check_frames -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def frames() -> Frames:
    return synthetic_frames(20, 300, seed=4)


def replaced(frames: Frames, table: str, **columns: Any) -> Frames:
    frame = getattr(frames, table).copy()
    for name, value in columns.items():
        if value is None:
            frame = frame.drop(columns=name)
        else:
            frame[name] = value
    if table == "evidence":
        return Frames(frames.companies, frame)
    return Frames(frame, frames.evidence)


def test_synthetic_frames_pass_the_check(frames: Frames) -> None:
    check_frames(Frames(frames.companies, frames.evidence))


def test_upper_cased_status_is_refused_by_the_engine(frames: Frames) -> None:
    upper = frames.evidence["status"].astype("string").str.upper()
    bad = replaced(frames, "evidence", status=upper)
    with pytest.raises(ValueError, match="column 'status' has dtype string; expected a categ"):
        score(bad, load_rubric("rubrics/labour-rights.yaml"), dt.date(2026, 1, 1))
    renamed = frames.evidence["status"].cat.rename_categories(str.upper)
    with pytest.raises(ValueError, match=r"column 'status': categories \('ALLEGED'"):
        check_frames(replaced(frames, "evidence", status=renamed))


@pytest.mark.parametrize(
    ("table", "column", "value", "message"),
    [
        ("evidence", "known_date", None, "missing column 'known_date'"),
        ("evidence", "amount", "text", "column 'amount' has dtype"),
        ("evidence", "tags", "synthetic", "column 'tags' must hold tuples"),
        ("evidence", "country", "ZZ", "column 'country' holds values that are not valid codes"),
        ("evidence", "summary", pd.NA, "column 'summary' has 300 missing value"),
        ("evidence", "id", "same", "duplicate ids"),
        ("evidence", "company_id", "ghost", "refers to unknown companies: ghost"),
        ("companies", "hq_country", "XX", "column 'hq_country' holds values"),
    ],
)
def test_frame_problems_name_column_and_problem(
    frames: Frames, table: str, column: str, value: Any, message: str
) -> None:
    frame = getattr(frames, table)
    if value is None:
        bad = replaced(frames, table, **{column: None})
    elif column == "amount":
        bad = replaced(frames, table, amount=pd.Series(["x"] * len(frame), dtype="string"))
    elif column == "tags":
        bad = replaced(frames, table, tags=pd.Series(["synthetic"] * len(frame), dtype=object))
    else:
        series = pd.Series([value] * len(frame), dtype=frame[column].dtype)
        bad = replaced(frames, table, **{column: series})
    with pytest.raises(ValueError, match=message):
        check_frames(bad)


def test_values_are_checked_once_per_frames_object(frames: Frames) -> None:
    fresh = Frames(frames.companies, frames.evidence.copy())
    check_frames(fresh)
    assert fresh.values_checked
    fresh.evidence["country"] = pd.Series(["ZZ"] * len(fresh.evidence), dtype="string")
    check_frames(fresh)  # values changed in place after the check: dtypes only
    fresh.evidence["status"] = fresh.evidence["status"].astype("string")
    with pytest.raises(ValueError, match="column 'status'"):
        check_frames(fresh)


def test_loaded_frames_round_trip_to_models(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "companies.jsonl", [company(aliases=["Acme"], origin_country="CN")])
    lines = [record(kind, id=f"e-{kind}") for kind in KIND_FIELDS]
    lines.append(record("wage", id="two-sources", sources=[record()["sources"][0]] * 2))
    (tmp_path / "evidence.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    loaded = load_evidence(tmp_path)
    reference = load_evidence(tmp_path, engine="records")
    assert loaded.evidence == reference.evidence  # built from the frames, on demand
    assert loaded.companies == reference.companies
    assert loaded.company("acme").origin_country == "CN"
    assert len(loaded.evidence[-1].sources) == 2
    assert loaded.counts()["kind"]["wage"] == 2
    assert np.isclose(loaded.frames().evidence["benchmark_ratio"].dropna(), 0.5).all()
