"""``bhrscore check``, ``score`` and ``diff``: exit codes, messages, files, no tracebacks."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_cli as run

ROOT = Path(__file__).resolve().parents[1]
SOURCE = {"url": "https://example.org/fictional", "title": "Fictional source"}


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    d = tmp_path / "bundle"
    d.mkdir()
    companies = [
        {"id": "alpha", "name": "Alpha Fictional"},
        {"id": "beta", "name": "Beta Fictional"},
    ]
    base = {
        "country": "KZ",
        "summary": "Fictional.",
        "sources": [SOURCE],
        "status": "verified",
        "reliability": "high",
        "date": "2025-06-01",
    }
    evidence = [
        {
            **base,
            "kind": "union_dialogue",
            "id": "e1",
            "company_id": "alpha",
            "event": "recognition",
            "union": {"status": "independent"},
        },
        {
            **base,
            "kind": "retaliation",
            "id": "e2",
            "company_id": "beta",
            "action": "dismissal",
            "target_role": "union_leader",
            "actor": "company",
            "company_involvement": "caused",
        },
    ]
    (d / "companies.jsonl").write_text("\n".join(json.dumps(c) for c in companies) + "\n")
    (d / "evidence.jsonl").write_text("\n".join(json.dumps(e) for e in evidence) + "\n")
    return d


# --- check ----------------------------------------------------------------------------------


def test_check_shipped_rubrics_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", str(ROOT / "rubrics")], capsys)
    assert code == 0
    assert "3/3 rubric file(s) valid" in out  # 2.0.0, the archived 1.1.0, disclosure
    assert "FAIL" not in out


def test_check_broken_weight_names_file_and_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "rubrics" / "labour-rights.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        text.replace(
            "    weight: 0.25\n    description: Pay", "    weight: 0.35\n    description: Pay"
        )
    )
    code, _, err = run(["check", str(broken)], capsys)
    assert code == 1
    # the file's line, the theme, then the YAML path
    assert re.search(
        rf"{re.escape(str(broken))}:\d+: theme 'dialogue': "
        r"tree\[0\]\.weight: sibling weights must sum to 1",
        err,
    )


def test_check_unknown_field_names_file_and_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "rubrics" / "labour-rights.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "field.yaml"
    broken.write_text(text.replace("benchmark.type: living_wage", "benchmark.kind: living_wage"))
    code, _, err = run(["check", str(broken)], capsys)
    assert code == 1
    assert re.search(
        rf"{re.escape(str(broken))}:\d+: indicator 'living-wage': "
        r"tree\[1\]\.children\[0\]\.rule\.select\.where\.benchmark\.kind: unknown field",
        err,
    )


def test_check_failing_case_prints_expected_and_actual(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "lr.yaml").write_text((ROOT / "rubrics" / "labour-rights.yaml").read_text())
    cases = (ROOT / "rubrics" / "labour-rights.cases.yaml").read_text()
    (tmp_path / "lr.cases.yaml").write_text(
        cases.replace("rubric: labour-rights.yaml", "rubric: lr.yaml").replace(
            "wages: 36.125", "wages: 40"
        )
    )
    code, out, _ = run(["check", str(tmp_path)], capsys)
    assert code == 1
    assert "FAIL" in out
    assert "payer wages: expected 40, got 36.12" in out


def test_check_missing_path_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check", "no/such/rubric.yaml"], capsys)
    assert code == 2
    assert "no such file or directory" in err


def test_check_dir_skips_data_files_that_are_not_rubrics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ROOT / "src" / "bhrscore" / "data"
    code, out, err = run(["check", str(data)], capsys)
    assert code == 0, err
    assert f"note: {data / 'origin_groups.yaml'}: skipped (no 'tree': not a rubric)" in out
    assert "1/1 rubric file(s) valid" in out
    assert err == ""
    # a broken rubric (it has a tree) is still an error; the data file beside it is a note
    (tmp_path / "groups.yaml").write_text("western: [NL, GB]\n", encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("id: x\nversion: 1.0.0\ntree: []\n", encoding="utf-8")
    code, out, err = run(["check", str(tmp_path)], capsys)
    assert code == 1
    assert f"note: {tmp_path / 'groups.yaml'}: skipped" in out
    assert f"error: {tmp_path / 'broken.yaml'}:1: " in err
    assert "0/1 rubric file(s) valid" in out


# --- score ----------------------------------------------------------------------------------


def test_score_warns_when_every_record_is_outside_the_window(
    bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # both records are dated 2025-06-01; the 20-year window for 2090-01-01 starts 2070-01-01
    code, out, err = run(["score", str(bundle), "--as-of", "2090-01-01"], capsys)
    assert code == 0, err
    assert "warning: all 2 record(s) are outside the rubric's window for as-of 2090-01-01" in err
    assert "alpha" in out
    code, _, err = run(["score", str(bundle), "--as-of", "2026-01-01"], capsys)
    assert code == 0
    assert "warning" not in err


def test_score_a_bundle_without_companies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "empty"
    d.mkdir()
    (d / "companies.csv").write_text("id,name\n", encoding="utf-8")
    code, out, err = run(["score", str(d), "--as-of", "2026-01-01"], capsys)
    assert code == 0, err
    assert "labour-rights 2.0.0, as of 2026-01-01" in out


def test_a_value_error_from_scoring_exits_1_in_every_command(
    bundle: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bhrscore.rubric

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("evidence refers to unknown companies: ghost")

    monkeypatch.setattr(bhrscore.rubric, "score", broken)
    code, _, err = run(["compare", str(bundle), "--as-of", "2026-01-01"], capsys)
    assert code == 1
    assert err.strip() == "error: evidence refers to unknown companies: ghost"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own: what a user sees, tracebacks included."""
    code = "import sys; from bhrscore.cli import main; main(sys.argv[1:])"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )


