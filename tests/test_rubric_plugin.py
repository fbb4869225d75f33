"""The pytest plugin collects golden cases as test items (one per case)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

RUBRIC = """
id: tiny
version: 0.1.0
title: Tiny
tree:
  - id: recog
    title: Recognition
    rationale: Recognition of a union.
    rule:
      select: {kind: union_dialogue, where: {event: recognition}}
      aggregate: any
      scale: {type: linear, lower: 0, upper: 1}
"""

CASES = """
as_of: 2026-01-01
defaults:
  country: KZ
  summary: Fictional.
  sources: [{url: "https://example.org/x", title: Fictional}]
  status: verified
  reliability: high
  date: 2026-01-01
companies: [{id: a, name: A}]
cases:
  - name: passes
    evidence: [{kind: union_dialogue, id: e1, company_id: a, event: recognition}]
    expect: {a: {total: 100}}   # verified: any = 1 -> 100
  - name: fails
    evidence: [{kind: union_dialogue, id: e1, company_id: a, event: recognition, status: alleged}]
    expect: {a: {total: 100}}   # wrong on purpose: alleged gives .5 -> 50
"""


def test_plugin_collects_one_item_per_case(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", tiny=RUBRIC)
    pytester.makefile(".cases.yaml", tiny=CASES)
    result = pytester.runpytest("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*tiny.cases.yaml::passes PASSED*", "*tiny.cases.yaml::fails FAILED*"]
    )
    result.stdout.fnmatch_lines(["*a total: expected 100, got 50*"])


def test_invalid_rubric_is_one_failing_item(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", tiny=RUBRIC.replace("kind: union_dialogue", "kind: strikes"))
    pytester.makefile(".cases.yaml", tiny=CASES)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*unknown evidence kind 'strikes'*"])
