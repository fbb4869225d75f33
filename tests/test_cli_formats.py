"""``--format text|csv|json`` on every command, company ids, lazy imports, progress."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from bhrscore.cli import COMMANDS, SUMMARIES, cli
from bhrscore.cli.progress import steps
from tests.conftest import run_cli as run

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "kazakhstan")
RUBRIC = str(ROOT / "rubrics" / "labour-rights.yaml")
RDR_FIXTURE = str(ROOT / "tests" / "fixtures" / "rdr" / "index2022")
AS_OF = ["--as-of", "2026-11-23"]
FAST = ["--resamples", "20", "--permutations", "20"]


def machine_args(tmp_path: Path) -> dict[str, list[str]]:
    """One invocation per command (format options appended by the tests)."""
    return {
        "validate": ["validate", EXAMPLE, *AS_OF],
        "check": ["check", str(ROOT / "rubrics")],
        "score": ["score", EXAMPLE, *AS_OF],
        "compare": ["compare", EXAMPLE, *AS_OF, *FAST],
        "sensitivity": ["sensitivity", EXAMPLE, *AS_OF, "--runs", "3"],
        "diff": ["diff", RUBRIC, RUBRIC, "--evidence", EXAMPLE, *AS_OF],
        "brief": ["brief", EXAMPLE, *AS_OF, "--out", str(tmp_path / "b.xlsx")],
        "template": ["template", "--out", str(tmp_path / "t.xlsx")],
        "schema": ["schema", "--out", str(tmp_path / "schemas")],
        "import": ["import", "rdr", RDR_FIXTURE, str(tmp_path / "rdr"), "--date", "2022-04-26"],
    }


def test_every_command_has_a_machine_invocation(tmp_path: Path) -> None:
    assert set(machine_args(tmp_path)) == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_json_format_prints_only_json(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run([*machine_args(tmp_path)[command], "--format", "json"], capsys)
    assert code == 0, err
    doc = json.loads(out)  # the whole of stdout is one JSON document
    assert isinstance(doc, dict)
    assert doc


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_csv_format_prints_only_csv(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run([*machine_args(tmp_path)[command], "--format", "csv"], capsys)
    assert code == 0, err
    header = out.splitlines()[0]
    assert "wrote" not in out.lower()
    assert "Evidence bundle" not in out
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == header.split(",")


def test_score_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    # Under labour-rights 2.0.0 (min_coverage 0.5) the example ranks only the companies whose
    # coverage reaches 50%; which ones they are is the data's business, the layout is not:
    # ranked companies first in rank order, then the others with rank null and the reason.
    code, out, _ = run(["score", EXAMPLE, *AS_OF, "--format", "json", "--explain", "OCC"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["meta"]["rubric_id"] == "labour-rights"
    options = doc["meta"]["options"]
    assert options["min_coverage"] == 0.5
    rows = doc["companies"]
    assert len(rows) == options["companies"]
    ranked = [c for c in rows if c["rank"] is not None]
    unranked = rows[len(ranked) :]
    assert rows[: len(ranked)] == ranked  # ranked companies first
    assert [c["rank"] for c in ranked] == sorted(c["rank"] for c in ranked)
    for c in ranked:  # competition ranks of the totals among ranked companies: 1 = best
        assert c["rank"] == 1 + sum(o["total"] > c["total"] for o in ranked)
        assert c["sufficient"] is True
        assert c["insufficient_reason"] is None
        assert c["coverage"] >= 0.5 - 1e-9
    for c in unranked:
        assert c["rank"] is None
        assert c["rank_low"] is None
        assert c["rank_high"] is None
        assert c["sufficient"] is False
        assert c["coverage"] < 0.5
        percent = math.floor(100 * c["coverage"] + 1e-9)  # shown rounded down
        assert c["insufficient_reason"].startswith(f"coverage {percent}% < 50%")
    assert [c["company_id"] for c in unranked] == sorted(c["company_id"] for c in unranked)
    assert options["insufficient"] == len(unranked) > 0  # most of the example: not ranked
    assert set(doc["explanations"]) == {"occ"}  # OCC matched case-insensitively
    assert "Oil Construction Company (occ)" in doc["explanations"]["occ"]


def test_score_with_out_writes_files_and_keeps_stdout_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = tmp_path / "card"
    code, out, err = run(
        ["score", EXAMPLE, *AS_OF, "--format", "json", "--out", str(prefix)], capsys
    )
    assert code == 0
    json.loads(out)
    assert f"wrote {prefix}.companies.json" in err
    assert (tmp_path / "card.companies.json").exists()
    code, _out, err = run(
        ["score", EXAMPLE, *AS_OF, "--format", "json", "--out", str(prefix), "--quiet"], capsys
    )
    assert code == 0
    assert "wrote" not in err
    code, _out, err = run(["score", EXAMPLE, *AS_OF, "--format", "parquet"], capsys)
    assert code == 2
    assert "--out" in err


def test_old_table_format_name_still_works(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["compare", EXAMPLE, *AS_OF, *FAST, "--format", "table"], capsys)
    assert code == 0
    assert "origin_group" in out


def test_check_json_and_csv_report_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "lr.yaml").write_text(Path(RUBRIC).read_text())
    cases = (ROOT / "rubrics" / "labour-rights.cases.yaml").read_text()
    (tmp_path / "lr.cases.yaml").write_text(
        cases.replace("rubric: labour-rights.yaml", "rubric: lr.yaml").replace(
            "wages: 36.125", "wages: 40"
        )
    )
    code, out, _ = run(["check", str(tmp_path), "--format", "json"], capsys)
    assert code == 1
    doc = json.loads(out)
    assert doc["ok"] is False
    failed = [c for c in doc["cases"] if not c["ok"]]
    assert len(failed) == 1
    (mismatch,) = failed[0]["mismatches"]
    assert (mismatch["company_id"], mismatch["key"], mismatch["expected"]) == ("payer", "wages", 40)
    lines = (tmp_path / "lr.cases.yaml").read_text().splitlines()
    assert lines[mismatch["line"] - 1].strip().startswith("wages: 40")
    code, out, _ = run(["check", str(tmp_path), "--format", "csv"], capsys)
    assert code == 1
    frame = pd.read_csv(io.StringIO(out))
    assert (frame["type"] == "mismatch").sum() == 1


# --- company ids ----------------------------------------------------------------------------


def test_explain_matches_case_insensitively(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["score", EXAMPLE, *AS_OF, "--explain", "OCC"], capsys)
    assert code == 0
    assert "Oil Construction Company (occ): total" in out


def test_unknown_company_fails_before_any_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["score", EXAMPLE, *AS_OF, "--explain", "ocd"], capsys)
    assert code == 2
    assert out == ""  # nothing printed before the error
    assert "no company 'ocd'" in err
    assert "did you mean 'occ'?" in err
    code, out, err = run(["score", EXAMPLE, *AS_OF, "--explain", "zzzz"], capsys)
    assert code == 2
    assert "did you mean" not in err  # no close id: no suggestion


# --- imports and help -----------------------------------------------------------------------


def test_importing_the_cli_does_not_import_pandas_numpy_or_pydantic() -> None:
    code = (
        "import sys, bhrscore.cli; "
        "print(sorted(m for m in ('pandas', 'numpy', 'pydantic') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_help_lists_commands_without_importing_them() -> None:
    code = (
        "import sys\n"
        "from bhrscore.cli import main\n"
        "try:\n    main(['--help'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'pydantic') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    for name in COMMANDS:
        assert name in result.stdout


def test_summaries_cover_every_command_and_match_their_help() -> None:
    assert set(SUMMARIES) == set(COMMANDS)
    import click

    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        first_words = SUMMARIES[name].split()[0].lower()
        assert first_words in (command.help or "").lower()  # same verb as the docstring


# --- progress -------------------------------------------------------------------------------


def test_progress_shows_on_a_terminal_and_not_when_piped_or_quiet() -> None:
    buffer = io.StringIO()
    terminal = Console(file=buffer, force_terminal=True, width=80)
    with steps(False, terminal) as step:
        step("Loading evidence")
        step("Scoring")
    assert "Loading evidence" in buffer.getvalue()
    assert "Scoring" in buffer.getvalue()
    for quiet, console in (
        (True, Console(file=io.StringIO(), force_terminal=True)),
        (False, Console(file=io.StringIO(), force_terminal=False)),
    ):
        with steps(quiet, console) as step:
            step("Loading evidence")
        assert console.file.getvalue() == ""  # type: ignore[attr-defined]


def test_commands_are_silent_on_stderr_when_piped(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(["score", EXAMPLE, *AS_OF], capsys)
    assert code == 0
    assert err == ""  # no progress display when stderr is not a terminal
