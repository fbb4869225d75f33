"""Origin groups: where a company comes from, relative to where it operates.

A company's **origin country** is its explicit ``origin_country``, else the HQ country of its
ultimate parent (``parent_id`` chains are resolved by
:func:`bhrscore.evidence.frame.resolve_parents`).
An **origin group** (``china``, ``western``, ``domestic``, ``other``, ``unknown`` in the default
grouping) is assigned *relative to a host country*:

1. origin unknown -> ``unknown``;
2. origin equals the host country -> ``domestic`` (a Kazakh company in Kazakhstan);
3. origin listed in a group -> that group (a Kazakh company in Georgia is ``other``);
4. anything else -> ``other``.

**Which host.** Scores are per company, so a company is compared in each country it lists in
``host_countries`` (one row per company x host, :func:`company_hosts`); a company without host
countries is taken to operate where it is headquartered (``hq_country``). Evidence-level
comparisons use the country where each record happened (:func:`evidence_origin`), so the
same company can be domestic for one record and foreign for another.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..evidence.codes import country_codes

#: The default grouping shipped with bhrscore (``bhrscore/data/origin_groups.yaml``).
DEFAULT_ORIGIN_GROUPS = "origin_groups.yaml"
_GROUP_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class OriginGroupsError(ValueError):
    """An origin grouping that cannot be used (names the file and the key at fault)."""


@dataclass(frozen=True)
class OriginGroups:
    """A mapping of origin countries to groups, plus the labels for the relative groups.

    ``countries`` maps ISO 3166-1 alpha-2 codes to group names; ``domestic`` is the label used
    when origin equals host (``None`` turns the rule off); ``other`` labels unlisted origins
    and ``unknown`` companies whose origin is not known.
    """

    countries: Mapping[str, str]
    domestic: str | None = "domestic"
    other: str = "other"
    unknown: str = "unknown"
    source: str = field(default="<dict>", compare=False)

    @property
    def groups(self) -> tuple[str, ...]:
        """Every label this grouping can produce, listed groups first (in file order)."""
        names = list(dict.fromkeys(self.countries.values()))
        for label in (self.domestic, self.other, self.unknown):
            if label is not None and label not in names:
                names.append(label)
        return tuple(names)

    def assign(self, origin: pd.Series, host: pd.Series | None = None) -> pd.Series:
        """The origin group of each (origin, host) pair, vectorised.

        ``host`` may be ``None`` or contain missing values: the domestic rule then does not
        apply and the origin's listed group (or ``other``) is used.
        """
        origin = origin.astype("string")
        mapped = origin.map(dict(self.countries)).astype("string").fillna(self.other)
        if host is not None and self.domestic is not None:
            host = pd.Series(host.to_numpy(), index=origin.index).astype("string")
            same = (origin == host).fillna(False).astype(bool)
            mapped = mapped.mask(same, self.domestic)
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
      "unknown": ...}``;
    - a bare ``{group: [countries]}``;
    - a bare ``{country: group}``.
    """
    if not isinstance(data, Mapping):
        raise OriginGroupsError(f"{source}: expected a mapping, got {type(data).__name__}")
    labels: dict[str, Any] = {"domestic": "domestic", "other": "other", "unknown": "unknown"}
    if "groups" in data:
        extra = set(data) - {"groups", *labels}
        if extra:
            raise OriginGroupsError(f"{source}: unknown keys {sorted(extra)}")
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
    for key in ("other", "unknown"):
        _check_label(labels[key], f"{source}: {key}")
    if labels["domestic"] is not None:
        _check_label(labels["domestic"], f"{source}: domestic")
    return OriginGroups(
        countries=countries,
        domestic=labels["domestic"],
        other=labels["other"],
        unknown=labels["unknown"],
        source=source,
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
        return origin_groups_from_mapping(yaml.safe_load(text), f"bhrscore:{DEFAULT_ORIGIN_GROUPS}")
    if isinstance(spec, str | Path):
        path = Path(spec)
        try:
            data = yaml.safe_load(path.read_text("utf-8"))
        except yaml.YAMLError as exc:
            raise OriginGroupsError(f"{path}: not valid YAML: {exc}") from None
        except OSError as exc:
            raise OriginGroupsError(f"{path}: {exc.strerror or exc}") from None
        return origin_groups_from_mapping(data, str(path))
    return origin_groups_from_mapping(spec)


def _id_column(frame: pd.DataFrame) -> str:
    return "company_id" if "company_id" in frame.columns else "id"


def company_hosts(companies: pd.DataFrame) -> pd.DataFrame:
    """One row per company x host country: ``company_id``, ``host_country``.

    Hosts are the company's ``host_countries``; a company without any is taken to operate in
    its ``hq_country`` (``<NA>`` when that is unknown too). Accepts the companies frame
    (``id``) or a score card's companies table (``company_id``). Sorted by company, host.
    """
    ids = companies[_id_column(companies)].astype("string").to_numpy()
    hosts = companies["host_countries"].map(
        lambda v: tuple(v) if isinstance(v, tuple | list) else ()
    )
    hq = companies["hq_country"].astype("string").to_numpy()
    hosts = pd.Series(
        [h if h else (c,) for h, c in zip(hosts.to_list(), hq, strict=True)], dtype="object"
    )
    table = pd.DataFrame({"company_id": ids, "host_country": hosts}).explode("host_country")
    table["company_id"] = table["company_id"].astype("string")
    table["host_country"] = table["host_country"].astype("string")
    table = table.drop_duplicates().sort_values(["company_id", "host_country"], kind="stable")
    return table.reset_index(drop=True)


def company_origin(
    companies: pd.DataFrame,
    origin_groups: OriginGroupsLike = None,
) -> pd.DataFrame:
    """One row per company x host: ``company_id``, ``origin_country``, ``host_country``,
    ``origin_group`` (see the module docstring for the host rule)."""
    grouping = load_origin_groups(origin_groups)
    id_col = _id_column(companies)
    origin = pd.Series(
        companies["origin_country"].astype("string").to_numpy(),
        index=companies[id_col].astype("string").to_numpy(),
    )
    table = company_hosts(companies)
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
