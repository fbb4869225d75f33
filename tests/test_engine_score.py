"""The engine: missing-data policies, tree aggregation, penalties and caps, provenance,
metadata and explanations. Expected numbers are worked out in the comments."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bhrscore.rubric import score
from bhrscore.rubric.scorecard import INDICATOR_COLUMNS, NODE_COLUMNS, PENALTY_COLUMNS

from .rubric_support import AS_OF, evset, ind_score, indicator, node_score, rec, rubric

RECOGNITION = {
    "select": {"kind": "union_dialogue", "where": {"event": "recognition"}},
    "aggregate": "any",
    "scale": {"type": "linear", "lower": 0, "upper": 1},
}
ARRESTS = {
    "select": {"kind": "retaliation"},
    "aggregate": "count",
    "scale": {"type": "linear", "lower": 0, "upper": 2, "invert": True},
}
WAGES = {
    "select": {"kind": "wage"},
    "measure": "benchmark_ratio",
    "aggregate": "mean",
    "scale": {"type": "linear", "lower": 0.5, "upper": 1.0},
}


def _tree(how: str | None = None) -> list[dict]:
    theme = {
        "id": "theme",
        "title": "Theme",
        "weight": 0.5,
        "children": [
            indicator("recog", RECOGNITION, 0.75),
            indicator("wages", WAGES, 0.25),
        ],
    }
    if how:
        theme["aggregation"] = how
    return [theme, indicator("reprisal", ARRESTS, 0.5)]


def _records() -> list:
    return [
        rec("union_dialogue", "d1", event="recognition", status="alleged"),  # any -> .5 -> 50
        rec("retaliation", "r1", action="threat", target_role="worker"),  # count 1 -> 50
    ]


def test_missing_zero_scores_zero() -> None:
    card = score(evset(_records()), rubric(_tree(), missing="zero"), AS_OF)
    # theme = .75*50 + .25*0 = 37.5; total = .5*37.5 + .5*50 = 43.75
    assert node_score(card, "a", "theme") == pytest.approx(37.5)
    assert node_score(card, "a") == pytest.approx(43.75)
    # b has nothing: recog 0, wages 0, reprisal 0 -> total 0
    assert node_score(card, "b") == 0.0


def test_missing_exclude_reweights_and_reports_coverage() -> None:
    card = score(evset(_records()), rubric(_tree(), missing="exclude"), AS_OF)
    # wages excluded: theme = 50 (weight .75 alone); total = .5*50 + .5*50 = 50
    assert node_score(card, "a", "theme") == pytest.approx(50.0)
    assert node_score(card, "a") == pytest.approx(50.0)
    nodes = card.nodes.set_index(["company_id", "node_id"])
    assert nodes.loc[("a", "theme"), "coverage"] == pytest.approx(0.75)
    assert nodes.loc[("a", "total"), "coverage"] == pytest.approx(0.5 * 0.75 + 0.5 * 1)
    # b has no evidence at all: every node is excluded, no total, no rank
    assert node_score(card, "b") is None
    row_b = card.companies.set_index("company_id").loc["b"]
    assert pd.isna(row_b["rank"])
    assert row_b["coverage"] == 0


def test_indicator_missing_override() -> None:
    tree = _tree()
    tree[1]["missing"] = 100  # no reprisal recorded is good news
    card = score(evset(_records()), rubric(tree, missing="zero"), AS_OF)
    assert ind_score(card, "b", "reprisal") == 100.0
    assert node_score(card, "b") == 50.0  # .5*0 + .5*100


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("arithmetic", 0.75 * 50 + 0.25 * 100),  # 62.5
        ("geometric", 50**0.75 * 100**0.25),  # exp(.75 ln 50 + .25 ln 100) = 59.46
        ("minimum", 50.0),
    ],
)
def test_node_aggregations(how: str, expected: float) -> None:
    records = [
        *_records(),
        rec(
            "wage",
            "w1",
            amount=120,
            currency="KZT",
            pay_period="month",
            benchmark={"type": "living_wage", "amount": 100},
        ),
    ]  # ratio 1.2 -> 100
    card = score(evset(records), rubric(_tree(how)), AS_OF)
    assert node_score(card, "a", "theme") == pytest.approx(expected)


def test_geometric_mean_is_zero_when_a_child_is_zero() -> None:
    card = score(evset(_records()), rubric(_tree("geometric")), AS_OF)
    assert node_score(card, "a", "theme") == 0.0  # wages 0


def test_points_penalty_scaled_by_status_and_involvement() -> None:
    pen = [{"id": "p", "title": "P", "select": {"kind": "retaliation"}, "points": 10}]
    records = [
        rec(
            "retaliation",
            "r1",
            action="arrest_detention",
            target_role="worker",
            status="alleged",
            company_involvement="contributed",
        )
    ]
    card = score(evset(records), rubric(_tree(), penalties=pen), AS_OF)
    # record weight .5 (alleged) x .75 (contributed) = .375 -> 3.75 points
    # before: theme 0, reprisal count .5 -> 75; total = .5*0 + .5*75 = 37.5 -> 33.75
    assert node_score(card, "a") == pytest.approx(33.75)
    p = card.penalties.iloc[0]
    assert (p["company_id"], p["penalty_id"], p["node_id"]) == ("a", "p", "total")
    assert p["points"] == pytest.approx(3.75)
    assert pd.isna(p["cap"])
    assert p["evidence_ids"] == ("r1",)
    assert card.companies.set_index("company_id").loc[
        "a", "total_before_penalties"
    ] == pytest.approx(37.5)


def test_points_penalty_sum_with_max_points() -> None:
    pen = [
        {
            "id": "p",
            "title": "P",
            "select": {"kind": "retaliation"},
            "points": 10,
            "combine": "sum",
            "max_points": 15,
        }
    ]
    records = [
        rec(
            "retaliation",
            f"r{i}",
            action="threat",
            target_role="worker",
            company_involvement="caused",
        )
        for i in range(3)
    ]
    card = score(evset(records), rubric(_tree(), penalties=pen), AS_OF)
    # three records of factor 1: sum 3 -> 30 points, limited to 15
    assert card.penalties.iloc[0]["points"] == 15.0
    # before: reprisal count 3 -> 0; theme 0 -> total 0; 0 - 15 floors at 0
    assert node_score(card, "a") == 0.0


def test_cap_penalty_on_a_theme() -> None:
    pen = [
        {
            "id": "cap",
            "title": "Cap",
            "node": "theme",
            "cap": 20,
            "select": {"kind": "retaliation", "where": {"action": "killing"}},
        }
    ]
    records = [
        rec("union_dialogue", "d1", event="recognition"),  # recog 100 -> theme 75
        rec(
            "retaliation",
            "k1",
            action="killing",
            target_role="worker",
            status="corroborated",
            company_involvement="directly_linked",
        ),
    ]
    card = score(evset(records), rubric(_tree(), penalties=pen), AS_OF)
    # factor .75 x .5 = .375 -> cap = 100 - 80 x .375 = 70; theme 75 -> 70
    nodes = card.nodes.set_index(["company_id", "node_id"])
    assert nodes.loc[("a", "theme"), "score_before_penalties"] == pytest.approx(75.0)
    assert nodes.loc[("a", "theme"), "score"] == pytest.approx(70.0)
    assert card.penalties.iloc[0]["cap"] == pytest.approx(70.0)
    # total = .5*70 + .5*(100 - 100*.75/2) = 35 + 31.25 = 66.25
    assert node_score(card, "a") == pytest.approx(66.25)


def test_group_level_evidence_is_never_scored() -> None:
    group = rec(
        "union_dialogue",
        "g1",
        company_id=None,
        event="recognition",
        group={"description": "Fictional group testimony"},
    )
    card = score(evset([group]), rubric(_tree()), AS_OF)
    assert card.indicators["evidence_count"].sum() == 0
    assert card.meta.options["records_scored"] == 0


def test_every_company_gets_rows_and_fixed_columns() -> None:
    card = score(evset([], companies=("c", "a", "b")), rubric(_tree()), AS_OF)
    assert card.company_ids() == ["a", "b", "c"]
    assert list(card.indicators.columns) == list(INDICATOR_COLUMNS)
    assert list(card.nodes.columns) == list(NODE_COLUMNS)
    assert list(card.penalties.columns) == list(PENALTY_COLUMNS)
    assert len(card.indicators) == 3 * 3
    assert len(card.nodes) == 3 * 2
    assert {"theme:theme", "theme:reprisal", "rank", "coverage"} <= set(card.companies.columns)


def test_provenance_ids_sorted_and_status_mix() -> None:
    records = [
        rec("retaliation", "r2", action="threat", target_role="worker", status="alleged"),
        rec("retaliation", "r1", action="threat", target_role="worker"),
        rec("retaliation", "r3", action="threat", target_role="worker", status="alleged"),
    ]
    card = score(evset(records), rubric(_tree()), AS_OF)
    row = card.indicators.set_index(["company_id", "indicator_id"]).loc[("a", "reprisal")]
    assert row["evidence_ids"] == ("r1", "r2", "r3")
    assert row["status_mix"] == "alleged:2|verified:1"
    assert row["evidence_count"] == 3
    assert row["raw_value"] == pytest.approx(2.0)  # 1 + .5 + .5


def test_ranks_ties_share_the_lower_rank() -> None:
    records = [rec("retaliation", "r1", action="threat", target_role="worker", company_id="c")]
    card = score(evset(records, companies=("a", "b", "c")), rubric(_tree()), AS_OF)
    ranks = card.companies.set_index("company_id")["rank"]
    # a and b: 0; c: reprisal 50 -> 25 on total
    assert ranks.to_dict() == {"a": 2, "b": 2, "c": 1}


def test_metadata() -> None:
    r = rubric(_tree())
    ev = evset(_records())
    card = score(ev, r, AS_OF)
    assert card.meta.rubric_id == "t"
    assert card.meta.rubric_version == "1.0.0"
    assert card.meta.rubric_hash == r.content_hash()
    assert len(card.meta.rubric_hash) == 64
    assert card.meta.evidence_hash == ev.content_hash()
    assert card.meta.as_of == AS_OF
    import bhrscore

    assert card.meta.bhrscore_version == bhrscore.__version__


def test_frames_are_accepted_and_give_the_same_scores() -> None:
    ev = evset(_records())
    a = score(ev, rubric(_tree()), AS_OF)
    b = score(ev.frames(), rubric(_tree()), AS_OF)
    pd.testing.assert_frame_equal(a.companies, b.companies)


def test_unknown_company_in_evidence_is_an_error() -> None:
    ev = evset(_records())
    frames = ev.frames()
    companies = frames.companies[frames.companies["id"] != "a"]
    with pytest.raises(ValueError, match="unknown companies: a"):
        score(type(frames)(companies, frames.evidence), rubric(_tree()), AS_OF)


def test_as_of_must_be_a_date() -> None:
    with pytest.raises(TypeError):
        score(evset([]), rubric(_tree()), dt.datetime(2026, 1, 1))  # type: ignore[arg-type]


def test_explain_names_scores_weights_evidence_and_penalties() -> None:
    pen = [{"id": "p", "title": "P", "select": {"kind": "retaliation"}, "points": 10}]
    card = score(evset(_records()), rubric(_tree(), penalties=pen), AS_OF)
    text = card.explain("a")
    # 43.75 - 10 x (1 verified x .5 involvement unknown) = 38.75
    assert "total 38.75" in text
    assert "recog — recog: 50.00 (weight 0.75)" in text
    assert "d1" in text
    assert "r1" in text
    assert "penalty p: -5.00 points" in text
    assert "no evidence: scored 0.00" in text  # wages
    with pytest.raises(KeyError):
        card.explain("nobody")


@pytest.mark.parametrize("records", [[], "group"], ids=["no-evidence", "group-level-only"])
def test_no_companies_gives_an_empty_card(records: object) -> None:
    group = rec(
        "retaliation",
        "g1",
        company_id=None,
        action="threat",
        target_role="worker",
        group={"description": "Fictional group testimony"},
    )
    pen = [{"id": "p", "title": "P", "select": {"kind": "retaliation"}, "points": 10}]
    ev = evset([group] if records == "group" else [], companies=())
    card = score(ev, rubric(_tree(), penalties=pen), AS_OF)
    assert card.company_ids() == []
    for table, columns in (
        (card.indicators, INDICATOR_COLUMNS),
        (card.nodes, NODE_COLUMNS),
        (card.penalties, PENALTY_COLUMNS),
    ):
        assert table.empty
        assert list(table.columns) == list(columns)
    assert {"total", "rank", "coverage", "theme:theme", "theme:reprisal"} <= set(
        card.companies.columns
    )
    assert card.meta.options["companies"] == 0
    assert card.meta.options["records_scored"] == 0


def test_records_outside_the_window_are_counted_in_the_metadata() -> None:
    # window 1 year before 2026-01-01 starts 2025-01-01: r-old (2024-12-31) is outside,
    # r-edge (2025-01-01) inside; the group-level record is not company evidence at all.
    records = [
        rec("retaliation", "r-old", action="threat", target_role="worker", date="2024-12-31"),
        rec("retaliation", "r-edge", action="threat", target_role="worker", date="2025-01-01"),
        rec(
            "retaliation",
            "g1",
            company_id=None,
            action="threat",
            target_role="worker",
            date="2020-01-01",
            group={"description": "Fictional group testimony"},
        ),
    ]
    card = score(evset(records), rubric(_tree(), window={"years": 1}), AS_OF)
    assert card.meta.options["records_scored"] == 2
    assert card.meta.options["records_outside_window"] == 1
    no_window = score(evset(records), rubric(_tree()), AS_OF)
    assert no_window.meta.options["records_outside_window"] == 0


def test_tables_laid_out_by_company_then_rubric_order() -> None:
    """The indicators and nodes tables are built in their final order (company id, then
    rubric order), typed as the scorecard declares, with provenance per cell: company ids
    sort by code point ("Z" < "a" < "z"), whatever the companies frame's order."""
    count = {"aggregate": "count", "scale": {"type": "linear", "lower": 0, "upper": 2}}
    tree = [
        indicator("dialogue", {"select": {"kind": "union_dialogue"}, **count}, 0.5),
        indicator("wages", {"select": {"kind": "wage"}, **count}, 0.5),
    ]
    wage = {"amount": 100.0, "currency": "KZT", "pay_period": "month"}
    records = [
        rec("union_dialogue", "d2", "z", event="meeting", status="alleged"),
        rec("union_dialogue", "d1", "z", event="meeting"),
        rec("wage", "w1", "Z", **wage),
    ]
    card = score(evset(records, companies=("z", "a", "Z")), rubric(tree), AS_OF)
    ind = card.indicators
    assert {c: str(t) for c, t in ind.dtypes.items()} == INDICATOR_COLUMNS
    assert isinstance(ind.index, pd.RangeIndex)
    assert ind["company_id"].tolist() == ["Z", "Z", "a", "a", "z", "z"]
    assert ind["indicator_id"].tolist() == ["dialogue", "wages"] * 3
    assert ind["evidence_ids"].tolist() == [(), ("w1",), (), (), ("d1", "d2"), ()]
    assert ind["evidence_count"].tolist() == [0, 1, 0, 0, 2, 0]
    assert ind["status_mix"].fillna("-").tolist() == [
        "-", "verified:1", "-", "-", "alleged:1|verified:1", "-"
    ]  # fmt: skip
    # count of weights: Z wages 1 (verified, high) -> 100 * 1 / 2 = 50; z dialogue
    # 1 + .5 (alleged) = 1.5 -> 75; no record: the default missing policy (zero)
    assert ind["score"].tolist() == [0.0, 50.0, 0.0, 0.0, 75.0, 0.0]
    assert ind["raw_value"].isna().tolist() == [True, False, True, True, False, True]
    assert ind["missing"].tolist() == [True, False, True, True, False, True]
    nodes = card.nodes
    assert {c: str(t) for c, t in nodes.dtypes.items()} == NODE_COLUMNS
    assert nodes["company_id"].tolist() == ["Z", "a", "z"]
    assert nodes["node_id"].tolist() == ["total"] * 3
    assert nodes["parent_id"].isna().all()
    assert nodes["when"].isna().all()
    assert nodes["when_evidence_ids"].tolist() == [None] * 3
    # totals: .5 x indicator + .5 x indicator
    assert nodes["score"].tolist() == [25.0, 0.0, 37.5]


