"""Ranking Digital Rights (RDR): the Corporate Accountability Index's published CSV files.

RDR publishes each index's data in the ``csv/`` directory of a GitHub repository
(``rankingdigitalrights/index2020``, ``index2022``; MIT licence), one file per table, named
``YYYY-<table>.csv``; the 2019 index came as other files, read by :mod:`.rdr2019`. The
importer finds releases of both kinds in SRC (:func:`release_formats`). For ``YYYY-`` files it
reads

- ``YYYY-indicators.csv``: one row per company, index year and indicator or sub-indicator,
  with RDR's score (0-100, rounded to whole numbers) or ``NA`` (not applicable);
- ``YYYY-company-specs.csv``: RDR's company list: home (HQ) country, region, type
  (``platforms`` or ``telcos``) and sub-type;
- ``YYYY-totals.csv`` and ``YYYY-categories.csv``: the published total and category scores,
  kept for comparison;
- ``YYYY-company-meta.csv`` (optional): each company's website.

**Layouts.** Both known layouts share ``Index, Company, Indicator, Category, IndicatorNr,
IndicatorFam, isSubindicator, IndicatorSuffix, Score``. The 2022 layout marks indicators that
have sub-indicators with ``isParent`` (and adds ``labelShort``, ``guidance``, ``scoringScope``,
``excludeCompanies``); the 2020 layout has no ``isParent`` (a parent is an indicator other rows
name as their ``IndicatorFam``) and may carry ``Score_Adjusted``, RDR's scores re-based for
comparison with the previous methodology, which this importer does not read (the index's
published scores are computed from ``Score``). The layout is detected from the header: a file
with ``isParent`` is read as 2022, one with only the shared columns as 2020.

**Level.** RDR scores elements, averages them into indicators (and sub-indicators into their
parent indicator), and averages *all* indicators of a company into its total and the
indicators of a category into the category score. The release publishes indicator scores,
not element answers (its elements file is not part of every copy), so the importer writes one
``assessment`` per company and indicator with the published score as ``value``, or
``answer: not_applicable`` for ``NA``; sub-indicators are written too (tag ``subindicator``)
but the rubric scores their parent indicator, as RDR does. The rubric
(:mod:`.rdr_method`) reproduces the published totals and category scores up to RDR's
rounding: RDR publishes whole numbers computed from unrounded indicator scores.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pycountry
from pydantic import ValidationError

from ..evidence.kinds import Assessment
from ..evidence.model import Company, Identifiers, Source
from ..evidence.report import Problem, ValidationReport
from ..evidence.vocab import AssessmentAnswer, Reliability, SourceType, Status
from .base import (
    PUBLISHED_COLUMNS,
    Imported,
    Importer,
    ImporterError,
    ImportOptions,
    importer,
)
from .rdr_method import CATEGORIES, Indicator, rdr_rubric
from .table import LINE, SourceTable, read_table, row_problems

PUBLISHER = "Ranking Digital Rights"
#: the publisher's repository of each release (used when no ``source_url`` is given)
DEFAULT_SOURCE_URL = "https://github.com/rankingdigitalrights/index{release}/blob/main/csv"
_RELEASE_FILE = re.compile(r"^(\d{4})-indicators\.csv$")

_CORE = (
    "Index",
    "Company",
    "Indicator",
    "Category",
    "IndicatorNr",
    "IndicatorFam",
    "isSubindicator",
    "IndicatorSuffix",
    "Score",
)


@dataclass(frozen=True)
class Layout:
    """A published layout of ``YYYY-indicators.csv``: the columns that identify it and the
    column (if any) that marks parent indicators."""

    name: str
    required: tuple[str, ...]
    parent_column: str | None


#: Known layouts, tried in this order (the first whose columns are all present is used). The
#: 2020 layout needs only the shared columns: its files may carry ``Score_Adjusted`` and
#: labels, which are not needed to map a row.
LAYOUTS: tuple[Layout, ...] = (
    Layout("rdr-2022", (*_CORE, "isParent"), "isParent"),
    Layout("rdr-2020", _CORE, None),
)
#: The publisher's classification of each company, written as ``published/companies.csv``
#: (beside the published scores: the publisher's own labels, for cross-tabulation).
CLASS_FILE = "published/companies.csv"
CLASS_COLUMNS = ("company_id", "hq_country", "rdr_region", "rdr_type", "rdr_subtype", "sector")
SPECS_COLUMNS = ("company", "companyClean", "maintype", "subtype", "region", "country")
TOTALS_COLUMNS = ("Index", "Company", "Score")
CATEGORY_COLUMNS = ("Index", "Company", "Category", "Score")

#: RDR company type -> ISIC Rev.4 division: telecommunications (61); digital platforms
#: (search, social media, e-commerce marketplaces, mobile ecosystems) as information service
#: activities (63, web portals and data processing).
SECTORS: dict[str, str] = {"telcos": "61", "platforms": "63"}
#: RDR's spellings of home countries that are neither ISO codes nor ISO names.
COUNTRY_ALIASES: dict[str, str] = {
    "UK": "GB",
    "UAE": "AE",
    "GER": "DE",
    "Russia": "RU",
    "U.S.": "US",
}
_BOOL = {"TRUE": True, "FALSE": False}
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
_TAGS = re.compile(r"<[^>]+>")


def detect_layout(table: SourceTable) -> tuple[Layout | None, dict[str, list[str]]]:
    """The first layout whose required columns are all in ``table``'s header, and for every
    layout the columns it misses (for the error message when none fits)."""
    missing = {layout.name: table.missing(layout.required) for layout in LAYOUTS}
    for layout in LAYOUTS:
        if not missing[layout.name]:
            return layout, missing
    return None, missing


def country_code(name: str) -> str | None:
    """ISO 3166-1 alpha-2 code of a country as RDR spells it (``USA``, ``UK``, ``GER``,
    ``South Korea`` ...), or ``None`` when it is not recognised."""
    text = name.strip()
    if not text:
        return None
    if text in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[text]
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def company_slug(name: str) -> str:
    """A bundle company id from RDR's company key (``AmericaMovil`` -> ``americamovil``)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def display_id(category: str, number: str, suffix: str) -> str:
    """RDR's display form of an indicator (``G``, ``04``, ``a`` -> ``G4a``)."""
    digits = number.strip()
    num = str(int(digits)) if digits.isdigit() else digits
    return f"{category}{num}{suffix if suffix not in ('', 'NA') else ''}"


