"""`bhrscore import rdr`: Ranking Digital Rights' published CSV layouts -> bundles.

The fixtures under tests/fixtures/rdr/ are written by hand in RDR's 2020 and 2022 layouts
with three clearly fictional companies (Fictional Telecom, Example Search, Demo Social); they
are not RDR's data. Expected scores are worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from bhrscore import Assessment, load_evidence, load_rubric, score
from bhrscore.analysis.origin import load_origin_groups
from bhrscore.importers import (
    Imported,
    ImportOptions,
    ImportProblemsError,
    importers,
    published_vs_scored,
    read_import,
    read_published,
    write_import,
)
from bhrscore.importers.rdr import country_code, detect_layout, display_id, plain_text
from bhrscore.importers.table import read_table
from tests.conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "rdr"
SRC_2022 = FIXTURES / "index2022"
SRC_2020 = FIXTURES / "index2020"
DATE = dt.date(2022, 4, 26)
PINNED = "https://example.org/fictional-rdr/blob/abc123/csv"


def _read(src: Path, release: str | None = None, source_url: str | None = None) -> Imported:
    return read_import("rdr", src, ImportOptions(date=DATE, release=release, source_url=source_url))


def _records(imported: Imported) -> dict[str, Assessment]:
    out = {e.id: e for e in imported.evidence if isinstance(e, Assessment)}
    assert len(out) == len(imported.evidence)
    return out


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """A writable copy of the 2022 fixture release (repository layout: csv/ + LICENSE)."""
    target = tmp_path / "index2022"
    shutil.copytree(SRC_2022, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- layouts ------------------------------------------------------------------------------


def test_a_2022_file_without_isparent_is_read_as_the_2020_layout(src: Path) -> None:
    _edit(src / "csv" / "2022-indicators.csv", ",isParent,", ",parentFlag,")
    imported = _read(src)
    assert imported.ok
    assert imported.layout == "rdr-2020"
    # parents are found from IndicatorFam instead: the same records and rubric
    assert len(imported.evidence) == 27
    assert [c["id"] for c in imported.rubric["tree"][0]["children"]] == ["G1", "G4"]


def test_layouts_are_detected_from_the_header() -> None:
    t22, _ = read_table(SRC_2022 / "csv" / "2022-indicators.csv")
    t20, _ = read_table(SRC_2020 / "csv" / "2020-indicators.csv")
    assert t22 is not None
    assert t20 is not None
    l22, l20 = detect_layout(t22)[0], detect_layout(t20)[0]
    assert l22 is not None
    assert l22.name == "rdr-2022"
    assert l20 is not None
    assert l20.name == "rdr-2020"


def test_unknown_layout_is_an_error_naming_the_missing_columns(
    src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = src / "csv" / "2022-indicators.csv"
    _edit(path, ",Score,isParent,", ",Points,parentFlag,")
    out = tmp_path / "out"
    code, _, err = run_cli(["import", "rdr", str(src), str(out), "--date", "2022-04-26"], capsys)
    assert code == 1
    assert "2022-indicators.csv:1" in err
    assert "rdr-2022 needs Score, isParent; rdr-2020 needs Score)" in err
    assert not out.exists()


# --- the 2022 layout ----------------------------------------------------------------------


def test_2022_companies_carry_hq_country_sector_and_website() -> None:
    imported = _read(SRC_2022, source_url=PINNED)
    assert imported.ok, imported.report
    by_id = {c.id: c for c in imported.companies}
    assert sorted(by_id) == ["demosocial", "examplesearch", "fictionaltelecom"]
    telecom = by_id["fictionaltelecom"]
    assert telecom.name == "Fictional Telecom"
    assert telecom.hq_country == "GB"  # RDR writes "UK"
    assert [str(s) for s in telecom.sectors] == ["61"]  # RDR type telcos -> ISIC 61
    assert telecom.identifiers.website == "https://fictional-telecom.example.org/"
    assert telecom.sources[0].url == f"{PINNED}/2022-company-specs.csv"
    assert by_id["examplesearch"].hq_country == "US"  # "USA"
    assert by_id["demosocial"].hq_country == "KR"  # "South Korea"
    assert [str(s) for s in by_id["demosocial"].sectors] == ["63"]  # platforms -> ISIC 63
    assert by_id["demosocial"].identifiers.website is None  # meta says NA


def test_2022_one_assessment_per_company_and_indicator_with_na_as_not_applicable() -> None:
    imported = _read(SRC_2022, source_url=PINNED)
    records = _records(imported)
    # 3 companies x 9 rows of index year 2022 (7 indicators + 2 sub-indicators); the 9 rows of
    # index year 2020 are a warning, not records
    assert len(records) == 27
    g1 = records["rdr-2022-fictionaltelecom-G01"]
    assert (g1.company_id, g1.framework, g1.question_id, g1.value, g1.answer) == (
        "fictionaltelecom",
        "rdr-2022",
        "G01",
        60.0,
        None,
    )
    assert g1.country == "GB"
    assert g1.date == DATE
    assert g1.status.value == "verified"
    assert g1.sources[0].url == f"{PINNED}/2022-indicators.csv"
    assert "Fictional policy commitment" in g1.summary
    na = sorted(e.id for e in records.values() if e.answer is not None)
    assert na == [
        "rdr-2022-demosocial-F09",
        "rdr-2022-demosocial-G04b",
        "rdr-2022-demosocial-P03",
        "rdr-2022-examplesearch-F09",
    ]
    assert all(records[i].answer == "not_applicable" for i in na)
    assert all(records[i].value is None for i in na)
    assert "subindicator" in records["rdr-2022-examplesearch-G04a"].tags
    assert "subindicator" not in records["rdr-2022-examplesearch-G04"].tags
    warnings = [p.message for p in imported.report.warnings]
    assert any("9 indicator row(s) of other index years (2020)" in w for w in warnings)


def test_the_rubric_scores_indicators_not_subindicators_with_pooled_aggregation() -> None:
    imported = _read(SRC_2022)
    rubric = imported.rubric
    assert rubric["policies"]["aggregation"] == "pooled"
    themes = {t["id"]: t for t in rubric["tree"]}
    assert list(themes) == ["governance", "freedom", "privacy"]
    assert all(t["aggregation"] == "pooled" and "weight" not in t for t in themes.values())
    leaves = [c for t in rubric["tree"] for c in t["children"]]
    ids = [c["id"] for c in leaves]
    assert ids == ["G1", "G4", "F1", "F9", "P1", "P2", "P3"]  # no duplicates, no sub-indicators
    questions = [c["rule"]["select"]["where"]["question_id"] for c in leaves]
    assert questions == ["G01", "G04", "F01", "F09", "P01", "P02", "P03"]
    g1 = leaves[0]
    assert g1["title"] == "Fictional policy commitment"
    # HTML is stripped from the description RDR publishes
    assert "publish a fictional commitment & keep it" in g1["rationale"]


def test_published_scores_are_kept_per_company_and_node() -> None:
    imported = _read(SRC_2022, source_url=PINNED)
    pub = imported.published.set_index(["company_id", "node"])["score"]
    assert len(pub) == 12  # 3 companies x (total + 3 categories); the 2020 total is left out
    assert pub[("fictionaltelecom", "total")] == 54
    assert pub[("examplesearch", "freedom")] == 70
    assert pub[("demosocial", "privacy")] == 15


def test_written_bundle_scores_as_rdr_and_validates_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bundle"
    code, stdout, _ = run_cli(
        ["import", "rdr", str(SRC_2022), str(out), "--date", "2022-04-26"], capsys
    )
    assert code == 0
    assert "3 companies, 27 records (4 not applicable), 7 indicators" in stdout
    for name in ("companies.csv", "evidence.csv", "rubric.yaml", "import.yaml", "LICENSE",
                 "regions.yaml", "published/scores.csv", "published/companies.csv"):  # fmt: skip
        assert (out / name).is_file(), name
    code, stdout, _ = run_cli(["validate", str(out), "--as-of", "2022-04-26"], capsys)
    assert code == 0
    assert "warning" not in stdout  # no ignored files: published/ is a subdirectory

    card = score(load_evidence(out, as_of=DATE), load_rubric(out / "rubric.yaml"), as_of=DATE)
    nodes = card.nodes.set_index(["company_id", "node_id"])["score"]
    # Fictional Telecom: G (60 + 20)/2 = 40; F (30 + 90)/2 = 60; P (100 + 40 + 40)/3 = 60;
    # total = mean of all 7 indicators = 380/7 = 54.2857 (the mean of the three categories
    # would be 53.33)
    assert nodes[("fictionaltelecom", "governance")] == pytest.approx(40)
    assert nodes[("fictionaltelecom", "privacy")] == pytest.approx(60)
    assert nodes[("fictionaltelecom", "total")] == pytest.approx(380 / 7)
    # Example Search: F9 not applicable -> F = 70 alone; G (100 + 50)/2 = 75;
    # P (80 + 20 + 50)/3 = 50; total = (100+50+70+80+20+50)/6 = 370/6 = 61.667 (categories: 65)
    assert nodes[("examplesearch", "freedom")] == pytest.approx(70)
    assert nodes[("examplesearch", "total")] == pytest.approx(370 / 6)
    # Demo Social: F9 and P3 not applicable (G4b too, but the rubric reads G4 itself = 0):
    # G (0 + 0)/2 = 0; F 10; P (30 + 0)/2 = 15; total (0+0+10+30+0)/5 = 8 (categories: 8.33)
    assert nodes[("demosocial", "governance")] == pytest.approx(0)
    assert nodes[("demosocial", "privacy")] == pytest.approx(15)
    assert nodes[("demosocial", "total")] == pytest.approx(8)
    # not applicable is covered, not missing: coverage of every total is 1
    cov = card.nodes.set_index(["company_id", "node_id"])["coverage"]
    assert cov[("demosocial", "total")] == pytest.approx(1)

    # the fixture's published scores are whole numbers, as RDR publishes them
    check = published_vs_scored(card, read_published(out))
    assert len(check) == 12
    assert check["scored"].notna().all()
    assert (check["diff"].abs() <= 0.5).all()


def test_regions_file_is_a_usable_origin_grouping(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    write_import(_read(SRC_2022), out)
    groups = load_origin_groups(out / "regions.yaml")
    assert dict(groups.countries) == {"KR": "asia", "GB": "europe", "US": "united-states"}
    assert groups.domestic is None


def test_the_publishers_classification_is_kept_beside_the_scores(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    write_import(_read(SRC_2022), out)
    classes = pd.read_csv(out / "published" / "companies.csv", dtype=str).set_index("company_id")
    assert classes.loc["demosocial"].to_dict() == {
        "hq_country": "KR",
        "rdr_region": "Asia",
        "rdr_type": "platforms",
        "rdr_subtype": "internet",
        "sector": "63",
    }
    assert classes.loc["fictionaltelecom", "sector"] == "61"


def test_manifest_records_files_hashes_and_options(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    write_import(_read(SRC_2022, source_url=PINNED), out, "jsonl")
    manifest = yaml.safe_load((out / "import.yaml").read_text(encoding="utf-8"))
    assert manifest["layout"] == "rdr-2022"
    assert manifest["release"] == "2022"
    assert manifest["source_url"] == PINNED
    assert manifest["date"] == "2022-04-26"
    names = [f["name"] for f in manifest["files"]]
    assert "2022-indicators.csv" in names
    assert all(len(f["sha256"]) == 64 for f in manifest["files"])
    assert (out / "evidence.jsonl").is_file()
    assert not (out / "evidence.csv").exists()


# --- the 2020 layout ----------------------------------------------------------------------


def test_2020_layout_reads_score_not_score_adjusted() -> None:
    imported = _read(SRC_2020)
    assert imported.ok
    assert imported.layout == "rdr-2020"
    records = _records(imported)
    assert records["rdr-2020-fictionaltelecom-G01"].value == 50.0  # Score_Adjusted says 100
    assert records["rdr-2020-examplesearch-G04"].answer == "not_applicable"
    company = {c.id: c for c in imported.companies}["fictionaltelecom"]
    assert company.name == "Fictional Télécom"
    assert company.hq_country == "DE"
    # default source: the publisher's repository of the release
    assert records["rdr-2020-fictionaltelecom-G01"].sources[0].url == (
        "https://github.com/rankingdigitalrights/index2020/blob/main/csv/2020-indicators.csv"
    )
    codes = {p.code for p in imported.report.warnings}
    assert {"other-index-year", "no-licence"} <= codes


def test_2020_bundle_reproduces_the_fixture_scores(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    write_import(_read(SRC_2020), out)
    as_of = dt.date(2023, 1, 1)
    card = score(load_evidence(out, as_of=as_of), load_rubric(out / "rubric.yaml"), as_of=as_of)
    total = card.companies.set_index("company_id")["total"]
    # Fictional Telecom: P2 not applicable: (50+30+20+100+80+40)/6 = 320/6 = 53.33
    assert total["fictionaltelecom"] == pytest.approx(320 / 6)
    # Example Search: G4 (and its sub-indicators) and F9 not applicable: (100+60+90+30+0)/5
    assert total["examplesearch"] == pytest.approx(56)
    theme = card.companies.set_index("company_id")["theme:governance"]
    assert theme["examplesearch"] == pytest.approx(100)  # G1 alone
    check = published_vs_scored(card, read_published(out))
    assert (check["diff"].abs() <= 0.5).all()


def test_release_is_chosen_among_several(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    both = tmp_path / "both"
    shutil.copytree(SRC_2022 / "csv", both)
    for f in (SRC_2020 / "csv").iterdir():
        shutil.copy(f, both / f.name)
    assert _read(both).release == "2022"
    assert _read(both, release="2020").layout == "rdr-2020"
    code, _, err = run_cli(
        [
            "import",
            "rdr",
            str(both),
            str(tmp_path / "o"),
            "--date",
            "2022-04-26",
            "--release",
            "1999",
        ],
        capsys,
    )
    assert code == 2
    assert "found: 2020, 2022" in err


# --- rows that cannot be mapped -------------------------------------------------------------


def test_unmappable_rows_are_reported_with_file_line_and_column_and_nothing_is_written(
    src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = src / "csv" / "2022-indicators.csv"
    # a quoted cell with a line break: later rows must still be found on their own lines
    _edit(path, "Fictional guidance.</p>,full,NA\n", '"Fictional\nguidance.</p>",full,NA\n')
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = [
        "2022,GhostCorp,G01,G,1,G01,FALSE,NA,10,FALSE,G1,x,x,x,full,NA",
        "2022,ExampleSearch,G02,G,2,G02,FALSE,NA,abc,FALSE,G2,x,x,x,full,NA",
        "2022,ExampleSearch,X01,X,1,X01,FALSE,NA,10,FALSE,X1,x,x,x,full,NA",
        "2022,ExampleSearch,G01,G,1,G01,FALSE,NA,10,FALSE,G1,x,x,x,full,NA",
        "2022,ExampleSearch,P09a,P,9,P09,TRUE,a,10,FALSE,P9a,x,x,x,full,NA",
        "2022,ExampleSearch,P08,P,8,P08,maybe,NA,10,FALSE,P8,x,x,x,full,NA",
        "2022,ExampleSearch,P07,P,7",
    ]
    first = len(lines) + 1  # the file has one record over two lines: line numbers are text lines
    path.write_text("\n".join([*lines, *bad]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = run_cli(["import", "rdr", str(src), str(out), "--date", "2022-04-26"], capsys)
    assert code == 1
    name = "2022-indicators.csv"
    assert f"{name}:{first}: error: Company: not a company of the release's company list" in err
    assert f"{name}:{first + 1}: error: Score: expected a score from 0 to 100" in err
    assert "(got 'abc')" in err
    assert f"{name}:{first + 2}: error: Category: unknown RDR category" in err
    assert (
        f"{name}:{first + 3}: error: Indicator: a second row for this company and indicator" in err
    )
    assert f"{name}:{first + 4}: error: IndicatorFam: a sub-indicator whose parent" in err
    assert f"{name}:{first + 5}: error: isSubindicator: expected TRUE or FALSE" in err
    assert f"{name}:{first + 6}: error: 5 cells but the header has 16 columns" in err
    assert "nothing was written" in err
    assert not out.exists()


def test_a_company_list_row_that_cannot_be_mapped_names_its_column(src: Path) -> None:
    _edit(src / "csv" / "2022-company-specs.csv", "Asia,South Korea", "Asia,Atlantis")
    imported = _read(src)
    errors = imported.report.errors
    assert [(Path(p.file).name, p.row, p.field, p.value) for p in errors] == [
        ("2022-company-specs.csv", 4, "country", "Atlantis")
    ]
    # its 9 indicator rows (and published rows) are not repeated as errors, but not silent
    warned = " ".join(p.message for p in imported.report.warnings)
    assert "9 row(s) of DemoSocial not imported" in warned
    with pytest.raises(ImportProblemsError):
        write_import(imported, src / "out")
    assert not (src / "out").exists()


def test_published_scores_that_cannot_be_mapped_are_reported(src: Path) -> None:
    path = src / "csv" / "2022-categories.csv"
    path.write_text(
        path.read_text(encoding="utf-8") + "2022,DemoSocial,P,16\n2022,DemoSocial,X,1\n",
        encoding="utf-8",
    )
    imported = _read(src)
    found = [(p.row, p.field, p.code) for p in imported.report.errors]
    # header + 9 rows = lines 1-10; the appended rows are lines 11 (a second DemoSocial P) and 12
    assert found == [(12, "Category", "unknown-category"), (11, "Company", "duplicate-row")]


def test_missing_files_are_problems(src: Path) -> None:
    (src / "csv" / "2022-totals.csv").unlink()
    imported = _read(src)
    assert [p.code for p in imported.report.errors] == ["missing-file"]
    assert imported.report.errors[0].file.endswith("2022-totals.csv")


# --- usage ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "rdr", str(SRC_2022), "OUT"], "--date"),
        (["import", "nope", str(SRC_2022), "OUT", "--date", "2022-04-26"], "unknown importer"),
        (["import", "rdr", "no/such/dir", "OUT", "--date", "2022-04-26"], "no such file"),
        (["import", "rdr", str(FIXTURES), "OUT", "--date", "2022-04-26"], "no RDR release"),
        (
            ["import", "rdr", str(SRC_2022), "OUT", "--date", "2022-04-26", "--source-url", "x"],
            "not an http(s) URL",
        ),
        (["import", "rdr", str(SRC_2022), "FILE", "--date", "2022-04-26"], "not a directory"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    places = {"OUT": str(tmp_path / "out"), "FILE": str(tmp_path / "file")}
    args = [places.get(a, a) for a in args]
    code, _, err = run_cli(args, capsys)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_other_bundle_files_in_out_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "evidence-old.csv").write_text("id\n", encoding="utf-8")
    code, _, err = run_cli(
        ["import", "rdr", str(SRC_2022), str(out), "--date", "2022-04-26"], capsys
    )
    assert code == 2
    assert "evidence-old.csv" in err
    assert sorted(p.name for p in out.iterdir()) == ["evidence-old.csv"]


def test_import_again_replaces_the_bundle(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_import(_read(SRC_2022), out)
    first = (out / "evidence.csv").read_bytes()
    write_import(_read(SRC_2022), out)
    assert (out / "evidence.csv").read_bytes() == first  # deterministic


# --- helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [("USA", "US"), ("U.S.", "US"), ("UK", "GB"), ("UAE", "AE"), ("GER", "DE"),
     ("South Korea", "KR"), ("Russia", "RU"), ("Malaysia", "MY"), ("Atlantis", None), ("", None)],
)  # fmt: skip
def test_country_spellings(name: str, code: str | None) -> None:
    assert country_code(name) == code


def test_display_ids_and_plain_text() -> None:
    assert display_id("G", "04", "a") == "G4a"
    assert display_id("P", "18", "NA") == "P18"
    assert plain_text("<p>A &amp; <a href='x'>B</a></p>") == "A & B"
    assert plain_text("x" * 10, limit=5) == "xxxx…"


def test_rdr_is_registered() -> None:
    assert "rdr" in importers()
