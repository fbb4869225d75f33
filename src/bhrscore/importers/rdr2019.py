"""Ranking Digital Rights' 2019 index: the release's summary scores, at full precision.

RDR released the 2019 Corporate Accountability Index data as CSV files (the zip
``RDRindex2019data_csv.zip`` of ``rankingdigitalrights/index2019``; the same files sit unzipped
in ``rankingdigitalrights/datalab``, ``csv_intro/data``, at commit 84aae3d). This layout reads

- ``RDR2019_02_Summary_Scores.csv``: per company an ``Overall`` row with the total, the
  category scores ``G``, ``FoE``, ``P`` and the 35 indicator scores ``G1``..``P18``, unrounded,
  ``NA`` where an indicator is not applicable; then one row per service (``Class``) the
  scores are averaged over, and a row ``all companies`` of RDR's averages;
- ``companies.json``: RDR's company list of the 2019 index website (index2019,
  ``app/assets/static/companies.json``): each company's name, id (``compURL``) and HQ
  ``country``. The summary file has no country, so the list is required;
- ``indicator-overview.json`` (optional, same place): each indicator's name, used as the
  rubric's node titles (without it the nodes are titled by their ids, with a warning).

Only the ``Overall`` rows are imported (one ``assessment`` per company and indicator: the score
as ``value``, or ``answer: not_applicable`` for ``NA``); the service rows are the components RDR
averaged into them and the ``all companies`` row is not a company: both are reported as
warnings, never dropped silently. The rubric is RDR's method (:mod:`.rdr_method`); since the
indicator scores are unrounded, it reproduces RDR's totals and category scores to floating
point precision.

**Why not elements.** The per-company ``RDR2019_<Company>_Outcome.csv`` files hold element
answers, but RDR's indicator score is the mean over *levels* (the group, each service and
operating company, for each of freedom of expression and privacy) of the mean of each level's
applicable elements; which elements are N/A differs by level, so no fixed per-element weights
(the ``elements`` rule) give RDR's indicator scores. The indicator level reproduces them
exactly.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from ..evidence.kinds import Assessment
from ..evidence.model import Company, Source
from ..evidence.read import decode
from ..evidence.report import Problem, ValidationReport, shorten
from ..evidence.vocab import AssessmentAnswer, Reliability, SourceType, Status
from .base import PUBLISHED_COLUMNS, Imported, ImporterError, ImportOptions
from .rdr_method import CATEGORIES, Indicator
from .table import LINE, SourceTable, read_table, row_problems

PUBLISHER = "Ranking Digital Rights"
LAYOUT = "rdr-2019"
SUMMARY_FILE = re.compile(r"^RDR(\d{4})_02_Summary_Scores\.csv$")
COMPANIES_FILE = "companies.json"
TITLES_FILE = "indicator-overview.json"
#: where each file is published, pinned to a commit (used when no ``source_url`` is given)
DEFAULT_URLS: dict[str, str] = {
    "summary": "https://github.com/rankingdigitalrights/datalab/blob/"
    "84aae3dfc11d9b9f22617c971958ad17994f298b/csv_intro/data",
    "companies": "https://github.com/rankingdigitalrights/index2019/blob/"
    "6c76133ebde418e36576fe8465642ad910b9c773/app/assets/static",
}
DEFAULT_URLS["titles"] = DEFAULT_URLS["companies"]
#: sub-directories of SRC searched for the summary file (a clone of datalab at 84aae3d)
SEARCH = (".", "csv_intro/data", "data")
SUMMARY_COLUMNS = ("Company", "Category", "Class", "Total", "G", "FoE", "P")
#: columns known but not read
IGNORED_COLUMNS = ("Service_Name",)
#: published score columns -> rubric node
PUBLISHED_NODES: dict[str, str] = {
    "Total": "total",
    "G": CATEGORIES["G"].id,
    "FoE": CATEGORIES["F"].id,
    "P": CATEGORIES["P"].id,
}
INDICATOR_COLUMN = re.compile(r"^([GFP])([1-9][0-9]?)$")
OVERALL = "Overall"
ALL_COMPANIES = "all companies"
#: RDR's 2019 company types -> ISIC Rev.4 division: telecommunications (61); internet and
#: mobile ecosystem companies, classed by the services RDR assessed (search, social networks,
#: e-mail, messaging, cloud, mobile ecosystems): information service activities (63), as the
#: 2020 and 2022 layouts class RDR's ``platforms``.
TYPES: dict[str, str] = {
    "telecommunications company": "61",
    "internet and mobile ecosystem company": "63",
}
COMPANY_KEYS = ("company", "compURL", "country")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def find_releases(src: Path) -> dict[str, Path]:
    """Release year -> folder, for every summary file in ``src`` (or the file itself) and the
    sub-directories of :data:`SEARCH`."""
    if src.is_file():
        match = SUMMARY_FILE.match(src.name)
        return {match.group(1): src.parent} if match else {}
    found: dict[str, Path] = {}
    for sub in SEARCH:
        folder = src / sub
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                match = SUMMARY_FILE.match(path.name)
                if match and match.group(1) not in found:
                    found[match.group(1)] = folder
    return found


class _Reader:
    """State of one import: the report, the files read and their URLs."""

    def __init__(self, folder: Path, release: str, options: ImportOptions) -> None:
        self.folder = folder
        self.release = release
        self.base = options.source_url.rstrip("/") if options.source_url else None
        assert options.date is not None
        self.date = options.date
        self.report = ValidationReport()
        self.files: list[dict[str, Any]] = []
        self.summary_name = f"RDR{release}_02_Summary_Scores.csv"

    def url(self, what: str) -> str:
        """Where the file ``what`` (summary, companies, titles) is published."""
        name = {"summary": self.summary_name, "companies": COMPANIES_FILE}.get(what, TITLES_FILE)
        return f"{self.base or DEFAULT_URLS[what]}/{name}"

    def source(self, what: str) -> Source:
        label = (
            f"{self.release} Corporate Accountability Index data: summary scores "
            f"({self.summary_name})"
            if what == "summary"
            else f"{self.release} Corporate Accountability Index website: company list "
            f"({COMPANIES_FILE})"
        )
        return Source(
            url=self.url(what),
            title=f"{PUBLISHER}, {label}",
            publisher=PUBLISHER,
            published=self.date,
            type=SourceType.NGO_REPORT,
        )

    def manifest_entry(self, what: str, path: Path, sha256: str, rows: int) -> None:
        self.files.append(
            {"name": path.name, "url": self.url(what), "sha256": sha256, "rows": rows}
        )

    def flag(
        self,
        table: SourceTable,
        mask: pd.Series,
        field: str,
        message: str,
        code: str,
        severity: str = "error",
    ) -> pd.Series:
        """Report the rows of ``table`` where ``mask`` (aligned to a subset) holds."""
        full = pd.Series(False, index=table.frame.index)
        full.loc[mask.index] = mask.fillna(False).astype(bool).to_numpy()
        self.report.add(row_problems(table, full, field, message, code=code, severity=severity))
        return mask.fillna(False).astype(bool)


def read_release(folder: Path, release: str, options: ImportOptions) -> Imported:
    """Read the 2019 layout from ``folder`` (which holds the summary file)."""
    if options.date is None:
        raise ImporterError(
            "RDR's files carry no publication date: give the release's date "
            "(--date YYYY-MM-DD); every record is dated to it"
        )
    r = _Reader(folder, release, options)
    listed = _company_list(r)
    summary = _summary(r)
    companies: list[Company] = []
    classes = pd.DataFrame(columns=["company_id", "hq_country", "rdr_type", "sector"])
    evidence: list[Assessment] = []
    catalogue: list[Indicator] = []
    published = pd.DataFrame({c: pd.Series(dtype=t) for c, t in PUBLISHED_COLUMNS.items()})
    if summary is not None and listed is not None:
        table, indicators = summary
        rows = _overall_rows(r, table, listed)
        companies, classes = _companies(r, table, rows, listed)
        known = {c.id: c for c in companies}
        rows = rows.loc[rows["_cid"].isin(list(known))]
        titles = _indicator_titles(r)
        evidence = _evidence(r, table, rows, indicators, titles, known)
        catalogue = [Indicator(c, c, c[0], titles.get(c, c)) for c in indicators]
        _check_published(r, table, rows)
        published = _published(r, rows)
    return _imported(r, companies, classes, evidence, catalogue, published)


def _company_list(r: _Reader) -> pd.DataFrame | None:
    """RDR's company list: columns ``company``, ``compURL``, ``country``, ``hq``,
    ``_pointer`` (JSON pointer of the entry); ``None`` when it cannot be read at all."""
    from .rdr import country_code  # the shared spellings of RDR's countries

    path = r.folder / COMPANIES_FILE
    file = str(path)
    if not path.is_file():
        r.report.add(
            [
                Problem(
                    file,
                    "missing: RDR's company list with each company's HQ country (companies.json "
                    "of rankingdigitalrights/index2019, app/assets/static/, next to the summary "
                    "file)",
                    code="missing-file",
                )
            ]
        )
        return None
    data = path.read_bytes()
    text, problems = decode(data, file)
    r.report.add(problems)
    r.report.files.append(file)
    if text is None:
        return None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        r.report.add([Problem(file, f"not JSON: {exc.msg}", code="json-syntax", row=exc.lineno)])
        return None
    if not isinstance(doc, list):
        r.report.add([Problem(file, "expected a list of companies", code="invalid", pointer="")])
        return None
    r.manifest_entry("companies", path, hashlib.sha256(data).hexdigest(), len(doc))
    entries = []
    for i, item in enumerate(doc):
        if not isinstance(item, dict):
            r.report.add([Problem(file, "expected an object", code="invalid", pointer=f"/{i}")])
            continue
        entry = {"_pointer": f"/{i}"}
        for key in COMPANY_KEYS:
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                r.report.add(
                    [
                        Problem(
                            file,
                            "expected a non-empty text",
                            code="invalid",
                            pointer=f"/{i}/{key}",
                            field=key,
                            value=None if value is None else shorten(str(value)),
                        )
                    ]
                )
                break
            entry[key] = value.strip()
        else:
            entries.append(entry)
    frame = pd.DataFrame(entries, columns=["_pointer", *COMPANY_KEYS], dtype="string")
    frame["hq"] = frame["country"].map(country_code).astype("string")
    frame["_name"] = frame["company"].str.casefold()
    bad = frame["hq"].isna() | ~frame["compURL"].str.fullmatch(_SLUG.pattern).astype(bool)
    bad |= frame["_name"].duplicated(keep=False) | frame["compURL"].duplicated(keep=False)
    for rec in frame.loc[bad].to_dict("records"):
        if pd.isna(rec["hq"]):
            field, message = "country", "not a country bhrscore recognises"
        elif not _SLUG.fullmatch(str(rec["compURL"])):
            field, message = "compURL", "not a company id (lower-case letters, digits, -)"
        else:
            field, message = "company", "a second entry for this company (name or compURL)"
        r.report.add(
            [
                Problem(
                    file,
                    message,
                    code="invalid",
                    pointer=f"{rec['_pointer']}/{field}",
                    field=field,
                    value=shorten(str(rec[field])),
                )
            ]
        )
    return frame.loc[~bad].reset_index(drop=True)


def _indicator_titles(r: _Reader) -> dict[str, str]:
    """Indicator id -> title from the optional ``indicator-overview.json`` (``{"id": "G1",
    "name": "G1. Policy commitment"}`` -> ``Policy commitment``)."""
    path = r.folder / TITLES_FILE
    file = str(path)
    if not path.is_file():
        r.report.add(
            [
                Problem(
                    file,
                    "no indicator names (indicator-overview.json of the 2019 index website): "
                    "the rubric's nodes are titled by their ids",
                    code="no-titles",
                    severity="warning",
                )
            ]
        )
        return {}
    data = path.read_bytes()
    text, problems = decode(data, file)
    r.report.add(problems)
    r.report.files.append(file)
    if text is None:
        return {}
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        r.report.add([Problem(file, f"not JSON: {exc.msg}", code="json-syntax", row=exc.lineno)])
        return {}
    if not isinstance(doc, list):
        r.report.add([Problem(file, "expected a list of indicators", code="invalid", pointer="")])
        return {}
    r.manifest_entry("titles", path, hashlib.sha256(data).hexdigest(), len(doc))
    titles: dict[str, str] = {}
    for i, item in enumerate(doc):
        ok = isinstance(item, dict) and all(
            isinstance(item.get(k), str) and item[k].strip() for k in ("id", "name")
        )
        if not ok:
            r.report.add(
                [
                    Problem(
                        file,
                        "expected an object with text fields id and name",
                        code="invalid",
                        pointer=f"/{i}",
                    )
                ]
            )
            continue
        ind, name = item["id"].strip(), " ".join(item["name"].split())
        titles[ind] = name.removeprefix(f"{ind}.").strip() or ind
    return titles


def _summary(r: _Reader) -> tuple[SourceTable, list[str]] | None:
    """The summary table and its indicator columns in RDR's order (G, F, P; by number)."""
    path = r.folder / r.summary_name
    table, problems = read_table(path)
    r.report.add(problems)
    r.report.files.append(str(path))
    if table is None:
        return None
    absent = table.missing(SUMMARY_COLUMNS)
    indicators = [c for c in table.header if INDICATOR_COLUMN.match(c)]
    if absent or not indicators:
        what = f"missing column(s) {', '.join(absent)}" if absent else "no indicator columns"
        r.report.add(
            [
                Problem(
                    table.file,
                    f"not RDR's 2019 summary layout: {what}",
                    code="missing-columns",
                    row=1,
                )
            ]
        )
        return None
    known = {*SUMMARY_COLUMNS, *IGNORED_COLUMNS, *indicators}
    for column in table.header:
        if column not in known:
            r.report.add(
                [
                    Problem(
                        table.file,
                        "column not read (not part of RDR's 2019 summary layout)",
                        code="unknown-column",
                        row=1,
                        field=column,
                        severity="warning",
                    )
                ]
            )
    order = {letter: i for i, letter in enumerate(CATEGORIES)}
    indicators.sort(key=lambda c: (order[c[0]], int(c[1:])))
    r.manifest_entry("summary", path, table.sha256, len(table.frame))
    return table, indicators