def _display_ids(rows: pd.DataFrame) -> pd.Series:
    """:func:`display_id` of every row (vectorised; rows with a valid number and suffix)."""
    number = pd.to_numeric(rows["IndicatorNr"]).astype("int64").astype("string")
    suffix = rows["IndicatorSuffix"].where(rows["IndicatorSuffix"] != "NA", "")
    return rows["Category"] + number + suffix


def plain_text(value: str, limit: int = 400) -> str:
    """HTML from RDR's cells as one line of plain text, cut at ``limit`` characters."""
    text = " ".join(html.unescape(_TAGS.sub(" ", value)).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _release_dir(src: Path) -> Path:
    if src.is_file():
        return src.parent
    if not any(_RELEASE_FILE.match(p.name) for p in src.iterdir()) and (src / "csv").is_dir():
        return src / "csv"
    return src


def licence_file(folder: Path) -> tuple[str, str] | None:
    """The release's licence file (in the csv directory or the repository above it)."""
    for where in (folder, folder.parent):
        for name in ("LICENSE", "LICENSE.md", "LICENSE.txt"):
            path = where / name
            if path.is_file():
                return str(path), path.read_text(encoding="utf-8", errors="replace")
    return None


class _Reader:
    """State of one import: the report, the files read and the source URLs."""

    def __init__(self, folder: Path, release: str, options: ImportOptions) -> None:
        self.folder = folder
        self.release = release
        self.report = ValidationReport()
        base = options.source_url or DEFAULT_SOURCE_URL.format(release=release)
        self.base_url = base.rstrip("/")
        self.date = options.date
        self.files: list[dict[str, Any]] = []
        self.indicators: SourceTable | None = None
        self.listed: set[str] = set()  # company ids in the company list, valid or not

    def url(self, table: str) -> str:
        return f"{self.base_url}/{self.release}-{table}.csv"

    def source(self, table: str, what: str) -> Source:
        return Source(
            url=self.url(table),
            title=f"{PUBLISHER}, {self.release} Corporate Accountability Index data: {what} "
            f"({self.release}-{table}.csv)",
            publisher=PUBLISHER,
            published=self.date,
            type=SourceType.NGO_REPORT,
        )

    def table(self, name: str, columns: tuple[str, ...], why: str) -> SourceTable | None:
        """Read ``YYYY-name.csv``; a missing file or missing columns are problems."""
        path = self.folder / f"{self.release}-{name}.csv"
        if not path.is_file():
            self.report.add([Problem(str(path), f"missing: {why}", code="missing-file")])
            return None
        table, problems = read_table(path)
        self.report.add(problems)
        self.report.files.append(str(path))
        if table is None:
            return None
        absent = table.missing(columns)
        if absent:
            self.report.add(
                [
                    Problem(
                        table.file,
                        f"not RDR's {name} layout: missing column(s) {', '.join(absent)}",
                        code="missing-columns",
                        row=1,
                    )
                ]
            )
            return None
        self.files.append(
            {
                "name": path.name,
                "url": self.url(name),
                "sha256": table.sha256,
                "rows": len(table.frame),
            }
        )
        return table

    def this_index(self, table: SourceTable, what: str) -> pd.DataFrame:
        """Rows of ``table`` for this release's index year; other years are a warning."""
        frame = table.frame
        other = frame["Index"] != self.release
        if other.any():
            years = ", ".join(sorted(set(frame.loc[other, "Index"])))
            self.report.add(
                [
                    Problem(
                        table.file,
                        f"{int(other.sum())} {what} row(s) of other index years ({years}) not "
                        f"imported: this import reads index year {self.release}",
                        code="other-index-year",
                        severity="warning",
                    )
                ]
            )
        return frame.loc[~other]

    def companies_of(
        self, table: SourceTable, rows: pd.DataFrame, companies: Mapping[str, Company]
    ) -> tuple[pd.Series, pd.Series]:
        """Company ids of ``rows`` and the mask of rows not to import: a company missing from
        the company list is an error per row; rows of a company whose list row has errors
        (reported there) are summed up in one warning instead of repeating that error."""
        ids = rows["Company"].map(company_slug)
        unknown = ~ids.isin(list(self.listed))
        self.errors(
            table,
            rows,
            unknown,
            "Company",
            "not a company of the release's company list",
            "unknown-company",
        )
        failed = ~unknown & ~ids.isin(list(companies))
        if failed.any():
            names = ", ".join(sorted(set(rows.loc[failed, "Company"])))
            self.report.add(
                [
                    Problem(
                        table.file,
                        f"{int(failed.sum())} row(s) of {names} not imported: the company's "
                        "row in the company list has errors (reported there)",
                        code="company-rejected",
                        severity="warning",
                    )
                ]
            )
        return ids, unknown | failed

    def errors(
        self,
        table: SourceTable,
        frame: pd.DataFrame,
        mask: pd.Series,
        field: str,
        message: str,
        code: str,
    ) -> pd.Series:
        """Report the rows of ``frame`` where ``mask`` holds; returns the mask (aligned)."""
        full = pd.Series(False, index=table.frame.index)
        full.loc[frame.index] = mask.fillna(False).astype(bool).to_numpy()
        self.report.add(row_problems(table, full, field, message, code=code))
        return mask.fillna(False).astype(bool)


def _scores(column: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(score as Float64, is NA, is invalid) of a score column."""
    na = column == "NA"
    number = pd.to_numeric(column.where(~na), errors="coerce").astype("Float64")
    bad = ~na & (number.isna() | (number < 0) | (number > 100))
    return number, na, bad.fillna(True).astype(bool)


@importer("rdr")
class RdrImporter(Importer):
    """Ranking Digital Rights Corporate Accountability Index (CSV releases, 2019, 2020 and
    2022 layouts)."""

    description = "Ranking Digital Rights Corporate Accountability Index CSV releases"

    def read(self, src: Path, options: ImportOptions) -> Imported:
        found: dict[str, tuple[ReleaseFormat, Path]] = {}
        for fmt in release_formats():
            for release, folder in fmt.find(src).items():
                if release in found:
                    raise ImporterError(
                        f"{src}: release {release} is there in two layouts "
                        f"({found[release][0].name}, {fmt.name}): point SRC at one of them"
                    )
                found[release] = (fmt, folder)
        if not found:
            layouts = "; ".join(f.description for f in release_formats())
            raise ImporterError(f"{src}: no RDR release found ({layouts})")
        release = options.release or sorted(found)[-1]
        if release not in found:
            raise ImporterError(
                f"{src}: no release {release!r} (found: {', '.join(sorted(found))})"
            )
        if options.date is None:
            raise ImporterError(
                "RDR's files carry no publication date: give the release's date "
                "(--date YYYY-MM-DD); every record is dated to it"
            )
        fmt, folder = found[release]
        return fmt.read(folder, release, options)


@dataclass(frozen=True)
class ReleaseFormat:
    """One way RDR published an index's data: how to find releases under SRC (release ->
    folder) and how to read one."""

    name: str
    description: str
    find: Callable[[Path], dict[str, Path]]
    read: Callable[[Path, str, ImportOptions], Imported]


def _csv_releases(src: Path) -> dict[str, Path]:
    """The ``YYYY-indicators.csv`` releases (2020 and 2022 layouts) in SRC or SRC/csv."""
    if src.is_file() and not _RELEASE_FILE.match(src.name):
        return {}
    folder = _release_dir(src)
    return {m.group(1): folder for p in folder.iterdir() if (m := _RELEASE_FILE.match(p.name))}


def _read_csv_release(folder: Path, release: str, options: ImportOptions) -> Imported:
    return _import(_Reader(folder, release, options))


def release_formats() -> tuple[ReleaseFormat, ...]:
    """RDR's release formats, in the order they are looked for."""
    from . import rdr2019

    return (
        ReleaseFormat(
            "index CSV",
            "a file named YYYY-indicators.csv, in SRC or SRC/csv",
            _csv_releases,
            _read_csv_release,
        ),
        ReleaseFormat(
            "2019 summary",
            "a file named RDRYYYY_02_Summary_Scores.csv, in SRC, SRC/csv_intro/data or SRC/data",
            rdr2019.find_releases,
            rdr2019.read_release,
        ),
    )


def _import(r: _Reader) -> Imported:
    specs = r.table(
        "company-specs",
        SPECS_COLUMNS,
        "the release's company list (HQ country, region and type of each company)",
    )
    indicators = _indicators_table(r)
    totals = r.table("totals", TOTALS_COLUMNS, "the published total scores")
    categories = r.table("categories", CATEGORY_COLUMNS, "the published category scores")
    meta = None
    if (r.folder / f"{r.release}-company-meta.csv").is_file():
        meta = r.table("company-meta", ("Company", "Website"), "company websites")

    layout, rows = indicators if indicators is not None else (None, None)
    companies, classes = _companies(r, specs, meta, rows)
    known = {c.id: c for c in companies}
    evidence, catalogue = (
        _evidence(r, layout, rows, known) if layout is not None and rows is not None else ([], [])
    )
    published = _published(r, totals, categories, known)

    files: dict[str, str] = {}
    regions = classes.loc[classes["rdr_region"] != ""].groupby("rdr_region")["hq_country"]
    if len(regions):
        files["regions.yaml"] = _regions_yaml({str(k): list(v) for k, v in regions}, r)
    files[CLASS_FILE] = classes.to_csv(index=False, lineterminator="\n")
    return finish_import(
        r.folder,
        r.report,
        release=r.release,
        layout=layout.name if layout else None,
        date=r.date.isoformat() if r.date else None,
        source_url=r.base_url,
        read=r.files,
        precision="whole numbers (RDR rounds published scores)",
        companies=companies,
        evidence=evidence,
        catalogue=catalogue,
        published=published,
        files=files,
    )


def finish_import(
    folder: Path,
    report: ValidationReport,
    *,
    release: str,
    layout: str | None,
    date: str | None,
    source_url: Any,
    read: Any,
    precision: str,
    companies: list[Company],
    evidence: list[Any],
    catalogue: list[Indicator],
    published: pd.DataFrame,
    files: dict[str, str],
) -> Imported:
    """The bundle of an RDR release, whatever its layout: the licence beside the release (a
    warning when there is none), the manifest that says what was read and how, the rubric."""
    licence = licence_file(folder)
    if licence is not None:
        files["LICENSE"] = licence[1]
    else:
        report.add(
            [
                Problem(
                    str(folder),
                    "no LICENSE file found next to the release: check the publisher's terms "
                    "before sharing the bundle",
                    code="no-licence",
                    severity="warning",
                )
            ]
        )
    manifest = {
        "importer": "rdr",
        "publisher": PUBLISHER,
        "release": release,
        "layout": layout,
        "date": date,
        "source_url": source_url,
        "licence_file": licence[0].rsplit("/", 1)[-1] if licence else None,
        "files": read,
        "counts": {
            "companies": len(companies),
            "records": len(evidence),
            "not_applicable": sum(1 for e in evidence if getattr(e, "answer", None) is not None),
            "indicators_scored_by_rubric": len(catalogue),
        },
        "warnings": [f"{Path(p.file).name}: {p.message}" for p in report.warnings],
        "published_scores": {"file": "published/scores.csv", "precision": precision},
    }
    return Imported(
        importer="rdr",
        release=release,
        layout=layout or "unknown",
        companies=tuple(companies),
        evidence=tuple(evidence),
        rubric=rdr_rubric(release, catalogue),
        published=published,
        files=files,
        manifest=manifest,
        report=report,
    )


def _indicators_table(r: _Reader) -> tuple[Layout, pd.DataFrame] | None:
    table = r.table("indicators", ("Index",), "the indicator scores")
    if table is None:
        return None
    layout, missing = detect_layout(table)
    if layout is None:
        detail = "; ".join(f"{name} needs {', '.join(cols)}" for name, cols in missing.items())
        r.report.add(
            [
                Problem(
                    table.file,
                    f"not a known RDR indicators layout ({detail})",
                    code="unknown-layout",
                    row=1,
                )
            ]
        )
        return None
    r.indicators = table
    return layout, r.this_index(table, "indicator")


def _companies(
    r: _Reader,
    specs: SourceTable | None,
    meta: SourceTable | None,
    rows: pd.DataFrame | None,
) -> tuple[list[Company], pd.DataFrame]:
    """Companies of the release that have indicator rows, and the publisher's classification
    of each (:data:`CLASS_COLUMNS`)."""
    if specs is None:
        return [], pd.DataFrame(columns=list(CLASS_COLUMNS))
    frame = specs.frame
    scored = set(rows["Company"]) if rows is not None else set(frame["companyClean"])
    codes = frame["country"].map(country_code)
    r.errors(
        specs,
        frame,
        codes.isna(),
        "country",
        "not a country bhrscore recognises (ISO 3166-1 name or code, or one of RDR's "
        f"spellings {', '.join(COUNTRY_ALIASES)})",
        "unknown-country",
    )
    r.errors(
        specs,
        frame,
        ~frame["maintype"].isin(list(SECTORS)),
        "maintype",
        f"unknown RDR company type (known: {', '.join(SECTORS)})",
        "unknown-type",
    )
    ids = frame["companyClean"].map(company_slug)
    r.listed = set(ids) - {""}
    r.errors(specs, frame, ids == "", "companyClean", "empty company key", "empty-company")
    dup = ids.duplicated() & (ids != "")
    r.errors(
        specs, frame, dup, "companyClean", "a second row for this company", "duplicate-company"
    )
    unscored = ~frame["companyClean"].isin(scored)
    if rows is not None:
        r.report.add(
            row_problems(
                specs,
                unscored,
                "companyClean",
                f"no indicator rows for index year {r.release}: company not imported",
                code="no-scores",
                severity="warning",
            )
        )
    websites: dict[str, str] = {}
    if meta is not None:
        websites = dict(zip(meta.frame["Company"], meta.frame["Website"], strict=True))
    out: list[Company] = []
    classes: list[dict[str, str]] = []
    source = r.source("company-specs", "company list")
    keep = ~unscored & codes.notna() & frame["maintype"].isin(list(SECTORS)) & ~dup & (ids != "")
    for i in frame.index[keep]:
        row = frame.loc[i]
        site = websites.get(str(row["companyClean"]), "")
        notes = f"RDR type: {row['maintype']}" + (
            f" ({row['subtype']})" if row["subtype"] not in ("", "NA") else ""
        )
        notes += f"; RDR region: {row['region']}" if row["region"] not in ("", "NA") else ""
        try:
            company = Company(
                id=str(ids[i]),
                name=str(row["company"] or row["companyClean"]),
                hq_country=str(codes[i]),
                sectors=[SECTORS[str(row["maintype"])]],  # type: ignore[list-item]
                identifiers=Identifiers(
                    website=site if site.startswith(("http://", "https://")) else None
                ),
                sources=[source],
                notes=notes + ".",
            )
        except ValidationError as exc:
            r.report.add(_model_problems(specs, int(row[LINE]), exc, _SPECS_FIELDS))
            continue
        out.append(company)
        classes.append(
            {
                "company_id": company.id,
                "hq_country": str(codes[i]),
                "rdr_region": "" if row["region"] == "NA" else str(row["region"]),
                "rdr_type": str(row["maintype"]),
                "rdr_subtype": "" if row["subtype"] == "NA" else str(row["subtype"]),
                "sector": SECTORS[str(row["maintype"])],
            }
        )
    frame_out = pd.DataFrame(classes, columns=list(CLASS_COLUMNS))
    return out, frame_out.sort_values("company_id", kind="stable").reset_index(drop=True)


def _evidence(
    r: _Reader,
    layout: Layout,
    rows: pd.DataFrame,
    companies: Mapping[str, Company],
) -> tuple[list[Assessment], list[Indicator]]:
    table = r.indicators
    assert table is not None  # set by _indicators_table
    ids, bad_company = r.companies_of(table, rows, companies)
    bad_category = r.errors(
        table,
        rows,
        ~rows["Category"].isin(list(CATEGORIES)),
        "Category",
        f"unknown RDR category (known: {', '.join(CATEGORIES)})",
        "unknown-category",
    )
    bad_id = r.errors(
        table,
        rows,
        ~rows["Indicator"].str.fullmatch(_SLUG.pattern).fillna(False).astype(bool),
        "Indicator",
        "not an indicator id (letters, digits, . _ : -)",
        "bad-indicator",
    )
    bad_id |= r.errors(
        table,
        rows,
        ~rows["IndicatorNr"].str.fullmatch(r"\d+").fillna(False).astype(bool),
        "IndicatorNr",
        "expected the indicator's number (digits)",
        "bad-indicator-number",
    )
    bad_id |= r.errors(
        table,
        rows,
        ~rows["IndicatorSuffix"].str.fullmatch(r"NA|[a-z]?").fillna(False).astype(bool),
        "IndicatorSuffix",
        "expected a sub-indicator letter (a-z) or NA",
        "bad-indicator-suffix",
    )
    flags = {}
    bad_flag = pd.Series(False, index=rows.index)
    for col in ("isSubindicator", *([layout.parent_column] if layout.parent_column else [])):
        wrong = ~rows[col].isin(list(_BOOL))
        bad_flag |= r.errors(table, rows, wrong, col, "expected TRUE or FALSE", "bad-flag")
        flags[col] = rows[col].map(_BOOL).fillna(False).astype(bool)
    score, na, bad_score = _scores(rows["Score"])
    r.errors(
        table,
        rows,
        bad_score,
        "Score",
        "expected a score from 0 to 100 or NA (not applicable)",
        "bad-score",
    )
    dup = rows.duplicated(["Company", "Indicator"]) & ~bad_id
    r.errors(
        table,
        rows,
        dup,
        "Indicator",
        "a second row for this company and indicator",
        "duplicate-row",
    )
    sub = flags["isSubindicator"]
    families = pd.MultiIndex.from_arrays([rows.loc[~sub, "Company"], rows.loc[~sub, "Indicator"]])
    family_of = pd.MultiIndex.from_arrays([rows["Company"], rows["IndicatorFam"]])
    orphan = sub & ~pd.Series(family_of.isin(families), index=rows.index, dtype=bool)
    r.errors(
        table,
        rows,
        orphan,
        "IndicatorFam",
        "a sub-indicator whose parent indicator has no row for this company",
        "orphan-subindicator",
    )
    # one category per indicator across companies
    cats = rows.loc[~bad_category].groupby("Indicator")["Category"].nunique()
    mixed = rows["Indicator"].isin(list(cats[cats > 1].index))
    r.errors(
        table,
        rows,
        mixed,
        "Category",
        "this indicator has different categories in other rows",
        "mixed-category",
    )

    ok = ~(bad_company | bad_category | bad_id | bad_flag | bad_score | dup | orphan | mixed)
    good = rows.loc[ok].assign(
        _cid=ids[ok],
        _score=score[ok],
        _na=na[ok],
        _sub=sub[ok],
        _display=_display_ids(rows.loc[ok]),
    )
    catalogue = _catalogue(good)
    labels = {ind.question_id: ind.title for ind in catalogue}
    source = r.source("indicators", "indicator scores")
    framework = f"rdr-{r.release}"
    out: list[Assessment] = []
    assert r.date is not None
    for rec in good.to_dict("records"):
        company = companies[rec["_cid"]]
        label = labels.get(rec["Indicator"]) or plain_text(str(rec.get("labelLong", "")), 120)
        what = f"{rec['_display']}" + (f" ({label})" if label and label != "NA" else "")
        if rec["_sub"]:
            parent = display_id(str(rec["Category"]), str(rec["IndicatorNr"]), "")
            what = f"sub-indicator {what} of {parent}"
        head = f"{PUBLISHER} {r.release} Corporate Accountability Index"
        summary = (
            f"{head}: {what} is not applicable to {company.name}."
            if rec["_na"]
            else f"{head}: {company.name} scores {float(rec['_score']):g} of 100 on {what}."
        )
        fields: dict[str, Any] = (
            {"answer": AssessmentAnswer.NOT_APPLICABLE}
            if rec["_na"]
            else {"value": float(rec["_score"])}
        )
        try:
            out.append(
                Assessment(
                    id=f"{framework}-{rec['_cid']}-{rec['Indicator']}",
                    company_id=company.id,
                    date=r.date,
                    country=company.hq_country or "",
                    summary=summary,
                    sources=[source],
                    status=Status.VERIFIED,
                    reliability=Reliability.HIGH,
                    tags=[
                        CATEGORIES[rec["Category"]].id,
                        *(["subindicator"] if rec["_sub"] else []),
                    ],
                    framework=framework,
                    question_id=rec["Indicator"],
                    **fields,
                )
            )
        except ValidationError as exc:
            r.report.add(_model_problems(table, int(rec[LINE]), exc, _INDICATOR_FIELDS))
    return out, catalogue


def _catalogue(good: pd.DataFrame) -> list[Indicator]:
    """The indicators the rubric scores: every non-sub-indicator row's indicator, in RDR's
    order (category G, F, P; then number), titled from its label."""
    fam = good.loc[~good["_sub"]]
    fam = fam.sort_values(["Indicator", LINE], kind="stable").drop_duplicates("Indicator")
    order = {c: i for i, c in enumerate(CATEGORIES)}
    fam = fam.assign(_order=fam["Category"].map(order)).sort_values(
        ["_order", "Indicator"], kind="stable"
    )
    out = []
    for rec in fam.to_dict("records"):
        label = plain_text(str(rec.get("labelLong", "")), 200)
        description = plain_text(str(rec.get("description", "")))
        out.append(
            Indicator(
                question_id=str(rec["Indicator"]),
                display=str(rec["_display"]),
                category=str(rec["Category"]),
                title=label if label and label != "NA" else str(rec["_display"]),
                description=description if description and description != "NA" else "",
            )
        )
    return out


def _published(
    r: _Reader,
    totals: SourceTable | None,
    categories: SourceTable | None,
    companies: Mapping[str, Company],
) -> pd.DataFrame:
    parts: list[pd.DataFrame] = []
    for table, node_of, what in (
        (totals, None, "total"),
        (categories, "Category", "category"),
    ):
        if table is None:
            continue
        rows = r.this_index(table, f"{what} score")
        ids, unknown = r.companies_of(table, rows, companies)
        score, _na, bad = _scores(rows["Score"])
        r.errors(table, rows, bad, "Score", "expected a score from 0 to 100 or NA", "bad-score")
        if node_of is None:
            node = pd.Series("total", index=rows.index, dtype="string")
            bad_node = pd.Series(False, index=rows.index)
        else:
            node = rows[node_of].map({k: v.id for k, v in CATEGORIES.items()}).astype("string")
            bad_node = r.errors(
                table,
                rows,
                node.isna(),
                node_of,
                f"unknown RDR category (known: {', '.join(CATEGORIES)})",
                "unknown-category",
            )
        dup = r.errors(
            table,
            rows,
            pd.DataFrame({"c": ids, "n": node}).duplicated() & ~(unknown | bad_node),
            "Company",
            f"a second {what} score for this company"
            + ("" if node_of is None else " and category"),
            "duplicate-row",
        )
        ok = ~(unknown | bad | bad_node | dup)
        parts.append(
            pd.DataFrame(
                {
                    "company_id": ids[ok].astype("string"),
                    "node": node[ok],
                    "score": score[ok],
                    "source_url": r.url("totals" if node_of is None else "categories"),
                }
            )
        )
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in PUBLISHED_COLUMNS.items()})
    out = pd.concat(parts, ignore_index=True).astype(PUBLISHED_COLUMNS)
    return out.sort_values(["company_id", "node"], kind="stable").reset_index(drop=True)


