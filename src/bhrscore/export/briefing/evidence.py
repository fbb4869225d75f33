"""The Evidence sheet: the redacted evidence trail, with a link to the first source of each
record; when the trail does not fit, the first records and a note naming the companion file
that holds all of them."""

from __future__ import annotations

from ..book import Block, FileLink, Sheet, Table, TableColumn
from .inputs import BriefingInputs
from .registry import EVIDENCE, briefing_sheet
from .trail import EVIDENCE_NOTES, TRAIL_COLUMNS

TITLE = "Evidence trail"


@briefing_sheet(EVIDENCE, order=60)
def evidence_sheet(inputs: BriefingInputs) -> Sheet:
    trail = inputs.trail
    if trail is None:
        note = "No evidence was given to the briefing (pass evidence= / a bundle)."
        empty = [TableColumn(h, k, [], w) for h, _, k, w in TRAIL_COLUMNS]
        return Sheet(EVIDENCE, TITLE, [note, Table(empty, main=True)])
    n = len(trail)
    shown = trail.frame.iloc[: inputs.evidence_rows] if inputs.overflow else trail.frame
    cols = [TableColumn.from_series(h, shown[c], k, width=w) for h, c, k, w in TRAIL_COLUMNS]
    lines: list[Block] = [
        f"{n:,} evidence records, sorted by company, date and id. Links open the first source; "
        "Excel allows 65,530 links per sheet, later sources are shown as text.",
        (
            FileLink(
                f"Only the first {len(shown):,} records are listed here; all {n:,} are in "
                f"{inputs.companion_name} beside this workbook (same ids and columns).",
                inputs.companion_name,
            )
            if inputs.overflow
            else "All records are listed. " + inputs.personal_data_note()
        ),
    ]
    assert len(lines) == EVIDENCE_NOTES  # the layout evidence_capacity() assumes
    return Sheet(EVIDENCE, TITLE, [*lines, Table(cols, main=True, freeze_cols=1)])
