"""What every briefing sheet reads: one immutable :class:`BriefingInputs`, built once.

It holds the score card, its companies in rank order with origin group and sector, the
rubric's labels, the comparisons routed by key, and the evidence trail and validation
findings with protected names already redacted (:mod:`.trail`), so the redaction counts every
sheet quotes are known before the first sheet is built and no sheet changes what another one
sees. The frames are shared, not copied: sheet builders must treat them as read-only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..book import FileLink
from ..cells import join_lists, text_dtype
from .trail import (
    EVIDENCE_ROW_CAP,
    Findings,
    Trail,
    build_findings,
    build_trail,
    evidence_capacity,
)

if TYPE_CHECKING:
    from ...analysis.compare import Comparison
    from ...evidence.evidence_set import EvidenceSet
    from ...evidence.frame import Frames
    from ...evidence.report import ValidationReport
    from ...rubric.scorecard import ScoreCard

#: characters of a hash shown on the Summary sheet
SHORT_HASH = 12
#: comparison keys that have a sheet of their own
COMPARISON_KEYS = ("origin_group", "sector")
#: what ``write_briefing`` takes as ``comparisons``: results of ``compare``, by key or not
Comparisons = Mapping[str, "Comparison"] | Iterable["Comparison"]


@dataclass(frozen=True)
class BriefingInputs:
    """The shared, immutable inputs of every briefing sheet (see the module docstring)."""

    card: ScoreCard
    companies: pd.DataFrame  # score card companies in rank order, with origin_group, sector
    names: pd.Series  # company id -> name
    theme_ids: tuple[str, ...]
    indicator_ids: tuple[str, ...]
    labels: Mapping[str, str]  # node / indicator id -> title
    comparisons: Mapping[str, tuple[Comparison, ...]]  # routed by key (origin_group, sector)
    origin_note: str
    include_personal_data: bool
    #: the evidence frame as given, for counts only (kinds, statuses, companies): its text is
    #: not redacted, so sheets show evidence text from ``trail`` only
    records: pd.DataFrame | None
    trail: Trail | None  # the redacted evidence trail (None: no evidence given)
    report: ValidationReport | None
    findings: Findings | None  # redacted validation findings (None: none)
    evidence_rows: int  # trail records on the Evidence sheet
    evidence_limit: int  # at most this many on the Evidence sheet (cap or what a sheet holds)
    companion_name: str  # file holding the whole trail when it does not fit the sheet
    #: scores at several as-of dates (:func:`bhrscore.rubric.trend.trend_frame`), the last
    #: one the score card's; ``None``: no Trend sheet
    trend: pd.DataFrame | None = None

    @classmethod
    def build(
        cls,
        scorecard: ScoreCard,
        *,
        comparisons: Comparisons | Future[Comparisons] | None = None,
        evidence: EvidenceSet | Frames | pd.DataFrame | None = None,
        report: ValidationReport | None = None,
        include_personal_data: bool = False,
        origin_groups: Any = None,
        evidence_row_limit: int | None = EVIDENCE_ROW_CAP,
        companion_name: str = "briefing.evidence.csv",
        trend: pd.DataFrame | None = None,
    ) -> BriefingInputs:
        """Build the inputs once: rank order, labels, routing, trail and redaction.
        ``comparisons`` given as a future are waited for when a sheet first reads them."""
        from ...evidence.privacy import Privacy

        _check_trend(trend, scorecard)
        ev, report = _evidence_inputs(evidence, report)
        # one policy for the whole workbook: the card's ids and company names, the trail and
        # the findings are redacted with the same names and the same opaque ids
        privacy = Privacy(()) if include_personal_data else Privacy.of(ev, report)
        if ev is None:
            from ..tables import check_personal_data

            check_personal_data(scorecard, include_personal_data)
        scorecard = privacy.card(scorecard)
        companies = _ranked(scorecard.companies)
        companies["origin_group"], origin_note = _origin_groups(
            companies, origin_groups, ev, scorecard.meta.as_of
        )
        companies["sector"] = _joined(companies.get("sectors"), len(companies))
        names = pd.Series(
            companies["name"].astype(text_dtype()).to_numpy(),
            index=companies["company_id"].to_numpy(),
        )
        theme_ids = tuple(
            c.removeprefix("theme:") for c in companies.columns if c.startswith("theme:")
        )
        labels, indicator_ids = _rubric_labels(scorecard)
        trail = (
            None
            if ev is None
            else build_trail(
                ev, names, include_personal_data=include_personal_data, privacy=privacy
            )
        )
        findings = (
            None
            if report is None
            else build_findings(report, privacy.names, include_personal_data=include_personal_data)
        )
        capacity = evidence_capacity()
        limit = (
            capacity if evidence_row_limit is None else max(0, min(evidence_row_limit, capacity))
        )
        shown = 0 if trail is None else min(len(trail), limit)
        return cls(
            card=scorecard,
            companies=companies,
            names=names,
            theme_ids=theme_ids,
            indicator_ids=tuple(indicator_ids),
            labels=MappingProxyType(labels),
            comparisons=_Deferred(comparisons)
            if isinstance(comparisons, Future)
            else MappingProxyType(_route(comparisons)),
            origin_note=origin_note,
            include_personal_data=include_personal_data,
            records=ev,
            trail=trail,
            report=report,
            findings=findings,
            evidence_rows=shown,
            evidence_limit=limit,
            companion_name=companion_name,
            trend=trend,
        )

    # --- derived values ---------------------------------------------------------------------

    @property
    def evidence_total(self) -> int:
        """Evidence records given (0 without evidence)."""
        return 0 if self.trail is None else len(self.trail)

    @property
    def overflow(self) -> bool:
        """Whether some trail records are not on the Evidence sheet (they then all go to the
        companion file)."""
        return self.trail is not None and self.evidence_rows < len(self.trail)

    @property
    def redacted_records(self) -> int:
        """Evidence records in which names were redacted."""
        return 0 if self.trail is None else self.trail.redacted_records

    @property
    def redacted_urls(self) -> int:
        """Links carrying a protected name, shown as their domain and title instead."""
        return 0 if self.trail is None else self.trail.redacted_urls

    @property
    def redacted_ids(self) -> int:
        """Evidence ids carrying a protected name, replaced by stable opaque ids."""
        return 0 if self.trail is None else self.trail.redacted_ids

    @property
    def redacted_cells(self) -> int:
        """Cells in which names were redacted (evidence trail and validation findings)."""
        trail = 0 if self.trail is None else self.trail.redacted_cells
        return trail + (0 if self.findings is None else self.findings.redacted_cells)

    @property
    def rubric_title(self) -> str:
        """What the rubric calls itself (its id when the card carries no rubric): titles and
        document properties name the briefing after it, never a fixed subject."""
        return str(getattr(self.card.rubric, "title", "") or self.card.meta.rubric_id)

    @property
    def rubric_description(self) -> str | None:
        """The rubric's description on one line (``None`` when it has none)."""
        text = getattr(self.card.rubric, "description", None)
        if not text:
            return None
        return " ".join(str(text).split()) or None

    def label(self, node_id: str) -> str:
        return self.labels.get(node_id, node_id)

    def comparisons_for(self, key: str) -> tuple[Comparison, ...]:
        return self.comparisons.get(key, ())

    @property
    def overflow_note(self) -> FileLink | None:
        """Where the evidence is when not all of it is on the Evidence sheet: a note that
        links to the companion file."""
        if not self.overflow:
            return None
        return FileLink(
            f"The Evidence sheet lists the first {self.evidence_rows:,} of "
            f"{self.evidence_total:,} evidence records (at most {self.evidence_limit:,}, so "
            f"that the workbook opens quickly); all of them, with the same ids and columns, "
            f"are in {self.companion_name} beside this workbook.",
            self.companion_name,
        )

    def header_lines(self, *, short: bool = False) -> list[str | FileLink]:
        """Provenance lines; ``short``: hashes cut to their first :data:`SHORT_HASH`
        characters (the Method sheet gives them in full)."""
        meta = self.card.meta

        def digest(value: str) -> str:
            return f"{value[:SHORT_HASH]}… (in full on Method)" if short else value

        lines: list[str | FileLink] = [
            f"Rubric: {self.rubric_title} ({meta.rubric_id}, version {meta.rubric_version})",
            f"As of: {meta.as_of.isoformat()}",
            f"Evidence set: {digest(meta.evidence_hash)} ({len(self.companies):,} companies "
            "scored)",
            f"Rubric hash: {digest(meta.rubric_hash)}; bhrscore {meta.bhrscore_version}",
            self.personal_data_note(),
        ]
        note = self.overflow_note
        if note:
            lines.append(note)
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
            f"{self.redacted_cells:,} cells affected); a link whose address carries such a "
            f"name is shown as its domain and title without a link target "
            f"({self.redacted_urls:,} links), and an evidence id carrying one is replaced by a "
            f"stable opaque id ({self.redacted_ids:,} ids)."
        )


