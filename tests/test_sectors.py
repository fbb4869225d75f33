"""Sector codes: ISIC Rev.4 sections and divisions, the old short codes as aliases, bundle
vocabularies, located errors with suggestions, and the vectorised check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from bhrscore.evidence.load import load_evidence
from bhrscore.evidence.model import Company, GroupSubject
from bhrscore.evidence.report import EvidenceValidationError
from bhrscore.evidence.sectors import (
    SectorVocabularyError,
    check_sector_codes,
    default_sector_vocabulary,
    load_sector_vocabulary,
    use_sector_vocabulary,
)
from tests.conftest import company, record, run_cli

# The old closed list of bhrscore 0.x and the ISIC Rev.4 code each now stands for (written by
# hand from the classification: 06 crude petroleum and natural gas, 09 mining support
# services, H transportation and storage, B mining and quarrying, 24 basic metals, F
# construction, D electricity and gas supply, C manufacturing, 14 wearing apparel,
# 26 computer, electronic and optical products, A agriculture, K finance; other: none).
OLD_CODES = {
    "oil-gas": "06",
    "oilfield-services": "09",
    "shipping-logistics": "H",
    "mining": "B",
    "metals": "24",
    "construction": "F",
    "energy-utilities": "D",
    "manufacturing": "C",
    "apparel": "14",
    "electronics": "26",
    "agriculture": "A",
    "finance": "K",
    "other": None,
}

# The divisions of each ISIC Rev.4 section (UN Statistical Papers M/4/Rev.4, broad structure).
SECTION_DIVISIONS = {
    "A": range(1, 4),
    "B": range(5, 10),
    "C": range(10, 34),
    "D": [35],
    "E": range(36, 40),
    "F": range(41, 44),
    "G": range(45, 48),
    "H": range(49, 54),
    "I": [55, 56],
    "J": range(58, 64),
    "K": range(64, 67),
    "L": [68],
    "M": range(69, 76),
    "N": range(77, 83),
    "O": [84],
    "P": [85],
    "Q": range(86, 89),
    "R": range(90, 94),
    "S": range(94, 97),
    "T": [97, 98],
    "U": [99],
}


def test_packaged_classification_has_every_section_and_division_in_its_section() -> None:
    vocab = default_sector_vocabulary()
    assert vocab.codes("section") == tuple(SECTION_DIVISIONS)
    expected = {f"{d:02d}": s for s, divisions in SECTION_DIVISIONS.items() for d in divisions}
    assert len(expected) == 88
    divisions = vocab.codes("division")
    assert set(divisions) == set(expected)
    for code in divisions:
        entry = vocab.get(code)
        assert entry is not None, code
        assert entry.section == expected[code], code
    assert vocab.title("61") == "Telecommunications"
    assert vocab.title("63") == "Information service activities"
    assert vocab.title("J") == "Information and communication"
    assert vocab.title("06") == "Extraction of crude petroleum and natural gas"


def test_old_short_codes_are_aliases_of_their_isic_code() -> None:
    vocab = default_sector_vocabulary()
    assert set(vocab.codes("alias")) == set(OLD_CODES)
    for alias, isic in OLD_CODES.items():
        entry = vocab.get(alias)
        assert entry is not None, alias
        assert entry.isic == isic, alias


@pytest.mark.parametrize("code", ["J", "61", "63", "oil-gas", "oilfield-services", "B"])
def test_isic_codes_and_aliases_validate(code: str) -> None:
    assert Company(id="c", name="Fictional Telecom", sectors=[code]).sectors == [code]
    assert GroupSubject(description="Fictional group", sector=code).sector == code


def test_number_cells_become_division_codes() -> None:
    # A spreadsheet number cell cannot keep the leading zero of 06.
    assert Company(id="c", name="Fictional Oil", sectors=[6, 61.0]).sectors == ["06", "61"]  # type: ignore[list-item]


def test_unknown_code_is_rejected_with_a_suggestion() -> None:
    with pytest.raises(ValidationError) as info:
        Company(id="c", name="Fictional Telecom", sectors=["61", "telecom"])
    error = info.value.errors()[0]
    assert error["loc"] == ("sectors", 1)
    assert "did you mean '61' (Telecommunications)" in error["msg"]
    # case and a dropped leading zero are suggested too
    vocab = default_sector_vocabulary()
    assert vocab.suggestions("j")[0] == "J"
    assert vocab.suggestions("6")[0] == "06"
    assert vocab.suggestions("shiping") == ["shipping-logistics"]


def test_unknown_code_in_a_bundle_is_a_located_error(
    bundle: Callable[..., Path],
) -> None:
    path = bundle(
        [company(sectors=["J"]), company("beta", sectors=["telecoms"])],
        [record()],
    )
    with pytest.raises(EvidenceValidationError) as info:
        load_evidence(path)
    [problem] = info.value.report.errors
    assert problem.file.endswith("companies.jsonl")
    assert problem.row == 2
    assert problem.field == "sectors.0"  # JSON lines: the item's path
    assert problem.value == "telecoms"
    assert "did you mean '61' (Telecommunications)" in problem.message


def test_unknown_code_in_a_csv_names_the_column(tmp_path: Path) -> None:
    (tmp_path / "companies.csv").write_text(
        "id,name,sectors\nacme,Acme Fictional,J|61\nbeta,Beta Fictional,61|6\n", "utf-8"
    )
    (tmp_path / "evidence.csv").write_text(
        "id,kind,company_id,date,country,summary,status,sources.0.url,sources.0.title,"
        "statement_type\ne1,statement,acme,2024-01-05,KZ,Fictional,alleged,"
        "https://example.org/x,X,report\n",
        "utf-8",
    )
    with pytest.raises(EvidenceValidationError) as info:
        load_evidence(tmp_path)
    [problem] = info.value.report.errors
    assert (problem.row, problem.field, problem.value) == (3, "sectors.1", "6")
    assert "did you mean '06'" in problem.message


def test_group_sector_is_checked_and_is_a_text_column(bundle: Callable[..., Path]) -> None:
    testimony = record(id="t1", company_id=None, group={"description": "Telecoms", "sector": "61"})
    bad = record(id="t2", company_id=None, group={"description": "Telecoms", "sector": "6l"})
    with pytest.raises(EvidenceValidationError) as info:
        load_evidence(bundle([company()], [testimony, bad]))
    [problem] = info.value.report.errors
    assert (problem.row, problem.field, problem.value) == (2, "group.sector", "6l")
    evidence = load_evidence(bundle([company(sectors=["61", "J"])], [testimony]))
    frames = evidence.frames()
    assert str(frames.evidence["group.sector"].dtype) == "string"
    assert frames.evidence["group.sector"].tolist() == ["61"]
    assert frames.companies["sectors"].tolist() == [("61", "J")]


VOCABULARY = """\
sectors:
  telecom-mobile: {title: Mobile telecommunications, isic: "61"}
  fixed-line: {title: Fixed-line telecommunications, isic: 61}
  ngo: {title: Non-governmental organisation}
