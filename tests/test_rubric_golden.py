"""The shipped rubrics' golden cases pass (the same cases `bhrscore check rubrics/` runs)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bhrscore.rubric import cases as cases_module
from bhrscore.rubric.cases import CaseFileError, load_case_file, rubric_path_for, run_case
from bhrscore.rubric.check import check_paths
from bhrscore.rubric.model import load_rubric

RUBRICS = Path(__file__).resolve().parents[1] / "rubrics"
CASE_FILES = sorted(RUBRICS.rglob("*.cases.yaml"))  # archived versions included


def _cases() -> list[tuple[Path, int, str]]:
    out = []
    for path in CASE_FILES:
        for i, case in enumerate(load_case_file(path).cases):
            out.append((path, i, case.name))
    return out


@pytest.mark.parametrize(
    ("path", "index", "name"), _cases(), ids=lambda v: v if isinstance(v, str) else None
)
def test_golden_case(path: Path, index: int, name: str) -> None:
    case_file = load_case_file(path)
    rubric = load_rubric(rubric_path_for(path, case_file.rubric))
    result = run_case(case_file, index, rubric, str(path))
    assert result.ok, result.report()


def test_every_shipped_rubric_has_cases() -> None:
    rubrics = [p for p in RUBRICS.rglob("*.yaml") if not p.name.endswith(".cases.yaml")]
    assert RUBRICS / "archive" / "labour-rights-1.1.0.yaml" in rubrics
    for rubric in rubrics:
        assert (rubric.parent / (rubric.stem + ".cases.yaml")).exists(), rubric


def test_a_wrong_expectation_is_reported_with_expected_and_actual(tmp_path: Path) -> None:
    text = (RUBRICS / "labour-rights.cases.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "labour-rights.cases.yaml"
    broken.write_text(
        text.replace(
            "rubric: labour-rights.yaml", f"rubric: {RUBRICS / 'labour-rights.yaml'}"
        ).replace("total: 88.5 ", "total: 87 "),
        encoding="utf-8",
    )
    report = check_paths([broken])
    assert not report.ok
    failed = [c for c in report.cases if not c.ok]
    assert [c.name for c in failed] == ["good-practice"]
    assert "good total: expected 87, got 88.5" in failed[0].report()


def _check_example(tmp_path: Path, text: str) -> None:
    """Run a case-file example beside a copy of the default rubric; every case must pass."""
    (tmp_path / "labour-rights.yaml").write_bytes((RUBRICS / "labour-rights.yaml").read_bytes())
    (tmp_path / "labour-rights.cases.yaml").write_text(text, encoding="utf-8")
    report = check_paths([tmp_path])
    assert report.cases, "the example has no cases"
    assert report.ok, "\n".join([*report.errors, *(c.report() for c in report.cases)])


def test_the_docs_golden_case_example_passes(tmp_path: Path) -> None:
    doc = (RUBRICS.parent / "docs" / "rubrics.md").read_text(encoding="utf-8")
    section = doc.split("## Golden cases", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert "coverage: 0.575" in example
    _check_example(tmp_path, example)


def test_the_cases_module_example_passes(tmp_path: Path) -> None:
    doc = cases_module.__doc__ or ""
    example = textwrap.dedent(doc.split("::\n", 1)[1].split("\n\n", 1)[0])
    assert "total: 25" in example
    _check_example(tmp_path, example)


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ("{}", "cases[0].expect: expect nothing"),
        ("{acme: {}}", "cases[0].expect: nothing expected for 'acme'"),
    ],
)
def test_a_case_must_expect_something(tmp_path: Path, expect: str, message: str) -> None:
    path = tmp_path / "x.cases.yaml"
    path.write_text(
        "as_of: 2026-01-01\ncompanies: [{id: acme, name: Acme Fictional}]\n"
        f"cases:\n  - name: vacuous\n    expect: {expect}\n",
        encoding="utf-8",
    )
    with pytest.raises(CaseFileError) as info:
        load_case_file(path)
    assert f"{path}: {message}" in str(info.value)
