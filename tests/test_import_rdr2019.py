"""`bhrscore import rdr` on RDR's 2019 release layout (summary scores + company list).

The fixture under tests/fixtures/rdr/datalab2019/ is written by hand in the layout of RDR's
2019 files (``RDR2019_02_Summary_Scores.csv`` with a byte-order mark, an ``all companies``
row and service rows; ``companies.json`` as on the 2019 index website) with three clearly
fictional companies; it is not RDR's data. Expected scores are worked out in the comments.

Fixture indicator scores (Overall rows; NA = not applicable):

    company            G1     G2   F1    F2    F3   P1     P2  P3
    Fictional Telecom  100    50   50    NA    0    100    50  30
    Example Search     66.67  NA   12.5  37.5  100  33.33  0   NA
    Demo Social        0      0    100   100   100  50     50  50
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from bhrscore import Assessment, load_evidence, load_rubric, score
from bhrscore.importers import (
    Imported,
    ImportOptions,
    ImportProblemsError,
    published_vs_scored,
    read_import,
    read_published,
    write_import,
)
from tests.conftest import run_cli

FIXTURE = Path(__file__).parent / "fixtures" / "rdr" / "datalab2019"
DATA = FIXTURE / "csv_intro" / "data"
SUMMARY = "RDR2019_02_Summary_Scores.csv"
DATE = dt.date(2019, 5, 14)
PINNED = "https://example.org/fictional-rdr2019/blob/abc123"


def _read(src: Path, release: str | None = None, source_url: str | None = None) -> Imported:
    return read_import("rdr", src, ImportOptions(date=DATE, release=release, source_url=source_url))


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A writable copy of the fixture's data folder."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("where", [FIXTURE, DATA, DATA / SUMMARY])
def test_the_2019_layout_is_found_in_a_datalab_clone_its_data_folder_or_the_file(
    where: Path,
) -> None:
    imported = _read(where)
    assert imported.ok, imported.report
    assert (imported.release, imported.layout) == ("2019", "rdr-2019")
    assert _read(where, release="2019").layout == "rdr-2019"


def test_companies_come_from_the_company_list_matched_by_name_case_insensitively() -> None:
    imported = _read(DATA, source_url=PINNED)
    by_id = {c.id: c for c in imported.companies}
    # ids are RDR's own (compURL); "Example search" in the list matches "Example Search"
    assert sorted(by_id) == ["demosocial", "examplesearch", "fictionaltelecom"]
    assert by_id["examplesearch"].name == "Example Search"  # the summary file's spelling
    assert by_id["examplesearch"].hq_country == "US"  # "U.S."
    assert by_id["fictionaltelecom"].hq_country == "GB"  # "United Kingdom"
    assert by_id["demosocial"].hq_country == "KR"  # "South Korea"
    assert [str(s) for s in by_id["fictionaltelecom"].sectors] == ["61"]  # telecommunications
    assert [str(s) for s in by_id["demosocial"].sectors] == ["63"]  # internet and mobile
    urls = [s.url for s in by_id["demosocial"].sources]
    assert urls == [f"{PINNED}/companies.json", f"{PINNED}/{SUMMARY}"]


def test_one_assessment_per_company_and_indicator_unrounded_na_not_applicable() -> None:
    imported = _read(DATA)
    records = {e.id: e for e in imported.evidence if isinstance(e, Assessment)}
    assert len(records) == len(imported.evidence) == 3 * 8  # Overall rows only
    g1 = records["rdr-2019-examplesearch-G1"]
    assert (g1.framework, g1.question_id, g1.answer) == ("rdr-2019", "G1", None)
    assert g1.value == 66.66666666666667  # as in the file, not rounded
    assert g1.tags == ["governance"]
    assert g1.sources[0].url == (
        "https://github.com/rankingdigitalrights/datalab/blob/"
        f"84aae3dfc11d9b9f22617c971958ad17994f298b/csv_intro/data/{SUMMARY}"
    )  # the default: RDR's published copy, pinned
    na = sorted(k for k, e in records.items() if e.answer is not None)
    assert na == [
        "rdr-2019-examplesearch-G2",
        "rdr-2019-examplesearch-P3",
        "rdr-2019-fictionaltelecom-F2",
    ]
    assert imported.manifest["counts"]["not_applicable"] == 3


def test_rows_that_are_not_company_scores_are_warnings_not_silence() -> None:
    imported = _read(DATA)
    warnings = [(p.row, p.code) for p in imported.report.warnings]
    assert "byte-order mark" in imported.report.warnings[0].message  # RDR's file has one
    assert (2, "not-a-company") in warnings  # the "all companies" row, line 2
    services = [p.message for p in imported.report.warnings if p.code == "service-rows"]
    assert len(services) == 1
    assert services[0].startswith("4 service-level row(s)")


def test_the_rubric_reproduces_the_published_unrounded_scores(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_import(_read(DATA), out)
    evidence = load_evidence(out, as_of=DATE)
    assert evidence.report.ok
    card = score(evidence, load_rubric(out / "rubric.yaml"), as_of=DATE)
    total = card.companies.set_index("company_id")["total"].astype(float)
    # Telecom: 7 applicable (F2 N/A): (100+50+50+0+100+50+30)/7 = 380/7 = 54.2857...
    assert total["fictionaltelecom"] == pytest.approx(380 / 7, abs=1e-9)
    # Search: 6 applicable: (66.67+12.5+37.5+100+33.33+0)/6 = 250/6 = 41.6667
    assert total["examplesearch"] == pytest.approx(250 / 6, abs=1e-9)
    # Social: (0+0+100+100+100+50+50+50)/8 = 56.25, though the categories' mean is
    # (0 + 100 + 50)/3 = 50: the total pools the indicators
    assert total["demosocial"] == pytest.approx(56.25, abs=1e-9)
    freedom = card.companies.set_index("company_id")["theme:freedom"].astype(float)
    assert freedom["fictionaltelecom"] == pytest.approx(25, abs=1e-9)  # (50 + 0)/2, F2 N/A
    published = read_published(out)
    assert len(published) == 3 * 4
    assert published.set_index(["company_id", "node"]).loc[
        ("examplesearch", "privacy"), "score"
    ] == pytest.approx(16.666666666666668, abs=0)  # written back exactly
    check = published_vs_scored(card, published)
    assert check["diff"].abs().max() <= 1e-9


def test_the_rubric_has_one_node_per_indicator_in_rdr_order() -> None:
    rubric = _read(DATA).rubric
    assert rubric["policies"]["aggregation"] == "pooled"
    assert [[c["id"] for c in t["children"]] for t in rubric["tree"]] == [
        ["G1", "G2"],
        ["F1", "F2", "F3"],
        ["P1", "P2", "P3"],
    ]
    # titles from indicator-overview.json, without the "G1. " RDR puts before them
    assert rubric["tree"][0]["children"][0]["title"] == "Example commitment"


def test_without_indicator_names_the_nodes_are_titled_by_id_with_a_warning(data: Path) -> None:
    (data / "indicator-overview.json").unlink()
    imported = _read(data)
    assert imported.ok
    assert [c["title"] for c in imported.rubric["tree"][0]["children"]] == ["G1", "G2"]
    assert [p.code for p in imported.report.warnings if p.code == "no-titles"] == ["no-titles"]


def test_unmappable_rows_name_file_line_and_column_and_nothing_is_written(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = data / SUMMARY
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    # line 3: Fictional Telecom's Overall row; F3 (the 13th cell) is not a score
    cells = lines[2].split(",")
    cells[12] = "abc"
    lines[2] = ",".join(cells)
    # line 6: Example Search's Overall row with a company type RDR does not have
    lines[5] = lines[5].replace("internet and mobile ecosystem company", "search company")
    lines += [
        "Ghost Corp,telecommunications company,Overall,NA,1,1,1,1,1,1,1,1,1,1,1,1",  # line 10
        "Demo Social,internet and mobile ecosystem company,Overall,NA,1,1,1,1,1,1,1,1,1,1,1,1",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = run_cli(["import", "rdr", str(data), str(out), "--date", "2019-05-14"], capsys)
    assert code == 1
    assert f"{SUMMARY}:3: error: F3: expected a score from 0 to 100 or NA (got 'abc')" in err
    assert f"{SUMMARY}:6: error: Category: unknown RDR company type" in err
    assert f"{SUMMARY}:10: error: Company: not a company of RDR's company list" in err
    assert f"{SUMMARY}:11: error: Company: a second Overall row for this company" in err
    assert "nothing was written" in err
    assert not out.exists()


def test_the_company_list_is_required_and_checked(data: Path) -> None:
    doc = json.loads((data / "companies.json").read_text(encoding="utf-8"))
    doc[1]["country"] = "Atlantis"
    doc[2]["compURL"] = 7
    (data / "companies.json").write_text(json.dumps(doc), encoding="utf-8")
    imported = _read(data)
    found = [(p.pointer, p.field, p.value) for p in imported.report.errors]
    assert ("/1/country", "country", "Atlantis") in found
    assert ("/2/compURL", "compURL", "7") in found
    # their rows in the summary are then companies the list does not have: errors too
    assert {p.row for p in imported.report.errors if p.field == "Company"} == {3, 8}
    with pytest.raises(ImportProblemsError):
        write_import(imported, data / "out")
    (data / "companies.json").unlink()
    missing = _read(data).report.errors
    assert [p.code for p in missing] == ["missing-file"]
    assert "HQ country" in missing[0].message


def test_a_listed_company_without_scores_is_a_warning(data: Path) -> None:
    doc = json.loads((data / "companies.json").read_text(encoding="utf-8"))
    doc.append({"company": "Sample Cloud", "compURL": "samplecloud", "country": "Norway"})
    (data / "companies.json").write_text(json.dumps(doc), encoding="utf-8")
    imported = _read(data)
    assert imported.ok
    assert [(p.pointer, p.code) for p in imported.report.warnings if p.pointer] == [
        ("/3/company", "no-scores")
    ]


def test_a_summary_without_its_columns_is_not_the_2019_layout(data: Path) -> None:
    _edit(data / SUMMARY, "Total,G,FoE,P,", "Sum,G,FoE,P,")
    errors = _read(data).report.errors
    assert [(p.row, p.code) for p in errors] == [(1, "missing-columns")]
    assert "missing column(s) Total" in errors[0].message


def test_a_release_in_two_layouts_is_a_usage_error(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (data / "2019-indicators.csv").write_text("Index\n", encoding="utf-8")
    code, _, err = run_cli(["import", "rdr", str(data), "OUT", "--date", "2019-05-14"], capsys)
    assert code == 2
    assert "release 2019 is there in two layouts" in err


def test_import_json_output_says_what_was_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = ["import", "rdr", str(DATA), str(out), "--date", "2019-05-14", "--format", "json"]
    code, stdout, _ = run_cli(args, capsys)
    assert code == 0
    doc = json.loads(stdout)
    assert (doc["ok"], doc["release"], doc["layout"]) == (True, "2019", "rdr-2019")
    assert (doc["companies"], doc["records"], doc["not_applicable"]) == (3, 24, 3)
    assert doc["indicators"] == 8
    assert str(out / "rubric.yaml") in doc["written"]
    manifest = yaml.safe_load((out / "import.yaml").read_text(encoding="utf-8"))
    assert manifest["layout"] == "rdr-2019"
    assert [f["name"] for f in manifest["files"]] == [
        "companies.json",
        SUMMARY,
        "indicator-overview.json",
    ]
    assert (out / "LICENSE").read_text(encoding="utf-8").startswith("Fixture licence notice")
