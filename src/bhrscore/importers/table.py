"""Read a publisher's CSV file into a string frame that remembers each row's line number.

Importers validate rows with vectorised masks over this frame and report a problem with the
line the user sees in a text editor (the first line of a record, header = line 1), so a
record with line breaks inside quoted cells is still found where it starts. The bytes are
decoded as the evidence loader does (UTF-8, a BOM tolerated, UTF-16/32 rejected, invalid
bytes reported per row); ragged rows are reported, never padded or cut.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..evidence.read import bad_bytes, decode
from ..evidence.report import Problem, shorten

#: name of the line-number column added to every frame
LINE = "_line"


@dataclass(frozen=True)
class SourceTable:
    """One CSV file as read: ``frame`` holds every cell as a string (``""`` when empty) and
    the column :data:`LINE`; ``sha256`` is of the file's bytes."""

    path: Path
    header: tuple[str, ...]
    frame: pd.DataFrame
    sha256: str

    @property
    def file(self) -> str:
        """The file as problems name it."""
        return str(self.path)

    def missing(self, required: tuple[str, ...] | frozenset[str]) -> list[str]:
        """The ``required`` columns not in the header, in the order given."""
        return [c for c in sorted(required) if c not in self.header]


def read_table(path: Path) -> tuple[SourceTable | None, list[Problem]]:
    """Read ``path``; ``None`` when the file cannot be read as a table at all."""
    file = str(path)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    text, problems = decode(data, file)
    if text is None:
        return None, problems
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = tuple(h.strip() for h in next(reader))
    except (StopIteration, csv.Error) as exc:
        problems.append(Problem(file, f"malformed CSV header: {exc}", code="csv-syntax", row=1))
        return None, problems
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(
                Problem(file, "duplicate column", code="duplicate-column", row=1, field=name)
            )
        seen.add(name)
    rows: list[list[str]] = []
    lines: list[int] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(file, f"malformed CSV: {exc}", code="csv-syntax", row=start))
            break
        if not any(c.strip() for c in cells):
            continue  # a blank line holds no row
        message = bad_bytes("".join(cells))
        if message is not None:
            problems.append(Problem(file, message, code="encoding", row=start))
            continue
        if len(cells) != len(header):
            problems.append(
                Problem(
                    file,
                    f"{len(cells)} cells but the header has {len(header)} columns",
                    code="ragged-row",
                    row=start,
                    value=shorten(",".join(cells)),
                )
            )
            continue
        rows.append([c.strip() for c in cells])
        lines.append(start)
    columns = list(dict.fromkeys(header))  # a duplicate column was reported above
    index = [header.index(c) for c in columns]
    frame = pd.DataFrame([[r[i] for i in index] for r in rows], columns=columns, dtype=object)
    frame = frame.astype("string").fillna("")
    frame[LINE] = pd.Series(lines, dtype="int64")
    return SourceTable(path, header, frame, digest), problems


def row_problems(
    table: SourceTable,
    mask: pd.Series,
    field: str,
    message: str,
    *,
    code: str,
    severity: str = "error",
) -> list[Problem]:
    """One problem per row where ``mask`` holds, naming the row's line, ``field`` and the
    cell's value."""
    rows = table.frame.loc[mask.fillna(False).astype(bool)]
    values = rows[field] if field in rows.columns else pd.Series("", index=rows.index)
    return [
        Problem(
            table.file,
            message,
            code=code,
            row=int(line),
            field=field,
            value=shorten(str(value)),
            severity="warning" if severity == "warning" else "error",
        )
        for line, value in zip(rows[LINE], values, strict=True)
    ]
