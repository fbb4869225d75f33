"""Rubric files: loading, and every validation error with its file and YAML path."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bhrscore.rubric.model import RubricError, load_rubric

ROOT = Path(__file__).resolve().parents[1]


def _rule(**extra: Any) -> dict[str, Any]:
    return {
        "select": {"kind": "union_dialogue"},
        "aggregate": "any",
        "scale": {"type": "boolean"},
        **extra,
    }


def _base() -> dict[str, Any]:
    return {
        "id": "t",
        "version": "1.0.0",
        "title": "Test",
        "tree": [
            {
                "id": "a",
                "title": "A",
                "weight": 0.5,
                "children": [
                    {"id": "a1", "title": "A1", "rationale": "r", "rule": _rule()},
                ],
            },
            {"id": "b", "title": "B", "weight": 0.5, "rationale": "r", "rule": _rule()},
        ],
    }


def _errors(tmp_path: Path, data: dict[str, Any], name: str = "x.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    text = str(info.value)
    # every line names the file and, read from YAML, the line: "x.yaml:12: …"
    assert all(re.match(rf"{re.escape(str(path))}:\d+: ", line) for line in text.splitlines())
    return text


def test_valid_rubric_loads_from_yaml_and_json(tmp_path: Path) -> None:
    y, j = tmp_path / "r.yaml", tmp_path / "r.json"
    y.write_text(yaml.safe_dump(_base()), encoding="utf-8")
    j.write_text(json.dumps(_base()), encoding="utf-8")
    a, b = load_rubric(y), load_rubric(j)
    assert a == b
    assert [i.node.id for i in a.indicators()] == ["a1", "b"]


def test_content_hash_ignores_formatting_and_comments(tmp_path: Path) -> None:
    y1 = tmp_path / "one.yaml"
    y1.write_text(yaml.safe_dump(_base()), encoding="utf-8")
    y2 = tmp_path / "two.yaml"
    y2.write_text(
        "# a comment\n" + yaml.safe_dump(_base(), default_flow_style=True), encoding="utf-8"
    )
    assert load_rubric(y1).content_hash() == load_rubric(y2).content_hash()
    changed = _base()
    changed["tree"][0]["weight"], changed["tree"][1]["weight"] = 0.4, 0.6
    y3 = tmp_path / "three.yaml"
    y3.write_text(yaml.safe_dump(changed), encoding="utf-8")
    assert load_rubric(y3).content_hash() != load_rubric(y1).content_hash()


def test_weights_must_sum_to_one(tmp_path: Path) -> None:
    data = _base()
    data["tree"][1]["weight"] = 0.6
    assert "tree[0].weight: sibling weights must sum to 1" in _errors(tmp_path, data)


def test_weights_on_all_siblings_or_none(tmp_path: Path) -> None:
    data = _base()
    del data["tree"][1]["weight"]
    assert "tree[1].weight: give a weight on every sibling or on none" in _errors(tmp_path, data)


def test_no_weights_means_equal_shares(tmp_path: Path) -> None:
    data = _base()
    for node in data["tree"]:
        del node["weight"]
    path = tmp_path / "eq.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert [i.weight for i in load_rubric(path).walk() if i.depth == 1] == [0.5, 0.5]


def test_unknown_evidence_kind(tmp_path: Path) -> None:
    data = _base()
    data["tree"][0]["children"][0]["rule"]["select"]["kind"] = "strike"
    assert "tree[0].children[0].rule.select.kind: unknown evidence kind 'strike'" in _errors(
        tmp_path, data
    )


def test_unknown_field(tmp_path: Path) -> None:
    data = _base()
    data["tree"][0]["children"][0]["rule"]["select"]["where"] = {"union.colour": "red"}
    text = _errors(tmp_path, data)
    assert (
        "tree[0].children[0].rule.select.where.union.colour: unknown field 'union.colour'" in text
    )


def test_field_of_another_kind(tmp_path: Path) -> None:
    data = _base()
    data["tree"][1]["rule"]["measure"] = {"field": "benchmark_ratio"}
    assert (
        "tree[1].rule.measure.field: field 'benchmark_ratio' is not a field of union_dialogue"
        in _errors(tmp_path, data)
    )


def test_unknown_vocabulary_value(tmp_path: Path) -> None:
    data = _base()
    data["tree"][1]["rule"]["select"]["where"] = {"event": {"in": ["recognition", "picnic"]}}
    assert "tree[1].rule.select.where.event.in[1]: 'picnic' is not a value of event" in _errors(
        tmp_path, data
    )


def test_unknown_value_in_a_measure_map(tmp_path: Path) -> None:
    data = _base()
    data["tree"][1]["rule"]["measure"] = {"field": "event", "values": {"picnic": 1}}
    assert "tree[1].rule.measure.values.picnic: 'picnic' is not a value of event" in _errors(
        tmp_path, data
    )


def test_wrong_test_for_the_field_type(tmp_path: Path) -> None:
    data = _base()
    data["tree"][1]["rule"]["select"]["where"] = {"event": {"ge": 3}}
    assert "tree[1].rule.select.where.event.ge: ge needs a number or date field" in _errors(
        tmp_path, data
    )


def test_unknown_rule_type(tmp_path: Path) -> None:
    data = _base()
    data["tree"][1]["rule"]["type"] = "magic"
    assert "tree[1].rule: unknown rule type 'magic'" in _errors(tmp_path, data)


def test_unknown_scale_type(tmp_path: Path) -> None:
    data = _base()
    data["tree"][1]["rule"]["scale"] = {"type": "log"}
    assert "tree[1].rule.scale: unknown scale type 'log'" in _errors(tmp_path, data)


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    data = _base()
    data["tree"][1]["wieght"] = 0.5
    assert "tree[1].wieght: unknown key; did you mean 'weight'" in _errors(tmp_path, data)


def test_penalty_on_missing_node(tmp_path: Path) -> None:
    data = _base()
    data["penalties"] = [
        {"id": "p", "title": "P", "node": "ghost", "select": {"kind": "retaliation"}, "points": 5}
    ]
    assert "penalties[0].node: no node with id 'ghost'" in _errors(tmp_path, data)


def test_penalty_on_an_indicator_is_rejected(tmp_path: Path) -> None:
    data = _base()
    indicator = data["tree"][1]["id"]
    data["penalties"] = [
        {"id": "p", "title": "P", "node": indicator, "select": {"kind": "retaliation"}, "points": 5}
    ]
    assert f"penalties[0].node: {indicator!r} is an indicator" in _errors(tmp_path, data)


def test_duplicate_node_ids(tmp_path: Path) -> None:
    data = _base()
    data["tree"][1]["id"] = "a1"
    assert "tree[1].id: duplicate node id 'a1' (first at tree[0].children[0])" in _errors(
        tmp_path, data
    )


def test_node_needs_children_or_rule_and_indicator_needs_rationale(tmp_path: Path) -> None:
    data = _base()
    data["tree"][0]["children"][0]["children"] = [
        {"id": "z", "title": "Z", "rationale": "r", "rule": _rule()}
    ]
    del data["tree"][1]["rationale"]
    text = _errors(tmp_path, data)
    assert "tree[0].children[0]: a node has either children" in text
    assert "tree[1].rationale: an indicator needs a rationale" in text


def test_status_weights_must_be_ordered(tmp_path: Path) -> None:
    data = _base()
    data["policies"] = {"status_weights": {"alleged": 1.0, "verified": 0.5}}
    assert "policies.status_weights: alleged <= corroborated <= verified" in _errors(
        tmp_path, data
    ).replace("weights must satisfy ", "")


def test_bare_yes_gets_a_quoting_hint(tmp_path: Path) -> None:
    path = tmp_path / "yes.yaml"
    path.write_text(
        """