def _overall_rows(r: _Reader, table: SourceTable, listed: pd.DataFrame) -> pd.DataFrame:
    """The ``Overall`` rows of listed companies, with ``_cid``; every other row reported."""
    frame = table.frame
    aggregate = frame["Company"].str.casefold() == ALL_COMPANIES
    r.flag(
        table,
        aggregate,
        "Company",
        "RDR's average over all companies: not a company, not imported",
        "not-a-company",
        "warning",
    )
    overall = frame["Class"] == OVERALL
    services = ~overall & ~aggregate
    if services.any():
        r.report.add(
            [
                Problem(
                    table.file,
                    f"{int(services.sum())} service-level row(s) (Class other than {OVERALL}) "
                    f"not imported: RDR's company scores are the {OVERALL} rows, the services' "
                    "scores are what RDR averaged into them",
                    code="service-rows",
                    severity="warning",
                )
            ]
        )
    rows = frame.loc[overall & ~aggregate]
    ids = dict(zip(listed["_name"], listed["compURL"], strict=True))
    cid = rows["Company"].str.casefold().map(ids)
    unknown = r.flag(
        table,
        cid.isna(),
        "Company",
        f"not a company of RDR's company list ({COMPANIES_FILE})",
        "unknown-company",
    )
    dup = r.flag(
        table,
        cid.duplicated() & ~unknown,
        "Company",
        f"a second {OVERALL} row for this company",
        "duplicate-row",
    )
    unscored = ~listed["compURL"].isin(list(cid.dropna()))
    for rec in listed.loc[unscored].to_dict("records"):
        r.report.add(
            [
                Problem(
                    str(r.folder / COMPANIES_FILE),
                    f"no {OVERALL} row in {r.summary_name}: company not imported",
                    code="no-scores",
                    pointer=f"{rec['_pointer']}/company",
                    field="company",
                    value=shorten(str(rec["company"])),
                    severity="warning",
                )
            ]
        )
    return rows.loc[~(unknown | dup)].assign(_cid=cid)


