"""The shipped rubrics' golden cases pass (the same cases `bhrscore check rubrics/` runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bhrscore.rubric.cases import load_case_file, rubric_path_for, run_case
from bhrscore.rubric.check import check_paths
from bhrscore.rubric.model import load_rubric

RUBRICS = Path(__file__).resolve().parents[1] / "rubrics"
CASE_FILES = sorted(RUBRICS.glob("*.cases.yaml"))


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
    rubrics = [p for p in RUBRICS.glob("*.yaml") if not p.name.endswith(".cases.yaml")]
    assert rubrics
    for rubric in rubrics:
        assert (rubric.parent / (rubric.stem + ".cases.yaml")).exists(), rubric


def test_a_wrong_expectation_is_reported_with_expected_and_actual(tmp_path: Path) -> None:
    text = (RUBRICS / "labour-rights.cases.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "labour-rights.cases.yaml"
    broken.write_text(
        text.replace(
            "rubric: labour-rights.yaml", f"rubric: {RUBRICS / 'labour-rights.yaml'}"
        ).replace("total: 88 ", "total: 87 "),
        encoding="utf-8",
    )
    report = check_paths([broken])
    assert not report.ok
    failed = [c for c in report.cases if not c.ok]
    assert [c.name for c in failed] == ["good-practice"]
    assert "good total: expected 87, got 88" in failed[0].report()