# --- building blocks -------------------------------------------------------------------------


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


def _check_trend(trend: pd.DataFrame | None, card: ScoreCard) -> None:
    """A trend must hold the columns the Trend sheet reads and end at the card's as-of date
    (the date every other sheet shows)."""
    if trend is None:
        return
    needed = {"company_id", "as_of", "total", "coverage", "rank", "sufficient", "records_known"}
    lacking = sorted(needed - set(trend.columns))
    if lacking:
        raise ValueError(
            f"trend= lacks the column(s) {', '.join(lacking)}; pass the frame of "
            "bhrscore.rubric.trend.trend() or trend_frame()"
        )
    if trend.empty:
        return
    last = pd.to_datetime(trend["as_of"]).max().date()
    if last != card.meta.as_of:
        raise ValueError(
            f"the trend's last as-of date ({last}) is not the score card's ({card.meta.as_of}): "
            "the briefing's other sheets show the card, so score it at the trend's last date"
        )


class _Deferred(Mapping[str, tuple["Comparison", ...]]):
    """Comparisons still being computed (a future), routed by key when first read: the
    sheets that do not show them are built meanwhile (:attr:`SheetEntry.uses_comparisons`)."""

    def __init__(self, future: Future[Comparisons]) -> None:
        self._future = future
        self._routed: dict[str, tuple[Comparison, ...]] | None = None

    def resolved(self) -> dict[str, tuple[Comparison, ...]]:
        """The routed comparisons, waiting for them (their error, if any, is raised)."""
        if self._routed is None:
            self._routed = _route(self._future.result())
        return self._routed

    def __getitem__(self, key: str) -> tuple[Comparison, ...]:
        return self.resolved()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.resolved())

    def __len__(self) -> int:
        return len(self.resolved())


