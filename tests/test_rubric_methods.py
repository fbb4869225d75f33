"""Node aggregations as a registry, points, conditional weights, the elements rule and
not-applicable answers: validation errors with YAML paths, score card columns, explanations
and sensitivity runs. The scores themselves are golden cases in ``tests/rubrics/``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bhrscore.analysis.sensitivity import sensitivity
from bhrscore.rubric import load_rubric, score
from bhrscore.rubric.cases import build_evidence, load_case_file
from bhrscore.rubric.model import RubricError, parse_rubric
from bhrscore.rubric.node_aggregations import NODE_AGGREGATIONS, node_aggregations
from bhrscore.rubric.tree import aggregate_tree

from .rubric_support import AS_OF, evset, indicator, rec

RUBRICS = Path(__file__).resolve().parent / "rubrics"


def _q(question: str, measure: Any = "value") -> dict[str, Any]:
    return {
        "select": {"kind": "assessment", "where": {"question_id": question}},
        "measure": measure,
        "aggregate": "latest",
        "scale": {"type": "identity"},
    }


def _rubric(tree: list[dict[str, Any]], **policies: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": "t", "version": "1.0.0", "title": "Test", "tree": tree}
    if policies:
        data["policies"] = policies
    return data


def _problems(data: dict[str, Any]) -> str:
    with pytest.raises(RubricError) as info:
        parse_rubric(data, "x.yaml")
    return str(info.value)


def _case_evidence(name: str, index: int) -> Any:
    case_file = load_case_file(RUBRICS / f"{name}.cases.yaml")
    return build_evidence(case_file, case_file.cases[index], f"cases[{index}]")


# --- the registry ------------------------------------------------------------------------


def test_builtin_node_aggregations_are_registered_with_descriptions() -> None:
    names = list(node_aggregations())
    for name in ("arithmetic", "geometric", "minimum", "pooled", "count_weighted"):
        assert name in names
        assert node_aggregations()[name].description


def test_the_docs_node_aggregation_example_is_usable_from_a_rubric() -> None:
    doc = (RUBRICS.parents[1] / "docs" / "rubrics.md").read_text("utf-8")
    section = doc.split("### Adding a node aggregation in Python", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert '@node_aggregation("median")' in code
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/rubrics.md", "exec"), namespace)
    try:
        tree = [
            {
                "id": "theme",
                "title": "Theme",
                "aggregation": "median",
                "children": [indicator(f"q{i}", _q(f"Q{i}")) for i in (1, 2, 3)],
            }
        ]
        rub = parse_rubric(_rubric(tree))
        records = [
            rec("assessment", f"r{i}", "a", question_id=f"Q{i}", value=v)
            for i, v in ((1, 10.0), (2, 70.0), (3, 40.0))
        ]
        card = score(evset(records, ("a",)), rub, AS_OF, uncertainty=20)
        # median of 10, 70, 40 = 40
        assert card.companies.set_index("company_id").loc["a", "total"] == pytest.approx(40.0)
        assert "median (median of the children with a score)" in card.explain("a")
    finally:
        NODE_AGGREGATIONS.unregister("median")


def test_unknown_aggregation_is_named_with_its_yaml_path() -> None:
    tree = [{"id": "theme", "title": "T", "aggregation": "harmonic", "children": [
        indicator("q1", _q("Q1"))]}]  # fmt: skip
    text = _problems(_rubric(tree))
    assert "x.yaml: tree[0].aggregation: unknown node aggregation 'harmonic'" in text
    assert "pooled" in text
    assert "count_weighted" in text
    text = _problems(_rubric([indicator("q1", _q("Q1"))], aggregation="harmonic"))
    assert "x.yaml: policies.aggregation: unknown node aggregation 'harmonic'" in text


def test_children_of_a_pooled_node_have_no_weight() -> None:
    tree = [{"id": "theme", "title": "T", "aggregation": "pooled", "children": [
        indicator("q1", _q("Q1"), 0.5), indicator("q2", _q("Q2"), 0.5)]}]  # fmt: skip
    assert "x.yaml: tree[0].children[0].weight: the children of a pooled node have no weight" in (
        _problems(_rubric(tree))
    )
    text = _problems(_rubric([indicator("q1", _q("Q1"), 1.0)], aggregation="pooled"))
    assert "x.yaml: tree[0].weight: the total is pooled" in text


# --- points --------------------------------------------------------------------------------


def test_points_validation() -> None:
    both = [{**indicator("q1", _q("Q1"), 1.0), "points": 10}]
    assert "tree[0].points: give weight or points, not both" in _problems(_rubric(both))
    some = [{**indicator("q1", _q("Q1")), "points": 10}, indicator("q2", _q("Q2"))]
    assert "tree[1].points: give points on every sibling or on none" in _problems(_rubric(some))
    zero = [{**indicator("q1", _q("Q1")), "points": 0}]
    assert "tree[0].points" in _problems(_rubric(zero))


def test_explain_shows_points_earned() -> None:
    rub = load_rubric(RUBRICS / "points.yaml")
    card = score(_case_evidence("points", 0), rub, AS_OF, uncertainty=False)
    text = card.explain("acme")
    # theme b: (100 + 0) / 2 = 50 of 25 points = 12.5 earned
    assert (
        "b — Embedding respect and human rights due diligence: 50.00 (25 points, 12.50 earned"
        in (text)
    )


# --- conditional weights -------------------------------------------------------------------


def _when_tree(**case: Any) -> list[dict[str, Any]]:
    when = {
        "id": "allegations",
        "select": {"kind": "retaliation"},
        "weights": {"q1": 0.5, "q2": 0.5},
        **case,
    }
    return [
        {
            "id": "theme",
            "title": "T",
            "when": [when],
            "children": [indicator("q1", _q("Q1"), 1.0), indicator("q2", _q("Q2"), 0.0)],
        }
    ]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ({"weights": {"q1": 0.5, "qx": 0.5}}, "tree[0].when[0].weights.qx: no child 'qx'"),
        ({"weights": {"q1": 0.5, "q2": 0.2}}, "tree[0].when[0].weights: weights must sum to 1"),
        ({"weights": {"q1": 0.0}}, "tree[0].when[0].weights: give at least one child a positive"),
        ({"weights": None, "points": {"q1": 5}}, "tree[0].when[0].points: the children have"),
        (
            {"select": {"kind": "retaliation", "where": {"answer": "yes"}}},
            "tree[0].when[0].select.where.answer: field 'answer' is not a field of retaliation",
        ),
        ({"weights": None}, "tree[0].when[0]: give exactly one of weights or points"),
    ],
)
def test_when_validation(case: dict[str, Any], message: str) -> None:
    data = _rubric(_when_tree(**dict(case.items())))
    if case.get("weights", "") is None:
        data["tree"][0]["when"][0].pop("weights")
    assert message in _problems(data)


def test_when_on_an_indicator_is_an_error() -> None:
    node = {**indicator("q1", _q("Q1")), "when": _when_tree()[0]["when"]}
    assert "tree[0].when: an indicator has no children to weigh" in _problems(_rubric([node]))


def test_when_case_and_its_evidence_are_in_the_nodes_table_and_explained() -> None:
    rub = load_rubric(RUBRICS / "conditional-weights.yaml")
    card = score(_case_evidence("conditional-weights", 1), rub, AS_OF, uncertainty=False)
    nodes = card.nodes.set_index(["company_id", "node_id"])
    assert nodes.loc[("acme", "e"), "when"] == "allegations"
    assert nodes.loc[("acme", "e"), "when_evidence_ids"] == ("r1",)
    assert pd.isna(nodes.loc[("acme", "a"), "when"])  # a has no when cases
    assert "weights: when case allegations, because of r1" in card.explain("acme")
    plain = score(_case_evidence("conditional-weights", 0), rub, AS_OF, uncertainty=False)
    assert pd.isna(plain.nodes.set_index(["company_id", "node_id"]).loc[("acme", "e"), "when"])
    assert "weights: the node's own (no when case applies)" in plain.explain("acme")


def test_sensitivity_reaggregates_when_cases_and_points_like_the_engine() -> None:
    """The fast re-aggregation reads the when cases from the card; it must agree with
    re-scoring every weighting with the engine (which re-evaluates the cases)."""
    rub = load_rubric(RUBRICS / "conditional-weights.yaml")
    case_file = load_case_file(RUBRICS / "conditional-weights.cases.yaml")
    records = [
        *build_evidence(case_file, case_file.cases[0], "c0").evidence,
    ]
    # a second company with an allegation, so that both branches are scored
    second = build_evidence(case_file, case_file.cases[1], "c1").evidence
    moved = [r.model_copy(update={"id": f"b-{r.id}", "company_id": "beta"}) for r in second]
    evidence = evset([*records, *moved], ("acme", "beta"))
    kwargs: dict[str, Any] = {"n": 4, "seed": 2, "policies": False, "by": "hq_country"}
    fast = sensitivity(evidence, rub, AS_OF, **kwargs)
    slow = sensitivity(evidence, rub, AS_OF, method="engine", **kwargs)
    assert fast.options["method"] == "reaggregate"
    np.testing.assert_allclose(fast.totals.to_numpy(), slow.totals.to_numpy(), atol=1e-9)
    # base: acme 60 (own weights), beta 44 (allegations case)
    assert fast.totals[0].to_dict() == pytest.approx({"acme": 60.0, "beta": 44.0})
    points = load_rubric(RUBRICS / "points.yaml")
    ev = _case_evidence("points", 0)
    fast = sensitivity(ev, points, AS_OF, **{**kwargs, "by": "hq_country"})
    slow = sensitivity(ev, points, AS_OF, method="engine", **{**kwargs, "by": "hq_country"})
    np.testing.assert_allclose(fast.totals.to_numpy(), slow.totals.to_numpy(), atol=1e-9)
    assert fast.totals[0]["acme"] == pytest.approx(37.5)


def test_tree_core_runs_axis_matches_one_run_at_a_time() -> None:
    """Weights of several runs at once give, row by row, the scores of each run alone."""
    rub = load_rubric(RUBRICS / "count-weighted.yaml")
    card = score(_case_evidence("count-weighted", 1), rub, AS_OF, uncertainty=False)
    ind = card.indicators.set_index("indicator_id")["score"].astype("Float64")
    values = ind.to_numpy(dtype=float, na_value=np.nan)
    indicators = {str(k): np.array([v]) for k, v in zip(ind.index, values, strict=True)}
    runs = {
        "total": np.array([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]]),
        "governance": np.array([[0.5, 0.5], [0.5, 0.5]]),
        "expression": np.full((2, 3), 1 / 3),
        "privacy": np.ones((2, 1)),
    }
    both = aggregate_tree(rub, indicators, weights=runs).score["total"]
    for r in range(2):
        one = aggregate_tree(rub, indicators, weights={k: v[r : r + 1] for k, v in runs.items()})
        assert one.score["total"][0, 0] == pytest.approx(both[r, 0])
    # run 0 is the rubric: 95 / 1.8; run 1: (.2*2*75 + .3*2*25 + .5*1*25) / (.4 + .6 + .5)
    assert both[0, 0] == pytest.approx(95 / 1.8)
    assert both[1, 0] == pytest.approx((30 + 15 + 12.5) / 1.5)


# --- elements ------------------------------------------------------------------------------


def _elements(**rule: Any) -> list[dict[str, Any]]:
    base = {
        "type": "elements",
        "select": {"kind": "assessment"},
        "elements": [{"id": "A", "weight": 0.5}, {"id": "B", "weight": 0.5}],
    }
    return [indicator("x", {**base, **rule})]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"elements": [{"id": "A"}, {"id": "A"}]}, "tree[0].rule.elements[1].id: duplicate"),
        (
            {"elements": [{"id": "A", "weight": 0.5}, {"id": "B"}]},
            "tree[0].rule.elements[1].weight: give a weight on every element or on none",
        ),
        (
            {"elements": [{"id": "A", "weight": 0.5}, {"id": "B", "weight": 0.2}]},
            "tree[0].rule.elements[0].weight: element weights must sum to 1",
        ),
        ({"element_field": "topics"}, "tree[0].rule.element_field: unknown field 'topics'"),
        ({"answers": {"maybe": 50}}, "tree[0].rule.answers.maybe: 'maybe' is not a value of"),
        (
            {"answers": {"yes": 100, "not_applicable": 0}},
            "tree[0].rule.answers.not_applicable: an answer of not_applicable is always",
        ),
        ({"value_field": "answer"}, "tree[0].rule.value_field: 'answer' is not a numeric"),
        ({"aggregate": "median"}, "tree[0].rule.aggregate: unknown aggregate 'median'"),
        ({"unanswered": "skip"}, "tree[0].rule.unanswered"),
    ],
)
def test_elements_validation(rule: dict[str, Any], message: str) -> None:
    assert message in _problems(_rubric(_elements(**rule)))


# --- not applicable --------------------------------------------------------------------------


def test_not_applicable_status_column_and_explanation() -> None:
    rub = load_rubric(RUBRICS / "not-applicable.yaml")
    card = score(_case_evidence("not-applicable", 0), rub, AS_OF, uncertainty=False)
    ind = card.indicators.set_index("indicator_id")
    assert ind.loc["z-q1", "status"] == "scored"
    assert ind.loc["z-q2", "status"] == "not_applicable"
    assert ind.loc["z-q2", "evidence_ids"] == ("q2",)
    assert not ind.loc["z-q2", "missing"]
    text = card.explain("acme")
    assert "not applicable, from 1 record(s) (verified:1): q2; left out of the denominator" in (
        text
    )
    unanswered = score(_case_evidence("not-applicable", 1), rub, AS_OF, uncertainty=False)
    assert unanswered.indicators.set_index("indicator_id").loc["z-q2", "status"] == "missing"


def test_measure_not_applicable_conditions() -> None:
    # a custom condition: a wage record without a benchmark type is not applicable here
    rule = {
        "select": {"kind": "wage"},
        "measure": {"field": "benchmark_ratio", "not_applicable": {"benchmark.type": {"present":
                    False}}},
        "aggregate": "mean",
        "scale": {"type": "linear", "lower": 0, "upper": 1},
    }  # fmt: skip
    from .rubric_support import rubric as make

    rub = make([indicator("x", rule)], missing="zero")
    records = [rec("wage", "w1", "a", relative_to_peers="lowest")]
    card = score(evset(records, ("a",)), rub, AS_OF, uncertainty=False)
    row = card.indicators.set_index("indicator_id").loc["x"]
    assert row["status"] == "not_applicable"
    assert pd.isna(row["score"])
    bad = dict(rule, measure={"field": "benchmark_ratio", "not_applicable": {"answer": "yes"}})
    text = _problems(_rubric([indicator("x", bad)]))
    assert "tree[0].rule.measure.not_applicable.answer: field 'answer' is not a field of wage" in (
        text
    )
    mapped = _q("Q1", {"field": "answer", "values": {"yes": 100, "not_applicable": 0}})
    text = _problems(_rubric([indicator("x", mapped)]))
    assert "tree[0].rule.measure.values.not_applicable: an answer of not_applicable is always" in (
        text
    )
    # switched off, the same map scores a not-applicable answer 0
    off = _q("Q1", {"field": "answer", "values": {"yes": 100, "not_applicable": 0},
                    "not_applicable": "none"})  # fmt: skip
    rub = parse_rubric(_rubric([indicator("x", off)]))
    records = [rec("assessment", "q", "a", question_id="Q1", answer="not_applicable")]
    card = score(evset(records, ("a",)), rub, AS_OF, uncertainty=False)
    assert card.companies.set_index("company_id").loc["a", "total"] == 0.0
    assert not math.isnan(float(card.indicators["score"].iloc[0]))


# --- the docs' published-method examples -----------------------------------------------------


def _docs_rubrics() -> list[str]:
    doc = (RUBRICS.parents[1] / "docs" / "rubrics.md").read_text("utf-8")
    section = doc.split("## Peer methodologies", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("```", 1)[0] for b in section.split("```yaml\n")[1:]]
    return [b for b in blocks if b.startswith("id: ")]


@pytest.mark.parametrize("name", ["rdr-style", "ktc-style", "chrb-style"])
def test_the_docs_method_rubrics_load_and_score(name: str) -> None:
    import yaml

    blocks = {b.split("\n", 1)[0].removeprefix("id: "): b for b in _docs_rubrics()}
    rub = parse_rubric(yaml.safe_load(blocks[name]), f"docs/rubrics.md ({name})")
    # every question answered "yes" (or 100): every node scores 100
    questions: list[str] = []
    for info in rub.indicators():
        rule = info.node.rule
        elements = getattr(rule, "elements", None)
        if elements is not None:
            questions += [e.id for e in elements]
        else:
            questions.append(str(rule.select.where["question_id"].eq))  # type: ignore[union-attr,index]
    framework = {"rdr-style": "rdr-demo", "ktc-style": "ktc-demo"}.get(name)
    answer: dict[str, Any] = {"value": 100.0} if name == "chrb-style" else {"answer": "yes"}
    records = [
        rec("assessment", f"q{i}", "a", question_id=q, framework=framework, **answer)
        for i, q in enumerate(questions)
    ]
    card = score(evset(records, ("a",)), rub, AS_OF, uncertainty=False)
    assert card.companies.set_index("company_id").loc["a", "total"] == pytest.approx(100.0)
    assert card.companies.set_index("company_id").loc["a", "coverage"] == pytest.approx(1.0)
