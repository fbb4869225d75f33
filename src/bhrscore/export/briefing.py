"""The investor briefing workbook: ``write_briefing(scorecard, path, ...)``.

Sheets (see ``docs/briefing.md``): Summary, By origin, By sector, Companies, Indicators,
Evidence, Method, Data quality. The content is prepared with pandas
(:func:`prepare_briefing`) and written by :mod:`.book`; every text cell is sanitised by
:mod:`.cells`; named persons in sensitive evidence are redacted unless
``include_personal_data=True``; the file is written atomically and the same inputs give
identical bytes (document dates come from ``as_of``).

Evidence beyond what one sheet holds (1,048,576 rows) is written in full to a companion file
beside the workbook (``<name>.evidence.csv`` or ``.parquet``), and the workbook says so; a
companion left by an earlier run that the new workbook does not refer to is removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ..io import atomic_path
from .book import MAX_SHEET_ROWS, ChartSpec, Sheet, Table, TableColumn, header_row, render
from .cells import join_lists, names_pattern, protected_names, redact_frame, redact_series
from .tables import write_frame

if TYPE_CHECKING:
    from ..analysis.compare import Comparison
    from ..evidence.evidence_set import EvidenceSet
    from ..evidence.frame import Frames
    from ..evidence.report import ValidationReport
    from ..rubric.scorecard import ScoreCard

SHEET_NAMES = (
    "Summary",
    "By origin",
    "By sector",
    "Companies",
    "Indicators",
    "Evidence",
    "Method",
    "Data quality",
)
#: validation findings listed on the Data quality sheet (the rest are counted)
MAX_FINDINGS = 10_000
#: the evidence text fields the briefing shows (Summary, Source, and Company / group for
#: group-level testimony); protected names are redacted in them in every row. The persons
#: column is redacted too; ids, codes, dates and the link target are not text that names anyone.
REDACTED_FIELDS = (
    "summary",
    "source_title",
    "group.description",
)
#: the columns of validation findings (Data quality sheet) that can quote evidence text
REDACTED_FINDINGS = ("message", "value")
OverflowFormat = Literal["csv", "parquet"]


@dataclass(frozen=True)
class BriefingResult:
    """What :func:`write_briefing` wrote."""

    path: Path
    sheets: tuple[str, ...]
    companion: Path | None = None
    evidence_rows: int = 0  # evidence records on the Evidence sheet
    evidence_total: int = 0  # evidence records given
    redacted_records: int = 0  # evidence records in which names were redacted
    redacted_cells: int = 0  # cells in which names were redacted (evidence and findings)
    links_as_text: dict[str, int] = field(default_factory=dict)


@dataclass
class Briefing:
    """The prepared workbook: sheets, plus the full evidence trail when it overflows."""

    sheets: list[Sheet]
    properties: dict[str, str]
    created: dt.datetime
    overflow: pd.DataFrame | None = None
    evidence_rows: int = 0
    evidence_total: int = 0
    redacted_records: int = 0
    redacted_cells: int = 0


# --- public entry points ---------------------------------------------------------------------


def write_briefing(
    scorecard: ScoreCard,
    path: str | os.PathLike[str],
    *,
    comparisons: Mapping[str, Comparison] | Iterable[Comparison] | None = None,
    evidence: EvidenceSet | Frames | pd.DataFrame | None = None,
    report: ValidationReport | None = None,
    include_personal_data: bool = False,
    origin_groups: Any = None,
    evidence_row_limit: int | None = None,
    overflow_format: OverflowFormat = "csv",
) -> BriefingResult:
    """Write the investor briefing for ``scorecard`` to ``path`` (.xlsx).

    ``comparisons``: results of :func:`bhrscore.analysis.compare.compare` (by
    ``origin_group`` and/or ``sector``), shown with their intervals and warnings on the By
    origin and By sector sheets; without them those sheets show descriptive statistics.
    ``evidence``: the evidence set (or its frames, or the evidence frame) for the Evidence
    trail and the counts on Data quality; ``report``: the validation report (taken from
    ``evidence.report`` when not given). Names in ``persons`` of sensitive evidence are
    redacted wherever they appear in the evidence text shown (:data:`REDACTED_FIELDS`, persons
    lists, validation findings) unless ``include_personal_data``. ``evidence_row_limit`` caps
    the rows of the Evidence sheet (default: what a sheet holds); when records are left out,
    all of them go to a companion ``<name>.evidence.csv`` (or ``.parquet``) beside the workbook.

    The workbook and the companion are written atomically (temporary file, then rename): a
    failure leaves no file at ``path``.

    >>> write_briefing(card, "out/briefing.xlsx", evidence=ev)  # doctest: +SKIP
    """
    target = Path(path)
    if overflow_format not in ("csv", "parquet"):
        raise ValueError(f"overflow_format must be 'csv' or 'parquet', not {overflow_format!r}")
    briefing = prepare_briefing(
        scorecard,
        comparisons=comparisons,
        evidence=evidence,
        report=report,
        include_personal_data=include_personal_data,
        origin_groups=origin_groups,
        evidence_row_limit=evidence_row_limit,
        companion_name=companion_path(target, overflow_format).name,
    )
    companion: Path | None = None
    with contextlib.ExitStack() as stack:
        if briefing.overflow is not None:
            companion = companion_path(target, overflow_format)
            tmp_companion = stack.enter_context(atomic_path(companion))
            _write_companion(briefing.overflow, tmp_companion, overflow_format)
        tmp = stack.enter_context(atomic_path(target))
        stats = render(
            briefing.sheets, tmp, created=briefing.created, properties=briefing.properties
        )
    _remove_stale_companions(target, keep=companion)
    return BriefingResult(
        path=target,
        sheets=tuple(s.name for s in briefing.sheets),
        companion=companion,
        evidence_rows=briefing.evidence_rows,
        evidence_total=briefing.evidence_total,
        redacted_records=briefing.redacted_records,
        redacted_cells=briefing.redacted_cells,
        links_as_text=stats.links_as_text,
    )


def companion_path(path: Path, fmt: OverflowFormat = "csv") -> Path:
    """``briefing.xlsx`` -> ``briefing.evidence.csv`` (or ``.parquet``)."""
    return path.with_name(f"{path.stem}.evidence.{fmt}")


def _remove_stale_companions(path: Path, keep: Path | None) -> None:
    """After a successful write: remove companion files of ``path`` from earlier runs (the
    other format, or both when this run had no overflow), so no outdated evidence, possibly
    with names an earlier run did not redact, is left beside the new workbook."""
    for fmt in ("csv", "parquet"):
        old = companion_path(path, fmt)
        if old != keep:
            old.unlink(missing_ok=True)


def prepare_briefing(
    scorecard: ScoreCard,
    *,
    comparisons: Mapping[str, Comparison] | Iterable[Comparison] | None = None,
    evidence: EvidenceSet | Frames | pd.DataFrame | None = None,
    report: ValidationReport | None = None,
    include_personal_data: bool = False,
    origin_groups: Any = None,
    evidence_row_limit: int | None = None,
    companion_name: str = "briefing.evidence.csv",
) -> Briefing:
    """Build the sheets of the briefing (no file is written)."""
    ev_frame, report = _evidence_inputs(evidence, report)
    ctx = _Context.build(scorecard, origin_groups, include_personal_data)
    if ev_frame is not None and not include_personal_data:
        ctx.protected = protected_names(ev_frame)
    by_key = _route(comparisons)
    trail = _trail(ev_frame, ctx) if ev_frame is not None else None
    evidence_sheet, shown, overflow = _evidence_sheet(
        trail, ctx, evidence_row_limit, companion_name
    )
    ctx.evidence_rows = shown
    ctx.overflow_note = (
        None
        if overflow is None
        else f"The Evidence sheet lists {shown:,} of {len(overflow):,} records (a sheet holds "
        f"at most {MAX_SHEET_ROWS:,} rows); all records are in {companion_name} beside "
        "this workbook."
    )
    quality = _quality_sheet(ctx, ev_frame, report)  # before the notes that count redactions
    summary = _summary_sheet(ctx)
    sheets = [
        summary,
        _group_sheet(ctx, "origin_group", "By origin", by_key.get("origin_group", [])),
        _group_sheet(ctx, "sector", "By sector", by_key.get("sector", [])),
        _companies_sheet(ctx),
        _indicators_sheet(ctx),
        evidence_sheet,
        _method_sheet(ctx, trail, comparisons=by_key),
        quality,
    ]
    summary.chart = _origin_chart(sheets[1])
    meta = scorecard.meta
    return Briefing(
        sheets=sheets,
        properties={
            "title": f"Investor briefing: {meta.rubric_id} {meta.rubric_version}",
            "subject": f"Labour-rights accountability scores as of {meta.as_of.isoformat()}",
            "author": "bhrscore",
            "company": "",
            "keywords": "bhrscore, labour rights, briefing",
            "comments": (
                f"rubric {meta.rubric_id} {meta.rubric_version} ({meta.rubric_hash}); "
                f"evidence {meta.evidence_hash}; bhrscore {meta.bhrscore_version}"
            ),
        },
        created=dt.datetime.combine(meta.as_of, dt.time(0, 0)),
        overflow=overflow,
        evidence_rows=shown,
        evidence_total=0 if trail is None else len(trail),
        redacted_records=ctx.redacted_records,
        redacted_cells=ctx.redacted_cells,
    )


# --- inputs ----------------------------------------------------------------------------------


def _evidence_inputs(
    evidence: Any, report: ValidationReport | None
) -> tuple[pd.DataFrame | None, ValidationReport | None]:
    if evidence is None:
        return None, report
    if isinstance(evidence, pd.DataFrame):
        return evidence, report
    if hasattr(evidence, "frames") and callable(evidence.frames):  # EvidenceSet
        rep = report if report is not None else getattr(evidence, "report", None)
        return evidence.frames().evidence, rep
    if hasattr(evidence, "evidence") and isinstance(evidence.evidence, pd.DataFrame):
        return evidence.evidence, report  # Frames
    raise TypeError(
        "evidence must be an EvidenceSet, Frames or the evidence DataFrame, not "
        f"{type(evidence).__name__}"
    )


def _route(
    comparisons: Mapping[str, Comparison] | Iterable[Comparison] | None,
) -> dict[str, list[Comparison]]:
    if comparisons is None:
        return {}
    items = list(comparisons.values()) if isinstance(comparisons, Mapping) else list(comparisons)
    routed: dict[str, list[Comparison]] = {}
    for comparison in items:
        by = tuple(getattr(comparison, "by", ()))
        for key in ("origin_group", "sector"):
            if key in by:
                routed.setdefault(key, []).append(comparison)
                break
    return routed


@dataclass
class _Context:
    """What every sheet needs: companies in rank order, labels, the rubric and notes."""

    card: ScoreCard
    companies: pd.DataFrame  # score card companies in rank order, with origin_group, sector
    theme_ids: list[str]
    labels: dict[str, str]  # node / indicator id -> title
    indicator_ids: list[str]
    include_personal_data: bool
    origin_note: str
    protected: tuple[str, ...] = ()  # persons of sensitive evidence (empty: nothing redacted)
    redacted_records: int = 0
    redacted_cells: int = 0
    evidence_rows: int = 0
    overflow_note: str | None = None

    @classmethod
    def build(cls, card: ScoreCard, origin_groups: Any, include_personal: bool) -> _Context:
        companies = card.companies.copy()
        companies["company_id"] = companies["company_id"].astype("string")
        rank = pd.to_numeric(companies["rank"], errors="coerce").astype("float64")
        companies = (
            companies.assign(_rank=rank.fillna(float("inf")))
            .sort_values(["_rank", "company_id"], kind="stable")
            .drop(columns="_rank")
            .reset_index(drop=True)
        )
        companies["origin_group"], origin_note = _origin_groups(companies, origin_groups)
        companies["sector"] = _joined(companies.get("sectors"), len(companies))
        theme_ids = [c.removeprefix("theme:") for c in companies.columns if c.startswith("theme:")]
        labels, indicator_ids = _rubric_labels(card)
        return cls(
            card,
            companies,
            theme_ids,
            labels,
            indicator_ids,
            include_personal,
            origin_note,
        )

    @property
    def names(self) -> pd.Series:
        return pd.Series(
            self.companies["name"].astype("string").to_numpy(),
            index=self.companies["company_id"].to_numpy(),
        )

    def label(self, node_id: str) -> str:
        return self.labels.get(node_id, node_id)

    def header_lines(self) -> list[str]:
        meta = self.card.meta
        lines = [
            f"Rubric: {self._rubric_title()} ({meta.rubric_id}, version {meta.rubric_version})",
            f"As of: {meta.as_of.isoformat()}",
            f"Evidence set: {meta.evidence_hash} ({len(self.companies):,} companies scored)",
            f"Rubric hash: {meta.rubric_hash}; bhrscore {meta.bhrscore_version}",
            self.personal_data_note(),
        ]
        if self.overflow_note:
            lines.append(self.overflow_note)
        return lines

    def personal_data_note(self) -> str:
        if self.include_personal_data:
            return (
                "Personal data: INCLUDED at the user's request (--include-personal-data); names "
                "of persons in sensitive evidence are shown."
            )
        return (
            "Personal data: names listed as persons in sensitive evidence are replaced by "
            "[redacted] wherever they appear in evidence text (summaries, source titles, group "
            "descriptions, persons lists, validation findings), and the persons of sensitive "
            f"records are only counted ({self.redacted_records:,} records and "
            f"{self.redacted_cells:,} cells affected)."
        )

    def _rubric_title(self) -> str:
        return str(getattr(self.card.rubric, "title", "") or self.card.meta.rubric_id)


def _joined(series: pd.Series | None, n: int) -> pd.Series:
    if series is None:
        return pd.Series([pd.NA] * n, dtype="string")
    return join_lists(series, ", ", sort=True)


def _origin_groups(companies: pd.DataFrame, origin_groups: Any) -> tuple[pd.Series, str]:
    """Each company's origin group(s), joined; a company operating in several hosts may
    belong to more than one (see ``analysis.origin``)."""
    try:
        from ..analysis.origin import company_origin, load_origin_groups

        grouping = load_origin_groups(origin_groups)
        table = company_origin(companies, grouping)
    except (ImportError, KeyError):  # pragma: no cover - analysis stage missing
        return pd.Series([pd.NA] * len(companies), dtype="string"), "origin groups unavailable"
    groups = (
        table.dropna(subset=["origin_group"])
        .groupby("company_id", sort=True)["origin_group"]
        .agg(lambda s: ", ".join(sorted(set(map(str, s)))))
    )
    mapped = companies["company_id"].map(groups).astype("string")
    source = getattr(grouping, "source", "the default grouping")
    return mapped, f"Origin groups from {source}, relative to each host country."


def _rubric_labels(card: ScoreCard) -> tuple[dict[str, str], list[str]]:
    labels: dict[str, str] = {"total": "Total"}
    indicators: list[str] = []
    rubric = card.rubric
    walk = getattr(rubric, "walk", None)
    if callable(walk):
        for info in walk():
            labels[info.node.id] = str(info.node.title)
            if info.node.is_indicator:
                indicators.append(info.node.id)
    if not indicators:  # a score card without a usable rubric: keep its order
        indicators = list(dict.fromkeys(card.indicators["indicator_id"].astype(str)))
    return labels, indicators


# --- Summary ---------------------------------------------------------------------------------


def _summary_sheet(ctx: _Context) -> Sheet:
    c = ctx.companies
    cols = [
        TableColumn.from_series("Rank", c["rank"], "integer", width=6),
        TableColumn.from_series("Company", c["name"], width=34),
        TableColumn.from_series("Company id", c["company_id"], width=16),
        TableColumn.from_series("Origin group", c["origin_group"], width=14),
        TableColumn.from_series("Origin country", c.get("origin_country", _na(c)), width=9),
        TableColumn.from_series("Sector", c["sector"], width=20),
        TableColumn.from_series("Total", c["total"], "score", scale="score", width=8),
    ]
    for theme in ctx.theme_ids:
        cols.append(
            TableColumn.from_series(
                ctx.label(theme), c[f"theme:{theme}"], "score", scale="score", width=12
            )
        )
    cols.append(TableColumn.from_series("Coverage", c["coverage"], "percent", scale="coverage"))
    cols.append(
        TableColumn.from_series(
            "Total before penalties", c["total_before_penalties"], "score", width=11
        )
    )
    lines = [
        *ctx.header_lines(),
        "Scores run from 0 to 100 (higher is better); rank 1 is the best. Colours: red 0, "
        "yellow 50, green 100. Coverage is the share of indicator weight backed by evidence.",
    ]
    table = Table(cols, title="Companies ranked by total score", main=True, freeze_cols=3)
    return Sheet("Summary", "Investor briefing: labour-rights accountability", [*lines, table])


def _na(frame: pd.DataFrame) -> pd.Series:
    return pd.Series([pd.NA] * len(frame), dtype="string")


def _origin_chart(sheet: Sheet) -> ChartSpec | None:
    tables = sheet.tables()
    if not tables or tables[0].n_rows == 0:
        return None
    first = tables[0]
    headers = [c.header for c in first.columns]
    plus = minus = None
    if "CI low" in headers and "CI high" in headers:
        mean = first.columns[headers.index("Mean")].values
        low = first.columns[headers.index("CI low")].values
        high = first.columns[headers.index("CI high")].values
        if all(v is not None for v in (*mean, *low, *high)):
            plus = [h - m for h, m in zip(high, mean, strict=True)]
            minus = [m - lo for m, lo in zip(mean, low, strict=True)]
    return ChartSpec(
        title="Mean total score by origin group",
        sheet=sheet.name,
        table=sheet.blocks.index(first),
        categories=headers.index("Group"),
        values=headers.index("Mean"),
        plus=plus,
        minus=minus,
    )


# --- By origin / By sector -------------------------------------------------------------------


def _units(ctx: _Context, key: str) -> pd.DataFrame:
    """One row per company and group (a company in two sectors counts in both)."""
    c = ctx.companies
    if key == "sector":
        sectors = c.get("sectors")
        values = (
            sectors.map(lambda v: tuple(v) if isinstance(v, tuple | list) and v else ("unknown",))
            if sectors is not None
            else pd.Series([("unknown",)] * len(c))
        )
    else:
        values = c["origin_group"].map(
            lambda v: tuple(v.split(", ")) if isinstance(v, str) else ("unknown",)
        )
    units = pd.DataFrame(
        {"company_id": c["company_id"], "group": values, "total": c["total"]}
    ).explode("group")
    units["group"] = units["group"].astype("string")
    return units


def _descriptive(ctx: _Context, key: str) -> pd.DataFrame:
    units = _units(ctx, key)
    total = pd.to_numeric(units["total"], errors="coerce").astype("float64")
    grouped = units.assign(total=total).groupby("group", sort=True)["total"]
    return pd.DataFrame(
        {
            "companies": grouped.size(),
            "scored": grouped.count(),
            "mean": grouped.mean(),
            "median": grouped.median(),
            "min": grouped.min(),
            "max": grouped.max(),
        }
    ).reset_index()


def _group_overview(ctx: _Context, key: str, comparisons: Sequence[Comparison]) -> Table:
    label = "origin group" if key == "origin_group" else "sector"
    for comparison in comparisons:
        groups = comparison.groups
        if comparison.by != (key,) or "metric" not in groups or "stratum" not in groups:
            continue
        rows = groups[(groups["metric"] == "total") & (groups["stratum"] == "all")]
        if rows.empty:
            continue
        rows = rows.sort_values("group", kind="stable")
        level = rows["ci_level"].dropna()
        pct = f"{float(level.iloc[0]):.0%}" if len(level) else ""
        cols = [
            TableColumn.from_series("Group", rows["group"], width=18),
            TableColumn.from_series("Companies", rows["n"], "integer"),
            TableColumn.from_series("Mean", rows["mean"], "score", scale="score"),
            TableColumn.from_series("Median", rows["median"], "score"),
            TableColumn.from_series("CI low", rows["ci_low"], "score"),
            TableColumn.from_series("CI high", rows["ci_high"], "score"),
            TableColumn.from_series("Mean coverage", rows["coverage_mean"], "percent"),
            TableColumn.from_series("Warning", rows["warning"], width=50),
        ]
        title = f"Total score by {label} (mean with {pct} bootstrap interval)"
        return Table(cols, title=title, main=True, freeze=False)
    d = _descriptive(ctx, key)
    cols = [
        TableColumn.from_series("Group", d["group"], width=18),
        TableColumn.from_series("Companies", d["companies"], "integer"),
        TableColumn.from_series("Scored", d["scored"], "integer"),
        TableColumn.from_series("Mean", d["mean"], "score", scale="score"),
        TableColumn.from_series("Median", d["median"], "score"),
        TableColumn.from_series("Min", d["min"], "score"),
        TableColumn.from_series("Max", d["max"], "score"),
    ]
    return Table(cols, title=f"Total score by {label} (descriptive)", main=True, freeze=False)


_KIND_BY_COLUMN: dict[str, str] = {
    "n": "integer",
    "n_a": "integer",
    "n_b": "integer",
    "n_missing": "integer",
    "n_low_coverage": "integer",
    "p_value": "p",
    "p_adjusted": "p",
    "coverage_mean": "percent",
    "ci_level": "percent",
}


def frame_table(frame: pd.DataFrame, title: str | None = None) -> Table:
    """A table of any frame, the kind of each column taken from its dtype and name."""
    cols = []
    for name in frame.columns:
        series = frame[name]
        kind: Any = _KIND_BY_COLUMN.get(str(name))
        if kind is None:
            if pd.api.types.is_bool_dtype(series.dtype):
                series = series.map({True: "yes", False: "no"}, na_action="ignore")
                kind = "text"
            elif pd.api.types.is_integer_dtype(series.dtype):
                kind = "integer"
            elif pd.api.types.is_float_dtype(series.dtype):
                kind = "score"
            elif pd.api.types.is_datetime64_any_dtype(series.dtype):
                kind = "date"
            else:
                kind = "text"
        cols.append(TableColumn.from_series(str(name), series, kind))
    return Table(cols, title=title)


def _group_sheet(ctx: _Context, key: str, name: str, comparisons: Sequence[Comparison]) -> Sheet:
    label = "origin group" if key == "origin_group" else "sector"
    blocks: list[str | Table] = []
    if key == "origin_group":
        blocks.append(ctx.origin_note)
    else:
        blocks.append("A company listed in several sectors counts in each of them.")
    if not comparisons:
        blocks.append(
            f"No statistical comparison was given; run `bhrscore compare --by {key}` or pass "
            "comparisons= for intervals, tests and small-group warnings."
        )
    for comparison in comparisons:
        for warning in comparison.warnings()[:50]:
            blocks.append(f"Warning: {warning}")
    blocks.append(_group_overview(ctx, key, comparisons))
    for comparison in comparisons:
        within = f" within {', '.join(comparison.within)}" if comparison.within else ""
        blocks.append(
            frame_table(comparison.groups, f"Groups: {comparison.metric} by {label}{within}")
        )
        blocks.append(
            frame_table(
                comparison.pairwise,
                f"Pairwise differences of means{within} (permutation test, adjusted p-values)",
            )
        )
    return Sheet(name, f"Scores by {label}", blocks)


# --- Companies and Indicators ----------------------------------------------------------------


def _companies_sheet(ctx: _Context) -> Sheet:
    card = ctx.card
    c = ctx.companies[["company_id", "name", "rank"]]
    order = {cid: i for i, cid in enumerate(c["company_id"].tolist())}
    node_parent = _node_theme(card.nodes)
    theme_order = {t: i for i, t in enumerate(ctx.theme_ids)}
    ind_order = {t: i for i, t in enumerate(ctx.indicator_ids)}

    nodes = card.nodes.copy()
    nodes["node_id"] = nodes["node_id"].astype("string")
    is_total = nodes["parent_id"].isna()
    node_rows = pd.DataFrame(
        {
            "company_id": nodes["company_id"].astype("string"),
            "level": ["total" if t else "theme" for t in is_total.tolist()],
            "item": nodes["node_id"],
            "theme": nodes["node_id"].map(node_parent).astype("string"),
            "score": nodes["score"],
            "before": nodes["score_before_penalties"],
            "coverage": nodes["coverage"],
            "_k1": [-1 if t else 0 for t in is_total.tolist()],
            "_k2": [theme_order.get(node_parent.get(n, n), 999) for n in nodes["node_id"]],
            "_k3": nodes["depth"].astype("float64").fillna(0),
        }
    )
    node_rows.loc[~is_total.to_numpy() & (nodes["depth"] > 1).to_numpy(), "level"] = "sub-theme"
    ind = card.indicators
    ind_rows = pd.DataFrame(
        {
            "company_id": ind["company_id"].astype("string"),
            "level": "indicator",
            "item": ind["indicator_id"].astype("string"),
            "theme": ind["theme_id"].astype("string"),
            "score": ind["score"],
            "raw": ind["raw_value"],
            "weight": ind["weight"],
            "evidence": ind["evidence_count"],
            "status_mix": ind["status_mix"],
            "evidence_ids": ind["evidence_ids"],
            "_k1": 0,
            "_k2": [theme_order.get(t, 999) for t in ind["theme_id"]],
            "_k3": [100 + ind_order.get(i, 999) for i in ind["indicator_id"]],
        }
    )
    pen = card.penalties
    pen_rows = pd.DataFrame(
        {
            "company_id": pen["company_id"].astype("string"),
            "level": "penalty",
            "item": pen["penalty_id"].astype("string"),
            "theme": pen["node_id"].astype("string"),
            "points": pen["points"],
            "cap": pen["cap"],
            "evidence_ids": pen["evidence_ids"],
            "_k1": 1,
            "_k2": 0,
            "_k3": 0,
        }
    )
    rows = pd.concat([node_rows, ind_rows, pen_rows], ignore_index=True)
    rows["_k0"] = rows["company_id"].map(order).astype("float64").fillna(float(len(order)))
    rows = rows.sort_values(["_k0", "_k1", "_k2", "_k3", "item"], kind="stable")
    rows = rows.reset_index(drop=True)
    names = ctx.names
    rank = pd.Series(c["rank"].to_numpy(), index=c["company_id"].to_numpy())
    capacity = MAX_SHEET_ROWS - 10
    note = None
    if len(rows) > capacity:
        note = (
            f"Showing the first {capacity:,} of {len(rows):,} rows; the full tables are in "
            "the score-card exports (bhrscore score --out)."
        )
        rows = rows.iloc[:capacity]

    def col(name: str) -> pd.Series:
        return rows[name] if name in rows else pd.Series([pd.NA] * len(rows), dtype="Float64")

    cols = [
        TableColumn.from_series("Rank", rows["company_id"].map(rank), "integer", width=6),
        TableColumn.from_series("Company id", rows["company_id"], width=16),
        TableColumn.from_series("Company", rows["company_id"].map(names), width=30),
        TableColumn.from_series("Level", rows["level"], width=10),
        TableColumn.from_series("Item", rows["item"], width=24),
        TableColumn.from_series("Title", rows["item"].map(ctx.labels), width=34),
        TableColumn.from_series("Theme / node", rows["theme"], width=18),
        TableColumn.from_series("Score", col("score"), "score", scale="score"),
        TableColumn.from_series("Before penalties", col("before"), "score"),
        TableColumn.from_series("Raw value", col("raw"), "number"),
        TableColumn.from_series("Weight", col("weight"), "number"),
        TableColumn.from_series("Coverage", col("coverage"), "percent"),
        TableColumn.from_series("Evidence", col("evidence"), "integer"),
        TableColumn.from_series("Status mix", col("status_mix").astype("string"), width=26),
        TableColumn.from_series("Penalty points", col("points"), "score"),
        TableColumn.from_series("Cap", col("cap"), "score"),
        TableColumn.from_series(
            "Evidence ids", _ids(col("evidence_ids").astype("object")), width=40
        ),
    ]
    lines = [
        "One block per company (in rank order): its total, theme scores, indicator scores "
        "with the evidence behind them, and the penalties applied. Filter by Company id.",
    ]
    if note:
        lines.append(note)
    table = Table(cols, main=True, freeze_cols=3)
    return Sheet("Companies", "Company profiles", [*lines, table])


def _ids(series: pd.Series) -> pd.Series:
    return join_lists(series, ", ")


def _node_theme(nodes: pd.DataFrame) -> dict[str, str]:
    """node id -> its top-level theme (itself for themes; "total" for the root)."""
    pairs = nodes[["node_id", "parent_id"]].drop_duplicates("node_id")
    parent = {
        str(n): (None if pd.isna(p) else str(p))
        for n, p in zip(pairs["node_id"], pairs["parent_id"], strict=True)
    }
    out: dict[str, str] = {}
    for node in parent:
        current = node
        for _ in range(64):
            up = parent.get(current)
            if up is None or up == "total" or parent.get(up) is None:
                break
            current = up
        out[node] = current
    return out


def _indicators_sheet(ctx: _Context) -> Sheet:
    ind = ctx.card.indicators
    ids = ctx.companies["company_id"]
    frame = pd.DataFrame(
        {
            "company_id": ind["company_id"].astype("string"),
            "indicator_id": ind["indicator_id"].astype("string"),
            "score": pd.to_numeric(ind["score"], errors="coerce").astype("float64"),
            "n": pd.to_numeric(ind["evidence_count"], errors="coerce").astype("float64"),
        }
    )
    wide = frame.pivot_table(
        index="company_id", columns="indicator_id", values=["score", "n"], aggfunc="first"
    ).reindex(ids.to_numpy())
    present = set(frame["indicator_id"].dropna().tolist())
    indicators = [i for i in ctx.indicator_ids if i in present]
    indicators += sorted(present - set(indicators))
    cols = [
        TableColumn.from_series("Rank", ctx.companies["rank"], "integer", width=6),
        TableColumn.from_series("Company id", ids, width=16),
        TableColumn.from_series("Company", ctx.companies["name"], width=30),
    ]
    for indicator in indicators:
        score = wide.get(("score", indicator), None)
        count = wide.get(("n", indicator), None)
        cols.append(
            TableColumn.from_series(
                indicator, _values(score, len(ids)), "score", scale="score", width=11
            )
        )
        cols.append(
            TableColumn.from_series(f"{indicator} (n)", _values(count, len(ids)), "integer")
        )
    legend = "; ".join(f"{i}: {ctx.label(i)}" for i in indicators)
    lines = [
        "Score (0-100) of each indicator and, in the (n) column beside it, the number of "
        "evidence records behind it. An empty score: no evidence and the rubric excludes it.",
        f"Indicators: {legend}",
    ]
    return Sheet(
        "Indicators",
        "Indicator matrix",
        [*lines, Table(cols, main=True, freeze_cols=3)],
    )


def _values(series: pd.Series | None, n: int) -> pd.Series:
    if series is None:
        return pd.Series([pd.NA] * n, dtype="Float64")
    return pd.Series(series.to_numpy(), dtype="Float64")


# --- Evidence --------------------------------------------------------------------------------


def _trail(ev: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    """The evidence trail: one row per record, sorted by company, date and id, redacted."""

    def get(name: str, dtype: str = "string") -> pd.Series:
        if name in ev.columns:
            return ev[name]
        return pd.Series([pd.NA] * len(ev), dtype=dtype, index=ev.index)

    date = get("effective_date", "datetime64[ns]")
    if "effective_date" not in ev.columns:
        date = get("date", "datetime64[ns]")
    trail = pd.DataFrame(
        {
            "id": get("id").astype("string"),
            "company_id": get("company_id").astype("string"),
            "group.description": get("group.description").astype("string"),
            "kind": get("kind").astype("string"),
            "date": pd.to_datetime(date, errors="coerce"),
            "status": get("status").astype("string"),
            "reliability": get("reliability").astype("string"),
            "country": get("country").astype("string"),
            "summary": get("summary").astype("string"),
            "source_title": get("source_title").astype("string"),
            "source_url": get("source_url").astype("string"),
            "sensitive": get("sensitive", "boolean").astype("boolean"),
            "persons": ev["persons"] if "persons" in ev.columns else [()] * len(ev),
        }
    )
    if not ctx.include_personal_data:
        redaction = redact_frame(trail, REDACTED_FIELDS, names=ctx.protected)
        trail = redaction.frame
        ctx.redacted_records = redaction.records
        ctx.redacted_cells += redaction.cells
    trail["company"] = trail["company_id"].map(ctx.names).astype("string")
    testimony = trail["company_id"].isna()
    if bool(testimony.any()):
        described = "Group: " + trail["group.description"].fillna("(unnamed group)")
        trail["company"] = trail["company"].mask(testimony, described)
    trail["persons"] = _ids(trail["persons"])
    return trail.sort_values(
        ["company_id", "date", "id"], kind="stable", na_position="last"
    ).reset_index(drop=True)


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


def _evidence_sheet(
    trail: pd.DataFrame | None,
    ctx: _Context,
    row_limit: int | None,
    companion_name: str,
) -> tuple[Sheet, int, pd.DataFrame | None]:
    title = "Evidence trail"
    if trail is None:
        note = "No evidence was given to the briefing (pass evidence= / a bundle)."
        empty = [TableColumn(h, k, [], w) for h, _, k, w in TRAIL_COLUMNS]
        return Sheet("Evidence", title, [note, Table(empty, main=True)]), 0, None
    n = len(trail)
    probe = Sheet("Evidence", title, ["", "", Table([], main=True)])
    capacity = MAX_SHEET_ROWS - header_row(probe, probe.tables()[0]) - 1
    limit = capacity if row_limit is None else max(0, min(row_limit, capacity))
    overflow = trail if n > limit else None
    shown = trail.iloc[:limit] if overflow is not None else trail
    cols = [TableColumn.from_series(h, shown[c], k, width=w) for h, c, k, w in TRAIL_COLUMNS]
    lines = [
        f"{n:,} evidence records, sorted by company, date and id. Links open the first source; "
        "Excel allows 65,530 links per sheet, later sources are shown as text.",
        (
            f"Only the first {len(shown):,} records fit here; all {n:,} are in {companion_name}."
            if overflow is not None
            else "All records are listed. " + ctx.personal_data_note()
        ),
    ]
    return (
        Sheet("Evidence", title, [*lines, Table(cols, main=True, freeze_cols=1)]),
        len(shown),
        overflow,
    )


def _write_companion(trail: pd.DataFrame, path: Path, fmt: OverflowFormat) -> None:
    names = {c: h for h, c, _, _ in TRAIL_COLUMNS}
    out = trail[[c for _, c, _, _ in TRAIL_COLUMNS]].rename(columns=names)
    write_frame(out, path, fmt)


# --- Method ----------------------------------------------------------------------------------


def _method_sheet(
    ctx: _Context, trail: pd.DataFrame | None, comparisons: Mapping[str, list[Comparison]]
) -> Sheet:
    meta = ctx.card.meta
    rubric = ctx.card.rubric
    lines = [
        f"Rubric: {ctx._rubric_title()} ({meta.rubric_id}, version {meta.rubric_version})",
        f"Rubric hash (sha256 of its canonical content): {meta.rubric_hash}",
        f"Evidence hash (order-independent content hash): {meta.evidence_hash}",
        f"As of: {meta.as_of.isoformat()}; bhrscore {meta.bhrscore_version}",
        ctx.origin_note,
        ctx.personal_data_note(),
        "Text from evidence is written as text, never as formulas: cells starting with = + - "
        "@ (or tab/carriage return) are marked as text (quote prefix) and not evaluated.",
    ]
    description = getattr(rubric, "description", None)
    if description:
        lines.insert(1, f"About the rubric: {description}")
    if ctx.overflow_note:
        lines.append(ctx.overflow_note)
    for key, comps in comparisons.items():
        for comp in comps:
            opts = ", ".join(f"{k}={v}" for k, v in sorted(comp.options.items()))
            lines.append(f"Comparison by {key}: {opts}")
    blocks: list[str | Table] = [*lines]
    tree = _tree_table(rubric)
    if tree is not None:
        blocks.append(tree)
    penalties = _penalty_table(rubric)
    if penalties is not None:
        blocks.append(penalties)
    blocks.append(_policy_table(rubric, meta.options))
    return Sheet("Method", "Method: rubric, weights, policies and provenance", blocks)


def _tree_table(rubric: Any) -> Table | None:
    walk = getattr(rubric, "walk", None)
    if not callable(walk):
        return None
    infos = list(walk())
    share: dict[str, float] = {"total": 1.0}
    rows: list[dict[str, Any]] = []
    for info in infos:
        node = info.node
        share[node.id] = share.get(info.parent_id, 1.0) * float(info.weight)
        rule = getattr(node, "rule", None)
        describe = getattr(rule, "describe", None)
        missing = getattr(node, "missing", None)
        rows.append(
            {
                "level": "indicator"
                if node.is_indicator
                else ("theme" if info.depth == 1 else "sub-theme"),
                "id": node.id,
                "title": node.title,
                "parent": info.parent_id,
                "theme": info.theme_id,
                "weight": float(info.weight),
                "share": share[node.id],
                "missing": None if missing is None else str(missing),
                "rule": describe() if callable(describe) else None,
                "rationale": getattr(node, "rationale", None) or getattr(node, "description", None),
                "standards": ", ".join(getattr(node, "standards", []) or []) or None,
            }
        )
    frame = pd.DataFrame(rows)
    cols = [
        TableColumn.from_series("Level", frame["level"], width=10),
        TableColumn.from_series("Id", frame["id"], width=24),
        TableColumn.from_series("Title", frame["title"], width=34),
        TableColumn.from_series("Parent", frame["parent"], width=16),
        TableColumn.from_series("Theme", frame["theme"], width=16),
        TableColumn.from_series("Weight in parent", frame["weight"], "percent", width=9),
        TableColumn.from_series("Nominal share of total", frame["share"], "percent", width=9),
        TableColumn.from_series("Missing evidence", frame["missing"], width=10),
        TableColumn.from_series("Rule", frame["rule"], width=50),
        TableColumn.from_series("Rationale", frame["rationale"], width=70),
        TableColumn.from_series("Standards", frame["standards"], width=20),
    ]
    title = (
        "Themes and indicators (nominal share = product of weights; with missing: exclude, "
        "weight moves to siblings that have evidence)"
    )
    return Table(cols, title=title, main=True, freeze=False)


def _penalty_table(rubric: Any) -> Table | None:
    penalties = list(getattr(rubric, "penalties", []) or [])
    if not penalties:
        return None
    frame = pd.DataFrame(
        [
            {
                "id": p.id,
                "title": p.title,
                "node": p.node,
                "points": p.points,
                "cap": p.cap,
                "combine": p.combine,
                "max_points": p.max_points,
                "description": p.description,
            }
            for p in penalties
        ]
    )
    cols = [
        TableColumn.from_series("Penalty", frame["id"], width=24),
        TableColumn.from_series("Title", frame["title"], width=34),
        TableColumn.from_series("Applies to", frame["node"], width=16),
        TableColumn.from_series("Points", frame["points"], "score"),
        TableColumn.from_series("Cap", frame["cap"], "score"),
        TableColumn.from_series("Combine", frame["combine"], width=10),
        TableColumn.from_series("Max points", frame["max_points"], "score"),
        TableColumn.from_series("Description", frame["description"], width=70),
    ]
    return Table(cols, title="Penalties")


def _policy_table(rubric: Any, options: Mapping[str, Any]) -> Table:
    rows: list[tuple[str, str]] = []
    policies = getattr(rubric, "policies", None)
    if policies is not None and hasattr(policies, "model_dump"):
        for key, value in policies.model_dump(mode="json").items():
            rows.append((f"policies.{key}", _plain(value)))
    for key, value in sorted(options.items()):
        rows.append((f"option.{key}", _plain(value)))
    frame = pd.DataFrame(rows, columns=["name", "value"])
    cols = [
        TableColumn.from_series("Policy / option", frame["name"], width=34),
        TableColumn.from_series("Value", frame["value"], width=70),
    ]
    return Table(cols, title="Policies and scoring options")


def _plain(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return "none" if value is None else str(value)


# --- Data quality ----------------------------------------------------------------------------


def _quality_sheet(
    ctx: _Context, ev: pd.DataFrame | None, report: ValidationReport | None
) -> Sheet:
    blocks: list[str | Table] = []
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
    if ev is not None:
        blocks.append(_status_table(ev))
    if report is not None and report.problems:
        blocks.append(_findings_table(report, ctx))
        if len(report.problems) > MAX_FINDINGS:
            blocks.append(
                f"{len(report.problems) - MAX_FINDINGS:,} more findings are not listed; "
                "see `bhrscore validate`."
            )
    blocks.append(_coverage_table(ctx, ev))
    return Sheet("Data quality", "Data quality: coverage, validation and evidence counts", blocks)


def _status_table(ev: pd.DataFrame) -> Table:
    kind = ev["kind"].astype("string").fillna("unknown")
    status = ev["status"].astype("string").fillna("unknown")
    counts = pd.crosstab(kind, status)
    from ..evidence.vocab import Status

    order = [s.value for s in Status if s.value in counts.columns]
    order += sorted(c for c in counts.columns if c not in order)
    counts = counts.reindex(columns=order).sort_index()
    cols = [TableColumn.from_series("Kind", pd.Series(counts.index, dtype="string"), width=16)]
    for name in order:
        cols.append(TableColumn.from_series(name, counts[name], "integer", scale="count"))
    cols.append(TableColumn.from_series("all", counts.sum(axis=1), "integer"))
    return Table(cols, title="Evidence records by kind and status")


def _findings_table(report: ValidationReport, ctx: _Context) -> Table:
    problems = report.problems[:MAX_FINDINGS]
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
    pattern = None if ctx.include_personal_data else names_pattern(ctx.protected)
    for name in REDACTED_FINDINGS:
        text, hit = redact_series(frame[name], pattern)
        if hit.any():
            frame[name] = text
            ctx.redacted_cells += int(hit.sum())
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


def _coverage_table(ctx: _Context, ev: pd.DataFrame | None) -> Table:
    nodes = ctx.card.nodes
    cov = nodes.pivot_table(
        index="company_id", columns="node_id", values="coverage", aggfunc="first"
    )
    ids = ctx.companies["company_id"]
    cov = cov.reindex(ids.to_numpy())
    cols = [
        TableColumn.from_series("Rank", ctx.companies["rank"], "integer", width=6),
        TableColumn.from_series("Company id", ids, width=16),
        TableColumn.from_series("Company", ctx.companies["name"], width=30),
        TableColumn.from_series(
            "Total coverage", ctx.companies["coverage"], "percent", scale="coverage"
        ),
    ]
    for theme in ctx.theme_ids:
        values = cov[theme] if theme in cov.columns else None
        cols.append(
            TableColumn.from_series(
                ctx.label(theme), _values(values, len(ids)), "percent", scale="coverage"
            )
        )
    if ev is not None and "company_id" in ev.columns:
        counts = ev["company_id"].astype("string").value_counts()
        records = ids.map(counts).fillna(0)
        cols.append(TableColumn.from_series("Evidence records", records, "integer"))
    return Table(
        cols,
        title="Coverage: share of indicator weight backed by evidence, per company and theme",
        main=True,
        freeze=False,
    )