id: t
version: 1.0.0
title: T
tree:
  - id: q
    title: Q
    rationale: r
    rule:
      select: {kind: assessment}
      measure: {field: answer, values: {yes: 100, no: 0}}
      aggregate: latest
      scale: {type: identity}
""",
        encoding="utf-8",
    )
    with pytest.raises(RubricError, match=r"tree\[0\]\.rule\.measure\.values.*quote them"):
        load_rubric(path)


def _where_errors(tmp_path: Path, where: str) -> str:
    """Errors of a one-indicator rubric over assessments with ``where`` written as YAML."""
    path = tmp_path / "where.yaml"
    path.write_text(
        f"""
id: t
version: 1.0.0
title: T
tree:
  - id: q
    title: Q
    rationale: r
    rule:
      select: {{kind: assessment, where: {where}}}
      measure: {{field: answer, values: {{"yes": 100, "no": 0}}}}
      aggregate: latest
      scale: {{type: identity}}
""",
        encoding="utf-8",
    )
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    return str(info.value)


def test_a_number_for_a_text_field_must_be_quoted(tmp_path: Path) -> None:
    # question_id: 1.1 is a YAML float; it would never equal the text "1.1"
    text = _where_errors(tmp_path, "{question_id: 1.1}")
    assert "tree[0].rule.select.where.question_id.eq: question_id is text; got 1.1" in text
    assert "quote it as written, e.g. '1.1'" in text
    text = _where_errors(tmp_path, "{question_id: [A.1, 2]}")
    assert "where.question_id.in[1]: question_id is text; got 2" in text
    assert "where.question_id.in[0]" not in text
    quoted = tmp_path / "quoted.yaml"
    written = (tmp_path / "where.yaml").read_text(encoding="utf-8")
    quoted.write_text(written.replace("[A.1, 2]", "['A.1', '2']"), encoding="utf-8")
    assert load_rubric(quoted).id == "t"


def test_bare_yes_in_a_where_gets_the_quoting_hint(tmp_path: Path) -> None:
    text = _where_errors(tmp_path, "{answer: yes}")
    assert "where.answer.eq: True is not a value of answer" in text
    assert "quote them, e.g. 'yes'" in text


def test_bad_version_and_yaml_syntax(tmp_path: Path) -> None:
    data = _base()
    data["version"] = "v1"
    assert "version: must be a version number such as 1.0.0 (got 'v1')" in _errors(tmp_path, data)
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(RubricError, match="YAML syntax error"):
        load_rubric(bad)


def test_extension_keys_hold_anchors(tmp_path: Path) -> None:
    text = yaml.safe_dump(_base()) + "x-shared: &s {kind: union_dialogue}\n"
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_rubric(path).id == "t"


def test_shipped_rubrics_are_valid_and_the_packaged_copy_matches() -> None:
    from bhrscore.rubric import default_rubric_path

    for path in (ROOT / "rubrics").glob("*.yaml"):
        if not path.name.endswith(".cases.yaml"):
            load_rubric(path)
    assert (
        default_rubric_path().read_bytes() == (ROOT / "rubrics" / "labour-rights.yaml").read_bytes()
    )


def test_default_rubric_documents_every_indicator() -> None:
    rubric = load_rubric(ROOT / "rubrics" / "labour-rights.yaml")
    themes = {i.node.id for i in rubric.walk() if i.depth == 1}
    assert {"dialogue", "wages", "retaliation", "statements", "say-do-gap"} == themes
    for info in rubric.indicators():
        assert info.node.rationale
        assert info.node.standards, info.node.id


def test_rubric_json_schema_renders() -> None:
    from bhrscore.schema import render

    schema = json.loads(render("rubric.schema.json"))
    assert "tree" in schema["properties"]


def test_rubric_fields_follow_kinds_registered_later(tmp_path: Path) -> None:
    import datetime as dt
    from typing import Literal

    from bhrscore.evidence.hooks import DerivedColumn
    from bhrscore.evidence.model import EvidenceBase
    from bhrscore.evidence.registry import KINDS, evidence_kind
    from bhrscore.rubric.fields import kind_fields

    data = _base()
    data["tree"][1]["rule"]["select"] = {"kind": "petition", "where": {"days_open": {"gt": 30}}}
    assert "unknown evidence kind 'petition'" in _errors(tmp_path, data)
    assert "petition" not in kind_fields("union_dialogue")["kind"].values  # cached now

    @evidence_kind("petition")
    class Petition(EvidenceBase):
        kind: Literal["petition"] = "petition"
        opened: dt.date
        closed: dt.date | None = None

        @classmethod
        def derived_columns(cls) -> tuple[DerivedColumn, ...]:
            days = DerivedColumn(
                "days_open", "Int64", lambda v: (v["closed"] - v["opened"]).dt.days
            )
            return (days,)

    try:
        assert "petition" in kind_fields("union_dialogue")["kind"].values
        assert kind_fields("petition")["days_open"].type == "number"  # its derived column
        assert kind_fields("petition")["opened"].type == "date"
        path = tmp_path / "petition.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        assert [i.node.id for i in load_rubric(path).indicators()] == ["a1", "b"]
    finally:
        KINDS.unregister("petition")
    assert "petition" not in kind_fields("union_dialogue")["kind"].values
    assert "unknown evidence kind 'petition'" in _errors(tmp_path, data)
