"""Clearly fictional companies and evidence for tests and benchmarks.

Nothing here describes a real company: names read ``Fictional Drilling Co 0001``, ids
``syn-c000001`` (companies) and ``syn-e0000001`` (evidence), persons ``Jane Example``, and every
URL is on the reserved domain ``example.org``. Country, currency and sector codes are real
(ISO 3166-1, ISO 4217, the sector vocabulary) so that the data passes validation.

Two entry points hold the same data:

- :func:`synthetic_frames` builds the two :class:`~bhrscore.evidence.frame.Frames` directly with
  numpy (no per-record Python loop), with exactly the columns and dtypes of
  :func:`~bhrscore.evidence.frame.evidence_dtypes` and
  :func:`~bhrscore.evidence.frame.company_dtypes`. It is fast enough for benchmarks at
  1,000,000 records x 10,000 companies.
- :func:`synthetic_evidence` converts those frames, row by row, into the pydantic models and
  returns an :class:`~bhrscore.evidence.evidence_set.EvidenceSet` (for small sizes), so
  ``synthetic_evidence(...).frames()`` equals ``synthetic_frames(...)`` for the same arguments.

Both are deterministic for a given ``seed`` (one ``numpy.random.default_rng(seed)``).

What is generated
-----------------
Companies: origins (headquarters of top-level companies) drawn from ``ORIGINS`` (CN, KZ, NL,
US, GB, FR, RU, TR); about 70 % are top-level, 20 % subsidiaries of a top-level company and
10 % subsidiaries of a subsidiary (so ownership chains are up to three levels deep,
``parent_depth`` 0-2). Subsidiaries are registered in KZ (60 %) or in their parent's country;
about 5 % of top-level companies carry an explicit ``origin_country`` that differs from their
headquarters. Host countries are mostly KZ, some GE, a few both; sectors come from the
vocabulary.

Evidence: all six kinds, each with the fields it needs to be valid (wage: amount, currency,
pay period and a benchmark, or arrears, or a gap; retaliation: action, target role, actor,
trigger...; statement: type, topics, standards; assessment: question id and answer or value;
screening: a non-empty set of screening topics, company-level only).
Dates fall within four years before ``as_of``; sources are published on or after the event
and never after ``as_of``. A share ``group_share`` of records is group-level testimony (no
``company_id``; ``group.origin_group`` one of ``china``, ``western``, ``domestic`` or unset).

The planted origin effect
-------------------------
A record is *CN-linked* when its company's resolved ``origin_country`` (the ``origin_country``
column: the first explicit origin up the parent chain, else the ultimate parent's HQ) is ``CN``,
or when it is group testimony with ``origin_group == "china"``. With ``e = origin_effect``
(between -1 and 1; 0 = no effect)
and everything else drawn identically for all origins:

- **Wages**: a wage record with a benchmark has ``amount = round(benchmark * r)`` with
  ``r = exp(Normal(log 1.05, 0.25))``; for CN-linked records ``r`` is multiplied by
  ``1 - 0.5 * e``. So ``e > 0`` lowers the CN mean ``benchmark_ratio`` (about halved at e=1).
- **Dialogue**: the share of negative ``union_dialogue`` events (``request_ignored``,
  ``refusal_to_meet``, ``lockout``) is 0.20 for other records and ``clip(0.20 + 0.40 * e, 0,
  0.9)`` for CN-linked ones.
- **Retaliation**: kinds are drawn with weights union_dialogue 0.25, wage 0.25, retaliation
  0.15, statement 0.20, assessment 0.15, screening 0.10; for CN-linked records the
  retaliation weight is multiplied by ``max(0, 1 + 2 * e)`` (tripled at e=1) before
  normalising, so CN-linked companies get more retaliation records per record.
- **Wage level against peers**: wage records without an amount that carry
  ``relative_to_peers`` are ``lowest`` with probability ``max(0, e)`` when CN-linked, else a
  uniform draw over the levels.

Negative ``e`` reverses the first three (the peer level then has no effect). All other columns
are drawn the same way for every origin.

Sources of records with ``source_count == 2`` are the first source (from the ``source_*``
columns) and a follow-up whose URL is the first URL plus ``/follow-up``, title the first title
plus `` (follow-up)``, publisher ``Example Labour Monitor``, type ``ngo_report`` and the same
publication date. Each company has one source: ``https://example.org/synthetic/companies/<id>``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .evidence.evidence_set import EvidenceSet
from .evidence.frame import (
    DERIVED_COMPANY,
    Frames,
    base_evidence_dtypes,
    company_dtypes,
    evidence_dtypes,
    resolve_parents,
)
from .evidence.hooks import FrameView
from .evidence.model import Company, EvidenceBase
from .evidence.registry import evidence_kinds
from .evidence.vocab import (
    DialogueEvent,
    PeerLevel,
    RetaliationAction,
    ScreeningTopic,
    SourceType,
    Standard,
    StatementTopic,
    StatementType,
    Strength,
    TargetRole,
    Trigger,
    WageGapType,
)

__all__ = [
    "DEFAULT_AS_OF",
    "ORIGINS",
    "synthetic_evidence",
    "synthetic_frames",
]

DEFAULT_AS_OF = dt.date(2025, 12, 31)
"""Default ``as_of`` (fixed, never today's date, so outputs are reproducible)."""

ORIGINS: tuple[str, ...] = ("CN", "KZ", "NL", "US", "GB", "FR", "RU", "TR")
"""Headquarters countries of top-level synthetic companies, drawn with ``ORIGIN_WEIGHTS``."""
ORIGIN_WEIGHTS = (0.25, 0.25, 0.10, 0.10, 0.08, 0.07, 0.10, 0.05)

KIND_WEIGHTS = {
    "union_dialogue": 0.25,
    "wage": 0.25,
    "retaliation": 0.15,
    "statement": 0.20,
    "assessment": 0.15,
    "screening": 0.10,
}
NEGATIVE_DIALOGUE_SHARE = 0.20
WAGE_RATIO_LOG_MEAN = math.log(1.05)
WAGE_RATIO_LOG_SD = 0.25
YEARS_BACK = 4

# Sector codes: the short aliases of bhrscore/data/isic4.yaml (oil-gas is ISIC 06, ...).
_SECTOR_WORDS = {
    "oil-gas": "Oil",
    "oilfield-services": "Drilling",
    "shipping-logistics": "Shipping",
    "mining": "Mining",
    "metals": "Metals",
    "construction": "Construction",
    "energy-utilities": "Power",
    "manufacturing": "Manufacturing",
    "apparel": "Apparel",
    "electronics": "Electronics",
    "agriculture": "Farming",
    "finance": "Finance",
    "other": "Trading",
}
# Sector weights: the Mangystau case is about oil, so oil and its contractors dominate.
_SECTOR_WEIGHTS = (0.30, 0.25, 0.08, 0.08, 0.05, 0.08, 0.04, 0.04, 0.02, 0.02, 0.02, 0.01, 0.01)
_HOSTS: tuple[tuple[str, ...], ...] = (("KZ",), ("GE",), ("KZ", "GE"))
_HOST_WEIGHTS = (0.80, 0.12, 0.08)
_REGIONS = {
    "KZ": ("Mangystau", "Atyrau", "West Kazakhstan", "Aktobe", "Karaganda"),
    "GE": ("Tbilisi", "Adjara", "Kvemo Kartli"),
}
_CURRENCY = {"KZ": "KZT", "GE": "GEL"}
# Monthly benchmark amounts per currency (fictional round figures), by WageBenchmarkType order.
_BENCHMARKS = {"KZT": (250_000.0, 85_000.0, 400_000.0), "GEL": (1_200.0, 300.0, 1_600.0)}
_GROUPS: tuple[tuple[str | None, str], ...] = (
    ("china", "Chinese-owned companies"),
    ("western", "Western companies"),
    ("domestic", "Domestic companies"),
    (None, "Companies of unstated ownership"),
)
_PUBLISHERS = (
    "Example News Agency",
    "Example Labour Monitor",
    "Example Workers' Bulletin",
    "Example Rights Watch",
    "Example Business Daily",
)
_PERSONS = ("Jane Example", "John Example", "Alex Example", "Sam Example")
_UNION_NAMES = tuple(f"Fictional Workers' Union {k}" for k in range(1, 21))
_QUESTIONS = tuple(f"syn-q{k:02d}" for k in range(1, 21))
_FRAMEWORKS = ("syn-benchmark-a", "syn-benchmark-b")
_FOLLOW_UP_PUBLISHER = "Example Labour Monitor"

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]


