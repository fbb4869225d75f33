"""compare() on hand-built score cards that follow the ScoreCard contract."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bhrscore.analysis.compare import GROUP_COLUMNS, PAIRWISE_COLUMNS, CompareError, compare
from bhrscore.rubric.scorecard import (
    INDICATOR_COLUMNS,
    NODE_COLUMNS,
    PENALTY_COLUMNS,
    ScoreCard,
    ScoreMeta,
)


def _r(**fields: Any) -> dict[str, Any]:
    return fields


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series([], dtype=v) for k, v in columns.items()})


def make_scorecard(
    rows: Sequence[dict[str, Any]],
    nodes: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
) -> ScoreCard:
    """A score card with the given company rows (company_id, total, origin_country, ...)."""
    defaults: dict[str, Any] = {
        "coverage": 1.0,
        "ownership": None,
        "sectors": (),
        "host_countries": ("KZ",),
        "hq_country": None,
        "origin_country": None,
    }
    companies = pd.DataFrame([defaults | dict(r) for r in rows])
    companies["name"] = companies["company_id"]
    companies["total_before_penalties"] = companies["total"]
    companies["rank"] = companies["total"].rank(ascending=False, method="min").astype("Int64")
    companies = companies.astype(
        {"company_id": "string", "total": "Float64", "coverage": "Float64"}
    )
    meta = ScoreMeta("fictional", "1.0.0", "h", "e", dt.date(2025, 1, 1), "0.1.0")
    return ScoreCard(
        companies,
        nodes if nodes is not None else _empty(NODE_COLUMNS),
        indicators if indicators is not None else _empty(INDICATOR_COLUMNS),
        _empty(PENALTY_COLUMNS),
        meta,
        None,  # type: ignore[arg-type]  # compare never reads the rubric
    )


def _three_groups() -> ScoreCard:
    # china: 10 20 30 (mean 20); western: 60 70 80 90 100 (mean 80); domestic: 50 (n=1)
    rows = [
        _r(company_id=f"cn{i}", total=t, origin_country="CN") for i, t in enumerate([10, 20, 30])
    ]
    rows += [
        _r(company_id=f"us{i}", total=t, origin_country="US")
        for i, t in enumerate([60, 70, 80, 90, 100])
    ]
    rows += [_r(company_id="kz0", total=50.0, origin_country="KZ")]
    return make_scorecard(rows)


def test_groups_table_by_hand() -> None:
    result = compare(_three_groups(), by="origin_group", min_n=3, resamples=500, permutations=500)
    groups = result.groups.set_index("group")
    assert list(result.groups.columns) == ["origin_group", *GROUP_COLUMNS]
    assert groups.loc["china", "n"] == 3
    assert groups.loc["china", "mean"] == pytest.approx(20.0)
    assert groups.loc["western", "median"] == pytest.approx(80.0)
    assert groups.loc["western", "std"] == pytest.approx(np.std([60, 70, 80, 90, 100], ddof=1))
    for g in ("china", "western"):
        assert groups.loc[g, "ci_low"] <= groups.loc[g, "mean"] <= groups.loc[g, "ci_high"]
    # the percentile interval cannot leave the range of the data
    assert groups.loc["china", "ci_low"] >= 10.0
    assert groups.loc["china", "ci_high"] <= 30.0
    assert not groups.loc["china", "small_group"]
    # a single company: flagged, and no interval rather than a confident-looking one
    assert groups.loc["domestic", "small_group"]
    assert "single company" in groups.loc["domestic", "warning"]
    assert pd.isna(groups.loc["domestic", "ci_low"])
    assert result.warnings() == [f"domestic: {groups.loc['domestic', 'warning']}"]


def test_pairwise_differences_and_correction() -> None:
    result = compare(_three_groups(), by="origin_group", min_n=3, resamples=500, permutations=999)
    pairs = result.pairwise.set_index(["group_a", "group_b"])
    assert list(result.pairwise.columns) == list(PAIRWISE_COLUMNS)
    assert len(pairs) == 3  # china-domestic, china-western, domestic-western (sorted labels)
    row = pairs.loc[("china", "western")]
    assert row["diff"] == pytest.approx(20.0 - 80.0)
    assert row["diff_ci_high"] < 0
    # china (3) vs western (5) are perfectly separated: only 2 of C(8,3)=56 splits are as
    # extreme (the observed one and its mirror), so p ~ 2/56 = 0.036 (Monte Carlo, 999 draws:
    # sd ~ 0.006).
    assert row["p_value"] == pytest.approx(2 / 56, abs=0.02)
    # Holm over the 3 pairs can only raise p-values
    assert (result.pairwise["p_adjusted"] >= result.pairwise["p_value"]).all()
    assert set(result.pairwise["correction"]) == {"holm"}
    assert pairs.loc[("china", "domestic"), "small_group"]


def test_identical_groups_are_not_flagged() -> None:
    values = [40, 45, 50, 55, 60, 65]
    rows = [_r(company_id=f"a{i}", total=v, origin_country="CN") for i, v in enumerate(values)]
    rows += [_r(company_id=f"b{i}", total=v, origin_country="FR") for i, v in enumerate(values)]
    result = compare(make_scorecard(rows), resamples=200, permutations=200)
    (row,) = result.pairwise.itertuples()
    assert row.diff == 0.0
    assert row.p_value == 1.0  # every shuffle is at least as extreme as a zero difference
    assert not row.significant


def test_within_stratifies_and_sectors_count_once_per_sector() -> None:
    rows = [
        _r(company_id="c1", total=10.0, origin_country="CN", sectors=("oil-gas", "mining")),
        _r(company_id="c2", total=20.0, origin_country="CN", sectors=("oil-gas",)),
        _r(company_id="w1", total=70.0, origin_country="GB", sectors=("oil-gas",)),
        _r(company_id="w2", total=90.0, origin_country="GB", sectors=("mining",)),
        _r(company_id="x1", total=55.0, origin_country="GB", sectors=()),
    ]
    result = compare(
        make_scorecard(rows),
        by="origin_group",
        within="sector",
        min_n=1,
        resamples=100,
        permutations=100,
    )
    cells = result.groups.set_index(["sector", "origin_group"])
    assert cells.loc[("oil-gas", "china"), "mean"] == pytest.approx(15.0)  # c1, c2
    assert cells.loc[("mining", "china"), "n"] == 1  # c1 again, in its second sector
    assert cells.loc[("unknown", "western"), "n"] == 1  # no sector: "unknown"
    # pairs only within a sector: mining (china, western) and oil-gas (china, western)
    assert sorted(result.pairwise["stratum"]) == ["mining", "oil-gas"]
    assert list(result.pairwise.columns[:1]) == ["sector"]


def test_relative_groups_one_row_per_host() -> None:
    rows = [
        _r(company_id="kz", total=30.0, origin_country="KZ", host_countries=("KZ", "GE")),
        _r(company_id="ge", total=60.0, origin_country="GE", host_countries=("GE",)),
    ]
    result = compare(
        make_scorecard(rows),
        by="origin_group",
        within="host_country",
        min_n=1,
        resamples=50,
        permutations=50,
    )
    cells = result.groups.set_index(["host_country", "origin_group"])["n"].to_dict()
    # kz is domestic in KZ and foreign ("other") in GE; ge is domestic in GE
    assert cells == {("GE", "domestic"): 1, ("GE", "other"): 1, ("KZ", "domestic"): 1}


def test_min_coverage_and_missing_scores() -> None:
    rows = [
        _r(company_id=f"c{i}", total=50.0 + i, origin_country="CN", coverage=0.2 * i)
        for i in range(6)
    ]
    rows.append(_r(company_id="na", total=None, origin_country="CN", coverage=1.0))
    result = compare(make_scorecard(rows), min_coverage=0.5, min_n=1, resamples=50)
    (row,) = result.groups.itertuples()
    # coverage 0, .2, .4 are left out; .6 .8 1.0 stay (totals 53 54 55); "na" has no score
    assert (row.n, row.n_low_coverage, row.n_missing) == (3, 3, 1)
    assert row.mean == pytest.approx(54.0)
    assert row.coverage_mean == pytest.approx(0.8)


def test_theme_and_indicator_metrics() -> None:
    rows = [
        _r(company_id=f"c{i}", total=50.0, origin_country=o, **{"theme:wages": w})
        for i, (o, w) in enumerate([("CN", 20.0), ("CN", 40.0), ("DE", 80.0)])
    ]
    nodes = pd.DataFrame(
        {
            "company_id": ["c0", "c1", "c2"],
            "node_id": ["wages"] * 3,
            "parent_id": ["total"] * 3,
            "depth": [1, 1, 1],
            "score": [20.0, 40.0, 80.0],
            "score_before_penalties": [20.0, 40.0, 80.0],
            "coverage": [0.5, 1.0, 1.0],
            "when": [None] * 3,
            "when_evidence_ids": [None] * 3,
        }
    ).astype(NODE_COLUMNS)
    indicators = pd.DataFrame(
        {
            "company_id": ["c0", "c1", "c2"],
            "indicator_id": ["living-wage"] * 3,
            "theme_id": ["wages"] * 3,
            "score": [0.0, None, 100.0],
            "raw_value": [0.5, None, 1.2],
            "evidence_count": [1, 0, 2],
            "evidence_ids": [("e1",), (), ("e2", "e3")],
            "status_mix": ["alleged:1", "", "verified:2"],
            "weight": [1.0] * 3,
            "missing": [False, True, False],
            "status": ["scored", "missing", "scored"],
        }
    ).astype(INDICATOR_COLUMNS)
    card = make_scorecard(rows, nodes=nodes, indicators=indicators)
    theme = compare(card, metric="theme:wages", min_n=1, resamples=50).groups.set_index("group")
    assert theme.loc["china", "mean"] == pytest.approx(30.0)
    assert theme.loc["china", "coverage_mean"] == pytest.approx(0.75)
    ind = compare(card, metric="living-wage", min_n=1, resamples=50).groups.set_index("group")
    assert (ind.loc["china", "n"], ind.loc["china", "n_missing"]) == (1, 1)
    assert ind.loc["western", "mean"] == pytest.approx(100.0)
    with pytest.raises(CompareError, match="unknown metric 'theme:nope'"):
        compare(card, metric="theme:nope")
    with pytest.raises(CompareError, match="living-wage"):
        compare(card, metric="no-such-indicator")


def test_bad_options_are_clear_errors() -> None:
    card = _three_groups()
    with pytest.raises(CompareError, match="unknown key 'continent'"):
        compare(card, by="continent")
    with pytest.raises(CompareError, match="share a key"):
        compare(card, by="sector", within="sector")
    with pytest.raises(CompareError, match="correction"):
        compare(card, correction="bonferroni")  # type: ignore[arg-type]


def test_deterministic_for_a_seed_and_independent_of_other_groups() -> None:
    card = _three_groups()
    one = compare(card, seed=4, resamples=300, permutations=300)
    two = compare(card, seed=4, resamples=300, permutations=300)
    pd.testing.assert_frame_equal(one.groups, two.groups)
    pd.testing.assert_frame_equal(one.pairwise, two.pairwise)
    other_seed = compare(card, seed=5, resamples=300, permutations=300)
    assert not one.pairwise["p_value"].equals(other_seed.pairwise["p_value"])
    # dropping the domestic company does not move the china interval
    fewer = make_scorecard(
        [r for r in card.companies.to_dict("records") if r["company_id"] != "kz0"]
    )
    smaller = compare(fewer, seed=4, resamples=300, permutations=300).groups.set_index("group")
    china = one.groups.set_index("group").loc["china"]
    assert (smaller.loc["china", "ci_low"], smaller.loc["china", "ci_high"]) == (
        china["ci_low"],
        china["ci_high"],
    )


def test_json_export_has_stable_keys() -> None:
    result = compare(_three_groups(), resamples=50, permutations=50)
    data = json.loads(result.to_json())
    assert data["by"] == ["origin_group"]
    assert data["metric"] == "total"
    assert set(data["groups"][0]) == {"origin_group", *GROUP_COLUMNS}
    assert set(data["pairwise"][0]) == set(PAIRWISE_COLUMNS)
    assert data["options"]["correction"] == "holm"
    assert result.to_frame("pairwise").equals(result.pairwise)
