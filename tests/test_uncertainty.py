"""Per-company uncertainty: bootstrap intervals of totals and ranks in the score card."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bhrscore.evidence.frame import Frames
from bhrscore.rubric import engine, load_rubric, score, uncertainty
from bhrscore.rubric.cases import build_evidence, load_case_file, rubric_path_for
from bhrscore.rubric.replicates import Replicates, record_keys
from bhrscore.rubric.uncertainty import (
    UNCERTAINTY_COLUMNS,
    Uncertainty,
    UncertaintyError,
    with_uncertainty,
)
from bhrscore.synthetic import DEFAULT_AS_OF, synthetic_frames

from .rubric_support import AS_OF, evset, indicator, rec, rubric

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = load_rubric(ROOT / "rubrics" / "labour-rights.yaml")

VALUE = {
    "select": {"kind": "assessment", "where": {"question_id": "Q1"}},
    "measure": "value",
    "aggregate": "mean",
    "scale": {"type": "identity"},
}


@pytest.fixture(scope="module")
def frames() -> Frames:
    return synthetic_frames(120, 3000, seed=5)


@pytest.fixture(scope="module")
def card(frames: Frames) -> object:
    return score(frames, DEFAULT, DEFAULT_AS_OF, uncertainty={"replicates": 60, "seed": 3})


def _answers(company: str, values: list[float], prefix: str) -> list[object]:
    return [
        rec("assessment", f"{prefix}{i:02d}", company, question_id="Q1", value=v)
        for i, v in enumerate(values)
    ]


def test_columns_and_options(card: object) -> None:
    companies = card.companies  # type: ignore[attr-defined]
    cols = list(companies.columns)
    at = cols.index("rank")
    assert cols[at + 1 : at + 5] == list(UNCERTAINTY_COLUMNS)
    for name, dtype in UNCERTAINTY_COLUMNS.items():
        assert str(companies[name].dtype) == dtype
    options = card.meta.options["uncertainty"]  # type: ignore[attr-defined]
    assert options == {"method": "bootstrap-records", "replicates": 60, "level": 0.9, "seed": 3}


def test_intervals_contain_the_point_total_and_rank(card: object) -> None:
    c = card.companies  # type: ignore[attr-defined]
    scored = c[c["total"].notna()]
    assert len(scored) > 100
    assert (scored["total_low"] <= scored["total"]).all()
    assert (scored["total"] <= scored["total_high"]).all()
    ranked = c[c["rank"].notna()]
    assert (ranked["rank_low"] <= ranked["rank"]).all()
    assert (ranked["rank"] <= ranked["rank_high"]).all()
    assert (ranked["rank_high"] <= len(ranked)).all()
    # the evidence of synthetic companies varies: most intervals have some width
    assert ((scored["total_high"] - scored["total_low"]) > 0).mean() > 0.5


def test_many_consistent_records_give_a_narrower_interval_than_one() -> None:
    # "many": 20 answers between 55 and 65 (mean 60); "one": a single answer of 60.
    # Both totals are 60; a replicate of "one" loses its only record 37 % of the time
    # (e^-1) and then scores 0 (missing: zero), so its interval reaches 0; "many" moves only
    # as far as a resampled mean of 20 values between 55 and 65 can.
    many = list(np.linspace(55, 65, 20))
    records = _answers("many", many, "m") + _answers("one", [60.0], "o")
    rub = rubric([indicator("x", VALUE)], missing="zero")
    card = score(evset(records, ("many", "one")), rub, AS_OF, uncertainty=200)
    c = card.companies.set_index("company_id")
    assert c.loc["many", "total"] == pytest.approx(60.0)
    assert c.loc["one", "total"] == pytest.approx(60.0)
    width = c["total_high"] - c["total_low"]
    assert width["many"] < 5.0
    assert c.loc["one", "total_low"] == 0.0
    assert width["one"] == pytest.approx(60.0)
    assert width["many"] < width["one"]


@pytest.mark.parametrize("off", [False, None, 0, {"replicates": 0}])
def test_switched_off_gives_na_columns(off: object) -> None:
    records = _answers("a", [40.0, 60.0], "r")
    card = score(evset(records), rubric([indicator("x", VALUE)]), AS_OF, uncertainty=off)  # type: ignore[arg-type]
    c = card.companies
    for name in UNCERTAINTY_COLUMNS:
        assert c[name].isna().all()
    assert card.meta.options["uncertainty"]["method"] is None
    assert card.meta.options["uncertainty"]["replicates"] == 0
    assert "interval" not in card.explain("a")


def test_deterministic_for_a_seed(frames: Frames) -> None:
    one = score(frames, DEFAULT, DEFAULT_AS_OF, uncertainty={"replicates": 20, "seed": 9})
    two = score(frames, DEFAULT, DEFAULT_AS_OF, uncertainty={"replicates": 20, "seed": 9})
    pd.testing.assert_frame_equal(one.companies, two.companies)
    other = score(frames, DEFAULT, DEFAULT_AS_OF, uncertainty={"replicates": 20, "seed": 10})
    assert not one.companies["total_low"].equals(other.companies["total_low"])
    # the point scores do not depend on the uncertainty options
    pd.testing.assert_series_equal(one.companies["total"], other.companies["total"])


def test_blocks_do_not_change_the_replicates(
    frames: Frames, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = Uncertainty(replicates=12, seed=4)
    prep = engine.prepare(frames, DEFAULT.policies)
    whole = engine.replicate_totals(prep, DEFAULT, DEFAULT_AS_OF, options)
    monkeypatch.setattr(uncertainty, "BLOCK_CELLS", 1)  # one replicate per block
    assert engine.block_size(len(prep.ids), prep.n_companies, 12) == 1
    blocks = engine.replicate_totals(prep, DEFAULT, DEFAULT_AS_OF, options)
    np.testing.assert_array_equal(whole, blocks)


def _resampled(frames: Frames, prep: engine.Prepared, seed: int, r: int) -> Frames:
    """Replicate ``r`` written out as evidence: each company-level record repeated by its
    multiplicity, ids renamed so that their order (and so every tie-break) is kept."""
    k = Replicates(record_keys(prep.ids), seed, r, 1).multiplicity(np.arange(len(prep.ids)))[:, 0]
    rows = frames.evidence.iloc[prep.order].reset_index(drop=True)
    take = np.repeat(np.arange(len(rows)), k.astype(np.int64))
    copy = np.concatenate([np.arange(m) for m in k.astype(np.int64)]) if len(k) else take
    out = rows.iloc[take].reset_index(drop=True)
    out["id"] = pd.array([f"{i:08d}-{j}" for i, j in zip(take, copy, strict=True)], dtype="string")
    return Frames(frames.companies, out)


def _replicates_match_resampled_evidence(frames: Frames, rub: object, as_of: object) -> None:
    seed, count = 11, 4
    prep = engine.prepare(frames, rub.policies)  # type: ignore[attr-defined]
    totals = engine.replicate_totals(
        prep,
        rub,  # type: ignore[arg-type]
        as_of,  # type: ignore[arg-type]
        Uncertainty(replicates=count, seed=seed),
    )
    for r in range(count):
        card = score(_resampled(frames, prep, seed, r), rub, as_of, uncertainty=False)  # type: ignore[arg-type]
        want = card.companies["total"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        np.testing.assert_allclose(totals[r], want, rtol=0, atol=1e-9, equal_nan=True)


def test_stacked_replicates_equal_scoring_the_resampled_evidence(frames: Frames) -> None:
    """Every rule type of the default rubric (evidence rules with every aggregate,
    say_do_gap with its unions), penalties and the missing-data policy give, on
    replicate-stacked selections, exactly the totals of scoring each resampled evidence
    set on its own."""
    _replicates_match_resampled_evidence(frames, DEFAULT, DEFAULT_AS_OF)


@pytest.mark.parametrize(
    "name", ["elements", "conditional-weights", "pooled", "points", "not-applicable"]
)
def test_stacked_replicates_equal_resampling_for_the_method_rubrics(name: str) -> None:
    path = ROOT / "tests" / "rubrics" / f"{name}.cases.yaml"
    case_file = load_case_file(path)
    rub = load_rubric(rubric_path_for(path, case_file.rubric))
    for i, case in enumerate(case_file.cases):
        evidence = build_evidence(case_file, case, f"cases[{i}]")
        as_of = case.as_of or case_file.as_of
        _replicates_match_resampled_evidence(evidence.frames(), rub, as_of)


def test_rank_intervals_only_for_ranked_and_sufficient_companies() -> None:
    # b has no evidence: under missing: exclude it has no total and no rank
    records = _answers("a", [40.0, 60.0], "a") + _answers("c", [70.0], "c")
    rub = rubric([indicator("x", VALUE)], missing="exclude")
    card = score(evset(records, ("a", "b", "c")), rub, AS_OF, uncertainty=30)
    c = card.companies.set_index("company_id")
    assert pd.isna(c.loc["b", "total_low"])
    assert pd.isna(c.loc["b", "rank_low"])
    assert not pd.isna(c.loc["a", "rank_low"])
    # a card that marks c insufficient (the sufficiency column of the evidence-sufficiency
    # policy): no rank interval for c although it has a rank in this card
    assert c.loc["c", "rank"] == 1
    assert c.loc["a", "rank"] == 2
    companies = card.companies.assign(sufficient=pd.array([True, False, False], dtype="boolean"))
    marked = dataclasses.replace(card, companies=companies)
    prep = engine.prepare(evset(records, ("a", "b", "c")).frames(), rub.policies)
    totals = engine.replicate_totals(prep, rub, AS_OF, Uncertainty(replicates=30))
    again = with_uncertainty(marked, totals, Uncertainty(replicates=30)).companies
    again = again.set_index("company_id")
    assert pd.isna(again.loc["c", "rank_low"])
    assert pd.isna(again.loc["c", "rank_high"])
    assert not pd.isna(again.loc["c", "total_low"])  # its total still has an interval
    # a is ranked alone in every replicate (1), widened to contain its card rank (2)
    assert (again.loc["a", "rank_low"], again.loc["a", "rank_high"]) == (1, 2)


def test_explain_shows_the_intervals(card: object) -> None:
    c = card.companies  # type: ignore[attr-defined]
    row = c[c["rank"].notna()].iloc[0]
    text = card.explain(str(row["company_id"]))  # type: ignore[attr-defined]
    assert (
        f"90% interval of the total {row['total_low']:.2f} to {row['total_high']:.2f}"
        f", rank {row['rank_low']} to {row['rank_high']}"
    ) in text
    assert "bootstrap-records: 60 replicates" in text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"replicates": -1}, "replicates must be 0 or more"),
        ({"level": 1.0}, "level must be between 0 and 1"),
        ({"seed": -3}, "seed must be a whole number"),
        ({"replicas": 5}, "unknown uncertainty option"),
        ("many", "uncertainty must be"),
    ],
)
def test_bad_options(value: object, message: str) -> None:
    records = _answers("a", [40.0], "r")
    with pytest.raises(UncertaintyError, match=message):
        score(evset(records), rubric([indicator("x", VALUE)]), AS_OF, uncertainty=value)  # type: ignore[arg-type]


def test_poisson_multiplicities() -> None:
    ids = np.array([f"rec-{i:05d}" for i in range(4000)], dtype=object)
    k = Replicates(record_keys(ids), 0, 0, 100).multiplicity(np.arange(4000)).astype(float)
    # Poisson(1): mean 1 and variance 1; with 400,000 draws both within 0.02
    assert k.mean() == pytest.approx(1.0, abs=0.02)
    assert k.var() == pytest.approx(1.0, abs=0.02)
    # P(K = 0) = e^-1 = 0.3679
    assert (k == 0).mean() == pytest.approx(np.exp(-1.0), abs=0.01)
    # the same record and replicate give the same multiplicity whatever else is drawn
    part = Replicates(record_keys(ids[100:200]), 0, 50, 10).multiplicity(np.arange(100))
    np.testing.assert_array_equal(part, k[100:200, 50:60])
