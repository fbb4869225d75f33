"""The Data quality sheet: records read / valid / rejected, validation findings (redacted),
evidence counts by kind and status, and coverage per company and theme."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..book import Block, Sheet, Table, TableColumn
from ..cells import text_dtype
from .columns import values
from .inputs import BriefingInputs
from .registry import QUALITY, briefing_sheet
from .trail import MAX_FINDINGS, Findings


@briefing_sheet(QUALITY, order=80)
def quality_sheet(inputs: BriefingInputs) -> Sheet:
    report = inputs.report
    ev = inputs.records
    blocks: list[Block] = []
    if report is None:
        blocks.append("No validation report was given.")
    else:
        for table in ("companies", "evidence"):
            read = report.read.get(table, 0)
            valid = report.valid.get(table, 0)
            blocks.append(
                f"{table.capitalize()}: {read:,} read, {valid:,} valid, "
                f"{report.rejected_count(table):,} rejected."
            )
        blocks.append(
            f"Validation: {len(report.errors):,} errors, {len(report.warnings):,} warnings."
        )
    blocks.append(_privacy_line(inputs))
    if ev is not None:
        blocks.append(_status_table(ev))
    if inputs.findings is not None:
        blocks.append(_findings_table(inputs.findings))
        if inputs.findings.total > MAX_FINDINGS:
            blocks.append(
                f"{inputs.findings.total - MAX_FINDINGS:,} more findings are not listed; "
                "see `bhrscore validate`."
            )
    blocks.append(_coverage_table(inputs))
    return Sheet(QUALITY, "Data quality: coverage, validation and evidence counts", blocks)


def _privacy_line(inputs: BriefingInputs) -> str:
    """What the privacy policy replaced (:mod:`bhrscore.evidence.privacy`)."""
    if inputs.include_personal_data:
        return "Personal data: included at the user's request; nothing was redacted."
    return (
        f"Personal data redacted: names of protected persons in {inputs.redacted_records:,} "
        f"evidence records ({inputs.redacted_cells:,} cells); {inputs.redacted_urls:,} links "
        f"carrying a name shown as domain and title without a link target; "
        f"{inputs.redacted_ids:,} evidence ids carrying a name replaced by stable opaque ids."
    )


def _status_table(ev: pd.DataFrame) -> Table:
    from ...evidence.vocab import Status

    counts = _crosstab(ev["kind"], ev["status"])
    order = [s.value for s in Status if s.value in counts.columns]
    order += sorted(c for c in counts.columns if c not in order)
    counts = counts.reindex(columns=order).sort_index()
    cols = [TableColumn.from_series("Kind", pd.Series(counts.index, dtype=text_dtype()), width=16)]
    for name in order:
        cols.append(TableColumn.from_series(name, counts[name], "integer", scale="count"))
    cols.append(TableColumn.from_series("all", counts.sum(axis=1), "integer"))
    return Table(cols, title="Evidence records by kind and status")


def _crosstab(kind: pd.Series, status: pd.Series) -> pd.DataFrame:
    """Records per kind (rows) and status (columns) as text, missing values counted as
    "unknown": ``pd.crosstab`` of the two columns as text, counted on their codes (no text
    made for each of a million records)."""
    labels = []
    codes = []
    for column in (kind, status):
        found, distinct = pd.factorize(column)  # missing: -1
        names = [*(str(v) for v in distinct), "unknown"]
        labels.append(np.array(names, dtype=object))
        codes.append(np.where(found < 0, len(names) - 1, found))
    width = len(labels[1])
    n = np.bincount(codes[0] * width + codes[1], minlength=len(labels[0]) * width)
    pairs = np.flatnonzero(n)
    table = pd.DataFrame(
        {
            "kind": labels[0][pairs // width],
            "status": labels[1][pairs % width],
            "n": n[pairs].astype(np.int64),
        }
    )
    return table.pivot_table(
        index="kind", columns="status", values="n", aggfunc="sum", fill_value=0
    ).astype(np.int64)


def _findings_table(findings: Findings) -> Table:
    frame = findings.frame
    cols = [
        TableColumn.from_series("Severity", frame["severity"], width=9),
        TableColumn.from_series("File", frame["file"], width=30),
        TableColumn.from_series("Sheet", frame["sheet"], width=12),
        TableColumn.from_series("Row", pd.to_numeric(frame["row"]), "integer", width=7),
        TableColumn.from_series("Column", frame["column"], width=7),
        TableColumn.from_series("Field", frame["field"], width=20),
        TableColumn.from_series("Code", frame["code"], width=16),
        TableColumn.from_series("Message", frame["message"], width=60),
        TableColumn.from_series("Value", frame["value"], width=30),
    ]
    return Table(cols, title="Validation findings carried over from loading")


def _coverage_table(inputs: BriefingInputs) -> Table:
    ev = inputs.records
    nodes = inputs.card.nodes
    cov = nodes.pivot_table(
        index="company_id", columns="node_id", values="coverage", aggfunc="first"
    )
    ids = inputs.companies["company_id"]
    cov = cov.reindex(ids.to_numpy())
    cols = [
        TableColumn.from_series("Rank", inputs.companies["rank"], "integer", width=6),
        TableColumn.from_series("Company id", ids, width=16),
        TableColumn.from_series("Company", inputs.companies["name"], width=30),
        TableColumn.from_series(
            "Total coverage", inputs.companies["coverage"], "percent", scale="coverage"
        ),
    ]
    for theme in inputs.theme_ids:
        column = cov[theme] if theme in cov.columns else None
        cols.append(
            TableColumn.from_series(
                inputs.label(theme), values(column, len(ids)), "percent", scale="coverage"
            )
        )
    if ev is not None and "company_id" in ev.columns:
        counts = ev["company_id"].astype(text_dtype()).value_counts()
        records = ids.map(counts).fillna(0)
        cols.append(TableColumn.from_series("Evidence records", records, "integer"))
    return Table(
        cols,
        title="Coverage: share of indicator weight backed by evidence, per company and theme",
        main=True,
        freeze=False,
    )
