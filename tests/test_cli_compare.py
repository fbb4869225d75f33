"""``bhrscore compare`` and ``bhrscore sensitivity`` on the bundled example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bhrscore.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "kazakhstan")
RUBRIC = str(ROOT / "rubrics" / "labour-rights.yaml")
BASE = [EXAMPLE, "--rubric", RUBRIC, "--as-of", "2026-11-23"]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_table_shows_groups_n_and_small_group_warnings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(["compare", *BASE, "--by", "origin_group", "--evidence"], capsys)
    assert code == 0
    assert "origin_group" in out
    assert "western" in out
    assert "n=1 < 5" in out  # every group of the example is tiny
    assert "testimony" in out.lower()
    assert "fewer than 5 companies" in err
    assert "Traceback" not in out + err


def test_compare_json_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["compare", *BASE, "--format", "json", "--evidence", "--resamples", "50"], capsys
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["rubric"]["id"] == "labour-rights"
    assert {g["group"] for g in doc["groups"]} >= {"western"}
    assert all(g["small_group"] for g in doc["groups"])
    assert any(t["origin_group"] == "china" for t in doc["evidence"]["testimony"])
    code, out, _ = run(["compare", *BASE, "--format", "csv", "--table", "pairwise"], capsys)
    assert code == 0
    assert out.splitlines()[0].startswith("stratum,group_a,group_b,metric,n_a,n_b")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--by", "continent"], 2, "unknown key 'continent'"),
        (["--metric", "theme:nope"], 2, "unknown metric"),
        (["--origin-groups", "/no/such/file.yaml"], 2, "no such file"),
    ],
)
def test_compare_user_mistakes_exit_cleanly(
    args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    got, out, err = run(["compare", *BASE, *args], capsys)
    assert got == code
    assert message in err
    assert "Traceback" not in out + err


def test_compare_bad_rubric_is_a_data_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1.0.0\ntitle: t\ntree: []\n", encoding="utf-8")
    code, out, err = run(
        ["compare", EXAMPLE, "--rubric", str(bad), "--as-of", "2026-11-23"], capsys
    )
    assert code == 1
    assert "bad.yaml" in err
    assert "Traceback" not in out + err


def test_compare_bad_origin_groups_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    groups = tmp_path / "groups.yaml"
    groups.write_text("groups:\n  nordic: [SE, NO]\n", encoding="utf-8")
    code, _, err = run(["compare", *BASE, "--origin-groups", str(groups)], capsys)
    assert code == 2
    assert "write NO in quotes" in err


def test_sensitivity_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["sensitivity", *BASE, "--runs", "5", "--format", "json"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["options"]["n"] == 5
    assert {c["company_id"] for c in doc["companies"]} == {"occ", "wagenborg"}
    assert [r["scenario"] for r in doc["runs"]][:2] == ["base", "weights"]
    code, out, _ = run(["sensitivity", *BASE, "--runs", "3"], capsys)
    assert code == 0
    assert "Ranks" in out
