"""The Evidence sheet: the redacted evidence trail, with a link to the first source of each
record; when the trail does not fit, the first records and a note naming the companion file
that holds all of them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..book import Block, FileLink, Sheet, Table, TableColumn
from ..cells import text_dtype
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
    at = next((i for i, c in enumerate(TRAIL_COLUMNS) if c[1] == "date"), len(cols) - 1)
    cols.insert(at + 1, TableColumn.from_series("Period", periods(inputs, shown["id"]), width=23))
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
    table = Table(cols, main=True, freeze_cols=1, highlights={"Status": STATUS_COLOURS})
    return Sheet(EVIDENCE, TITLE, [*lines, table])


#: background of each evidence status on the Evidence sheet (established facts green,
#: claims amber, contested red, withdrawn grey)
STATUS_COLOURS: dict[str, str] = {
    "verified": "#C6EFCE",
    "corroborated": "#E2F0D9",
    "alleged": "#FFEB9C",
    "disputed": "#FFC7CE",
    "retracted": "#D9D9D9",
}


def periods(inputs: BriefingInputs, ids: pd.Series) -> pd.Series:
    """The period each record covers, as a range ("2021-01-01 – 2021-12-31"; one end when
    only one is known), by evidence id (dates are not personal text: nothing to redact)."""
    ev = inputs.records
    n = len(ids)
    if ev is None or "id" not in ev.columns or not {"period.start", "period.end"} <= set(ev):
        return pd.Series([pd.NA] * n, dtype=text_dtype())

    # each id's first record, found for the ids shown only (the sheet lists at most
    # EVIDENCE_ROW_CAP records; the evidence may hold millions)
    # (Arrow's hash lookup gives the position of an id's first record, -1 when absent)
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = pa.large_string()
    ev_ids = pa.array(ev["id"].astype(text_dtype()).array).cast(kind)
    wanted = pa.array(ids.astype(text_dtype()).array).cast(kind)
    found = pc.index_in(wanted, value_set=ev_ids).fill_null(-1).to_numpy(zero_copy_only=False)
    rows = found[found >= 0]

    def day(name: str) -> pd.Series:
        stamps = pd.to_datetime(ev[name].iloc[rows], errors="coerce")
        fast = _iso_days(stamps)
        if fast is not None:
            return fast
        return pd.Series(stamps.dt.strftime("%Y-%m-%d").to_numpy(), dtype=text_dtype())

    start, end = day("period.start"), day("period.end")
    text = (start + " – " + end).fillna(start).fillna(end)
    text = text.mask((start == end).fillna(False), start)
    out = pd.Series([pd.NA] * n, dtype=text_dtype())
    out.iloc[np.flatnonzero(found >= 0)] = text.to_numpy()
    return out


#: the dates whose ISO text (pyarrow's cast) is what ``strftime("%Y-%m-%d")`` gives: years
#: of four digits
_ISO_RANGE = (np.datetime64("1000-01-01", "D"), np.datetime64("9999-12-31", "D"))


def _iso_days(stamps: pd.Series) -> pd.Series | None:
    """``stamps.dt.strftime("%Y-%m-%d")`` as text (missing where ``NaT``) by pyarrow's cast
    of the days instead of a Python call per date, for time-zone-naive stamps in years of
    four digits; ``None`` for others."""
    import pyarrow as pa

    if not (isinstance(stamps.dtype, np.dtype) and stamps.dtype.kind == "M"):
        return None
    days = stamps.to_numpy().astype("datetime64[D]")
    known = days[~np.isnat(days)]
    if known.size and (known.min() < _ISO_RANGE[0] or known.max() > _ISO_RANGE[1]):
        return None
    text = pa.array(days, from_pandas=True).cast(pa.large_string())
    return pd.Series(text_dtype().__from_arrow__(text))  # type: ignore[attr-defined]
