"""Terminal escapes are neutralised; GitHub annotations and the pre-commit hooks work."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from bhrscore.cli.github import Annotation, escape_data, escape_property, yaml_line
from bhrscore.cli.safe_text import markup, safe
from tests.conftest import company, record, run_cli, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
ESC, CSI, OSC, BIDI = "\x1b", "\x9b", "\x1b]0;pwned\x07", "\u202e"
PAYLOAD = f"{ESC}[2J{ESC}[31mred{CSI}1m{OSC}{BIDI}gnp.exe[bold]x[/bold]"


def assert_no_raw_controls(text: str) -> None:
    for char in (ESC, CSI, "\x07", BIDI):
        assert char not in text


def test_safe_shows_control_characters_as_escapes() -> None:
    text = safe(PAYLOAD)
    assert_no_raw_controls(text)
    assert text.startswith("\\x1b[2J\\x1b[31mred\\x9b1m\\x1b]0;pwned\\x07\\u202egnp.exe")
    assert safe("line one\nline two\ttab") == "line one\nline two\ttab"
    assert safe("a\nb\tc", inline=True) == "a\\x0ab\\x09c"
    assert safe("Ünïcödé ok") == "Ünïcödé ok"
    assert markup("[bold]x[/bold]") == "\\[bold]x\\[/bold]"  # rich markup stays text


def hostile_bundle(tmp_path: Path) -> Path:
    d = tmp_path / "bundle"
    d.mkdir()
    write_jsonl(
        d / "companies.jsonl",
        [company("acme", name=f"Acme {PAYLOAD}"), company("beta", hq_country="CN")],
    )
    testimony = record(
        "union_dialogue",
        id="t1",
        summary=f"Testimony {PAYLOAD}",
        date="2024-02-01",
    )
    del testimony["company_id"]
    testimony["group"] = {"description": f"Group {PAYLOAD}", "origin_group": "china"}
    write_jsonl(
        d / "evidence.jsonl",
        [record(summary=f"Summary {PAYLOAD}"), record(id="e2", company_id="beta"), testimony],
    )
    return d


def test_no_command_prints_raw_escapes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = str(hostile_bundle(tmp_path))
    runs: list[list[str]] = [
        ["compare", bundle, "--as-of", "2025-01-01", "--evidence", "--resamples", "20"],
        ["score", bundle, "--as-of", "2025-01-01", "--explain", "acme"],
        ["validate", bundle, "--as-of", "2025-01-01"],
    ]
    for args in runs:
        code, out, err = run_cli(args, capsys)
        assert code == 0, err
        assert_no_raw_controls(out + err)
    code, out, _ = run_cli(runs[0], capsys)
    words = " ".join(out.split())
    assert "Testimony \\x1b[2J\\x1b[31mred" in words  # the summary, its escapes visible
    assert "Group \\x1b[2J" in words  # and the group's description
    code, out, _ = run_cli(runs[1], capsys)
    assert "Acme \\x1b[2J" in " ".join(out.split())  # the company name in the explanation


def test_file_names_with_escapes_are_neutralised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / f"bad{ESC}]0;title{chr(7)}dir"
    d.mkdir()
    write_jsonl(d / "companies.jsonl", [company()])
    write_jsonl(d / "evidence.jsonl", [record(status="rumoured")])
    code, out, err = run_cli(["validate", str(d)], capsys)
    assert code == 1
    assert_no_raw_controls(out + err)
    assert "\\x1b]0;title\\x07dir" in out
    code, out, err = run_cli(["score", str(d / "missing.jsonl")], capsys)
    assert code == 2
    assert_no_raw_controls(out + err)


# --- GitHub annotations ---------------------------------------------------------------------


def test_github_escaping_follows_the_toolkit() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    note = Annotation("error", "dir/x,y.csv", "bad: value\n::warning::fake", "t: 1", 3, 4)
    assert note.render() == (
        "::error file=dir/x%2Cy.csv,line=3,col=4,title=t%3A 1::bad: value%0A::warning::fake"
    )
    assert "\n" not in note.render()  # the message cannot start a second command


def test_yaml_line_follows_paths_and_dotted_keys(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "id: x\n"  # 1
        "tree:\n"  # 2
        "  - id: a\n"  # 3
        "    weight: 0.5\n"  # 4
        "    rule:\n"  # 5
        "      select: {kind: wage, where: {benchmark.type: living_wage}}\n"  # 6
        "  - id: b\n"  # 7
        "    weight: 0.6\n"  # 8
    )
    assert yaml_line(path, "tree[1].weight") == (8, 5)
    assert yaml_line(path, "tree[0].weight") == (4, 5)
    assert yaml_line(path, "tree[0].rule.select.where.benchmark.type") == (6, 36)
    assert yaml_line(path, "tree[1].children[0].weight") == (7, 5)  # deepest part that exists
    assert yaml_line(tmp_path / "missing.yaml", "tree") is None


def test_validate_github_annotates_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("b").mkdir()
    Path("b/companies.csv").write_text("id,name,hq_country\nacme,Acme Fictional,NL\n")
    rows = [record(id="e1"), record(id="e2", status="rumoured"), record(id="e3")]
    write_jsonl(Path("b/evidence.jsonl"), rows)
    doc = {"companies": [company()], "evidence": [record(id="j1"), record(id="j2", date="x")]}
    Path("one.json").write_text(json.dumps(doc, indent=2))
    code, out, _ = run_cli(["validate", "b", "--format", "github"], capsys)
    assert code == 1
    (line,) = out.splitlines()
    # the second record is on line 2 of evidence.jsonl
    assert line.startswith(
        "::error file=b/evidence.jsonl,line=2,title=bhrscore validate%3A status::"
    )
    assert "rumoured" in line
    code, out, _ = run_cli(["validate", "one.json", "--format", "github"], capsys)
    assert code == 1
    (line,) = out.splitlines()
    text = Path("one.json").read_text().splitlines()
    number = int(line.split("line=")[1].split(",")[0])
    assert text[number - 1].strip().startswith('"date": "x"')


def test_check_github_annotates_the_yaml_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "rubrics" / "labour-rights.yaml").read_text()
    Path("r.yaml").write_text(
        text.replace("benchmark.type: living_wage", "benchmark.kind: living_wage")
    )
    code, out, _ = run_cli(["check", "r.yaml", "--format", "github"], capsys)
    assert code == 1
    (line,) = out.splitlines()
    assert line.startswith("::error file=r.yaml,line=")
    number = int(line.split("line=")[1].split(",")[0])
    assert "benchmark.kind: living_wage" in Path("r.yaml").read_text().splitlines()[number - 1]


# --- pre-commit hooks through pre-commit's own try-repo ----------------------------------------


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=ci@example.org", "-c", "user.name=Example CI", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _try_repo(repo: Path, hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo`` with no network: pip may not use an index
    (PIP_NO_INDEX); the hook environment is built from the local clone of this repository
    without build isolation, and finds the runtime dependencies (pandas, pydantic, ...) and
    setuptools through PYTHONPATH in this test environment's site-packages."""
    env: dict[str, Any] = dict(os.environ)
    env |= {
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip reads this as --no-build-isolation
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
        "PRE_COMMIT_HOME": str(home),
    }
    pre_commit = Path(sys.executable).with_name("pre-commit")
    return subprocess.run(
        [str(pre_commit), "try-repo", str(ROOT), hook, "--all-files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_pre_commit_hooks_through_try_repo(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed to test the pre-commit hooks")
    repo = tmp_path / "repo"
    (repo / "rubrics").mkdir(parents=True)
    (repo / "evidence" / "kz").mkdir(parents=True)
    rubric = (ROOT / "rubrics" / "labour-rights.yaml").read_text()
    (repo / "rubrics" / "lr.yaml").write_text(rubric)
    cases = (ROOT / "rubrics" / "labour-rights.cases.yaml").read_text()
    (repo / "rubrics" / "lr.cases.yaml").write_text(
        cases.replace("rubric: labour-rights.yaml", "rubric: lr.yaml")
    )
    write_jsonl(repo / "evidence" / "kz" / "companies.jsonl", [company()])
    write_jsonl(repo / "evidence" / "kz" / "evidence.jsonl", [record()])
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "fictional rubric and bundle")
    home = tmp_path / "pre-commit-home"

    good = _try_repo(repo, "bhrscore-check", home)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "bhrscore check (rubrics and golden cases)" in good.stdout
    assert "Passed" in good.stdout
    good = _try_repo(repo, "bhrscore-validate", home)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout

    (repo / "rubrics" / "lr.cases.yaml").write_text(
        cases.replace("rubric: labour-rights.yaml", "rubric: lr.yaml").replace(
            "wages: 36.125", "wages: 40"
        )
    )
    write_jsonl(repo / "evidence" / "kz" / "evidence.jsonl", [record(status="rumoured")])
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "break both")
    bad = _try_repo(repo, "bhrscore-check", home)
    assert bad.returncode == 1
    assert "Failed" in bad.stdout
    assert "payer wages: expected 40, got 36.12" in bad.stdout
    bad = _try_repo(repo, "bhrscore-validate", home)
    assert bad.returncode == 1
    assert "Failed" in bad.stdout
    assert "rumoured" in bad.stdout


