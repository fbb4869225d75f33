"""The nesting limit of user YAML files (``bhrscore.yaml_load``), found by the fuzz suite and
issue 12 item 1: deep files, aliases that stack shallow pieces, and recursive aliases end in
a located error, never in ``RecursionError``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bhrscore.yaml_load import MAX_YAML_DEPTH, NestingError, safe_load

from .bundle import run_cli

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def test_depth_at_the_limit_loads_and_one_more_is_refused() -> None:
    # "[" * n nests n lists; under a mapping key that is n + 1 collections
    assert safe_load("a: " + "[" * (MAX_YAML_DEPTH - 1) + "]" * (MAX_YAML_DEPTH - 1)) is not None
    with pytest.raises(NestingError) as err:
        safe_load("a: " + "[" * MAX_YAML_DEPTH + "]" * MAX_YAML_DEPTH)
    assert err.value.problem == f"nested {MAX_YAML_DEPTH + 1} levels deep, over the limit of 64"
    assert err.value.problem_mark.line == 0  # PyYAML's mark: line 1
    assert isinstance(err.value, yaml.YAMLError)  # callers' YAML error handling applies


def test_block_nesting_names_the_line() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(70)) + "  " * 70 + "v\n"
    with pytest.raises(NestingError) as err:
        safe_load(text)
    # the 65th mapping starts at key k64, line 65
    assert str(err.value) == "line 65: nested 65 levels deep, over the limit of 64"


def test_aliases_that_stack_into_a_deep_value_are_refused() -> None:
    # each piece nests 40 lists; x2 holds x1 inside its own 40: 1 + 40 + 40 = 81 levels
    text = f"x1: &x1 {'[' * 40}{']' * 40}\nx2: {'[' * 40}*x1{']' * 40}\n"
    with pytest.raises(NestingError, match="nested 81 levels deep"):
        safe_load(text)


def test_a_shared_alias_is_measured_once_and_allowed() -> None:
    text = "a: &a [1, [2, [3]]]\nb: [*a, *a, *a]\n"
    assert safe_load(text) == {"a": [1, [2, [3]]], "b": [[1, [2, [3]]]] * 3}


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(NestingError, match="contains itself"):
        safe_load("&a [*a]")


def test_deep_origin_groups_file_exits_1(tmp_path: Path) -> None:
    groups = tmp_path / "groups.yaml"
    groups.write_text("groups: " + "[" * 500 + "]" * 500 + "\n")
    args = ["compare", str(CORPUS / "13-nul-formula"), "--as-of", "2025-01-01"]
    code, out, err = run_cli([*args, "--origin-groups", str(groups)])
    assert "Traceback" not in out + err
    assert code == 2  # like any other unreadable --origin-groups file (a usage error)
    assert "groups.yaml" in err
    assert "nested" in err


def test_deep_json_rubric_is_a_rubric_error(tmp_path: Path) -> None:
    for depth in (100, 5000):  # under and over the JSON parser's own recursion limit
        rubric = tmp_path / f"deep{depth}.json"
        rubric.write_text('{"id": "x", "tree": ' + "[" * depth + "]" * depth + "}")
        code, out, err = run_cli(["check", str(rubric)])
        assert "Traceback" not in out + err
        assert code == 1
        assert rubric.name in out + err


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("as_of: 2026-02-30", "line 1: day is out of range for month (got '2026-02-30')"),
        ("as_of: 2026-13-01", "line 1: month must be in 1..12"),
        (f"as_of: 2026-01-01\nn: {'9' * 5000}", "line 2: integer has 5,000 digits"),
    ],
)
def test_values_pyyaml_cannot_convert_are_located(tmp_path: Path, line: str, expected: str) -> None:
    """Found by the fuzz suite: golden cases with an impossible date or a 5,000-digit integer
    raised ValueError from ``check``."""
    cases = tmp_path / "x.cases.yaml"
    cases.write_text(line + "\n")
    code, out, err = run_cli(["check", str(cases)])
    assert "Traceback" not in out + err
    assert code == 1
    assert f"x.cases.yaml: {expected}" in err