def _values(enum: Any) -> list[str]:
    return [m.value for m in enum]


def _objects(items: Sequence[Any]) -> ObjArray:
    """An object array holding ``items`` as they are (tuples stay tuples)."""
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def _subsets(values: Sequence[str]) -> ObjArray:
    """All subsets of ``values`` as tuples, indexed by bitmask."""
    return _objects(
        [
            tuple(v for b, v in enumerate(values) if mask >> b & 1)
            for mask in range(1 << len(values))
        ]
    )


def _numbered(prefix: str, numbers: IntArray, width: int, suffix: str = "") -> ObjArray:
    """``prefix`` + zero-padded numbers + ``suffix``, vectorised."""
    digits = np.strings.zfill(numbers.astype(str), width)
    return np.strings.add(np.strings.add(prefix, digits), suffix).astype(object)


def _pick(rng: np.random.Generator, n: int, weights: Sequence[float]) -> IntArray:
    """``n`` indices drawn with the given weights."""
    cumulative = np.cumsum(np.asarray(weights, dtype=float))
    picked = np.searchsorted(cumulative / cumulative[-1], rng.random(n), side="right")
    return np.minimum(picked, len(cumulative) - 1).astype(np.int64)


def _cat(codes: IntArray, dtype: pd.CategoricalDtype, valid: BoolArray | None = None) -> pd.Series:
    """A categorical series from integer codes into ``dtype.categories`` (-1 = missing)."""
    codes = codes.astype(np.int64, copy=True)
    if valid is not None:
        codes[~valid] = -1
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype))


