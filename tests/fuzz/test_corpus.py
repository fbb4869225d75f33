"""The regression corpus (``tests/corpus/``): one input per failure of issue 12, each with
its documented outcome: the exit code, the problem located by file, row and field (read from
``validate --format json``, so wording may change), and never a traceback.

Inputs that cannot be committed are built here: links that dangle or loop and a FIFO named
``evidence*.jsonl`` (item 5), and a CSV with 200,000 unknown columns (item 6).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .bundle import check_load, run_cli

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
AS_OF = "2025-01-01"


@dataclass(frozen=True)
class Expected:
    """``validate --format json`` on a corpus bundle: the problems as (file name, row, field,
    code), and (valid, rejected) evidence records."""

    case: str
    problems: list[tuple[str, int | None, str | None, str]]
    evidence: tuple[int, int]


VALIDATE_CASES = [
    # 1. a whole document nested 1,000 deep is one problem of the file
    Expected("01-nested-document", [("bundle.json", None, None, "nesting")], (0, 0)),
    # 1. a tags value nested 1,000 deep rejects its record (line 2), the other one is kept
    Expected("01-nested-tags", [("evidence.jsonl", 2, None, "nesting")], (1, 1)),
    # 2. a 5,000-digit amount
    Expected("02-huge-integer", [("evidence.jsonl", 2, "amount", "number-too-long")], (1, 1)),
    # 3. company_id and status given twice: both named, the record rejected
    Expected(
        "03-duplicate-keys",
        [
            ("evidence.jsonl", 2, "company_id", "duplicate-key"),
            ("evidence.jsonl", 2, "status", "duplicate-key"),
        ],
        (1, 1),
    ),
    # 4. the CSV row cut inside sources.0.title (file row 3) is ragged, not silently short
    Expected("04-short-csv-row", [("evidence.csv", 3, None, "ragged-row")], (2, 1)),
    # found by the fuzz suite: "\ud800" escapes (half a surrogate pair) raised
    # UnicodeEncodeError from pyarrow; now each is an encoding problem of its field
    Expected(
        "fuzz-lone-surrogate",
        [
            ("companies.jsonl", 2, "name", "encoding"),
            ("evidence.jsonl", 2, "summary", "encoding"),
        ],
        (1, 1),
    ),
    # found by the fuzz suite: vocabulary.yaml nested 1,000 deep raised RecursionError
    Expected("fuzz-nested-vocabulary", [("vocabulary.yaml", None, None, "bad-vocabulary")], (1, 0)),
]


def assert_clean(code: int, out: str, err: str, expected: int) -> None:
    assert "Traceback" not in out + err, err[-2000:]
    assert code == expected, (code, err[-2000:])


@pytest.mark.parametrize("case", VALIDATE_CASES, ids=lambda c: c.case)
def test_corpus_validate(case: Expected) -> None:
    path = CORPUS / case.case
    code, out, err = run_cli(["validate", str(path), "--as-of", AS_OF, "--format", "json"])
    assert_clean(code, out, err, 1)
    doc = json.loads(out)
    found = [
        (Path(p["file"]).name, p.get("row"), p.get("field"), p["code"]) for p in doc["problems"]
    ]
    assert found == case.problems
    assert (doc["valid"]["evidence"], doc["rejected"]["evidence"]) == case.evidence
    # the library agrees, and its counts add up
    ev = check_load(path)
    assert [(Path(p.file).name, p.code) for p in ev.report.problems] == [
        (f, c) for f, _r, _fd, c in case.problems
    ]
    # the text report names the file and exits the same way
    code, out, err = run_cli(["validate", str(path), "--as-of", AS_OF])
    assert_clean(code, out, err, 1)
    assert case.problems[0][0] in out


@pytest.mark.parametrize("command", ["score", "compare", "brief"])
def test_corpus_nesting_through_other_commands(command: str, tmp_path: Path) -> None:
    """Item 1 names validate, score, compare and brief: each refuses the nested bundle."""
    args = [command, str(CORPUS / "01-nested-tags"), "--as-of", AS_OF]
    if command == "brief":
        args += ["--out", str(tmp_path / "b.xlsx")]
    code, out, err = run_cli(args)
    assert_clean(code, out, err, 1)
    assert "evidence.jsonl" in out + err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_corpus_full_surrogate_pair_is_one_character() -> None:
    ev = check_load(CORPUS / "fuzz-lone-surrogate")
    assert [(c.id, c.name) for c in ev.companies] == [("acme", "Acme \U0001f600 Fictional")]


def test_corpus_deep_rubric_in_check() -> None:
    """Item 1: a rubric 250 levels deep made ``check`` raise RecursionError."""
    path = CORPUS / "01-deep-rubric" / "rubric.yaml"
    code, out, err = run_cli(["check", str(path)])
    assert_clean(code, out, err, 1)
    assert "rubric.yaml" in out + err
    assert "line 5" in out + err  # the tree starts on line 5; its 65th level is on it too
    code, out, err = run_cli(["score", str(CORPUS / "13-nul-formula"), "--rubric", str(path)])
    assert_clean(code, out, err, 1)


def test_corpus_non_utf8_golden_cases() -> None:
    """Found by the fuzz suite: a cases file with a Latin-1 byte raised UnicodeDecodeError
    from ``check``; now it is a located error and exit 1."""
    folder = CORPUS / "fuzz-non-utf8-cases"
    code, out, err = run_cli(
        ["check", str(folder / "rubric.yaml"), str(folder / "rubric.cases.yaml")]
    )
    assert_clean(code, out, err, 1)
    assert "rubric.cases.yaml" in err
    assert "0xE9" in err  # the offending byte


def test_corpus_corrupt_sheet_part_of_a_workbook(tmp_path: Path) -> None:
    """Found by the fuzz suite: a sheet part that calamine refuses and openpyxl only fails on
    while streaming it (here a shared-string cell whose index is not a number) raised from
    validate. Now it is one error on that sheet; the sheet's rows are not read."""
    import zipfile

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Companies"
    ws.append(["id", "name", "hq_country"])
    ws.append(["acme", "Acme Fictional", "NL"])
    ev = wb.create_sheet("Evidence")
    ev.append(["id", "kind", "company_id", "date", "country", "summary", "status"])
    ev.append(["e1", "retaliation", "acme", "2024-01-05", "KZ", "Fictional", "alleged"])
    ev.append(["e2", "retaliation", "acme", "2024-01-05", "KZ", "Fictional", "alleged"])
    good = io.BytesIO()
    wb.save(good)
    src = zipfile.ZipFile(good)
    path = tmp_path / "bundle.xlsx"
    with zipfile.ZipFile(path, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet2.xml":  # the Evidence sheet, cut after row 2
                cut = data.index(b'<row r="3"')
                data = data[:cut] + (
                    b'<row r="3"><c r="A3" t="s"><v>oops</v></c></row></sheetData></worksheet>'
                )
            out.writestr(name, data)
    code, out_text, err = run_cli(["validate", str(path), "--as-of", AS_OF, "--format", "json"])
    assert_clean(code, out_text, err, 1)
    doc = json.loads(out_text)
    problems = [(p["code"], p.get("sheet")) for p in doc["problems"]]
    assert problems == [("bad-workbook", "Evidence")]
    assert doc["read"].get("evidence", 0) == 0
    assert doc["valid"]["companies"] == 1  # the intact sheet is still read


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail instead of hanging if something opens the FIFO."""

    def hang(*_: object) -> None:
        raise TimeoutError("reading the bundle blocked")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def test_corpus_files_that_are_not_regular(tmp_path: Path, alarm: None) -> None:
    """Item 5: a dangling link, a looping link and a FIFO named like evidence are errors
    naming each file; the regular files are still read."""
    path = tmp_path / "bundle"
    shutil.copytree(CORPUS / "13-nul-formula", path)
    (path / "evidence-dangling.jsonl").symlink_to(path / "nowhere.jsonl")
    (path / "evidence-loop.jsonl").symlink_to(path / "evidence-loop.jsonl")
    os.mkfifo(path / "evidence-fifo.jsonl")
    code, out, err = run_cli(["validate", str(path), "--as-of", AS_OF, "--format", "json"])
    assert_clean(code, out, err, 1)
    doc = json.loads(out)
    assert sorted((Path(p["file"]).name, p["code"]) for p in doc["problems"]) == [
        ("evidence-dangling.jsonl", "unreadable-file"),
        ("evidence-fifo.jsonl", "unreadable-file"),
        ("evidence-loop.jsonl", "unreadable-file"),
    ]
    assert doc["valid"]["evidence"] == 2  # e1 and e2 of the regular evidence.jsonl
    code, out, err = run_cli(
        ["brief", str(path), "--as-of", AS_OF, "--out", str(tmp_path / "b.xlsx")]
    )
    assert_clean(code, out, err, 1)  # a briefing from part of the bundle is not written
    assert not (tmp_path / "b.xlsx").exists()


def test_corpus_two_hundred_thousand_unknown_columns(tmp_path: Path) -> None:
    """Item 6: one problem listing a few names and the count, not 200,000 lines."""
    (tmp_path / "companies.csv").write_text("id,name,hq_country\nacme,Acme Fictional,NL\n")
    header = (
        "id,kind,company_id,date,country,summary,status,sources.0.url,sources.0.title,action,"
        "target_role"
    )
    row = (
        "a,retaliation,acme,2024-01-05,KZ,Fictional dismissal,alleged,https://example.org/x,"
        "Fictional report,dismissal,union_leader"
    )
    extra = 200_000
    (tmp_path / "evidence.csv").write_text(
        header + "".join(f",x{i}" for i in range(extra)) + "\n" + row + ",v" * extra + "\n"
    )
    code, out, err = run_cli(["validate", str(tmp_path), "--as-of", AS_OF])
    assert_clean(code, out, err, 1)
    assert len((out + err).splitlines()) < 50
    assert "200,000" in out
    code, out, _ = run_cli(["validate", str(tmp_path), "--as-of", AS_OF, "--format", "json"])
    [problem] = json.loads(out)["problems"]
    assert (problem["file"].endswith("evidence.csv"), problem["code"]) == (True, "unknown-column")


def test_corpus_terminal_escapes_in_compare_evidence() -> None:
    """Item 12: summaries and group descriptions with ESC sequences are printed with the
    escapes visible, never raw."""
    args = ["compare", str(CORPUS / "12-terminal-escapes"), "--as-of", AS_OF, "--evidence"]
    code, out, err = run_cli([*args, "--resamples", "20"])
    assert_clean(code, out, err, 0)
    for raw in ("\x1b", "\x07", "\x9b"):
        assert raw not in out + err
    words = " ".join(out.split())
    assert "Testimony \\x1b[2J" in words  # the group testimony's summary
    assert "Group \\x1b]0;title\\x07" in words  # its group description


def test_corpus_nul_led_formula_in_csv_exports(tmp_path: Path) -> None:
    """Item 13: a company name "NUL=1+1" reaches the CSV exports quote-prefixed."""
    prefix = tmp_path / "card"
    code, out, err = run_cli(
        ["score", str(CORPUS / "13-nul-formula"), "--as-of", AS_OF, "--out", str(prefix)]
    )
    assert_clean(code, out, err, 0)
    companies = list(
        csv.DictReader(io.StringIO(prefix.with_name("card.companies.csv").read_text()))
    )
    names = {row["company_id"]: row["name"] for row in companies}
    assert names == {"acme": "'\x00=1+1", "other": "Other Fictional Drilling"}
    for path in tmp_path.glob("*.csv"):
        for row in csv.reader(io.StringIO(path.read_text())):
            for cell in row:
                assert not cell.lstrip("\x00").startswith(("=", "+", "@")), (path.name, cell)
    code, out, err = run_cli(
        ["score", str(CORPUS / "13-nul-formula"), "--as-of", AS_OF, "--format", "csv"]
    )
    assert_clean(code, out, err, 0)
    assert "'\x00=1+1" in out


def test_corpus_matches_its_generator(tmp_path: Path) -> None:
    """The committed files are what ``tests/corpus/make_corpus.py`` writes."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(  # not the generator itself, nor Python's bytecode caches
        p.relative_to(CORPUS)
        for p in CORPUS.rglob("*")
        if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.relative_to(CORPUS).parts
    )
    assert made == committed
    for rel in made:
        assert (tmp_path / rel).read_bytes() == (CORPUS / rel).read_bytes(), rel
