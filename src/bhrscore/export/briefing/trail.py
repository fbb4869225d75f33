"""The evidence trail and the validation findings, redacted once before any sheet is built.

This is the one place where evidence text enters the briefing: every sheet and the companion
file read the redacted :class:`Trail` (and the redacted findings), never the evidence frame's
text columns, so a change to what is redacted (other Unicode forms, names in URLs or ids) is
made here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...evidence.privacy import Counts, Privacy
from ..book import MAX_SHEET_ROWS, Sheet, Table, header_row
from ..cells import join_lists, large_strings, listed_rows, text_dtype

if TYPE_CHECKING:
    from ...evidence.report import ValidationReport

#: validation findings listed on the Data quality sheet (the rest are counted)
MAX_FINDINGS = 10_000
#: the evidence text fields the briefing shows (Summary, Source, and Company / group for
#: group-level testimony); protected names are redacted in them in every row. The persons
#: column is redacted too, a link carrying a name becomes its domain and title, an id
#: carrying a name a stable opaque id (:mod:`bhrscore.evidence.privacy`).
REDACTED_FIELDS = (
    "summary",
    "source_title",
    "group.description",
)
#: the columns of validation findings (Data quality sheet) that can quote evidence text
REDACTED_FINDINGS = ("message", "value")

#: (header, trail column, cell kind, width) of the Evidence sheet and the companion file
TRAIL_COLUMNS: tuple[tuple[str, str, Any, float | None], ...] = (
    ("Evidence id", "id", "text", 16),
    ("Company id", "company_id", "text", 16),
    ("Company / group", "company", "text", 28),
    ("Kind", "kind", "text", 14),
    ("Date", "date", "date", 11),
    ("Status", "status", "text", 12),
    ("Reliability", "reliability", "text", 10),
    ("Country", "country", "text", 8),
    ("Summary", "summary", "text", 70),
    ("Source", "source_title", "text", 30),
    ("Link", "source_url", "link", 40),
    ("Persons", "persons", "text", 18),
)
#: Evidence sheet rows by default: more records go, all of them, to the companion file.
#: Chosen by how long the workbook takes to open (LibreOffice, ``soffice --headless
#: --convert-to csv``, 1,000 companies, quiet 2-core machine, wall seconds, two runs each):
#: no evidence rows 2.6-3.0 s, 5,000 rows 2.6 s, 10,000 rows 2.5-2.9 s, 20,000 3.6 s,
#: 50,000 5.7 s. Up to 10,000 rows the sheet costs no measurable opening time; 50,000 rows
#: double it (an earlier, loaded-machine series agrees: 4.4 s empty, 9-11 s at 50,000).
#: Excel was not available to measure. See docs/briefing.md.
EVIDENCE_ROW_CAP = 10_000
#: the notes above the Evidence sheet's table (the sheet's layout: title, blank row, these
#: notes, blank row, header)
EVIDENCE_NOTES = 2


#: the trail's columns put in trail order from the evidence (persons and company follow)
TRAIL_ORDERED = (
    "id",
    "company_id",
    "group.description",
    "kind",
    "date",
    "status",
    "reliability",
    "country",
    "summary",
    "source_title",
    "source_url",
    "sensitive",
)


def evidence_capacity() -> int:
    """Records the Evidence sheet can hold below its title, notes and header."""
    probe = Sheet("Evidence", "", [*[""] * EVIDENCE_NOTES, Table([], main=True)])
    return MAX_SHEET_ROWS - header_row(probe, probe.tables()[0]) - 1


@dataclass(frozen=True)
class Trail:
    """The evidence trail: one row per record (columns of :data:`TRAIL_COLUMNS` plus
    ``group.description`` and ``sensitive``), sorted by company, date and id, with protected
    names already redacted unless personal data were included."""

    frame: pd.DataFrame
    protected: tuple[str, ...]  # persons of sensitive evidence (empty: nothing to redact)
    redacted_records: int
    redacted_cells: int
    redacted_urls: int = 0  # links carrying a name, shown as domain and title
    redacted_ids: int = 0  # ids carrying a name, replaced by opaque ids

    def __len__(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class Findings:
    """Validation findings for the Data quality sheet (at most :data:`MAX_FINDINGS`),
    redacted like the trail."""

    frame: pd.DataFrame
    total: int  # findings in the report
    redacted_cells: int


def _trail_order(
    company_id: pd.Series, when: pd.Series, record_id: pd.Series
) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Positions of the records sorted by company id, date and id (stable; missing values
    last), as ``sort_values`` would put them, computed on integer codes."""

    import pyarrow as pa
    import pyarrow.compute as pc

    try:  # one stable multi-key sort in Arrow (C++); strings compare by code point there too
        table = pa.table(
            {
                "company": _ranks(large_strings(company_id)),
                "when": pa.array(
                    when.to_numpy(dtype="datetime64[ns]"), mask=when.isna().to_numpy()
                ),
                "id": pa.array(record_id.array, type=pa.large_string()),
            }
        )
    except (pa.ArrowException, TypeError, ValueError):
        table = None
    if table is not None:
        keys = [("company", "ascending"), ("when", "ascending"), ("id", "ascending")]
        found = pc.sort_indices(table, sort_keys=keys)  # missing values last (the default)
        order: np.ndarray[Any, np.dtype[np.intp]] = found.to_numpy().astype(np.intp)
        return order

    def codes(series: pd.Series) -> np.ndarray[Any, np.dtype[np.int64]]:
        found, _ = pd.factorize(series, sort=True, use_na_sentinel=True)
        found = found.astype(np.int64)
        return np.where(found < 0, np.iinfo(np.int64).max, found)

    stamps = when.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    stamps = np.where(when.isna().to_numpy(), np.iinfo(np.int64).max, stamps)
    return np.lexsort((codes(record_id), stamps, codes(company_id)))