def _cat_of(
    values: Sequence[str], codes: IntArray, dtype: pd.CategoricalDtype, valid: BoolArray
) -> pd.Series:
    """Like :func:`_cat` for codes into ``values`` (a subset of the categories)."""
    cats = list(dtype.categories)
    mapping = np.array([cats.index(v) for v in values], dtype=np.int64)
    return _cat(mapping[codes], dtype, valid)


def _nullable(values: npt.NDArray[Any], valid: BoolArray, dtype: Any) -> pd.Series:
    """A nullable ``Int64``/``Float64`` series: ``values`` where ``valid``, else ``<NA>``."""
    return pd.Series(pd.array(values, dtype=dtype)).mask(~valid)


def _text(values: ObjArray, valid: BoolArray | None = None) -> pd.Series:
    """A ``string`` series from an object array (``None`` where not ``valid``)."""
    if valid is not None:
        values = values.copy()
        values[~valid] = None
    return pd.Series(pd.array(values, dtype="string"))


def _arrow_strings() -> bool:
    """Whether pandas stores ``string`` columns in pyarrow (the fast path below)."""
    return bool(pd.StringDtype().storage == "pyarrow")


def _lookup_text(
    table: Sequence[str], codes: IntArray, valid: BoolArray | None = None
) -> pd.Series:
    """A ``string`` series of ``table[codes]`` (``<NA>`` where not ``valid``), without a
    per-record Python loop when pyarrow is available."""
    if _arrow_strings():
        import pyarrow as pa

        mask = None if valid is None else ~valid
        taken = pa.array(list(table), type=pa.string()).take(pa.array(codes, mask=mask))
        return pd.Series(pd.arrays.ArrowStringArray(taken))
    return _text(_objects(list(table))[codes], valid)


def _numbered_text(
    prefix: str, numbers: IntArray, width: int, suffix: str = "", valid: BoolArray | None = None
) -> pd.Series:
    """A ``string`` series of ``prefix`` + zero-padded ``numbers`` + ``suffix``."""
    if _arrow_strings():
        import pyarrow as pa
        import pyarrow.compute as pc

        digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=width, padding="0")
        joined = pc.binary_join_element_wise(prefix, digits, suffix, "")
        if valid is not None:
            joined = pc.if_else(pa.array(valid), joined, pa.scalar(None, pa.string()))
        return pd.Series(pd.arrays.ArrowStringArray(joined))
    return _text(_numbered(prefix, numbers, width, suffix), valid)


def _dates(days: IntArray, valid: BoolArray) -> pd.Series:
    """``datetime64[ns]`` from days since the epoch, ``NaT`` where not ``valid``."""
    out = days.astype("datetime64[D]").astype("datetime64[ns]")
    out[~valid] = np.datetime64("NaT")
    return pd.Series(out)


def _check(companies: int, records: int, origin_effect: float, group_share: float) -> None:
    if companies < 1:
        raise ValueError(f"companies must be at least 1, got {companies}")
    if records < 0:
        raise ValueError(f"records must not be negative, got {records}")
    if not -1.0 <= origin_effect <= 1.0:
        raise ValueError(f"origin_effect must be between -1 and 1, got {origin_effect}")
    if not 0.0 <= group_share <= 1.0:
        raise ValueError(f"group_share must be between 0 and 1, got {group_share}")


def _company_frame(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, IntArray]:
    """The companies frame and each company's host code (index into ``_HOSTS``)."""
    dtypes = company_dtypes()
    index = np.arange(n, dtype=np.int64)
    ids = _numbered("syn-c", index + 1, 6)

    # Ownership tiers: 0 top-level, 1 subsidiary of a tier-0, 2 subsidiary of a tier-1.
    tier = _pick(rng, n, (0.70, 0.20, 0.10))
    tier[0] = 0
    if not (tier == 1).any():
        tier[tier == 2] = 1
    parent = np.full(n, -1, dtype=np.int64)
    for level in (1, 2):
        members = np.flatnonzero(tier == level)
        candidates = np.flatnonzero(tier == level - 1)
        parent[members] = candidates[rng.integers(0, len(candidates), size=len(members))]

    origin_code = _pick(rng, n, ORIGIN_WEIGHTS)
    origins = np.array(ORIGINS, dtype=object)
    hq = origins[origin_code]
    # Subsidiaries: registered in KZ (60 %) or in their parent's country, set level by level.
    local = rng.random(n) < 0.6
    for level in (1, 2):
        members = np.flatnonzero(tier == level)
        hq[members] = np.where(local[members], "KZ", hq[parent[members]])
    explicit = (tier == 0) & (rng.random(n) < 0.05)
    shift = rng.integers(1, len(ORIGINS), size=n)
    origin_explicit = origins[(origin_code + shift) % len(ORIGINS)]

    sector_codes = np.array(list(_SECTOR_WORDS), dtype=object)
    primary = _pick(rng, n, _SECTOR_WEIGHTS)
    second = (primary + rng.integers(1, len(sector_codes), size=n)) % len(sector_codes)
    two = rng.random(n) < 0.25
    mask = (1 << primary) | np.where(two, 1 << second, 0)
    sectors = _subsets(list(sector_codes))[mask]
    words = np.array([_SECTOR_WORDS[s] for s in sector_codes], dtype=object)
    number_width = max(4, len(str(n)))
    names = np.strings.add(
        np.strings.add("Fictional ", words[primary].astype(str)),
        np.strings.add(" Co ", np.strings.zfill((index + 1).astype(str), number_width)),
    ).astype(object)
    host = _pick(rng, n, _HOST_WEIGHTS)
    ownership = _pick(rng, n, (0.15, 0.45, 0.30, 0.10))

    all_true = np.ones(n, dtype=bool)
    empty = _objects([()])[np.zeros(n, dtype=np.int64)]
    data: dict[str, Any] = {
        "id": _text(ids),
        "name": _text(names),
        "aliases": pd.Series(empty, dtype=object),
        "hq_country": _text(hq),
        "parent_id": _text(ids[np.maximum(parent, 0)], parent >= 0),
        "ownership": _cat(ownership, dtypes["ownership"], rng.random(n) < 0.9),
        "sectors": pd.Series(sectors, dtype=object),
        "host_countries": pd.Series(_objects(list(_HOSTS))[host], dtype=object),
        "identifiers.lei": _text(ids, ~all_true),
        "identifiers.isin": _text(ids, ~all_true),
        "identifiers.wikidata": _text(ids, ~all_true),
        "identifiers.website": _text(
            np.strings.add("https://example.org/", ids.astype(str)).astype(object)
        ),
        "notes": _text(np.full(n, "Fictional company generated by bhrscore.synthetic", object)),
        "origin_country_explicit": _text(origin_explicit, explicit),
        "source_count": _nullable(np.ones(n, dtype=np.int64), all_true, "Int64"),
    }
    base = pd.DataFrame(data)
    resolved = resolve_parents(base).astype(dict(DERIVED_COMPANY))
    return resolved[list(dtypes)], host


