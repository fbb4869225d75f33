"""Pydantic models for companies, sources and the fields every evidence record shares.

The models are the single source of truth: JSON Schemas, the flat CSV/XLSX layout and the
DataFrame columns are all derived from them. Evidence kinds subclass :class:`EvidenceBase`
in :mod:`bhrscore.evidence.kinds` and register themselves (see :mod:`.registry`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .codes import CountryCode
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


class Model(BaseModel):
    """Base for all bhrscore models: unknown fields are errors, values are stripped."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        frozen=True,
        use_enum_values=False,
        validate_default=True,
    )


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

    @property
    def effective_date(self) -> dt.date:
        """The date used for windows and decay: ``date``, else the period's end, else start."""
        if self.date is not None:
            return self.date
        assert self.period is not None
        return self.period.end or self.period.start

    def latest_date(self) -> dt.date:
        """The latest date mentioned by the record (checked against ``as_of``)."""
        dates = [self.date, *(s.published for s in self.sources)]
        if self.period is not None:
            dates += [self.period.start, self.period.end]
        if self.company_response is not None:
            dates.append(self.company_response.date)
        return max(d for d in dates if d is not None)

    def derived(self) -> dict[str, Any]:
        """Values computed from the record (never typed in); kinds extend this."""
        return {}
