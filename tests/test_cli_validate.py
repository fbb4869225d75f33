"""``bhrscore validate`` and ``bhrscore schema``: exit codes, messages, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import record
from tests.conftest import run_cli as run

ROOT = Path(__file__).resolve().parents[1]


def test_valid_example_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["validate", str(ROOT / "examples/kazakhstan"), "--as-of", "2026-11-23"], capsys
    )
    assert code == 0
    assert "valid" in out
    assert "retaliation" in out


def test_invalid_data_exits_1_with_rows_and_fields(
    bundle: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = bundle(evidence=[record(id="a"), record(id="b", status="rumoured")])
    code, out, err = run(["validate", str(path)], capsys)
    assert code == 1
    assert "row 2: status:" in out
    assert "rumoured" in out
    assert "Traceback" not in out + err


def test_file_names_with_markup_characters_print_verbatim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = tmp_path / "[red]bundle[bold]"
    odd.mkdir()
    (odd / "evidence.jsonl").write_text(json.dumps(record(company_id="ghost")) + "\n")
    code, out, _ = run(["validate", str(odd)], capsys)
    assert code == 1
    assert "[red]bundle[bold]" in out  # not taken as colour markup


def test_json_report(bundle: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = bundle(evidence=[record(id="a", company_id="ghost")])
    code, out, _ = run(["validate", str(path), "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 1
    assert doc["ok"] is False
    assert doc["read"] == {"companies": 1, "evidence": 1}
    assert doc["problems"][0]["code"] == "unknown-company"
    assert doc["problems"][0]["row"] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["validate", "/no/such/path"],
        ["validate", ".", "--as-of", "yesterday"],
        ["nonsense"],
    ],
)
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(args, capsys)
    assert code == 2
    assert "Traceback" not in out + err


def test_schema_check_detects_stale_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["schema", "--out", str(tmp_path), "--check"], capsys)[0] == 1
    assert run(["schema", "--out", str(tmp_path)], capsys)[0] == 0
    assert run(["schema", "--out", str(tmp_path), "--check"], capsys)[0] == 0
    assert (tmp_path / "evidence.schema.json").stat().st_mode & 0o044  # readable by others (umask)


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("bhrscore")
    proc = subprocess.run(
        [str(exe), "validate", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "no such file" in proc.stderr
    assert "Traceback" not in proc.stderr