def settle(comparisons: Mapping[str, tuple[Comparison, ...]]) -> None:
    """Wait for comparisons given as a future even when no sheet showed them, so that an
    error in computing them is never lost."""
    if isinstance(comparisons, _Deferred):
        comparisons.resolved()


def _route(
    comparisons: Comparisons | None,
) -> dict[str, tuple[Comparison, ...]]:
    """Comparisons by the key they group by (the first of :data:`COMPARISON_KEYS` in their
    ``by``); others are not shown."""
    if comparisons is None:
        return {}
    items = list(comparisons.values()) if isinstance(comparisons, Mapping) else list(comparisons)
    routed: dict[str, list[Comparison]] = {}
    for comparison in items:
        by = tuple(getattr(comparison, "by", ()))
        for key in COMPARISON_KEYS:
            if key in by:
                routed.setdefault(key, []).append(comparison)
                break
    return {key: tuple(comps) for key, comps in routed.items()}


def _ranked(companies: pd.DataFrame) -> pd.DataFrame:
    """Score card companies in rank order (unranked last), ties by company id."""
    companies = companies.copy()
    companies["company_id"] = companies["company_id"].astype(text_dtype())
    rank = pd.to_numeric(companies["rank"], errors="coerce").astype("float64")
    return (
        companies.assign(_rank=rank.fillna(float("inf")))
        .sort_values(["_rank", "company_id"], kind="stable")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )


def _joined(series: pd.Series | None, n: int) -> pd.Series:
    if series is None:
        return pd.Series([pd.NA] * n, dtype=text_dtype())
    return join_lists(series, ", ", sort=True)


def _origin_groups(
    companies: pd.DataFrame, origin_groups: Any, evidence: pd.DataFrame | None, as_of: Any
) -> tuple[pd.Series, str]:
    """Each company's origin group(s), joined, and the sentence describing the grouping
    used. A company operating in several hosts may belong to more than one; one without
    ``host_countries`` is placed where its evidence happened (see ``analysis.origin``)."""
    from ...analysis.origin import company_origin, load_origin_groups

    grouping = load_origin_groups(origin_groups)
    table = company_origin(companies, grouping, evidence, as_of)
    pairs = table.dropna(subset=["origin_group"])
    pairs = pd.DataFrame(
        {
            "company_id": pairs["company_id"].astype(str).to_numpy(dtype=object),
            "group": pairs["origin_group"].astype(str).to_numpy(dtype=object),
        }
    )
    # each company's distinct groups in sorted order, joined; most companies have one group,
    # so only those with several are joined (one Python call each, not one per company)
    pairs = pairs.drop_duplicates().sort_values(["company_id", "group"], kind="stable")
    several = pairs["company_id"].duplicated(keep=False).to_numpy()
    groups = pd.concat(
        [
            pairs[~several].set_index("company_id")["group"],
            pairs[several].groupby("company_id", sort=False)["group"].agg(", ".join),
        ]
    )
    mapped = companies["company_id"].astype(str).map(groups).astype(text_dtype())
    return mapped, grouping.describe()


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