def test_check_github_places_a_yaml_syntax_error_on_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("broken.yaml").write_text("id: x\nversion: 1\ntree:\n  - id: a\n    weight: [1\n")
    code, out, _ = run_cli(["check", "broken.yaml", "--format", "github"], capsys)
    assert code == 1
    (line,) = out.splitlines()
    # PyYAML reports the unclosed flow sequence where the stream ends: after line 5
    assert line.startswith("::error file=broken.yaml,line=6,title=bhrscore check::")
    assert "YAML syntax error" in line


def test_validate_bundle_dirs_checks_each_directory_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    for d in (good, bad):
        d.mkdir()
        write_jsonl(d / "companies.jsonl", [company()])
    write_jsonl(good / "evidence.jsonl", [record()])
    write_jsonl(bad / "evidence.jsonl", [record(status="rumoured")])
    files = [
        str(good / "evidence.jsonl"),
        str(bad / "evidence.jsonl"),
        str(bad / "companies.jsonl"),
    ]
    code, out, _ = run_cli(["validate", "--bundle-dirs", *files, "--format", "json"], capsys)
    assert code == 1
    doc = json.loads(out)
    assert set(doc) == {str(good), str(bad)}  # one report per directory, each read whole
    assert doc[str(good)]["ok"] is True
    assert doc[str(good)]["read"] == {"companies": 1, "evidence": 1}
    assert doc[str(bad)]["ok"] is False