def _ranks(text: Any) -> Any:
    """Each entry's rank among the distinct values of the Arrow string array ``text``
    (missing stays missing): sorting by the ranks sorts by the text, comparing integers (a
    few thousand company ids repeat over millions of records)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(text)
    distinct = encoded.dictionary
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[pc.sort_indices(distinct).to_numpy()] = np.arange(len(distinct), dtype=np.int64)
    return pa.array(rank, type=pa.int64()).take(encoded.indices)


def build_trail(
    ev: pd.DataFrame,
    names: pd.Series,
    *,
    include_personal_data: bool,
    privacy: Privacy | None = None,
) -> Trail:
    """The redacted, sorted evidence trail of the evidence frame ``ev``; ``names`` maps
    company id to company name (the Company / group column). ``privacy``: the policy
    (default: the one of ``ev``).

    Redaction works row by row, so it runs on the evidence as given (the columns it
    rewrites, without copying the others) and each column is then put in trail order once;
    category columns are put in order as codes and only then become text."""
    if include_personal_data:
        privacy = Privacy(())
    elif privacy is None:
        privacy = Privacy.of(ev)
    protected = privacy.names

    def get(name: str, dtype: Any = None) -> pd.Series:
        if name in ev.columns:
            return ev[name]
        kind = text_dtype() if dtype is None else dtype
        return pd.Series([pd.NA] * len(ev), dtype=kind, index=ev.index)

    date = get("effective_date", "datetime64[ns]")
    if "effective_date" not in ev.columns:
        date = get("date", "datetime64[ns]")
    when = pd.to_datetime(date, errors="coerce")
    order = _trail_order(
        get("company_id").astype(text_dtype()), when, get("id").astype(text_dtype())
    )
    sensitive = get("sensitive", "boolean").astype("boolean")
    persons = ev["persons"] if "persons" in ev.columns else pd.Series([()] * len(ev))
    counts = Counts()
    redacted: dict[str, pd.Series] = {}
    if not include_personal_data:
        fields = ("id", *REDACTED_FIELDS, "source_url")
        shown = pd.DataFrame(
            {
                **{c: get(c).astype(text_dtype()) for c in fields},
                "persons": pd.Series(persons.to_numpy(dtype=object), index=ev.index),
                "sensitive": sensitive,
            },
            index=ev.index,
            copy=False,
        )
        redaction = privacy.frame(
            shown, text=REDACTED_FIELDS, ids=("id",), urls=(("source_url", "source_title"),)
        )
        redacted = {c: redaction.frame[c] for c in (*fields, "persons")}
        counts = redaction.counts

    def column(name: str) -> pd.Series:
        if name == "date":
            return when.take(order).reset_index(drop=True)
        if name == "sensitive":
            return sensitive.take(order).reset_index(drop=True)
        return _in_order(redacted[name] if name in redacted else get(name), order)

    trail = pd.DataFrame({name: column(name) for name in TRAIL_ORDERED}, copy=False)
    trail["persons"] = _joined_persons(
        pd.Series(redacted.get("persons", persons).to_numpy(dtype=object)[order], dtype=object)
    )
    trail["company"] = _companies(trail["company_id"], names, trail["group.description"])
    return Trail(trail, protected, counts.records, counts.cells, counts.urls, counts.ids)


def _in_order(series: pd.Series, order: np.ndarray[Any, np.dtype[np.intp]]) -> pd.Series:
    """``series`` as text, in trail ``order`` (a new index 0..n-1); a category column of
    text is put in order as codes and only then becomes text (in Arrow), not the other way
    round."""
    import pyarrow as pa

    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.cat.categories
        if all(type(c) is str for c in categories):
            codes = series.cat.codes.to_numpy()[order]
            labels = pa.array(list(categories), type=pa.large_string())
            text = labels.take(pa.array(codes, mask=codes < 0))
            return pd.Series(pd.arrays.ArrowStringArray(text))
    return series.astype(text_dtype()).take(order).reset_index(drop=True)


def _companies(company_id: pd.Series, names: pd.Series, description: pd.Series) -> pd.Series:
    """The Company / group column: each record's company name (missing for a company not in
    ``names``), and ``Group: <description>`` for group-level testimony (no company id)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = names.index
    testimony = np.flatnonzero(company_id.isna().to_numpy())
    described = "Group: " + description.iloc[testimony].fillna("(unnamed group)")
    if not (keys.is_unique and all(type(k) is str for k in keys)):
        company = company_id.map(names).astype(text_dtype())
        shown = pd.Series(described.to_numpy(), index=company.index[testimony], dtype=text_dtype())
        return company.mask(company_id.isna(), shown) if testimony.size else company
    # Arrow's hash lookup, then one take from the names and the testimony rows' texts
    found = pc.index_in(
        large_strings(company_id),
        value_set=pa.array(list(keys), type=pa.large_string()),
        skip_nulls=True,
    )
    values = pa.concat_arrays([large_strings(names), large_strings(described)])
    at = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    at[testimony] = len(names) + np.arange(testimony.size)
    taken = values.take(pa.array(at, mask=at < 0))
    return pd.Series(pd.arrays.ArrowStringArray(taken))


