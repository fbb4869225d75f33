"""Rubric errors name the YAML line and the theme or indicator at fault."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bhrscore.rubric.lines import LineLoader, Locations, load_with_lines
from bhrscore.rubric.model import RubricError, load_rubric, parse_rubric
from tests.conftest import run_cli as run

RUBRIC = """\
id: fictional
version: 1.0.0
title: Fictional rubric
tree:
  - id: dialogue
    title: Dialogue
    weight: 1
    children:
      - id: dialogue.recognition
        title: Recognition
        weight: high
        rationale: Fictional.
        rule:
          type: evidence
          select: {kind: union_dialogue}
          aggregate: any
          measure: 1
          scale: {type: identity}
"""
WEIGHT_LINE = 11  # "        weight: high" is the 11th line of RUBRIC


def write(tmp_path: Path, text: str, name: str = "x.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bad_weight_names_the_line_and_the_indicator(tmp_path: Path) -> None:
    path = write(tmp_path, RUBRIC)
    assert RUBRIC.splitlines()[WEIGHT_LINE - 1] == "        weight: high"
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert str(info.value) == (
        f"{path}:{WEIGHT_LINE}: indicator 'dialogue.recognition': "
        "tree[0].children[0].weight: must be a number (got 'high')"
    )
    # the (YAML path, message) pairs stay as they were, for programs
    assert info.value.problems == [("tree[0].children[0].weight", "must be a number (got 'high')")]


def test_problems_in_a_theme_and_unknown_keys(tmp_path: Path) -> None:
    text = RUBRIC.replace("weight: high", "weight: 1").replace(
        "    weight: 1\n    children:", "    wieght: 1\n    children:"
    )
    lines = text.splitlines()
    line = lines.index("    wieght: 1") + 1  # 1-based: the 7th line
    with pytest.raises(RubricError) as info:
        load_rubric(write(tmp_path, text))
    assert f"x.yaml:{line}: theme 'dialogue': tree[0].wieght: unknown key; did you mean " in (
        str(info.value)
    )


def test_parsed_data_without_a_file_keeps_yaml_paths(tmp_path: Path) -> None:
    data = yaml.safe_load(RUBRIC)
    with pytest.raises(RubricError) as info:
        parse_rubric(data, "mem.yaml")
    assert str(info.value) == (
        "mem.yaml: tree[0].children[0].weight: must be a number (got 'high')"
    )


def test_locations_of_paths() -> None:
    data, root = load_with_lines(RUBRIC)
    where = Locations(data, root)
    assert where.line("tree[0].children[0].weight") == WEIGHT_LINE
    assert where.line("tree[0].children[0].rule.scale") == 18
    # a key that is not there: the line of the deepest part that is
    assert where.line("tree[0].children[0].rule.nothing") == 13
    assert where.node("tree[0].children[0].rule.select.kind") == "indicator 'dialogue.recognition'"
    assert where.node("tree[0].weight") == "theme 'dialogue'"
    assert where.node("policies") is None


def test_the_line_loader_is_a_safe_loader() -> None:
    assert issubclass(LineLoader, yaml.SafeLoader)
    assert LineLoader.yaml_constructors == yaml.SafeLoader.yaml_constructors
    with pytest.raises(yaml.constructor.ConstructorError):
        load_with_lines("a: !!python/object/apply:os.system ['true']\n")


def test_check_github_annotation_points_at_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, RUBRIC)
    code, out, _ = run(["check", "--format", "github", str(path)], capsys)
    assert code == 1
    (note,) = [line for line in out.splitlines() if line.startswith("::error")]
    assert f",line={WEIGHT_LINE},col=9," in note
    assert note.endswith("::indicator 'dialogue.recognition': must be a number (got 'high')")


def test_misspelt_kinds_fields_and_values_get_suggestions(tmp_path: Path) -> None:
    text = RUBRIC.replace("weight: high", "weight: 1").replace(
        "select: {kind: union_dialogue}",
        "select: {kind: union_dialogu}",
    )
    with pytest.raises(RubricError) as info:
        load_rubric(write(tmp_path, text))
    assert str(info.value).endswith("; did you mean 'union_dialogue'?")
    assert "x.yaml:15: indicator 'dialogue.recognition': " in str(info.value)

    text = RUBRIC.replace("weight: high", "weight: 1").replace(
        "select: {kind: union_dialogue}",
        "select: {kind: retaliation, where: {statsu: alleged, status: Verified}}",
    )
    with pytest.raises(RubricError) as info:
        load_rubric(write(tmp_path, text))
    message = str(info.value)
    assert (
        "where.statsu: unknown field 'statsu' for evidence kind retaliation; did you mean "
        "'status'" in message
    )
    assert "where.status.eq: 'Verified' is not a value of status" in message
    assert message.count("did you mean 'verified'?") == 1


def test_a_bad_version_is_worded(tmp_path: Path) -> None:
    text = RUBRIC.replace("weight: high", "weight: 1").replace("version: 1.0.0", "version: '1'")
    with pytest.raises(RubricError) as info:
        load_rubric(write(tmp_path, text))
    assert str(info.value).endswith(":2: version: must be a version number such as 1.0.0 (got '1')")