def _scores(column: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(score as Float64, is NA, is invalid) of a score column."""
    na = column == "NA"
    number = pd.to_numeric(column.where(~na), errors="coerce").astype("Float64")
    bad = ~na & (number.isna() | (number < 0) | (number > 100))
    return number, na, bad.fillna(True).astype(bool)


def _companies(
    r: _Reader, table: SourceTable, rows: pd.DataFrame, listed: pd.DataFrame
) -> tuple[list[Company], pd.DataFrame]:
    sector = rows["Category"].map(TYPES)
    bad = r.flag(
        table,
        sector.isna(),
        "Category",
        f"unknown RDR company type (known: {', '.join(TYPES)})",
        "unknown-type",
    )
    hq = dict(zip(listed["compURL"], listed["hq"], strict=True))
    sources = [r.source("companies"), r.source("summary")]
    out: list[Company] = []
    classes: list[dict[str, str]] = []
    for rec in rows.loc[~bad].assign(_sector=sector).to_dict("records"):
        try:
            company = Company(
                id=str(rec["_cid"]),
                name=str(rec["Company"]),
                hq_country=str(hq[rec["_cid"]]),
                sectors=[str(rec["_sector"])],  # type: ignore[list-item]
                sources=sources,
                notes=f"RDR type: {rec['Category']}.",
            )
        except ValidationError as exc:
            r.report.add(_model_problems(table, int(rec[LINE]), exc))
            continue
        out.append(company)
        classes.append(
            {
                "company_id": company.id,
                "hq_country": str(company.hq_country),
                "rdr_type": str(rec["Category"]),
                "sector": str(rec["_sector"]),
            }
        )
    frame = pd.DataFrame(classes, columns=["company_id", "hq_country", "rdr_type", "sector"])
    return out, frame.sort_values("company_id", kind="stable").reset_index(drop=True)


def _evidence(
    r: _Reader,
    table: SourceTable,
    rows: pd.DataFrame,
    indicators: list[str],
    titles: Mapping[str, str],
    companies: Mapping[str, Company],
) -> list[Assessment]:
    """One assessment per company and indicator; a cell that is neither a score from 0 to 100
    nor ``NA`` is an error on its row and column (that record is not written)."""
    parts = []
    for column in indicators:  # vectorised within each of the 35 columns
        score, na, bad = _scores(rows[column])
        r.flag(table, bad, column, "expected a score from 0 to 100 or NA", "bad-score")
        parts.append(
            pd.DataFrame(
                {
                    "_cid": rows["_cid"],
                    "indicator": column,
                    "_score": score,
                    "_na": na,
                    LINE: rows[LINE],
                }
            ).loc[~bad]
        )
    good = pd.concat(parts).sort_values(["_cid", LINE], kind="stable")  # company, RDR's order
    source = r.source("summary")
    framework = f"rdr-{r.release}"
    head = f"{PUBLISHER} {r.release} Corporate Accountability Index"
    out: list[Assessment] = []
    for rec in good.to_dict("records"):
        company = companies[rec["_cid"]]
        ind = str(rec["indicator"])
        what = f"{ind} ({titles[ind]})" if ind in titles else ind
        if rec["_na"]:
            summary = f"{head}: {what} is not applicable to {company.name}."
            fields: dict[str, Any] = {"answer": AssessmentAnswer.NOT_APPLICABLE}
        else:
            value = float(rec["_score"])
            summary = f"{head}: {company.name} scores {round(value, 2):g} of 100 on {what}."
            fields = {"value": value}
        try:
            out.append(
                Assessment(
                    id=f"{framework}-{company.id}-{ind}",
                    company_id=company.id,
                    date=r.date,
                    country=company.hq_country or "",
                    summary=summary,
                    sources=[source],
                    status=Status.VERIFIED,
                    reliability=Reliability.HIGH,
                    tags=[CATEGORIES[ind[0]].id],
                    framework=framework,
                    question_id=ind,
                    **fields,
                )
            )
        except ValidationError as exc:
            r.report.add(_model_problems(table, int(rec[LINE]), exc))
    return out


def _published(r: _Reader, rows: pd.DataFrame) -> pd.DataFrame:
    """RDR's total and category scores of the imported companies, unrounded."""
    long = rows.melt(
        id_vars=["_cid"], value_vars=list(PUBLISHED_NODES), var_name="column", value_name="cell"
    )
    score, _na, _bad = _scores(long["cell"])  # invalid cells: reported below, kept as <NA>
    out = pd.DataFrame(
        {
            "company_id": long["_cid"].astype("string"),
            "node": long["column"].map(PUBLISHED_NODES).astype("string"),
            "score": score,
            "source_url": r.url("summary"),
        }
    ).astype(PUBLISHED_COLUMNS)
    return out.sort_values(["company_id", "node"], kind="stable").reset_index(drop=True)


def _check_published(r: _Reader, table: SourceTable, rows: pd.DataFrame) -> None:
    for column in PUBLISHED_NODES:
        _score, _na, bad = _scores(rows[column])
        r.flag(table, bad, column, "expected a score from 0 to 100 or NA", "bad-score")


def _model_problems(table: SourceTable, line: int, exc: ValidationError) -> list[Problem]:
    return [
        Problem(
            table.file,
            f"{err['msg']} (bhrscore field {'.'.join(str(p) for p in err['loc'])})",
            code="invalid-record",
            row=line,
        )
        for err in exc.errors()
    ]


def _imported(
    r: _Reader,
    companies: list[Company],
    classes: pd.DataFrame,
    evidence: list[Assessment],
    catalogue: list[Indicator],
    published: pd.DataFrame,
) -> Imported:
    from .rdr import CLASS_FILE, finish_import

    return finish_import(
        r.folder,
        r.report,
        release=r.release,
        layout=LAYOUT,
        date=r.date.isoformat(),
        source_url=r.base or dict(DEFAULT_URLS),
        read=r.files,
        precision="unrounded, as in the summary file (the total and G, FoE, P columns)",
        companies=companies,
        evidence=list(evidence),
        catalogue=catalogue,
        published=published,
        files={CLASS_FILE: classes.to_csv(index=False, lineterminator="\n")},
    )