def _joined_persons(persons: pd.Series) -> pd.Series:
    """Persons lists as text (", "), missing where there are none; only the rows that list
    someone are visited."""
    import pyarrow as pa

    if persons.dtype != object:
        return join_lists(persons, ", ")
    listed = listed_rows(persons)
    slot = np.zeros(len(persons), dtype=np.int64)  # 0: no one listed (missing)
    slot[listed] = np.arange(1, listed.size + 1)
    joined = join_lists(persons.iloc[listed], ", ")
    texts = pa.concat_arrays([pa.nulls(1, pa.large_string()), large_strings(joined)])
    return pd.Series(pd.arrays.ArrowStringArray(texts.take(pa.array(slot))), index=persons.index)


def build_findings(
    report: ValidationReport, protected: tuple[str, ...], *, include_personal_data: bool = False
) -> Findings | None:
    """The first :data:`MAX_FINDINGS` problems of ``report`` as a frame, with ``protected``
    names (and those of rejected sensitive records) redacted in their message and value, and
    no value shown for a rejected record that is or may be sensitive; ``None`` when there
    are none."""
    if not report.problems:
        return None
    shown = report
    if not include_personal_data:
        privacy = Privacy(tuple(sorted(set(protected) | set(Privacy.of(None, report).names))))
        shown = privacy.report(report)
    problems = shown.problems[:MAX_FINDINGS]
    frame = pd.DataFrame(
        {
            "severity": [p.severity for p in problems],
            "file": [p.file for p in problems],
            "sheet": [p.sheet for p in problems],
            "row": [p.row for p in problems],
            "column": [getattr(p, "column", None) for p in problems],
            "field": [p.field for p in problems],
            "code": [p.code for p in problems],
            "message": [p.message for p in problems],
            "value": [p.value for p in problems],
        }
    )
    before = report.problems[:MAX_FINDINGS]
    cells = sum(
        (a.message != b.message) + (a.value != b.value)
        for a, b in zip(before, problems, strict=True)
        if a is not b
    )
    return Findings(frame, len(report.problems), cells)


def companion_frame(trail: Trail) -> pd.DataFrame:
    """The trail as the companion file holds it: the Evidence sheet's columns and headers."""
    names = {c: h for h, c, _, _ in TRAIL_COLUMNS}
    return trail.frame[[c for _, c, _, _ in TRAIL_COLUMNS]].rename(columns=names)