def _kind_weight(name: str, model: type[EvidenceBase]) -> float:
    """A built-in kind's fixed weight; a plug-in kind's ``synthetic_weight`` when it can
    ``synthesize`` records, else 0 (never generated)."""
    if name in KIND_WEIGHTS:
        return KIND_WEIGHTS[name]
    if _synthesizes(model):
        return float(model.synthetic_weight)
    return 0.0


def _synthesizes(model: type[EvidenceBase]) -> bool:
    """Whether ``model`` overrides :meth:`EvidenceBase.synthesize`."""
    return model.synthesize.__func__ is not EvidenceBase.synthesize.__func__  # type: ignore[attr-defined]


def _plugin_columns(
    rng: np.random.Generator, kind: IntArray, dtypes: Mapping[str, Any]
) -> dict[str, pd.Series]:
    """Columns of the records of kinds that are not built in, from their ``synthesize``
    (one call per kind with all its rows: vectorised)."""
    out: dict[str, pd.Series] = {}
    n = len(kind)
    for code, (name, model) in enumerate(evidence_kinds().items()):
        if name in KIND_WEIGHTS or not _synthesizes(model):
            continue
        rows = np.flatnonzero(kind == code)
        if not len(rows):
            continue
        columns = model.synthesize(rng, len(rows)) or {}
        for column, values in columns.items():
            if column not in dtypes:
                raise ValueError(f"{name}.synthesize returned unknown column {column!r}")
            if len(values) != len(rows):
                raise ValueError(
                    f"{name}.synthesize returned {len(values)} values of {column!r} for "
                    f"{len(rows)} records"
                )
            full = out.get(column)
            if full is None:
                full = pd.Series([None] * n, dtype=object).astype(dtypes[column])
            out[column] = _placed(full, rows, values, dtypes[column])
        own = {c: out[c].iloc[rows].reset_index(drop=True) for c in columns}
        if "derived_columns" in vars(model):  # the kind's own derived values, as frames get
            view = FrameView(own, len(rows))
            for derived in model.derived_columns():
                full = out.get(derived.name)
                if full is None:
                    full = pd.Series([None] * n, dtype=object).astype(dtypes[derived.name])
                values = pd.Series(derived.compute(view)).to_numpy(dtype=object)
                out[derived.name] = _placed(full, rows, values, dtypes[derived.name])
    return out


def _placed(full: pd.Series, rows: IntArray, values: Any, dtype: Any) -> pd.Series:
    """``full`` with ``values`` at positions ``rows``, as ``dtype``."""
    merged = full.astype(object).to_numpy(copy=True)
    merged[rows] = np.asarray(values, dtype=object)
    return pd.Series(merged).replace({np.nan: None}).astype(dtype)


def _kind_codes(rng: np.random.Generator, cn: BoolArray, group: BoolArray, e: float) -> IntArray:
    """Kind index per record (registration order) with the planted retaliation effect."""
    kinds = list(evidence_kinds())
    base = np.array([_kind_weight(k, model) for k, model in evidence_kinds().items()])
    cn_weights = base.copy()
    cn_weights[kinds.index("retaliation")] *= max(0.0, 1.0 + 2.0 * e)
    group_mask = np.array([k in ("union_dialogue", "wage") for k in kinds], dtype=float)
    table = np.stack(
        [base, cn_weights, base * group_mask, cn_weights * group_mask]
    )  # rows: other, CN, group other, group CN
    cumulative = np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1)
    row = cn.astype(np.int64) + 2 * group.astype(np.int64)
    u = rng.random(len(cn))
    codes: IntArray = np.minimum((u[:, None] >= cumulative[row]).sum(axis=1), len(kinds) - 1)
    return codes.astype(np.int64)


