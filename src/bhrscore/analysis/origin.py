"""Origin groups: where a company comes from, relative to where it operates.

A company's **origin country** is its explicit ``origin_country``, else the HQ country of its
ultimate parent (``parent_id`` chains are resolved by
:func:`bhrscore.evidence.frame.resolve_parents`).
An **origin group** (``china``, ``western``, ``domestic``, ``other``, ``unknown`` in the default
grouping) is assigned *relative to a host country*:

1. origin unknown -> ``unknown``;
2. host unknown -> ``unknown-host`` (the company might be at home: never a silent
   ``domestic``);
3. origin equals the host country -> ``domestic`` (a Kazakh company in Kazakhstan);
4. origin listed in a group -> that group (a Kazakh company in Georgia is ``other``);
5. anything else -> ``other``.

With ``domestic: null`` the group depends on the origin only, and rules 2 and 3 do not apply.

**Which host.** Scores are per company, so a company is compared in each of its hosts (one
row per company x host, :func:`company_hosts`): the countries it lists in
``host_countries``; else, when an evidence frame is given, the countries where its
company-level evidence happened (retracted records and records after ``as_of`` left out);
else the host is unknown. Evidence-level comparisons use the country where each record
happened (:func:`evidence_origin`), so the same company can be domestic for one record and
foreign for another.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from ..evidence.codes import country_codes
from ..yaml_load import FastSafeLoader, safe_load

if TYPE_CHECKING:
    import datetime as dt

#: The default grouping shipped with bhrscore (``bhrscore/data/origin_groups.yaml``).
DEFAULT_ORIGIN_GROUPS = "origin_groups.yaml"
_GROUP_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class OriginGroupsError(ValueError):
    """An origin grouping that cannot be used (names the file and the key at fault)."""


@dataclass(frozen=True)
class OriginGroups:
    """A mapping of origin countries to groups, plus the labels for the relative groups.

    ``countries`` maps ISO 3166-1 alpha-2 codes to group names; ``domestic`` is the label used
    when origin equals host (``None`` turns the rule off); ``other`` labels unlisted origins,
    ``unknown`` companies whose origin is not known and ``unknown_host`` companies whose host
    is not known (only while the domestic rule is on). ``description`` says what the grouping
    is (from the file's ``description`` key).
    """

    countries: Mapping[str, str]
    domestic: str | None = "domestic"
    other: str = "other"
    unknown: str = "unknown"
    source: str = field(default="<dict>", compare=False)
    description: str | None = field(default=None, compare=False)
    unknown_host: str = "unknown-host"

    @property
    def groups(self) -> tuple[str, ...]:
        """Every label this grouping can produce, listed groups first (in file order)."""
        names = list(dict.fromkeys(self.countries.values()))
        extra = [self.domestic, self.other, self.unknown]
        if self.domestic is not None:
            extra.append(self.unknown_host)
        for label in extra:
            if label is not None and label not in names:
                names.append(label)
        return tuple(names)

    def describe(self) -> str:
        """One sentence naming the grouping actually used, for headers and sheet notes: its
        source, its own description, and whether groups are relative to each host country
        (only when the domestic rule is on)."""
        text = f"Origin groups from {self.source}"
        if self.description:
            text += f" ({self.description.strip().rstrip('.')})"
        if self.domestic is None:
            return text + ", by origin country only (no domestic rule)."
        return (
            f"{text}, relative to each host country: a company whose origin is its host "
            f"country is {self.domestic}, one whose host is not known is {self.unknown_host}."
        )

    def assign(self, origin: pd.Series, host: pd.Series | None = None) -> pd.Series:
        """The origin group of each (origin, host) pair, vectorised.

        With the domestic rule on, a missing host gives ``unknown_host`` (the company might
        operate in its origin country). ``host=None`` means no host context at all: the
        origin's listed group (or ``other``) is used.
        """
        origin = origin.astype("string")
        mapped = origin.map(dict(self.countries)).astype("string").fillna(self.other)
        if host is not None and self.domestic is not None:
            host = pd.Series(host.to_numpy(), index=origin.index).astype("string")
            same = (origin == host).fillna(False).astype(bool)
            mapped = mapped.mask(same, self.domestic)
            mapped = mapped.mask(host.isna().to_numpy(), self.unknown_host)
        mapped = mapped.mask(origin.isna(), self.unknown)
        return mapped.astype("string")


#: What functions accept as a grouping: ``None`` (the default), a YAML path, a mapping or
#: an :class:`OriginGroups`.
OriginGroupsLike = OriginGroups | Mapping[str, Any] | str | Path | None


def _check_label(name: Any, where: str) -> str:
    if not isinstance(name, str) or not _GROUP_NAME.match(name):
        raise OriginGroupsError(
            f"{where}: group name {name!r} must be lower-case letters, digits, - or _"
        )
    return name


def _check_country(code: Any, where: str) -> str:
    if not isinstance(code, str) or code not in country_codes():
        hint = " (write NO in quotes: a bare NO is read as false)" if code is False else ""
        raise OriginGroupsError(
            f"{where}: {code!r} is not an ISO 3166-1 alpha-2 country code{hint}"
        )
    return code


def origin_groups_from_mapping(data: Mapping[str, Any], source: str = "<dict>") -> OriginGroups:
    """Build an :class:`OriginGroups` from one of three shapes:

    - the file shape ``{"groups": {group: [countries]}, "domestic": ..., "other": ...,
      "unknown": ..., "unknown_host": ..., "description": ...}``;
    - a bare ``{group: [countries]}``;
    - a bare ``{country: group}``.
    """
    if not isinstance(data, Mapping):
        raise OriginGroupsError(f"{source}: expected a mapping, got {type(data).__name__}")
    labels: dict[str, Any] = {
        "domestic": "domestic",
        "other": "other",
        "unknown": "unknown",
        "unknown_host": "unknown-host",
    }
    description = None
    if "groups" in data:
        extra = set(data) - {"groups", "description", *labels}
        if extra:
            raise OriginGroupsError(f"{source}: unknown keys {sorted(extra)}")
        description = data.get("description")
        if description is not None and (not isinstance(description, str) or not description):
            raise OriginGroupsError(f"{source}: description must be text")
        groups = data["groups"]
        if not isinstance(groups, Mapping):
            raise OriginGroupsError(f"{source}: groups must map group names to country lists")
        for key in labels:
            if key in data:
                labels[key] = data[key]
    else:
        groups = data
    countries: dict[str, str] = {}
    if groups and all(isinstance(v, str) for v in groups.values()):
        # {country: group}
        for code, name in groups.items():
            where = f"{source}: {code}"
            _check_country(code, where)
            countries[code] = _check_label(name, where)
    else:
        for name, members in groups.items():
            where = f"{source}: groups.{name}"
            _check_label(name, where)
            if not isinstance(members, list | tuple):
                raise OriginGroupsError(f"{where}: expected a list of country codes")
            for i, code in enumerate(members):
                _check_country(code, f"{where}[{i}]")
                if code in countries and countries[code] != name:
                    raise OriginGroupsError(
                        f"{where}[{i}]: {code} is already in group {countries[code]!r}"
                    )
                countries[code] = name
    for key in ("other", "unknown", "unknown_host"):
        _check_label(labels[key], f"{source}: {key}")
    if labels["domestic"] is not None:
        _check_label(labels["domestic"], f"{source}: domestic")
    return OriginGroups(
        countries=countries,
        domestic=labels["domestic"],
        other=labels["other"],
        unknown=labels["unknown"],
        source=source,
        description=description.strip() if description else None,
        unknown_host=labels["unknown_host"],
    )


def load_origin_groups(
    spec: OriginGroupsLike = None,
) -> OriginGroups:
    """The default grouping (``None``), a YAML file (path), a mapping, or an
    :class:`OriginGroups` passed through."""
    if isinstance(spec, OriginGroups):
        return spec
    if spec is None:
        text = resources.files("bhrscore.data").joinpath(DEFAULT_ORIGIN_GROUPS).read_text("utf-8")
        data = yaml.load(text, Loader=FastSafeLoader)  # a safe loader
        return origin_groups_from_mapping(data, f"bhrscore:{DEFAULT_ORIGIN_GROUPS}")
    if isinstance(spec, str | Path):
        path = Path(spec)
        try:
            data = safe_load(path.read_text("utf-8"))  # yaml.safe_load with a nesting limit
        except yaml.YAMLError as exc:
            raise OriginGroupsError(f"{path}: not valid YAML: {exc}") from None
        except OSError as exc:
            raise OriginGroupsError(f"{path}: {exc.strerror or exc}") from None
        return origin_groups_from_mapping(data, str(path))
    return origin_groups_from_mapping(spec)


def _id_column(frame: pd.DataFrame) -> str:
    return "company_id" if "company_id" in frame.columns else "id"


def _evidence_frame(evidence: Any) -> pd.DataFrame | None:
    """The evidence frame of an ``EvidenceSet``, ``Frames`` or frame (``None`` stays)."""
    if evidence is None or isinstance(evidence, pd.DataFrame):
        return evidence
    if hasattr(evidence, "frames"):
        evidence = evidence.frames()
    frame = getattr(evidence, "evidence", None)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("evidence must be an EvidenceSet, Frames or an evidence DataFrame")
    return frame


#: How a company's hosts were found (column ``host_source`` of :func:`company_hosts`).
HOST_SOURCES = ("listed", "evidence", "unknown")


def company_hosts(
    companies: pd.DataFrame,
    evidence: Any = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """One row per company x host country: ``company_id``, ``host_country``,
    ``host_source``.

    Hosts are the company's ``host_countries`` (``listed``); else, when ``evidence`` (an
    ``EvidenceSet``, ``Frames`` or the evidence frame) is given, the countries of the
    company's company-level records (``evidence``; retracted records and records after
    ``as_of`` are left out); else one row with ``<NA>`` (``unknown``). Accepts the companies
    frame (``id``) or a score card's companies table (``company_id``). Sorted by company,
    host. Vectorised: no loop over companies or records.
    """
    ids = companies[_id_column(companies)].astype("string").reset_index(drop=True)
    listed = companies["host_countries"].map(
        lambda v: tuple(v) if isinstance(v, tuple | list) else ()
    )
    table = pd.DataFrame({"company_id": ids, "host_country": listed.to_numpy()})
    table = table.explode("host_country")
    table["host_source"] = "listed"
    table.loc[table["host_country"].isna(), "host_source"] = "unknown"
    frame = _evidence_frame(evidence)
    unlisted = set(table.loc[table["host_source"] == "unknown", "company_id"].dropna())
    if frame is not None and unlisted:
        rows = frame[frame["company_id"].astype("string").isin(unlisted)]
        if "status" in rows.columns:
            rows = rows[rows["status"].astype("string").fillna("") != "retracted"]
        if as_of is not None and "effective_date" in rows.columns:
            rows = rows[~(rows["effective_date"] > pd.Timestamp(as_of))]
        found = pd.DataFrame(
            {
                "company_id": rows["company_id"].astype("string").to_numpy(),
                "host_country": rows["country"].astype("string").to_numpy(),
                "host_source": "evidence",
            }
        ).dropna()
        table = table[~table["company_id"].isin(set(found["company_id"]))]
        table = pd.concat([table, found], ignore_index=True)
    table["company_id"] = table["company_id"].astype("string")
    table["host_country"] = table["host_country"].astype("string")
    table["host_source"] = table["host_source"].astype("string")
    table = table.drop_duplicates().sort_values(["company_id", "host_country"], kind="stable")
    return table.reset_index(drop=True)


def company_origin(
    companies: pd.DataFrame,
    origin_groups: OriginGroupsLike = None,
    evidence: Any = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """One row per company x host: ``company_id``, ``origin_country``, ``host_country``,
    ``host_source``, ``origin_group`` (see the module docstring for the host rule; hosts
    from :func:`company_hosts`, which reads ``evidence`` for companies without
    ``host_countries``)."""
    grouping = load_origin_groups(origin_groups)
    id_col = _id_column(companies)
    origin = pd.Series(
        companies["origin_country"].astype("string").to_numpy(),
        index=companies[id_col].astype("string").to_numpy(),
    )
    table = company_hosts(companies, evidence, as_of)
    table.insert(1, "origin_country", table["company_id"].map(origin).astype("string"))
    table["origin_group"] = grouping.assign(table["origin_country"], table["host_country"])
    return table


def evidence_origin(
    evidence: pd.DataFrame,
    companies: pd.DataFrame,
    origin_groups: OriginGroupsLike = None,
) -> pd.DataFrame:
    """The evidence frame with ``origin_country`` and ``origin_group`` added, the group taken
    relative to the record's ``country`` (where it happened). Group-level testimony
    (no ``company_id``) keeps its stated ``group.origin_group`` in ``origin_group``
    (``<NA>`` when it names none)."""
    grouping = load_origin_groups(origin_groups)
    id_col = _id_column(companies)
    origin = pd.Series(
        companies["origin_country"].astype("string").to_numpy(),
        index=companies[id_col].astype("string").to_numpy(),
    )
    out = evidence.copy()
    company = out["company_id"].astype("string")
    out["origin_country"] = company.map(origin).astype("string")
    assigned = grouping.assign(out["origin_country"], out["country"])
    if "group.origin_group" in out.columns:
        testimony = company.isna()
        assigned = assigned.mask(testimony, out["group.origin_group"].astype("string"))
    out["origin_group"] = assigned.astype("string")
    return out
