"""Evidence-level comparison by origin group (or sector, host, ownership), below the scores.

Scores compress many records into one number; this view counts what happened, per group, in
the spirit of the Business & Human Rights Resource Centre's response rates by headquarters
region:

- **retaliation share**: companies with at least one company-attributable retaliation record
  (:data:`COMPANY_ACTORS` carried it out, or ``company_involvement`` is set) of the given
  statuses (default ``verified``) / companies with any evidence in the group. A verified
  arrest by the state with no company involvement recorded is not the company's retaliation;
  ``attributable_only=False`` counts every actor;
- **median wage ratio**: median over companies of each company's median wage / benchmark;
- **refusal rate**: union-dialogue records where the company refused to meet or ignored a
  request / dialogue records where dialogue was sought (strikes and lockouts are not counted);
- **response rate**: allegations the company responded to / allegations whose approach is
  settled (responded, declined, no response; ``invited`` is still open and not counted).

Each rate comes with its denominator and a Wilson interval. The origin group of a record is
taken relative to the country where it happened. Retracted records are left out. Group-level
testimony (records about a group, without a company) is **never** counted as company data: it
is listed in :attr:`EvidenceComparison.testimony` and counted per group in
``testimony_records`` only.

Sectors group as in :func:`.compare.compare` (``sector``: ISIC division, ``sector_section``:
ISIC section). Companies with insufficient evidence for a score are not left out here: this
view counts records, and each rate shows its numerator and denominator.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..evidence.evidence_set import EvidenceSet
from ..evidence.frame import Frames
from ..evidence.sectors import Level, SectorVocabularyLike, load_sector_vocabulary
from .keys import EVIDENCE_KEYS, UNKNOWN, check_keys, group_label
from .origin import OriginGroupsLike, evidence_origin, load_origin_groups

#: Dialogue events where dialogue was sought (the refusal-rate denominator).
DIALOGUE_SOUGHT = (
    "recognition",
    "collective_agreement",
    "negotiation",
    "meeting",
    "request_ignored",
    "refusal_to_meet",
)
#: Actors whose retaliation is attributed to the company without a ``company_involvement``.
COMPANY_ACTORS = ("company", "security_contractor")
DIALOGUE_REFUSED = ("request_ignored", "refusal_to_meet")
RESPONSE_SETTLED = ("responded", "declined", "no_response")

#: Columns of :attr:`EvidenceComparison.groups` after the key columns.
EVIDENCE_GROUP_COLUMNS: dict[str, str] = {
    "group": "string",
    "companies": "Int64",  # companies with any (non-retracted) evidence in the group
    "companies_with_retaliation": "Int64",
    "retaliation_share": "Float64",
    "retaliation_share_ci_low": "Float64",
    "retaliation_share_ci_high": "Float64",
    "companies_with_wage_ratio": "Int64",
    "wage_ratio_median": "Float64",
    "dialogue_records": "Int64",  # dialogue sought (see DIALOGUE_SOUGHT)
    "dialogue_refusals": "Int64",
    "refusal_rate": "Float64",
    "refusal_rate_ci_low": "Float64",
    "refusal_rate_ci_high": "Float64",
    "allegations_settled": "Int64",  # company_response responded/declined/no_response
    "responses": "Int64",
    "response_rate": "Float64",
    "response_rate_ci_low": "Float64",
    "response_rate_ci_high": "Float64",
    "testimony_records": "Int64",  # group-level testimony naming this group (not companies)
    "small_group": "boolean",  # companies < min_n
    "warning": "string",
}
#: Columns of :attr:`EvidenceComparison.testimony`.
TESTIMONY_COLUMNS: dict[str, str] = {
    "id": "string",
    "kind": "string",
    "origin_group": "string",  # as stated by the testimony; <NA> when it names no group
    "description": "string",
    "sector": "string",
    "country": "string",
    "date": "datetime64[ns]",
    "status": "string",
    "summary": "string",
    "source_url": "string",
}
#: testimony columns of free text and of links (redacted unless personal data are included)
_TESTIMONY_TEXT = ("description", "summary")
_TESTIMONY_URLS = ("source_url",)


@dataclass(frozen=True)
class EvidenceComparison:
    """Per-group evidence rates (``groups``) and the group-level testimony beside them."""

    groups: pd.DataFrame
    testimony: pd.DataFrame
    by: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.groups.copy()

    def to_dict(self) -> dict[str, Any]:
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = json.loads(
                frame.to_json(orient="records", date_format="iso", double_precision=15)
            )
            return out

        return {
            "by": list(self.by),
            "options": self.options,
            "groups": records(self.groups),
            "testimony": records(self.testimony),
        }


def wilson_interval(
    successes: npt.ArrayLike, trials: npt.ArrayLike, level: float = 0.95
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Wilson score interval of a proportion, vectorised; NaN where there are no trials."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1.0 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def _frames(evidence: EvidenceSet | Frames) -> Frames:
    return evidence.frames() if isinstance(evidence, EvidenceSet) else evidence


def _testimony(ev: pd.DataFrame) -> pd.DataFrame:
    rows = ev[ev["company_id"].isna()]
    data = {
        "id": rows["id"],
        "kind": rows["kind"].astype("string"),
        "origin_group": rows["group.origin_group"],
        "description": rows["group.description"],
        "sector": rows["group.sector"].astype("string"),
        "country": rows["country"],
        "date": rows["effective_date"],
        "status": rows["status"].astype("string"),
        "summary": rows["summary"],
        "source_url": rows["source_url"],
    }
    frame = pd.DataFrame(data).astype(TESTIMONY_COLUMNS)
    return frame.sort_values(["origin_group", "date", "id"], kind="stable").reset_index(drop=True)


def compare_evidence(
    evidence: EvidenceSet | Frames,
    by: str | Sequence[str] = "origin_group",
    *,
    origin_groups: OriginGroupsLike = None,
    retaliation_statuses: Sequence[str] = ("verified",),
    attributable_only: bool = True,
    since: dt.date | None = None,
    as_of: dt.date | None = None,
    level: float = 0.95,
    min_n: int = 5,
    sectors: SectorVocabularyLike = None,
    include_personal_data: bool = False,
) -> EvidenceComparison:
    """Evidence rates per group (see the module docstring and
    :data:`EVIDENCE_GROUP_COLUMNS`). Only records with ``since <= effective date <= as_of``
    count when those are given (the CLI passes the rubric's window start as ``since``).
    ``attributable_only`` (default) counts retaliation only when the company, its security
    contractor or a recorded ``company_involvement`` ties it to the company. ``sectors`` is
    the sector vocabulary (default: the one in effect). Unless ``include_personal_data``,
    the testimony is shown through the privacy policy of the evidence
    (:mod:`bhrscore.evidence.privacy`): protected names in its text become ``[redacted]``,
    ids carrying them opaque ids, links carrying them the source's domain and title."""
    keys = check_keys(by, "by", EVIDENCE_KEYS, required=True)
    frames = _frames(evidence)
    grouping = load_origin_groups(origin_groups)
    ev = evidence_origin(frames.evidence, frames.companies, grouping)
    ev = ev[ev["status"].astype("string") != "retracted"]
    if since is not None:
        ev = ev[ev["effective_date"] >= pd.Timestamp(since)]
    if as_of is not None:
        ev = ev[ev["effective_date"] <= pd.Timestamp(as_of)]
    testimony = _testimony(ev)
    if not include_personal_data:
        from ..evidence.privacy import Privacy

        privacy = Privacy.of(frames.evidence, getattr(evidence, "report", None))
        testimony = privacy.frame(
            testimony,
            text=_TESTIMONY_TEXT,
            ids=("id",),
            urls=tuple((c, None) for c in _TESTIMONY_URLS),
        ).frame
    ev = ev[ev["company_id"].notna()].copy()
    ev["company_id"] = ev["company_id"].astype("string")
    ev["host_country"] = ev["country"].astype("string")
    companies = frames.companies.set_index(frames.companies["id"].astype("string"))
    for key in ("ownership", "hq_country"):
        if key in keys:
            ev[key] = ev["company_id"].map(companies[key].astype("string")).astype("string")
    sector_keys = [k for k in ("sector", "sector_section") if k in keys]
    if sector_keys:
        vocabulary = load_sector_vocabulary(sectors)
        codes = companies["sectors"].map(lambda v: tuple(v) if v else (pd.NA,))
        ev["_code"] = ev["company_id"].map(codes)
        ev["_row"] = np.arange(len(ev))
        ev = ev.explode("_code")
        code = ev["_code"].astype("string")
        for key in sector_keys:
            depth: Level = "division" if key == "sector" else "section"
            ev[key] = vocabulary.groups(code, depth).to_numpy()
        # a company whose codes fall in one group (oil-gas and 06) counts its records once
        ev = ev.drop_duplicates(["_row", *sector_keys]).drop(columns=["_code", "_row"])
    for key in keys:
        ev[key] = ev[key].astype("string").fillna(UNKNOWN)

    kind = ev["kind"].astype("string")
    status = ev["status"].astype("string")
    event = ev["event"].astype("string")
    response = ev["company_response.status"].astype("string")
    ev["_retaliation"] = (kind == "retaliation") & status.isin(list(retaliation_statuses))
    if attributable_only:
        actor = ev["actor"].astype("string")
        involved = ev["company_involvement"].notna()
        ev["_retaliation"] &= actor.isin(list(COMPANY_ACTORS)).fillna(False) | involved
    ev["_sought"] = (kind == "union_dialogue") & event.isin(DIALOGUE_SOUGHT)
    ev["_refused"] = ev["_sought"] & event.isin(DIALOGUE_REFUSED)
    ev["_settled"] = response.isin(RESPONSE_SETTLED)
    ev["_responded"] = response == "responded"
    ev["_ratio"] = ev["benchmark_ratio"].astype("float64")
    for flag in ("_retaliation", "_sought", "_refused", "_settled", "_responded"):
        ev[flag] = ev[flag].fillna(False).astype(bool)

    keys_list = list(keys)
    per_company = ev.groupby([*keys_list, "company_id"], sort=True).agg(
        retaliation=("_retaliation", "max"), ratio=("_ratio", "median")
    )
    company_level = per_company.groupby(level=keys_list, sort=True).agg(
        companies=("retaliation", "size"),
        companies_with_retaliation=("retaliation", "sum"),
        companies_with_wage_ratio=("ratio", "count"),
        wage_ratio_median=("ratio", "median"),
    )
    record_level = ev.groupby(keys_list, sort=True).agg(
        dialogue_records=("_sought", "sum"),
        dialogue_refusals=("_refused", "sum"),
        allegations_settled=("_settled", "sum"),
        responses=("_responded", "sum"),
    )
    table = company_level.join(record_level, how="outer")
    if keys == ("origin_group",):
        named = testimony["origin_group"].dropna()
        testified = named.value_counts().rename("testimony_records")
        testified.index = pd.Index(testified.index.astype(str), name="origin_group")
        table = table.join(testified, how="outer")
        order = {g: i for i, g in enumerate(grouping.groups)}
        table = table.sort_index(key=lambda idx: idx.map(lambda g: (order.get(g, len(order)), g)))
    else:
        table["testimony_records"] = 0
    counts = [
        "companies",
        "companies_with_retaliation",
        "companies_with_wage_ratio",
        "dialogue_records",
        "dialogue_refusals",
        "allegations_settled",
        "responses",
        "testimony_records",
    ]
    table[counts] = table[counts].fillna(0).astype("int64")
    table = table.reset_index()
    for rate, k, n in (
        ("retaliation_share", "companies_with_retaliation", "companies"),
        ("refusal_rate", "dialogue_refusals", "dialogue_records"),
        ("response_rate", "responses", "allegations_settled"),
    ):
        kk, nn = table[k].to_numpy(float), table[n].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            table[rate] = np.where(nn > 0, kk / nn, np.nan)
        low, high = wilson_interval(kk, nn, level)
        table[f"{rate}_ci_low"], table[f"{rate}_ci_high"] = low, high
    table["group"] = group_label(table, keys_list)
    table["small_group"] = table["companies"] < min_n
    table["warning"] = [
        (
            "no company-level evidence: testimony only"
            if c == 0
            else f"{c} compan{'y' if c == 1 else 'ies'} < {min_n}: rates are anecdotal"
        )
        if small
        else None
        for c, small in zip(table["companies"], table["small_group"], strict=True)
    ]
    columns = dict.fromkeys(keys_list, "string") | EVIDENCE_GROUP_COLUMNS
    groups = table[list(columns)].astype(columns).reset_index(drop=True)
    options = {
        "retaliation_statuses": list(retaliation_statuses),
        "attributable_only": attributable_only,
        "since": since.isoformat() if since else None,
        "as_of": as_of.isoformat() if as_of else None,
        "level": level,
        "min_n": min_n,
        "origin_groups": grouping.source,
    }
    return EvidenceComparison(groups=groups, testimony=testimony, by=keys, options=options)
