"""The synthetic generator: deterministic, typed like real frames, valid, and with a planted
origin effect in the documented direction."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from bhrscore.evidence.frame import Frames, company_dtypes, evidence_dtypes
from bhrscore.evidence.registry import evidence_kinds
from bhrscore.synthetic import frames_to_models, synthetic_evidence, synthetic_frames

AS_OF = dt.date(2024, 6, 30)


def _by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("id", kind="stable").reset_index(drop=True)


def _with_origin(frames: Frames) -> pd.DataFrame:
    companies = frames.companies[["id", "origin_country"]]
    merged = frames.evidence.merge(companies, left_on="company_id", right_on="id", how="left")
    merged["cn"] = (merged["origin_country"] == "CN").fillna(False).astype(bool)
    company_level: pd.DataFrame = merged[merged["company_id"].notna()]
    return company_level


def test_same_seed_gives_identical_frames() -> None:
    a = synthetic_frames(40, 800, seed=3, origin_effect=0.4)
    b = synthetic_frames(40, 800, seed=3, origin_effect=0.4)
    pd.testing.assert_frame_equal(a.companies, b.companies)
    pd.testing.assert_frame_equal(a.evidence, b.evidence)


def test_different_seeds_differ() -> None:
    a = synthetic_frames(40, 800, seed=1)
    b = synthetic_frames(40, 800, seed=2)
    assert a.content_hash() != b.content_hash()
    assert not a.evidence["company_id"].equals(b.evidence["company_id"])


@pytest.mark.parametrize(("companies", "records"), [(1, 0), (1, 3), (60, 2000)])
def test_columns_and_dtypes_match_the_frame_contract(companies: int, records: int) -> None:
    frames = synthetic_frames(companies, records, seed=5)
    assert list(frames.evidence.columns) == list(evidence_dtypes())
    assert list(frames.companies.columns) == list(company_dtypes())
    for name, dtype in evidence_dtypes().items():
        assert frames.evidence[name].dtype == dtype, name
    for name, dtype in company_dtypes().items():
        assert frames.companies[name].dtype == dtype, name
    assert len(frames.evidence) == records
    assert len(frames.companies) == companies


def test_every_synthetic_record_validates_and_all_kinds_occur() -> None:
    frames = synthetic_frames(50, 3000, seed=11, origin_effect=0.5, group_share=0.05)
    companies, evidence = frames_to_models(frames)  # raises ValidationError on any bad record
    assert len(companies) == 50
    assert len(evidence) == 3000
    assert {e.kind for e in evidence} == set(evidence_kinds())
    # Group testimony has no company; company evidence names an existing company.
    ids = {c.id for c in companies}
    assert all(e.company_id in ids for e in evidence if e.group is None)
    assert any(e.group is not None for e in evidence)


@pytest.mark.parametrize("seed", [0, 9])
def test_evidence_set_frames_equal_synthetic_frames(seed: int) -> None:
    kwargs = {"origin_effect": 0.6, "as_of": AS_OF, "group_share": 0.05}
    direct = synthetic_frames(30, 700, seed, **kwargs)  # type: ignore[arg-type]
    via_models = synthetic_evidence(30, 700, seed, **kwargs).frames()  # type: ignore[arg-type]
    # Up to row order (and company column order, which company_frame arranges itself).
    pd.testing.assert_frame_equal(
        _by_id(via_models.evidence), _by_id(direct.evidence), check_like=True
    )
    pd.testing.assert_frame_equal(
        _by_id(via_models.companies), _by_id(direct.companies), check_like=True
    )


def test_data_is_clearly_fictional() -> None:
    frames = synthetic_frames(30, 500, seed=2)
    assert frames.companies["name"].str.startswith("Fictional ").all()
    assert frames.companies["id"].str.fullmatch(r"syn-c\d{6}").all()
    assert frames.evidence["id"].str.fullmatch(r"syn-e\d{7}").all()
    assert frames.evidence["source_url"].str.startswith("https://example.org/").all()
    named = frames.evidence["persons"].map(len) > 0
    assert named.any()
    assert frames.evidence.loc[named, "sensitive"].all()
    assert not frames.evidence.loc[~named, "sensitive"].any()
    persons = {p for t in frames.evidence["persons"] for p in t}
    assert all(p.endswith(" Example") for p in persons)


def test_ownership_chains_and_explicit_origins() -> None:
    companies = synthetic_frames(400, 0, seed=4).companies
    assert set(companies["parent_depth"].unique()) == {0, 1, 2}
    top = companies["parent_id"].isna()
    assert (companies.loc[top, "ultimate_parent_id"] == companies.loc[top, "id"]).all()
    explicit = companies["origin_country_explicit"].notna()
    assert explicit.any()
    assert (
        companies.loc[explicit, "origin_country"]
        == companies.loc[explicit, "origin_country_explicit"]
    ).all()
    # Subsidiaries inherit the ultimate parent's origin: its explicit origin, else its HQ.
    by_id = companies.set_index("id")
    parent_origin = by_id["origin_country_explicit"].fillna(by_id["hq_country"])
    inherited = ~top & ~explicit
    expected = companies.loc[inherited, "ultimate_parent_id"].map(parent_origin)
    assert (companies.loc[inherited, "origin_country"] == expected).all()
    assert (
        companies.loc[inherited, "hq_country"] != companies.loc[inherited, "origin_country"]
    ).any()


def test_dates_lie_before_as_of_within_a_few_years() -> None:
    evidence = synthetic_frames(20, 2000, seed=8, as_of=AS_OF).evidence
    limit = pd.Timestamp(AS_OF)
    earliest = limit - pd.DateOffset(years=5)
    for column in ("date", "period.start", "period.end", "source_published", "effective_date"):
        values = evidence[column].dropna()
        assert (values <= limit).all(), column
        assert (values >= earliest).all(), column
    assert evidence["effective_date"].notna().all()
    period = evidence["date"].isna()
    assert period.any()
    assert evidence.loc[period, "period.start"].notna().all()


def test_benchmark_ratio_is_amount_over_benchmark() -> None:
    evidence = synthetic_frames(20, 2000, seed=6).evidence
    wage = evidence[evidence["benchmark.amount"].notna()]
    assert len(wage) > 0
    ratio = wage["amount"] / wage["benchmark.amount"]
    np.testing.assert_allclose(wage["benchmark_ratio"].to_numpy(float), ratio.to_numpy(float))
    assert evidence.loc[evidence["benchmark.amount"].isna(), "benchmark_ratio"].isna().all()


def _cn_vs_other(effect: float) -> dict[str, tuple[float, float]]:
    data = _with_origin(synthetic_frames(300, 30_000, seed=21, origin_effect=effect))
    negative = data["event"].isin(["request_ignored", "refusal_to_meet", "lockout"])
    dialogue = data["kind"] == "union_dialogue"
    out = {}
    for name, values in {
        "ratio": data["benchmark_ratio"],
        "refusal": negative.where(dialogue),
        "retaliation": (data["kind"] == "retaliation").astype(float),
    }.items():
        v = values.astype("Float64")
        out[name] = (float(v[data["cn"]].mean()), float(v[~data["cn"]].mean()))
    return out


def test_origin_effect_moves_cn_companies_in_the_documented_direction() -> None:
    none = _cn_vs_other(0.0)
    planted = _cn_vs_other(0.8)
    reversed_ = _cn_vs_other(-0.5)
    # Without an effect CN and other companies look alike (means within sampling noise).
    assert abs(none["ratio"][0] - none["ratio"][1]) < 0.05
    assert abs(none["refusal"][0] - none["refusal"][1]) < 0.05
    assert abs(none["retaliation"][0] - none["retaliation"][1]) < 0.03
    # e = 0.8: CN wage ratio scaled by 1 - 0.4 = 0.6; refusals 0.20 + 0.32 = 0.52;
    # retaliation weight 0.15 * 2.6 = 0.39 of 1.24 total, i.e. about 0.31 of records.
    assert planted["ratio"][0] < 0.7 * planted["ratio"][1]
    assert planted["refusal"][0] > planted["refusal"][1] + 0.2
    assert planted["retaliation"][0] > planted["retaliation"][1] + 0.1
    # Negative effect reverses the direction.
    assert reversed_["ratio"][0] > reversed_["ratio"][1]
    assert reversed_["refusal"][0] < reversed_["refusal"][1]
    assert reversed_["retaliation"][0] < reversed_["retaliation"][1]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"companies": 0, "records": 1},
        {"companies": 1, "records": -1},
        {"companies": 1, "records": 1, "origin_effect": 1.5},
        {"companies": 1, "records": 1, "group_share": 2.0},
    ],
)
def test_bad_parameters_raise_clear_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        synthetic_frames(**kwargs)  # type: ignore[arg-type]