def test_user_mistakes_give_a_message_not_a_traceback(bundle: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\n", encoding="utf-8")
    result = _cli("score", str(bundle), "--rubric", str(bad), "--as-of", "2026-01-01")
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {bad}:2: ")  # the first problem is on line 2
    assert "Traceback" not in result.stderr
    result = _cli("score", str(bundle), "--as-of", "1-1-2026")
    assert result.returncode == 2
    assert "'1-1-2026' is not a date in YYYY-MM-DD form" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_score_writes_the_scorecard(
    bundle: Path, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = tmp_path / "out" / "card"
    code, out, err = run(
        ["score", str(bundle), "--as-of", "2026-01-01", "--out", str(prefix), "--format", fmt],
        capsys,
    )
    assert code == 0, err
    assert "alpha" in out
    assert "beta" in out
    for table in ("companies", "nodes", "indicators", "penalties"):
        assert (prefix.parent / f"card.{table}.{fmt}").exists()
    meta = json.loads((prefix.parent / "card.meta.json").read_text())
    assert meta["rubric_id"] == "labour-rights"
    assert meta["as_of"] == "2026-01-01"
    if fmt == "csv":
        ind = pd.read_csv(prefix.parent / "card.indicators.csv")
        row = ind[(ind.company_id == "beta") & (ind.indicator_id == "reprisals")].iloc[0]
        assert row["evidence_ids"] == "e2"


def test_score_output_is_deterministic(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("one", "two"):
        run(["score", str(bundle), "--as-of", "2026-01-01", "--out", str(tmp_path / name)], capsys)
    for table in ("companies", "indicators", "nodes", "penalties"):
        a = (tmp_path / f"one.{table}.csv").read_bytes()
        assert a == (tmp_path / f"two.{table}.csv").read_bytes()


def test_score_explain(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["score", str(bundle), "--as-of", "2026-01-01", "--explain", "beta"], capsys)
    assert code == 0
    assert "Beta Fictional (beta): total" in out
    assert "e2" in out


# Three themes of one indicator each; one record scores an indicator 100 (count, linear 0-1).
COVERAGE_RUBRIC = """\
id: fictional-coverage
version: 1.0.0
title: Three fictional themes
policies: {missing: zero, min_coverage: 0.5}
x-count: &count {aggregate: count, scale: {type: linear, lower: 0, upper: 1}}
tree:
  - {id: dialogue, title: Dialogue, rationale: test, weight: 0.5,
     rule: {select: {kind: union_dialogue}, <<: *count}}
  - {id: wages, title: Wages, rationale: test, weight: 0.3,
     rule: {select: {kind: wage}, <<: *count}}
  - {id: statements, title: Statements, rationale: test, weight: 0.2,
     rule: {select: {kind: statement}, <<: *count}}
"""


def test_score_ranks_sufficient_companies_first_and_lists_the_others_after(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import company, record, write_jsonl

    sure = {"status": "verified", "reliability": "high"}
    evidence = [
        # gamma: dialogue + wages -> coverage .5 + .3 = .8, total 50 + 30 = 80 -> rank 1
        record("union_dialogue", "g-d", company_id="gamma", **sure),
        record("wage", "g-w", company_id="gamma", **sure),
        # alpha: wages + statements -> coverage .3 + .2 = .5 (reaches .5), total 50 -> rank 2
        record("wage", "a-w", company_id="alpha", **sure),
        record("statement", "a-s", company_id="alpha", **sure),
        # delta: dialogue -> coverage .5, total 50: tied with alpha, rank 2 too
        record("union_dialogue", "d-d", company_id="delta", **sure),
        # epsilon: statements -> coverage .2 < .5: total 20 but no rank
        record("statement", "e-s", company_id="epsilon", **sure),
        # beta: nothing -> coverage 0, total 0, no rank
    ]
    ids = ["alpha", "beta", "gamma", "delta", "epsilon"]
    write_jsonl(tmp_path / "companies.jsonl", [company(c) for c in ids])
    write_jsonl(tmp_path / "evidence.jsonl", evidence)
    (tmp_path / "r.yaml").write_text(COVERAGE_RUBRIC, encoding="utf-8")
    args = ["score", str(tmp_path), "--rubric", str(tmp_path / "r.yaml"), "--as-of", "2026-01-01"]
    code, out, err = run([*args, "--format", "json"], capsys)
    assert code == 0, err
    rows = json.loads(out)["companies"]
    # ranked by rank (ties by id), then the unranked by id, whatever their partial totals
    got = [(c["company_id"], c["rank"], c["total"]) for c in rows]
    assert got == [
        ("gamma", 1, 80),
        ("alpha", 2, 50),
        ("delta", 2, 50),
        ("beta", None, 0),
        ("epsilon", None, 20),
    ]
    reasons = {c["company_id"]: c["insufficient_reason"] for c in rows}
    assert reasons["beta"] == "coverage 0% < 50%: no evidence on dialogue, wages, statements"
    assert reasons["epsilon"] == "coverage 20% < 50%: no evidence on dialogue, wages"
    assert [reasons[c] for c in ("gamma", "alpha", "delta")] == [None, None, None]
    code, out, _ = run([*args, "--format", "csv"], capsys)
    assert code == 0
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame["company_id"]) == ["gamma", "alpha", "delta", "beta", "epsilon"]
    code, out, _ = run(args, capsys)
    assert code == 0
    heads = [line.split() for line in out.splitlines() if line[:1] in ("1", "2", "–")]
    assert heads[:5] == [
        ["1", "gamma"],
        ["2", "alpha"],
        ["2", "delta"],
        ["–", "beta"],
        ["–", "epsilon"],
    ]
    assert "2 companies with insufficient evidence (coverage below 50%) shown without a rank" in (
        " ".join(out.split())
    )


def test_score_with_a_broken_rubric_exits_1(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\n")
    code, _, err = run(
        ["score", str(bundle), "--rubric", str(bad), "--as-of", "2026-01-01"], capsys
    )
    assert code == 1
    assert err.startswith(f"error: {bad}:2: ")  # the first problem is on line 2


def test_score_missing_bundle_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["score", "no/such/bundle", "--as-of", "2026-01-01"], capsys)
    assert code == 2
    assert "no such file" in err


def test_score_kazakhstan_example_traces_every_indicator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = tmp_path / "kz"
    code, _, err = run(
        [
            "score",
            str(ROOT / "examples" / "kazakhstan"),
            "--as-of",
            "2026-11-23",
            "--out",
            str(prefix),
            "--format",
            "json",
        ],
        capsys,
    )
    assert code == 0, err
    rows = json.loads((tmp_path / "kz.indicators.json").read_text())
    evidence_ids = {
        json.loads(line)["id"]
        for line in (ROOT / "examples/kazakhstan/evidence.jsonl").read_text().splitlines()
        if line.strip()
    }
    for row in rows:
        assert (row["evidence_count"] == 0) == row["missing"]
        assert len(row["evidence_ids"]) == row["evidence_count"]
        assert set(row["evidence_ids"]) <= evidence_ids


# --- diff -----------------------------------------------------------------------------------


def test_diff_shows_rubric_changes_and_movement(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = ROOT / "rubrics" / "labour-rights.yaml"
    text = a.read_text().replace("version: 2.0.0", "version: 2.1.0")
    text = text.replace(
        "    weight: 0.3\n    description: >\n      Absence",
        "    weight: 0.35\n    description: >\n      Absence",
    )
    text = text.replace(
        "  - id: statements\n    title: Statements and policies\n    weight: 0.1",
        "  - id: statements\n    title: Statements and policies\n    weight: 0.05",
    )
    b = tmp_path / "b.yaml"
    b.write_text(text)
    out_csv = tmp_path / "diff.csv"
    code, out, err = run(
        [
            "diff",
            str(a),
            str(b),
            "--evidence",
            str(bundle),
            "--as-of",
            "2026-01-01",
            "--out",
            str(out_csv),
        ],
        capsys,
    )
    assert code == 0, err
    assert "weight retaliation: 0.3 -> 0.35" in out
    assert "weight statements: 0.1 -> 0.05" in out
    table = pd.read_csv(out_csv)
    assert list(table.columns) == [
        "company_id",
        "name",
        "total_a",
        "total_b",
        "delta",
        "rank_a",
        "rank_b",
        "rank_move",
    ]
    assert set(table.company_id) == {"alpha", "beta"}
    assert (table.total_b - table.total_a - table.delta).abs().max() < 1e-9
