"""Pydantic models for companies, sources and the fields every evidence record shares.

The models are the single source of truth: JSON Schemas, the flat CSV/XLSX layout and the
DataFrame columns are all derived from them. Evidence kinds subclass :class:`EvidenceBase`
in :mod:`bhrscore.evidence.kinds` and register themselves (see :mod:`.registry`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..plugins import skip_empty_pydantic_plugin_scan
from .codes import CountryCode
from .hooks import DerivedColumn, FrameCheck, FrameView
from .sectors import SectorCode
from .vocab import (
    Ownership,
    Reliability,
    ResponseStatus,
    SourceType,
    Status,
)

Slug = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        max_length=120,
        description="Identifier: letters, digits and . _ : - (no spaces)",
    ),
]
Text = Annotated[str, Field(min_length=1, max_length=20_000)]
Url = Annotated[
    str,
    Field(pattern=r"^https?://\S+$", max_length=2_000, description="http(s) URL"),
]
ListItem = Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[^|]*$")]

skip_empty_pydantic_plugin_scan()  # before the first model of most commands is built


class Model(BaseModel):
    """Base for all bhrscore models: unknown fields are errors, values are stripped.

    Two class-level hooks describe a model to the columnar path (see :mod:`.hooks`):
    :meth:`frame_checks` (the vectorised twins of the model's own validators) and
    :meth:`derived_columns` (columns computed from its fields). Override them in the class
    that declares the validators or derived values.
    """

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        frozen=True,
        use_enum_values=False,
        validate_default=True,
    )

    @classmethod
    def frame_checks(cls) -> tuple[FrameCheck, ...]:
        """Vectorised twins of the validators this class declares (none here)."""
        return ()

    @classmethod
    def derived_columns(cls) -> tuple[DerivedColumn, ...]:
        """Columns computed from this model's fields (none here)."""
        return ()


class Source(Model):
    """A published source the evidence rests on. URL and title are required so that every
    claim can be checked by a reader."""

    url: Url
    title: Text
    publisher: Text | None = None
    published: dt.date | None = None
    type: SourceType = SourceType.OTHER


class CompanyResponse(Model):
    """Whether and how the company answered the allegation (BHRRC practice)."""

    status: ResponseStatus
    date: dt.date | None = None
    summary: Text | None = None
    url: Url | None = None


class Period(Model):
    """A closed date interval; ``end`` may be missing for an ongoing situation."""

    start: dt.date
    end: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        return self

    @classmethod
    def frame_checks(cls) -> tuple[FrameCheck, ...]:
        return (FrameCheck("period ends before it starts", lambda v: v["end"] < v["start"]),)


class GroupSubject(Model):
    """The group of companies that group-level testimony speaks about.

    Testimony often compares groups ("Chinese-owned companies pay the least") without naming a
    company. Such evidence is kept at group level instead of being pinned on an invented or
    arbitrary company: scores never use it, while evidence-level comparisons by origin group
    can show it beside company-level data. ``origin_group`` uses the names of the origin
    grouping (``china``, ``western``, ``domestic``, ``other`` in the default grouping) and is
    left out when the testimony does not say who owns the companies. ``sector`` is a sector
    code (``bhrscore/data/isic4.yaml``).
    """

    description: Text
    origin_group: Slug | None = None
    sector: SectorCode | None = None


class Identifiers(Model):
    """Public identifiers of a company."""

    lei: Annotated[str, Field(pattern=r"^[A-Z0-9]{20}$")] | None = None
    isin: Annotated[str, Field(pattern=r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")] | None = None
    wikidata: Annotated[str, Field(pattern=r"^Q[0-9]+$")] | None = None
    website: Url | None = None


class Company(Model):
    """A company, linked to its parent so that the ultimate parent and origin can be derived.

    ``hq_country`` may be unknown (``None``) when no source states it; ``origin_country``
    overrides the origin otherwise derived from the ultimate parent's ``hq_country``.
    ``sectors`` are sector codes: ISIC Rev.4 sections and divisions, the packaged aliases or
    the bundle's own (``bhrscore/data/isic4.yaml``, ``vocabulary.yaml``).
    """

    id: Slug
    name: Text
    aliases: list[ListItem] = Field(default_factory=list)
    hq_country: CountryCode | None = None
    parent_id: Slug | None = None
    origin_country: CountryCode | None = None
    ownership: Ownership | None = None
    sectors: list[SectorCode] = Field(default_factory=list)
    host_countries: list[CountryCode] = Field(default_factory=list)
    identifiers: Identifiers = Field(default_factory=Identifiers)
    sources: list[Source] = Field(default_factory=list)
    notes: Text | None = None

    @model_validator(mode="after")
    def _not_own_parent(self) -> Company:
        if self.parent_id == self.id:
            raise ValueError("a company cannot be its own parent (parent_id == id)")
        return self

    @classmethod
    def frame_checks(cls) -> tuple[FrameCheck, ...]:
        return (
            FrameCheck("a company cannot be its own parent", lambda v: v["parent_id"] == v["id"]),
        )

    @classmethod
    def derived_columns(cls) -> tuple[DerivedColumn, ...]:
        return (
            DerivedColumn(
                "source_count", "Int64", lambda v: _item_count(v, "sources"), "number of sources"
            ),
        )


class EvidenceBase(Model):
    """Fields shared by every evidence kind.

    Exactly one of ``company_id`` (company-level evidence) and ``group`` (group-level
    testimony) is given; at least one of ``date`` and ``period``.
    """

    kind: str = Field(description="Evidence kind; selects the kind-specific fields")
    id: Slug
    company_id: Slug | None = None
    group: GroupSubject | None = None
    date: dt.date | None = None
    period: Period | None = None
    country: CountryCode
    region: Text | None = None
    site: Text | None = None
    summary: Text
    sources: list[Source] = Field(min_length=1)
    status: Status
    reliability: Reliability = Reliability.MEDIUM
    company_response: CompanyResponse | None = None
    sensitive: bool = False
    persons: list[ListItem] = Field(default_factory=list)
    tags: list[ListItem] = Field(default_factory=list)

    @model_validator(mode="after")
    def _subject_and_time(self) -> EvidenceBase:
        if (self.company_id is None) == (self.group is None):
            raise ValueError("give exactly one of company_id (a company) or group (testimony)")
        if self.date is None and self.period is None:
            raise ValueError("give a date or a period")
        return self

    @classmethod
    def frame_checks(cls) -> tuple[FrameCheck, ...]:
        return (
            FrameCheck(
                "give exactly one of company_id or group",
                lambda v: v.has("company_id") == v.has("group"),
            ),
            FrameCheck("give a date or a period", lambda v: ~v.has("date") & ~v.has("period")),
        )

    #: relative frequency of this kind among the records of :mod:`bhrscore.synthetic` (used
    #: only for kinds that define :meth:`synthesize`; the built-in kinds have fixed weights)
    synthetic_weight: ClassVar[float] = 0.10

    @classmethod
    def example(cls) -> dict[str, Any] | None:
        """One clearly fictional record of this kind for the evidence-entry template, as
        JSON-like data: ``date``, ``summary`` and the kind's own fields (the template adds the
        shared subject, country, region, status, reliability and source, and may be overridden
        here, e.g. ``status``). ``None``: the template has no example row for the kind."""
        return None

    @classmethod
    def synthesize(cls, rng: np.random.Generator, n: int) -> Mapping[str, Any] | None:
        """The kind's own columns for ``n`` fictional records in :mod:`bhrscore.synthetic`:
        flat column name (``union.status``) -> ``n`` values (array or Series), drawn with
        ``rng`` only (vectorised, deterministic). The generator fills the shared columns
        (subject, dates, sources, status, ...) itself. ``None``: the kind is not generated."""
        return None

    @classmethod
    def derived_columns(cls) -> tuple[DerivedColumn, ...]:
        """The first source, the date used for windows (``effective_date``) and the latest date
        the record mentions (``known_date``: what was known by then)."""
        first = _first_item
        return (
            DerivedColumn("source_count", "Int64", lambda v: _item_count(v, "sources")),
            DerivedColumn("source_url", "string", lambda v: first(v, "sources", "url")),
            DerivedColumn("source_title", "string", lambda v: first(v, "sources", "title")),
            DerivedColumn("source_publisher", "string", lambda v: first(v, "sources", "publisher")),
            DerivedColumn(
                "source_type",
                pd.CategoricalDtype([t.value for t in SourceType]),
                lambda v: first(v, "sources", "type"),
            ),
            DerivedColumn(
                "source_published", "datetime64[ns]", lambda v: first(v, "sources", "published")
            ),
            DerivedColumn(
                "effective_date",
                "datetime64[ns]",
                lambda v: v["date"].fillna(v["period.end"]).fillna(v["period.start"]),
                "date, else the period's end, else its start",
            ),
            DerivedColumn(
                "known_date",
                "datetime64[ns]",
                _known_date,
                "the latest date the record mentions (date, period, sources, response)",
            ),
        )

    @property
    def effective_date(self) -> dt.date:
        """The date used for windows and decay: ``date``, else the period's end, else start."""
        if self.date is not None:
            return self.date
        assert self.period is not None
        return self.period.end or self.period.start

    @property
    def known_date(self) -> dt.date:
        """The latest date the record mentions: what was known by then (frame column)."""
        return self.latest_date()

    def latest_date(self) -> dt.date:
        """The latest date mentioned by the record (the frame column ``known_date``)."""
        dates = [self.date, *(s.published for s in self.sources)]
        if self.period is not None:
            dates += [self.period.start, self.period.end]
        if self.company_response is not None:
            dates.append(self.company_response.date)
        return max(d for d in dates if d is not None)


def _item_count(view: FrameView, path: str) -> np.ndarray:
    owners = view.items(path)["owner"].to_numpy(dtype=np.int64)
    return np.bincount(owners, minlength=len(view))


def _first_item(view: FrameView, path: str, field: str) -> pd.Series:
    """The ``field`` of each row's first item (missing when the row has none)."""
    items = view.items(path)
    owner = items["owner"].to_numpy(dtype=np.int64)
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else owner
    index = np.full(len(view), -1, dtype=np.int64)
    index[owner[first]] = first
    return pd.Series(items[field].array.take(index, allow_fill=True))


def _known_date(view: FrameView) -> pd.Series:
    dates = [view["date"], view["period.start"], view["period.end"]]
    dates.append(view["company_response.date"])
    items = view.items("sources")
    # NaT is the smallest int64, so the maximum skips it unless a row has no date at all
    stacked = np.stack([d.to_numpy(dtype="datetime64[ns]").view(np.int64) for d in dates])
    latest = stacked.max(axis=0)
    owner = items["owner"].to_numpy(dtype=np.int64)
    published = items["published"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    if len(owner) and bool(np.all(owner[1:] >= owner[:-1])):
        # items come in owner order: each owner's latest date in one pass (no groupby)
        first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        latest[owner[first]] = np.maximum(
            latest[owner[first]], np.maximum.reduceat(published, first)
        )
    elif len(owner):
        np.maximum.at(latest, owner, published)
    return pd.Series(latest.view("datetime64[ns]"))
