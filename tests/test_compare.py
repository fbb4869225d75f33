"""compare() on hand-built score cards that follow the ScoreCard contract."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
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
    result = compare(
        _three_groups(),
        by="origin_group",
        min_n=3,
        min_n_interval=3,
        resamples=500,
        permutations=500,
    )
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
    assert result.warnings()[0] == f"domestic: {groups.loc['domestic', 'warning']}"
    assert all(" - " in line for line in result.warnings()[1:])  # then the pair warnings


def test_no_interval_below_the_minimum_n() -> None:
    # Default minimum 8: china (3) and western (5) get no interval, and say why.
    result = compare(_three_groups(), by="origin_group", min_n=3, resamples=200)
    groups = result.groups.set_index("group")
    assert groups[["ci_low", "ci_high"]].isna().all().all()
    assert "no interval below n=8" in groups.loc["china", "warning"]
    assert "no interval below n=8" in groups.loc["western", "warning"]
    assert result.pairwise[["diff_ci_low", "diff_ci_high"]].isna().all().all()
    row = result.pairwise.set_index(["group_a", "group_b"]).loc[("china", "western")]
    assert "no interval of the difference below n=8" in row["warning"]
    assert result.options["min_n_interval"] == 8
    with pytest.raises(CompareError, match="min_n_interval"):
        compare(_three_groups(), min_n_interval=1)


def test_two_against_two_gives_no_interval_and_says_the_test_cannot_reach_alpha() -> None:
    # The case of issue 9: n = 2 per group. C(4, 2) = 6 splits, the observed one and its
    # mirror are the most extreme, so the smallest possible p-value is 2/6 = 0.33.
    rows = [_r(company_id="c1", total=10.0, origin_country="CN")]
    rows += [_r(company_id="c2", total=12.0, origin_country="CN")]
    rows += [_r(company_id="w1", total=80.0, origin_country="GB")]
    rows += [_r(company_id="w2", total=82.0, origin_country="GB")]
    result = compare(make_scorecard(rows), resamples=500, permutations=999)
    assert result.groups[["ci_low", "ci_high"]].isna().all().all()
    (row,) = result.pairwise.itertuples()
    assert pd.isna(row.diff_ci_low)
    assert pd.isna(row.diff_ci_high)
    assert row.p_value == pytest.approx(1 / 3, abs=0.05)
    assert not row.significant
    assert "no p-value below 0.33 is possible" in row.warning


def test_pairwise_differences_and_correction() -> None:
    result = compare(
        _three_groups(),
        by="origin_group",
        min_n=3,
        min_n_interval=3,
        resamples=500,
        permutations=999,
    )
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
    # the aliases group by the ISIC code they stand for: oil-gas -> 06, mining -> B
    assert cells.loc[("06", "china"), "mean"] == pytest.approx(15.0)  # c1, c2
    assert cells.loc[("B", "china"), "n"] == 1  # c1 again, in its second sector
    assert cells.loc[("unknown", "western"), "n"] == 1  # no sector: "unknown"
    # pairs only within a sector: B (china, western) and 06 (china, western)
    assert sorted(result.pairwise["stratum"]) == ["06", "B"]
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
            "basis": ["evidence", "excluded", "evidence"],
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
    one = compare(card, seed=4, resamples=300, permutations=300, min_n_interval=3)
    two = compare(card, seed=4, resamples=300, permutations=300, min_n_interval=3)
    pd.testing.assert_frame_equal(one.groups, two.groups)
    pd.testing.assert_frame_equal(one.pairwise, two.pairwise)
    other_seed = compare(card, seed=5, resamples=300, permutations=300)
    assert not one.pairwise["p_value"].equals(other_seed.pairwise["p_value"])
    # dropping the domestic company does not move the china interval
    fewer = make_scorecard(
        [r for r in card.companies.to_dict("records") if r["company_id"] != "kz0"]
    )
    smaller = compare(fewer, seed=4, resamples=300, permutations=300, min_n_interval=3)
    smaller = smaller.groups.set_index("group")
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


def test_sectors_group_by_isic_division_or_section(tmp_path: Path) -> None:
    vocabulary = tmp_path / "vocabulary.yaml"
    vocabulary.write_text(
        "sectors:\n  telecom-mobile: {title: Mobile telecommunications, isic: '61'}\n", "utf-8"
    )
    rows = [
        _r(company_id="t1", total=20.0, origin_country="CN", sectors=("61",)),
        _r(company_id="t2", total=40.0, origin_country="CN", sectors=("telecom-mobile",)),
        _r(company_id="i1", total=70.0, origin_country="GB", sectors=("63",)),
        _r(company_id="j1", total=50.0, origin_country="GB", sectors=("J",)),
        _r(company_id="o1", total=10.0, origin_country="GB", sectors=("oil-gas", "06")),
    ]
    card = make_scorecard(rows)
    kw: dict[str, Any] = {"min_n": 1, "resamples": 50, "permutations": 50}
    by_division = compare(card, by="sector", sectors=vocabulary, **kw).groups.set_index("group")
    # telecommunications (61, with the bundle's telecom-mobile) is not information services
    # (63); J stays a section; oil-gas and 06 are one division, counted once for o1.
    assert by_division["n"].to_dict() == {"06": 1, "61": 2, "63": 1, "J": 1}
    assert by_division.loc["61", "mean"] == pytest.approx(30.0)  # (20 + 40) / 2
    by_section = compare(card, by="sector_section", sectors=vocabulary, **kw)
    sections = by_section.groups.set_index("group")
    assert sections["n"].to_dict() == {"B": 1, "J": 4}
    assert sections.loc["J", "mean"] == pytest.approx(45.0)  # (20 + 40 + 70 + 50) / 4
    assert by_section.options["sector_titles"] == {
        "B": "Mining and quarrying",
        "J": "Information and communication",
    }
    # Without the bundle's vocabulary its code cannot be resolved and groups as written.
    plain = compare(card, by="sector", **kw).groups.set_index("group")
    assert plain.loc["telecom-mobile", "n"] == 1


def test_pairs_that_share_companies_compare_the_companies_of_one_group_only() -> None:
    # s1 and s2 are in both sectors (06 and 09); each sector has 2 companies of its own.
    rows = [
        _r(company_id="s1", total=50.0, origin_country="CN", sectors=("06", "09")),
        _r(company_id="s2", total=60.0, origin_country="CN", sectors=("06", "09")),
        _r(company_id="a1", total=10.0, origin_country="CN", sectors=("06",)),
        _r(company_id="a2", total=20.0, origin_country="CN", sectors=("06",)),
        _r(company_id="b1", total=80.0, origin_country="CN", sectors=("09",)),
        _r(company_id="b2", total=90.0, origin_country="CN", sectors=("09",)),
    ]
    result = compare(make_scorecard(rows), by="sector", min_n=1, resamples=50, permutations=99)
    groups = result.groups.set_index("group")
    # the group rows keep every member: 06 = 10 20 50 60 (mean 35), 09 = 50 60 80 90 (70)
    assert groups.loc["06", "n"] == 4
    assert groups.loc["06", "mean"] == pytest.approx(35.0)
    (row,) = result.pairwise.itertuples()
    # the pair compares a1 a2 (mean 15) with b1 b2 (mean 85): diff -70, 2 shared left out
    assert (row.n_a, row.n_b, row.shared) == (2, 2, 2)
    assert row.mean_a == pytest.approx(15.0)
    assert row.mean_b == pytest.approx(85.0)
    assert row.diff == pytest.approx(-70.0)
    assert "2 companies are in both groups and left out" in row.warning


def test_insufficient_companies_are_left_out_unless_included() -> None:
    rows = [
        _r(company_id="c1", total=10.0, origin_country="CN", sufficient=True),
        _r(company_id="c2", total=30.0, origin_country="CN", sufficient=True),
        _r(company_id="c3", total=100.0, origin_country="CN", sufficient=False),
        _r(company_id="w1", total=60.0, origin_country="GB", sufficient=None),  # NA: kept
        _r(company_id="w2", total=40.0, origin_country="GB", sufficient=False),
    ]
    card = make_scorecard(rows)
    card.companies["sufficient"] = card.companies["sufficient"].astype("boolean")
    kw: dict[str, Any] = {"min_n": 1, "resamples": 50, "permutations": 50}
    default = compare(card, **kw).groups.set_index("group")
    # china: c3 (insufficient) left out -> (10 + 30) / 2 = 20; western: w1 only -> 60
    assert (default.loc["china", "n"], default.loc["china", "n_insufficient"]) == (2, 1)
    assert default.loc["china", "mean"] == pytest.approx(20.0)
    assert (default.loc["western", "n"], default.loc["western", "n_insufficient"]) == (1, 1)
    assert "1 company with insufficient evidence left out" in default.loc["china", "warning"]
    included = compare(card, include_insufficient=True, **kw).groups.set_index("group")
    # china: (10 + 30 + 100) / 3 = 46.67; western: (60 + 40) / 2 = 50
    assert (included.loc["china", "n"], included.loc["china", "n_insufficient"]) == (3, 0)
    assert included.loc["china", "mean"] == pytest.approx(140.0 / 3.0)
    assert included.loc["western", "mean"] == pytest.approx(50.0)
    # n + n_missing + n_low_coverage + n_insufficient = companies in the group
    low = compare(card, min_coverage=0.5, **kw).groups
    total = low[["n", "n_missing", "n_low_coverage", "n_insufficient"]].sum(axis=1)
    assert total.tolist() == [3, 2]
    # without the column every company counts (the other tests' cards have none)
    assert "sufficient" not in _three_groups().companies.columns


def test_hosts_come_from_the_evidence_when_none_are_listed() -> None:
    rows = [
        _r(company_id="kz1", total=30.0, origin_country="KZ", host_countries=()),
        _r(company_id="kz2", total=50.0, origin_country="KZ", host_countries=()),
        _r(company_id="cn1", total=20.0, origin_country="CN", host_countries=()),
    ]
    card = make_scorecard(rows)
    evidence = pd.DataFrame(
        {
            "company_id": pd.array(["kz1", "cn1", "cn1"], dtype="string"),
            "country": pd.array(["KZ", "KZ", "KZ"], dtype="string"),
            "status": pd.array(["alleged", "verified", "alleged"], dtype="string"),
            "effective_date": pd.to_datetime(["2024-01-01"] * 3),
        }
    )
    kw: dict[str, Any] = {"min_n": 1, "resamples": 50, "permutations": 50}
    result = compare(card, evidence=evidence, **kw)
    groups = result.groups.set_index("group")["n"].to_dict()
    # kz1 is domestic where its evidence happened; kz2 has neither hosts nor evidence
    assert groups == {"china": 1, "domestic": 1, "unknown-host": 1}
    assert result.options["hosts"] == {"listed": 0, "evidence": 2, "unknown": 1}
    # without evidence no company is silently domestic
    alone = compare(card, **kw).groups.set_index("group")["n"].to_dict()
    assert alone == {"unknown-host": 3}
    assert "domestic" not in alone
    lines = result.describe()
    assert lines[0].startswith("Origin groups from bhrscore:origin_groups.yaml")
    assert lines[1] == (
        "Company hosts: 0 from host_countries, 2 from where their evidence happened, "
        "1 unknown (no host_countries, no evidence)."
    )


def test_a_custom_grouping_is_described_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text(
        "description: Russian capital against the rest\ndomestic: null\ngroups:\n  russia: [RU]\n",
        encoding="utf-8",
    )
    result = compare(_three_groups(), origin_groups=path, resamples=20, permutations=20)
    description = result.options["origin_groups_description"]
    assert "Russian capital against the rest" in description
    assert "relative to each host country" not in description
    assert result.describe()[0] == description


def test_an_interval_that_excludes_zero_beside_a_non_significant_test_has_a_note() -> None:
    # Two perfectly separated groups of 8: the bootstrap interval of the difference excludes
    # 0, but with 199 shuffles the permutation p-value cannot fall below 1/200 = 0.005, so at
    # alpha = 0.001 the test is not significant. The row must say so.
    rows = [_r(company_id=f"c{i}", total=float(i), origin_country="CN") for i in range(8)]
    rows += [_r(company_id=f"w{i}", total=90.0 + i, origin_country="GB") for i in range(8)]
    result = compare(
        make_scorecard(rows), resamples=200, permutations=199, alpha=0.001, correction="none"
    )
    (row,) = result.pairwise.itertuples()
    assert row.diff_ci_high < 0
    assert not row.significant
    assert "interval excludes 0 but the adjusted test is not significant" in row.warning
    # at the usual alpha both agree and there is no note
    usual = compare(make_scorecard(rows), resamples=200, permutations=199)
    (agree,) = usual.pairwise.itertuples()
    assert agree.significant
    assert pd.isna(agree.warning)


def _typed_reference(
    rows: list[dict[str, Any]], keys: Sequence[str], columns: dict[str, str]
) -> pd.DataFrame:
    """How the tables were typed before: a frame of the records, then each column converted."""
    names = [*keys, *columns]
    frame = pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(columns=names)
    for name, dtype in {**dict.fromkeys(keys, "string"), **columns}.items():
        col = frame[name]
        if dtype in ("Float64", "Int64"):
            col = pd.to_numeric(col, errors="coerce")
        frame[name] = col.astype(dtype)
    return frame.reset_index(drop=True)


def test_typed_tables_match_records_converted_column_by_column() -> None:
    from bhrscore.analysis.compare import _typed

    columns = {"g": "string", "n": "Int64", "x": "Float64", "ok": "boolean", "w": "string"}
    rows = [
        {"sector": "61", "g": "a", "n": 3, "x": 1.5, "ok": True, "w": None},
        {"sector": "unknown", "g": "b", "n": 0, "x": np.nan, "ok": None, "w": "few; left out"},
        {
            "sector": "06",
            "g": "c",
            "n": np.int64(7),
            "x": np.float64(-0.1),
            "ok": np.bool_(False),
            "w": None,
        },
    ]
    for some in (rows, rows[:1], []):
        pd.testing.assert_frame_equal(
            _typed(some, ["sector"], columns),
            _typed_reference(some, ["sector"], columns),
            check_exact=True,
        )


def test_skipna_mean_is_the_series_mean() -> None:
    from bhrscore.analysis.compare import _skipna_mean

    rng = np.random.default_rng(2)
    values = rng.uniform(0, 1, 301)
    values[::7] = np.nan
    for v in (values, values[1:7], np.array([0.1, 0.2, 0.7]), np.array([np.nan, np.nan])):
        expected = pd.Series(v).mean()
        got = _skipna_mean(v)
        assert (np.isnan(got) and np.isnan(expected)) or got == expected


def test_batched_and_per_job_intervals_and_threads_give_the_same_comparison(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    # the module (the package re-exports the function under the same name)
    compare_module = importlib.import_module("bhrscore.analysis.compare")

    rows = [
        _r(company_id=f"c{i}", total=float((i * 37) % 101), origin_country=o, sectors=s)
        for i, (o, s) in enumerate(
            [("CN", ("61",)), ("US", ("06", "61")), ("KZ", ("06",)), ("DE", ())] * 9
        )
    ]
    card = make_scorecard(rows)
    options: dict[str, Any] = {"seed": 3, "resamples": 211, "permutations": 199}
    outs = [compare(card, by="sector", **options)]
    monkeypatch.setattr(compare_module, "BATCH_CELLS", 0)  # each job takes its percentiles
    outs.append(compare(card, by="sector", **options))
    monkeypatch.setattr(compare_module, "PARALLEL_DRAWS", 0)  # and on threads
    outs.append(compare(card, by="sector", **options))
    assert outs[0].groups["ci_low"].notna().any()
    assert outs[0].pairwise["diff_ci_low"].notna().any()
    for other in outs[1:]:
        pd.testing.assert_frame_equal(outs[0].groups, other.groups, check_exact=True)
        pd.testing.assert_frame_equal(outs[0].pairwise, other.pairwise, check_exact=True)