def _evidence_frame(
    rng: np.random.Generator,
    companies: pd.DataFrame,
    host: IntArray,
    n: int,
    e: float,
    as_of: dt.date,
    group_share: float,
) -> pd.DataFrame:
    dtypes = evidence_dtypes()
    kinds = list(evidence_kinds())
    m = len(companies)
    numbers = np.arange(1, n + 1, dtype=np.int64)
    width = max(7, len(str(n)))

    # Subject: a company (busier companies get more records) or a group of companies.
    activity = rng.lognormal(0.0, 1.0, size=m)
    company = rng.choice(m, size=n, p=activity / activity.sum()).astype(np.int64)
    group = rng.random(n) < group_share
    group_code = _pick(rng, n, (0.35, 0.35, 0.20, 0.10))
    cn_company = (companies["origin_country"] == "CN").fillna(False).to_numpy(dtype=bool)
    cn = np.where(group, group_code == 0, cn_company[company])
    kind = _kind_codes(rng, cn, group, e)
    is_kind = {k: kind == i for i, k in enumerate(kinds)}

    # Where and when.
    host_of = np.where(group, 0, host[company])
    country_code = np.where(host_of == 2, rng.integers(0, 2, size=n), host_of)  # 0 KZ, 1 GE
    kz_regions, ge_regions = _REGIONS["KZ"], _REGIONS["GE"]
    region = np.where(
        country_code == 0,
        rng.integers(0, len(kz_regions), size=n),
        len(kz_regions) + rng.integers(0, len(ge_regions), size=n),
    )
    region = np.where(group & (country_code == 0), 0, region)  # group testimony: Mangystau
    has_region = group | (rng.random(n) < 0.8)
    as_of_day = (np.datetime64(as_of, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
    span = 365 * YEARS_BACK
    event_day = as_of_day - 30 - rng.integers(0, span - 30, size=n)
    is_period = rng.random(n) < 0.10
    period_start = event_day - rng.integers(1, 121, size=n)
    period_open = is_period & (rng.random(n) < 0.2)
    effective = np.where(is_period & period_open, period_start, event_day)
    published = np.minimum(event_day + rng.integers(0, 61, size=n), as_of_day)

    # Provenance.
    status = _pick(rng, n, (0.50, 0.25, 0.15, 0.07, 0.03))
    reliability = _pick(rng, n, (0.25, 0.55, 0.20))
    source_count = np.where(rng.random(n) < 0.2, 2, 1).astype(np.int64)
    source_type = _pick(rng, n, (0.35, 0.30, 0.03, 0.07, 0.10, 0.10, 0.05, 0.0, 0.0))
    publisher = rng.integers(0, len(_PUBLISHERS), size=n)
    url_prefix = "https://example.org/synthetic/evidence/syn-e"

    # Subtype labels feed summaries and titles.
    events = _values(DialogueEvent)
    positive = [
        events.index(v) for v in ("recognition", "collective_agreement", "negotiation", "meeting")
    ]
    negative = [events.index(v) for v in ("request_ignored", "refusal_to_meet", "lockout")]
    strike = events.index("strike")
    p_negative = np.where(
        cn, float(np.clip(NEGATIVE_DIALOGUE_SHARE + 0.40 * e, 0.0, 0.9)), NEGATIVE_DIALOGUE_SHARE
    )
    u = rng.random(n)
    is_negative = u < p_negative
    is_strike = ~is_negative & (u < p_negative + 0.10)
    event = np.where(
        is_negative,
        np.array(negative)[rng.integers(0, len(negative), size=n)],
        np.where(is_strike, strike, np.array(positive)[rng.integers(0, len(positive), size=n)]),
    )
    ud = is_kind["union_dialogue"]

    # Wages: 70 % amount + benchmark, 10 % amount only, 10 % arrears, 10 % gap.
    wg = is_kind["wage"]
    wage_form = _pick(rng, n, (0.70, 0.10, 0.10, 0.10))
    with_amount = wg & (wage_form <= 1)
    with_benchmark = wg & (wage_form == 0)
    with_arrears = wg & (wage_form == 2)
    with_gap = wg & (wage_form == 3)
    with_peers = wg & ~with_amount & (rng.random(n) < 0.3)
    bench_type = _pick(rng, n, (0.5, 0.3, 0.2))
    bench_table = np.array([_BENCHMARKS["KZT"], _BENCHMARKS["GEL"]])
    yearly = rng.random(n) < 0.1
    bench = bench_table[country_code, bench_type] * np.where(yearly, 12.0, 1.0)
    ratio = np.exp(rng.normal(WAGE_RATIO_LOG_MEAN, WAGE_RATIO_LOG_SD, size=n))
    ratio = ratio * np.where(cn, 1.0 - 0.5 * e, 1.0)
    amount = np.maximum(np.round(bench * ratio), 1.0)
    benchmark_ratio = amount / bench
    arrears_amount = np.round(rng.uniform(1e5, 5e7, size=n))
    arrears_has_amount = with_arrears & (rng.random(n) < 0.8)
    gap_ratio = np.round(rng.uniform(0.3, 1.0, size=n), 3)

    # Retaliation.
    rt = is_kind["retaliation"]
    actor = _pick(rng, n, (0.50, 0.30, 0.10, 0.10))
    involvement = _pick(rng, n, (0.6, 0.3, 0.1))
    has_involvement = rt & ((actor == 0) | (rng.random(n) < 0.3))
    targets = np.where(rng.random(n) < 0.8, 1, rng.integers(2, 200, size=n)).astype(np.int64)

    # Statements and assessments.
    st = is_kind["statement"]
    # Bitmask 0 is the empty tuple, used for records of other kinds.
    topics = _subsets(_values(StatementTopic))[
        np.where(st, rng.integers(1, 1 << len(StatementTopic), size=n), 0)
    ]
    # Screenings (null findings): a non-empty subset of the screening topics.
    sc = is_kind["screening"]
    screened_topics = _subsets(_values(ScreeningTopic))[
        np.where(sc, rng.integers(1, 1 << len(ScreeningTopic), size=n), 0)
    ]
    topics = np.where(sc, screened_topics, topics)
    standards = _subsets(_values(Standard))[
        np.where(st & (rng.random(n) >= 0.3), rng.integers(1, 1 << len(Standard), size=n), 0)
    ]
    asm = is_kind["assessment"]
    numeric = asm & (rng.random(n) < 0.1)

    # Company responses: on about a third of retaliation and dialogue records.
    responds = (rt | ud) & ~group & (rng.random(n) < 0.35)
    response = _pick(rng, n, (0.2, 0.4, 0.2, 0.2))
    response_dated = responds & ((response == 1) | (response == 2))
    response_day = np.minimum(published + rng.integers(0, 31, size=n), as_of_day)

    # People: named persons on some retaliation records, which are then sensitive.
    named = rt & ~group & (rng.random(n) < 0.3)
    persons = _objects([(), *((p,) for p in _PERSONS)])[
        np.where(named, 1 + rng.integers(0, len(_PERSONS), size=n), 0)
    ]

    summaries, summary_code, titles, title_code = _labels(
        kind, event, wage_form, group, group_code, n
    )

    none = np.zeros(n, dtype=bool)
    cat = dtypes
    data: dict[str, Any] = {
        "kind": _cat(kind, cat["kind"]),
        "id": _numbered_text("syn-e", numbers, width),
        "company_id": _lookup_text(companies["id"].tolist(), company, ~group),
        "group.description": _lookup_text([g[1] for g in _GROUPS], group_code, group),
        "group.origin_group": _lookup_text(
            [g[0] or "" for g in _GROUPS], group_code, group & (group_code < 3)
        ),
        "group.sector": _lookup_text(
            ["oil-gas", "oilfield-services"], rng.integers(0, 2, size=n), group
        ),
        "date": _dates(event_day, ~is_period),
        "period.start": _dates(period_start, is_period),
        "period.end": _dates(event_day, is_period & ~period_open),
        "country": _lookup_text(["KZ", "GE"], country_code),
        "region": _lookup_text(kz_regions + ge_regions, region, has_region),
        "site": _lookup_text([""], np.zeros(n, dtype=np.int64), none),
        "summary": _lookup_text(summaries, summary_code),
        "status": _cat(status, cat["status"]),
        "reliability": _cat(reliability, cat["reliability"]),
        "company_response.status": _cat(response, cat["company_response.status"], responds),
        "company_response.date": _dates(response_day, response_dated),
        "company_response.summary": _lookup_text(
            ["Fictional company response (synthetic)"],
            np.zeros(n, dtype=np.int64),
            responds & (response == 1),
        ),
        "company_response.url": _numbered_text(
            url_prefix, numbers, width, "/response", responds & (response == 1)
        ),
        "sensitive": pd.Series(pd.array(named, dtype="boolean")),
        "persons": pd.Series(persons, dtype=object),
        "tags": pd.Series(_objects([("synthetic",)])[np.zeros(n, dtype=np.int64)], dtype=object),
        "union.name": _lookup_text(
            _UNION_NAMES,
            rng.integers(0, len(_UNION_NAMES), size=n),
            ud & (rng.random(n) < 0.8),
        ),
        "union.status": _cat(
            _pick(rng, n, (0.35, 0.35, 0.10, 0.10, 0.10)), cat["union.status"], ud
        ),
        "event": _cat(event, cat["event"], ud),
        "outcome": _cat(
            _pick(rng, n, (0.3, 0.2, 0.3, 0.1, 0.1)), cat["outcome"], ud & ~is_negative
        ),
        "workers_covered": _nullable(
            rng.integers(10, 5000, size=n), ud & (rng.random(n) < 0.6), "Int64"
        ),
        "amount": _nullable(amount, with_amount, "Float64"),
        "currency": _lookup_text(
            [_CURRENCY["KZ"], _CURRENCY["GE"]], country_code, with_amount | arrears_has_amount
        ),
        "pay_period": _cat_of(
            ["month", "year"], yearly.astype(np.int64), cat["pay_period"], with_amount
        ),
        "benchmark.type": _cat(bench_type, cat["benchmark.type"], with_benchmark),
        "benchmark.amount": _nullable(bench, with_benchmark, "Float64"),
        "arrears.amount": _nullable(arrears_amount, arrears_has_amount, "Float64"),
        "arrears.days": _nullable(rng.integers(15, 400, size=n), with_arrears, "Int64"),
        "arrears.workers_affected": _nullable(rng.integers(5, 3000, size=n), with_arrears, "Int64"),
        "gap.type": _cat(rng.integers(0, len(WageGapType), size=n), cat["gap.type"], with_gap),
        "gap.ratio": _nullable(gap_ratio, with_gap, "Float64"),
        "relative_to_peers": _cat(
            np.where(cn & (rng.random(n) < e), 0, rng.integers(0, len(PeerLevel), size=n)),
            cat["relative_to_peers"],
            with_peers,
        ),
        "workers_affected": _nullable(
            rng.integers(5, 3000, size=n), with_amount & (rng.random(n) < 0.5), "Int64"
        ),
        "action": _cat(rng.integers(0, len(RetaliationAction), size=n), cat["action"], rt),
        "target_role": _cat(rng.integers(0, len(TargetRole), size=n), cat["target_role"], rt),
        "targets": _nullable(targets, rt, "Int64"),
        "actor": _cat(actor, cat["actor"], rt),
        "company_involvement": _cat(involvement, cat["company_involvement"], has_involvement),
        "trigger": _cat(
            rng.integers(0, len(Trigger), size=n), cat["trigger"], rt & (rng.random(n) < 0.9)
        ),
        "remedy": _cat(
            _pick(rng, n, (0.7, 0.1, 0.1, 0.1)), cat["remedy"], rt & (rng.random(n) < 0.5)
        ),
        "statement_type": _cat(
            rng.integers(0, len(StatementType), size=n), cat["statement_type"], st
        ),
        "topics": pd.Series(topics, dtype=object),
        "standards": pd.Series(standards, dtype=object),
        "strength": _cat(
            rng.integers(0, len(Strength), size=n), cat["strength"], st & (rng.random(n) < 0.8)
        ),
        "framework": _lookup_text(_FRAMEWORKS, rng.integers(0, 2, size=n), asm),
        "question_id": _lookup_text(_QUESTIONS, rng.integers(0, len(_QUESTIONS), size=n), asm),
        "answer": _cat(_pick(rng, n, (0.3, 0.25, 0.2, 0.2, 0.05)), cat["answer"], asm & ~numeric),
        "value": _nullable(np.round(rng.uniform(0, 100, size=n), 1), numeric, "Float64"),
        "source_count": _nullable(source_count, np.ones(n, dtype=bool), "Int64"),
        "source_url": _numbered_text(url_prefix, numbers, width),
        "source_title": _lookup_text(titles, title_code),
        "source_publisher": _lookup_text(_PUBLISHERS, publisher),
        "source_type": _cat(source_type, cat["source_type"]),
        "source_published": _dates(published, np.ones(n, dtype=bool)),
        "effective_date": _dates(effective, np.ones(n, dtype=bool)),
        "known_date": _dates(
            np.maximum.reduce(
                [
                    np.where(is_period & period_open, period_start, event_day),
                    published,
                    np.where(response_dated, response_day, published),
                ]
            ),
            np.ones(n, dtype=bool),
        ),
        "benchmark_ratio": _nullable(benchmark_ratio, with_benchmark, "Float64"),
    }
    # kinds registered besides the built-in ones: their own columns from ``synthesize``
    data.update(_plugin_columns(rng, kind, dtypes))
    missing = set(dtypes) - set(data)
    if missing:  # a kind that does not synthesize records: leave its columns empty
        for name in missing:
            data[name] = pd.Series([None] * n, dtype=object).astype(dtypes[name])
    frame = pd.DataFrame({name: data[name] for name in dtypes})
    return frame.astype({k: v for k, v in dtypes.items() if v != "object"})


def _labels(
    kind: IntArray,
    event: IntArray,
    wage_form: IntArray,
    group: BoolArray,
    group_code: IntArray,
    n: int,
) -> tuple[list[str], IntArray, list[str], IntArray]:
    """Summary and source-title tables with each record's code into them (no per-record
    formatting)."""
    kinds = list(evidence_kinds())
    events = _values(DialogueEvent)
    forms = ("wage against a benchmark", "wage level", "unpaid wages", "pay gap")
    # Subtype index: dialogue events, then wage forms, then one label per other kind.
    sub = np.zeros(n, dtype=np.int64)
    labels: list[str] = []
    for i, name in enumerate(kinds):
        mask = kind == i
        if name == "union_dialogue":
            sub[mask] = len(labels) + event[mask]
            labels += [f"union dialogue ({e.replace('_', ' ')})" for e in events]
        elif name == "wage":
            sub[mask] = len(labels) + wage_form[mask]
            labels += list(forms)
        else:
            sub[mask] = len(labels)
            labels.append(name.replace("_", " "))
    subjects = ["a fictional company", *(g[1].lower() for g in _GROUPS)]
    subject = np.where(group, group_code + 1, 0)
    summaries = [
        f"Fictional {label} record about {s} (synthetic data)."
        for s in subjects
        for label in labels
    ]
    titles = [f"Fictional report: {label}" for label in labels]
    return summaries, subject * len(labels) + sub, titles, sub


def synthetic_frames(
    companies: int,
    records: int,
    seed: int = 0,
    *,
    origin_effect: float = 0.0,
    as_of: dt.date = DEFAULT_AS_OF,
    group_share: float = 0.01,
) -> Frames:
    """Fictional companies and evidence as typed frames, built with numpy.

    ``companies`` (at least 1) companies and ``records`` evidence records, deterministic for
    ``seed``. ``origin_effect`` (-1..1) plants the effect described in the module docstring:
    positive values give CN-origin companies lower wage-to-benchmark ratios, more negative
    dialogue events and more retaliation. All dates lie within four years before ``as_of``.
    ``group_share`` is the share of group-level testimony records (no ``company_id``).
    """
    _check(companies, records, origin_effect, group_share)
    rng = np.random.default_rng(seed)
    company_frame, host = _company_frame(rng, companies)
    evidence = _evidence_frame(rng, company_frame, host, records, origin_effect, as_of, group_share)
    return Frames(company_frame, evidence)


# --- frames -> models -------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _nested(row: Mapping[Hashable, Any], skip: frozenset[str]) -> dict[str, Any]:
    """Flat frame row -> nested dict; missing values and empty lists are left out."""
    nested: dict[str, Any] = {}
    for column, value in row.items():
        if column in skip or _is_missing(value) or value == ():
            continue
        node = nested
        *parents, leaf = str(column).split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _plain(value)
    return nested


_EVIDENCE_SKIP = frozenset(
    {
        "effective_date",
        "known_date",
        "benchmark_ratio",
        "source_count",
        "source_url",
        "source_title",
        "source_publisher",
        "source_type",
        "source_published",
    }
)
_COMPANY_SKIP = frozenset({"source_count", "origin_country_explicit", *DERIVED_COMPANY})


def _evidence_sources(row: Mapping[Hashable, Any]) -> list[dict[str, Any]]:
    first = {
        "url": row["source_url"],
        "title": row["source_title"],
        "publisher": row["source_publisher"],
        "published": _plain(row["source_published"]),
        "type": row["source_type"],
    }
    sources = [first]
    if int(row["source_count"]) >= 2:
        sources.append(
            {
                **first,
                "url": f"{first['url']}/follow-up",
                "title": f"{first['title']} (follow-up)",
                "publisher": _FOLLOW_UP_PUBLISHER,
                "type": SourceType.NGO_REPORT.value,
            }
        )
    return sources


def _company_model(row: Mapping[Hashable, Any]) -> Company:
    data = _nested(row, _COMPANY_SKIP)
    explicit = row["origin_country_explicit"]
    if not _is_missing(explicit):
        data["origin_country"] = explicit
    data["sources"] = [
        {
            "url": f"https://example.org/synthetic/companies/{row['id']}",
            "title": f"Fictional company profile: {row['name']}",
            "publisher": "Example Company Register",
            "type": SourceType.OTHER.value,
        }
    ] * int(row["source_count"])
    return Company.model_validate(data)


def _derived_evidence_columns() -> frozenset[str]:
    """Columns of the evidence frame that no model field holds (derived by any kind)."""
    return frozenset(evidence_dtypes()) - frozenset(base_evidence_dtypes())


def _evidence_model(row: Mapping[Hashable, Any], skip: frozenset[str]) -> EvidenceBase:
    data = _nested(row, skip)
    data["sources"] = _evidence_sources(row)
    return evidence_kinds()[str(row["kind"])].model_validate(data)


def frames_to_models(frames: Frames) -> tuple[tuple[Company, ...], tuple[EvidenceBase, ...]]:
    """Convert synthetic frames to validated models (raises ``ValidationError`` if invalid)."""
    companies = tuple(_company_model(r) for r in frames.companies.to_dict("records"))
    skip = _EVIDENCE_SKIP | _derived_evidence_columns()
    evidence = tuple(_evidence_model(r, skip) for r in frames.evidence.to_dict("records"))
    return companies, evidence


def synthetic_evidence(
    companies: int,
    records: int,
    seed: int = 0,
    *,
    origin_effect: float = 0.0,
    as_of: dt.date = DEFAULT_AS_OF,
    group_share: float = 0.01,
) -> EvidenceSet:
    """The data of :func:`synthetic_frames` as validated models in an ``EvidenceSet``.

    Meant for small sizes (it validates every record); ``.frames()`` of the result equals
    ``synthetic_frames`` with the same arguments.
    """
    frames = synthetic_frames(
        companies,
        records,
        seed,
        origin_effect=origin_effect,
        as_of=as_of,
        group_share=group_share,
    )
    company_models, evidence_models = frames_to_models(frames)
    return EvidenceSet(company_models, evidence_models)
