"""Print the fuzz budget at the end of the run: examples per test and the time they took
(printed, never asserted: speed lives in benchmarks/)."""

from __future__ import annotations

from typing import Any

import pytest

from .bundle import DEFAULT_EXAMPLES, examples

_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and "test_fuzz.py::test_fuzz_" in report.nodeid:
        _SECONDS[report.nodeid.rsplit("::", 1)[-1]] = report.duration


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _SECONDS:
        return
    budget = ", ".join(f"{target} {examples(target)}" for target in DEFAULT_EXAMPLES)
    terminalreporter.write_line(
        f"fuzz: {len(_SECONDS)} fuzz tests in {sum(_SECONDS.values()):.0f} s; examples per "
        f"test: {budget} (set BHRSCORE_FUZZ_EXAMPLES=N to change)"
    )
