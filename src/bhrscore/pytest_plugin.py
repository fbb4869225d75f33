"""pytest plugin: rubric golden cases as test items.

Registered through the ``pytest11`` entry point, so a repository holding rubrics gets one
test per golden case from plain ``pytest``. Discovery rule: every file named
``*.cases.yaml`` / ``*.cases.yml`` / ``*.cases.json`` that pytest visits (its arguments or
``testpaths``) is a case file; its rubric is the ``rubric:`` it names, else the sibling file
without ``.cases``. A rubric or case file that does not validate shows up as one failing item
named ``validate``. Switch the plugin off with ``-p no:bhrscore``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .rubric.cases import (
    CaseFile,
    CaseFileError,
    CaseResult,
    is_case_file,
    load_case_file,
    rubric_path_for,
    run_case,
)
from .rubric.model import Rubric, RubricError, load_rubric


class RubricCaseFailedError(Exception):
    """Raised by a failing case; its report is the failure text."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if is_case_file(file_path):
        collector: pytest.Collector = RubricCasesFile.from_parent(parent, path=file_path)
        return collector
    return None


class RubricCasesFile(pytest.File):
    """A golden-case file: one item per case."""

    def collect(self) -> Iterator[pytest.Item]:
        from .plugins import ensure_plugins

        ensure_plugins()  # installed plug-ins' kinds, rule types and scales, before parsing
        try:
            case_file = load_case_file(self.path)
            rubric = load_rubric(rubric_path_for(self.path, case_file.rubric))
        except (CaseFileError, RubricError) as err:
            yield InvalidRubricItem.from_parent(self, name="validate", message=str(err))
            return
        except OSError as err:
            yield InvalidRubricItem.from_parent(self, name="validate", message=str(err))
            return
        for index, case in enumerate(case_file.cases):
            yield RubricCaseItem.from_parent(
                self, name=case.name, case_file=case_file, index=index, rubric=rubric
            )


class RubricCaseItem(pytest.Item):
    """One golden case: scores its evidence and compares with the expected values."""

    def __init__(self, *, case_file: CaseFile, index: int, rubric: Rubric, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case_file = case_file
        self.index = index
        self.rubric = rubric

    def runtest(self) -> None:
        result: CaseResult = run_case(self.case_file, self.index, self.rubric, str(self.path))
        if not result.ok:
            raise RubricCaseFailedError(result.report())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RubricCaseFailedError):
            return excinfo.value.text
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"rubric case {self.name}"


class InvalidRubricItem(pytest.Item):
    """Stands for a rubric or case file that does not validate."""

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message

    def runtest(self) -> None:
        raise RubricCaseFailedError(self.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, RubricCaseFailedError):
            return excinfo.value.text
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "rubric validation"
