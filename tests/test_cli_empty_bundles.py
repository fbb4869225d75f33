"""Every command copes with bundles that hold no scorable company: a companies file with only a
header, and group-level testimony without any company. In-process, an unexpected exception
propagates and fails the test, so a pass means no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bhrscore.cli import main
from tests.conftest import record

EVIDENCE_HEADER = "id,kind,company_id,date,country,summary,status,sources.0.url,sources.0.title\n"


def header_only(tmp_path: Path) -> Path:
    (tmp_path / "companies.csv").write_text("id,name\n")
    (tmp_path / "evidence.csv").write_text(EVIDENCE_HEADER)
    return tmp_path


def group_only(tmp_path: Path) -> Path:
    testimony = record("union_dialogue", id="t1") | {
        "group": {"description": "Fictional group of oil companies", "origin_group": "china"}
    }
    del testimony["company_id"]
    (tmp_path / "evidence.jsonl").write_text(json.dumps(testimony) + "\n")
    return tmp_path


COMMANDS = [
    ["validate"],
    ["score"],
    ["compare", "--by", "origin_group"],
    ["compare", "--by", "origin_group", "--evidence"],
    ["sensitivity", "--runs", "5"],
    ["diff", "rubrics/labour-rights.yaml", "rubrics/labour-rights.yaml", "--evidence"],
    ["brief", "--out"],
]


@pytest.mark.parametrize("make", [header_only, group_only])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_commands_on_bundles_without_companies(
    tmp_path: Path,
    make: object,
    command: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    bundle = make(tmp_path)  # type: ignore[operator]
    args = [*command, str(bundle)]
    if command[0] == "brief":
        args = ["brief", str(bundle), "--out", str(tmp_path / "b.xlsx")]
    if command[0] not in {"validate"}:
        args += ["--as-of", "2026-11-23"]
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 0, capsys.readouterr()
    if command[0] == "brief":
        assert (tmp_path / "b.xlsx").exists()