def test_penalty_rows_in_company_then_penalty_id_order() -> None:
    """The penalties table is sorted by company id, then penalty id (not rubric order),
    typed as declared; a penalty no company triggers adds no row."""
    pen = [
        {"id": "z-points", "title": "Z", "select": {"kind": "retaliation"}, "points": 10},
        {"id": "a-cap", "title": "A", "select": {"kind": "retaliation"}, "cap": 60},
        {"id": "m-none", "title": "M", "select": {"kind": "statement"}, "points": 5},
    ]
    records = [
        rec("retaliation", "r-b", "b", action="threat", target_role="worker"),
        rec("retaliation", "r-a", "a", action="threat", target_role="worker"),
    ]
    card = score(evset(records), rubric(_tree(), penalties=pen), AS_OF)
    table = card.penalties
    assert {c: str(t) for c, t in table.dtypes.items()} == PENALTY_COLUMNS
    assert isinstance(table.index, pd.RangeIndex)
    assert list(zip(table["company_id"], table["penalty_id"], strict=True)) == [
        ("a", "a-cap"),
        ("a", "z-points"),
        ("b", "a-cap"),
        ("b", "z-points"),
    ]
    assert table["node_id"].tolist() == ["total"] * 4
    assert table["evidence_ids"].tolist() == [("r-a",), ("r-a",), ("r-b",), ("r-b",)]
    # weight 1 (verified, high; no involvement: the unknown factor .5 x 1): points 10 x .5,
    # cap 100 - (100 - 60) x .5 = 80
    assert table["points"].tolist() == [0.0, 5.0, 0.0, 5.0]
    assert table["cap"].fillna(-1).tolist() == [80.0, -1, 80.0, -1]
