"""Validation problems and the report that collects all of them.

A :class:`Problem` says where (file, sheet, row as the user sees it or JSON pointer, field),
what (the offending value, truncated) and why (a plain message). Loaders never stop at the first
problem: they collect every problem of every file into one :class:`ValidationReport`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
MAX_VALUE_CHARS = 60
#: warnings that explain errors (shown with them when loading fails): no companies file was
#: read, example rows of the entry template were left in
EXPLAINING_WARNINGS = frozenset({"no-companies", "template-example"})


def shorten(value: Any, limit: int = MAX_VALUE_CHARS) -> str | None:
    """A printable, truncated form of an offending value (``None`` when there is none)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else repr(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input."""

    file: str
    message: str
    code: str
    row: int | None = None
    sheet: str | None = None
    pointer: str | None = None
    field: str | None = None
    value: str | None = None
    severity: Severity = "error"
    column: str | None = None  # spreadsheet column letter, e.g. "F"

    @property
    def where(self) -> str:
        """``file[:sheet]:row`` or ``file#pointer``, as the user would look for it."""
        place = self.file
        if self.sheet:
            place += f"[{self.sheet}]"
        if self.row is not None:
            place += f":{self.row}"
            if self.column:
                place += f":{self.column}"
        elif self.pointer is not None:
            place += f"#{self.pointer}"
        return place

    def __str__(self) -> str:
        text = f"{self.where}: {self.severity}: "
        if self.field:
            text += f"{self.field}: "
        text += self.message
        if self.value is not None:
            text += f" (got {self.value!r})"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that was read but not accepted, with where it came from and why."""

    file: str
    record: dict[str, Any]
    problems: tuple[Problem, ...]
    row: int | None = None
    sheet: str | None = None
    pointer: str | None = None
    table: Literal["companies", "evidence"] = "evidence"


@dataclass
class ValidationReport:
    """All problems found while loading, plus counts that always add up:
    ``valid + rejected == read`` for companies and for evidence."""

    problems: list[Problem] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    read: Counter[str] = field(default_factory=Counter)
    valid: Counter[str] = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def by_file(self) -> dict[str, list[Problem]]:
        grouped: dict[str, list[Problem]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.file, []).append(problem)
        return grouped

    def rejected_count(self, table: str) -> int:
        return sum(1 for r in self.rejected if r.table == table)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "files": self.files,
            "read": dict(self.read),
            "valid": dict(self.valid),
            "rejected": {t: self.rejected_count(t) for t in ("companies", "evidence")},
            "problems": [p.to_dict() for p in self.problems],
        }

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems]
        return "\n".join(lines) if lines else "no problems"


class EvidenceValidationError(ValueError):
    """Raised in strict mode; carries the whole :class:`ValidationReport`."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        n = len(report.errors)
        head = f"{n} problem{'s' if n != 1 else ''} in the evidence"
        shown = "\n".join(f"  {p}" for p in report.errors[:20])
        more = f"\n  … and {n - 20} more" if n > 20 else ""
        why = [f"  {p}" for p in report.warnings if p.code in EXPLAINING_WARNINGS]
        super().__init__(f"{head}:\n{shown}{more}" + "".join(f"\n{w}" for w in why))
