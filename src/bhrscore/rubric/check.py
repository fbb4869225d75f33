"""Check rubric files and run their golden cases (what ``bhrscore check`` does).

Paths may be rubric files, case files (``*.cases.yaml``) or directories (searched
recursively for ``*.yaml``, ``*.yml`` and ``*.json``). In a directory, only files that look
like rubrics (a mapping with ``tree``) are checked as rubrics; other data files are skipped
with a note. A file named on the command line is always checked. A rubric brings its sibling
case file; a case file brings its rubric.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .cases import (
    CaseFileError,
    CaseResult,
    is_case_file,
    load_case_file,
    rubric_path_for,
    run_case,
)
from .model import Rubric, RubricError, load_rubric, read_data

RUBRIC_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class CheckReport:
    """Rubrics checked, their problems, and case results."""

    rubrics: dict[str, Rubric | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    cases: list[CaseResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. files skipped as not rubrics

    @property
    def ok(self) -> bool:
        return not self.errors and all(c.ok for c in self.cases)

    def summary(self) -> str:
        passed = sum(c.ok for c in self.cases)
        valid = sum(r is not None for r in self.rubrics.values())
        return (
            f"{valid}/{len(self.rubrics)} rubric file(s) valid,"
            f" {passed}/{len(self.cases)} case(s) passed"
        )


def _expand(paths: Iterable[str | Path]) -> tuple[dict[Path, bool], list[str]]:
    """Files to check, each with whether it was named explicitly (not found in a directory)."""
    files: dict[Path, bool] = {}
    errors: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix in RUBRIC_SUFFIXES:
                    files.setdefault(f, False)
        elif p.is_file():
            files[p] = True
        else:
            errors.append(f"{raw}: no such file or directory")
    return files, errors


def _not_a_rubric(path: Path) -> str | None:
    """Why a file found in a directory is not a rubric (None: it looks like one). A file that
    does not parse counts as a rubric, so that its syntax error is reported."""
    try:
        data = read_data(path)
    except RubricError:
        return None
    except (OSError, UnicodeDecodeError):
        return "not a readable UTF-8 text file"
    if not isinstance(data, dict) or "tree" not in data:
        return "no 'tree': not a rubric"
    return None


def _load(path: Path, report: CheckReport) -> Rubric | None:
    key = str(path)
    if key not in report.rubrics:
        try:
            report.rubrics[key] = load_rubric(path)
        except RubricError as err:
            report.rubrics[key] = None
            report.errors.append(str(err))
        except OSError as err:
            report.rubrics[key] = None
            report.errors.append(f"{path}: {err.strerror or err}")
        except UnicodeDecodeError:
            report.rubrics[key] = None
            report.errors.append(f"{path}: not a UTF-8 text file")
    return report.rubrics[key]


def _sibling_cases(rubric: Path) -> Path | None:
    stem = rubric.name[: -len(rubric.suffix)]
    for suffix in (".cases.yaml", ".cases.yml", ".cases.json"):
        candidate = rubric.parent / (stem + suffix)
        if candidate.exists():
            return candidate
    return None


def check_paths(paths: Iterable[str | Path]) -> CheckReport:
    """Validate every rubric and run every case found under ``paths``."""
    report = CheckReport()
    files, report.errors = _expand(paths)
    case_files: list[Path] = []
    for f, explicit in files.items():
        if is_case_file(f):
            case_files.append(f)
        else:
            why = None if explicit else _not_a_rubric(f)
            if why is not None:
                report.notes.append(f"{f}: skipped ({why})")
                continue
            _load(f, report)
            sibling = _sibling_cases(f)
            if sibling is not None:
                case_files.append(sibling)
    for cf in dict.fromkeys(case_files):
        try:
            case_file = load_case_file(cf)
        except CaseFileError as err:
            report.errors.append(str(err))
            continue
        rubric_path = rubric_path_for(cf, case_file.rubric)
        rubric = _load(rubric_path, report)
        if rubric is None:
            continue
        report.cases += [
            run_case(case_file, i, rubric, str(cf)) for i in range(len(case_file.cases))
        ]
    return report