def _regions_yaml(regions: Mapping[str, list[str]], r: _Reader) -> str:
    """RDR's regions as a bhrscore origin grouping (``compare(..., origin_groups=...)``)."""
    owner: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    for region in sorted(regions):
        slug = company_slug(region) or "region"
        for code in sorted(set(regions[region])):
            if code in owner and owner[code] != slug:
                r.report.add(
                    [
                        Problem(
                            r.url("company-specs"),
                            f"country {code} is in two RDR regions ({owner[code]}, {slug}); "
                            "regions.yaml lists it under the first",
                            code="two-regions",
                            severity="warning",
                        )
                    ]
                )
                continue
            owner[code] = slug
            groups.setdefault(slug, []).append(code)
    lines = [
        f"# RDR's regions of the {r.release} release ({r.release}-company-specs.csv, column",
        "# `region`) as a bhrscore origin grouping: compare(card, by='origin_group',",
        "# origin_groups='regions.yaml'). Origin = the company's HQ country; no domestic rule.",
        "domestic: null",
        "groups:",
    ]
    for slug, codes in groups.items():
        quoted = ", ".join(f'"{c}"' for c in codes)
        lines.append(f"  {slug}: [{quoted}]")
    return "\n".join(lines) + "\n"


#: model field -> the source column it comes from (so problems name the user's column)
_SPECS_FIELDS = {
    "id": "companyClean",
    "name": "company",
    "hq_country": "country",
    "sectors": "maintype",
}
_INDICATOR_FIELDS = {
    "company_id": "Company",
    "question_id": "Indicator",
    "value": "Score",
    "id": "Indicator",
}


def _model_problems(
    table: SourceTable, line: int, exc: ValidationError, fields: Mapping[str, str]
) -> list[Problem]:
    """A model's validation errors as problems on the source row and column."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        column = fields.get(str(err["loc"][0])) if err["loc"] else None
        out.append(
            Problem(
                table.file,
                f"{err['msg']} (bhrscore field {loc})" if column and loc else err["msg"],
                code="invalid-record",
                row=line,
                field=column or loc or None,
            )
        )
    return out