"""


def test_bundle_vocabulary_adds_codes(bundle: Callable[..., Path]) -> None:
    path = bundle([company(sectors=["telecom-mobile", "ngo"]), company("beta", sectors=["63"])])
    (path / "vocabulary.yaml").write_text(VOCABULARY, encoding="utf-8")
    evidence = load_evidence(path)
    assert evidence.company("acme").sectors == ["telecom-mobile", "ngo"]
    vocab = load_sector_vocabulary(path / "vocabulary.yaml")
    # An unquoted 61 is read by YAML as a number and taken as division 61.
    assert vocab.group_of("fixed-line") == "61"
    assert vocab.group_of("telecom-mobile", "division") == "61"
    assert vocab.group_of("telecom-mobile", "section") == "J"
    assert vocab.group_of("ngo", "section") == "ngo"
    # Outside loading the packaged vocabulary is in effect again.
    with pytest.raises(ValidationError):
        Company(id="c", name="Fictional", sectors=["telecom-mobile"])
    # A validation context can name the vocabulary explicitly.
    model = Company.model_validate(
        {"id": "c", "name": "Fictional", "sectors": ["telecom-mobile"]},
        context={"sector_vocabulary": vocab},
    )
    assert model.sectors == ["telecom-mobile"]
    with use_sector_vocabulary(vocab):
        assert Company(id="c", name="F", sectors=["ngo"]).sectors == ["ngo"]


@pytest.mark.parametrize(
    ("text", "pointer", "words"),
    [
        ("sectors: [telecom", None, "not valid YAML"),
        ("- telecom\n", None, "expected a mapping"),
        ("sector: {}\n", None, "unknown keys ['sector']"),
        ("sectors:\n  '61': {title: Telecoms again}\n", "/sectors/61", "already defined"),
        ("sectors:\n  tele: {title: Telecoms, isic: '6l'}\n", "/sectors/tele/isic", "'61'"),
        ("sectors:\n  tele: {isic: '61'}\n", "/sectors/tele/title", "title is required"),
        ("sectors:\n  tele: {title: T, naics: '517'}\n", "/sectors/tele", "unknown keys"),
        ("sectors:\n  'bad code': {title: T}\n", "/sectors/bad code", "letters, digits"),
    ],
)
def test_bad_vocabulary_file_is_a_located_error(
    bundle: Callable[..., Path], text: str, pointer: str | None, words: str
) -> None:
    path = bundle([company(sectors=["61"])])
    (path / "vocabulary.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(EvidenceValidationError) as info:
        load_evidence(path)
    [problem] = info.value.report.errors
    assert problem.file == str(path / "vocabulary.yaml")
    assert problem.code == "bad-vocabulary"
    assert problem.pointer == pointer
    assert words in problem.message
    with pytest.raises(SectorVocabularyError, match=r"vocabulary\.yaml"):
        load_sector_vocabulary(path / "vocabulary.yaml")


def test_cli_validate_reports_a_bad_vocabulary_without_traceback(
    bundle: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = bundle([company(sectors=["tele"])])
    (path / "vocabulary.yaml").write_text("sectors:\n  tele: {title: T, isic: Z}\n", "utf-8")
    code, out, err = run_cli(["validate", str(path)], capsys)
    assert code == 1
    assert "vocabulary.yaml" in out + err
    assert "Traceback" not in out + err


def test_check_sector_codes_is_a_row_mask(tmp_path: Path) -> None:
    scalar = pd.Series(["61", None, "telecom", "oil-gas"], dtype="string")
    assert check_sector_codes(scalar).tolist() == [False, False, True, False]
    lists = pd.Series([("61", "J"), ("J", "nope"), (), ("61", "J")], dtype="object")
    assert check_sector_codes(lists).tolist() == [False, True, False, False]
    joined = pd.Series(["61|oil-gas", "61|x", None])
    assert check_sector_codes(joined, list_column=True).tolist() == [False, True, False]
    (tmp_path / "vocabulary.yaml").write_text(VOCABULARY, encoding="utf-8")
    vocab = load_sector_vocabulary(tmp_path / "vocabulary.yaml")
    assert check_sector_codes(pd.Series(["ngo", "61"]), vocab).tolist() == [False, False]
    assert check_sector_codes(pd.Series(["ngo", "61"])).tolist() == [True, False]


def test_schema_has_pattern_and_known_codes_as_examples() -> None:
    schema = Company.model_json_schema()
    items = schema["properties"]["sectors"]["items"]
    assert items["pattern"]
    assert {"J", "61", "oil-gas"} <= set(items["examples"])
    assert "enum" not in items


def test_template_offers_the_sector_codes() -> None:
    from bhrscore.export.template import company_columns, evidence_columns

    [sectors] = [c for c in company_columns() if c.name == "sectors"]
    [group_sector] = [c for c in evidence_columns() if c.name == "group.sector"]
    for col in (sectors, group_sector):
        assert col.choices_name == "Sector"
        assert {"J", "61", "63", "oil-gas"} <= set(col.choices)
        assert "see the Sector column of sheet Lists" in col.hint()
