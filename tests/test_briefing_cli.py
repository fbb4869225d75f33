"""The briefing end to end: engine + comparisons + workbook, and the ``brief`` command."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from bhrscore.analysis.compare import compare
from bhrscore.cli import main
from bhrscore.evidence.write import write_evidence
from bhrscore.export.briefing import write_briefing
from bhrscore.rubric.engine import score
from bhrscore.rubric.model import load_rubric
from bhrscore.synthetic import synthetic_evidence

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
AS_OF = dt.date(2026, 1, 1)
RUBRIC = Path(__file__).resolve().parents[1] / "rubrics" / "labour-rights.yaml"


def _rows(ws: openpyxl.worksheet.worksheet.Worksheet, first: str) -> tuple[list[str], list[list]]:
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, 1).value == first:
            headers = [c.value for c in ws[r] if c.value is not None]
            data = []
            for row in ws.iter_rows(min_row=r + 1, max_col=len(headers), values_only=True):
                if all(v is None for v in row):
                    break
                data.append(list(row))
            return headers, data
    raise AssertionError(first)


def test_engine_scores_and_comparisons_reach_the_workbook(tmp_path: Path) -> None:
    evidence = synthetic_evidence(12, 120, seed=3, as_of=AS_OF)
    card = score(evidence, load_rubric(RUBRIC), AS_OF)
    comparison = compare(card, by="origin_group", resamples=200, permutations=200)
    path = tmp_path / "b.xlsx"
    write_briefing(card, path, evidence=evidence, comparisons={"origin_group": comparison})
    wb = openpyxl.load_workbook(path)
    headers, rows = _rows(wb["Summary"], "Rank")
    got = {r[headers.index("Company id")]: r[headers.index("Total")] for r in rows}
    want = dict(zip(card.companies["company_id"], card.companies["total"], strict=True))
    assert got.keys() == want.keys()
    for cid, total in want.items():
        assert got[cid] == pytest.approx(float(total))
    ranks = [r[0] for r in rows]
    ranked = [r for r in ranks if r != "–"]  # insufficient evidence: no rank ("–"), last
    assert ranks[: len(ranked)] == sorted(ranked)
    headers, groups = _rows(wb["By origin"], "Group")
    assert "CI low" in headers
    assert "Warning" in headers
    expected = comparison.groups[comparison.groups["metric"] == "total"]
    assert {g[0] for g in groups} == set(expected["group"])
    _, trail = _rows(wb["Evidence"], "Evidence id")
    assert len(trail) == 120


def test_brief_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "bundle"
    write_evidence(synthetic_evidence(8, 60, seed=5, as_of=AS_OF), bundle, format="jsonl")
    out = tmp_path / "out" / "briefing.xlsx"
    args = ["brief", str(bundle), "--rubric", str(RUBRIC), "--as-of", AS_OF.isoformat()]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--out", str(out)])
    assert exit_info.value.code in (0, None)
    assert "Wrote" in capsys.readouterr().out
    assert openpyxl.load_workbook(out).sheetnames[0] == "Summary"

    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--out", str(tmp_path / "briefing.txt")])
    assert exit_info.value.code == 2

    (bundle / "evidence.jsonl").write_text('{"kind": "wage"}\n', encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--out", str(tmp_path / "bad.xlsx")])
    assert exit_info.value.code == 1
    assert not (tmp_path / "bad.xlsx").exists()


@pytest.mark.parametrize(
    ("given", "rows", "companion"),
    [("25", 25, True), ("1,000", 60, False), ("all", 60, False), ("0", 0, True)],
)
def test_brief_evidence_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], given: str, rows: int, companion: bool
) -> None:
    """``--evidence-rows N|all`` sets the Evidence sheet's cap; past it every one of the 60
    records is in the companion file beside the workbook, none is lost."""
    bundle = tmp_path / "bundle"
    write_evidence(synthetic_evidence(8, 60, seed=5, as_of=AS_OF), bundle, format="jsonl")
    out = tmp_path / "briefing.xlsx"
    args = ["brief", str(bundle), "--rubric", str(RUBRIC), "--as-of", AS_OF.isoformat()]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--out", str(out), "--evidence-rows", given, "--format", "json"])
    assert exit_info.value.code in (0, None)
    doc = json.loads(capsys.readouterr().out)
    assert (doc["evidence_rows"], doc["evidence_total"]) == (rows, 60)
    _, trail = _rows(openpyxl.load_workbook(out)["Evidence"], "Evidence id")
    assert len(trail) == rows
    side = tmp_path / "briefing.evidence.csv"
    assert side.exists() is companion
    if companion:
        assert doc["companion"] == str(side)
        assert len(pd.read_csv(side)) == 60  # every record


@pytest.mark.parametrize("given", ["-1", "many", "2.5"])
def test_brief_evidence_rows_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], given: str
) -> None:
    bundle = tmp_path / "bundle"
    write_evidence(synthetic_evidence(3, 9, seed=1, as_of=AS_OF), bundle, format="jsonl")
    out = tmp_path / "b.xlsx"
    with pytest.raises(SystemExit) as exit_info:
        main(["brief", str(bundle), "--as-of", AS_OF.isoformat(), "--out", str(out),
              "--evidence-rows", given])  # fmt: skip
    assert exit_info.value.code == 2
    assert "--evidence-rows must be a whole number" in capsys.readouterr().err
    assert not out.exists()


def test_brief_reports_a_bad_origin_grouping_before_loading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The grouping file is read first: its error is reported (exit 1) without loading the
    evidence (here invalid too, which would otherwise be the error), and nothing is written."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "evidence.jsonl").write_text('{"kind": "wage"}\n', encoding="utf-8")
    groups = tmp_path / "groups.yaml"
    groups.write_text("groups: [not, a, mapping]\n", encoding="utf-8")
    out = tmp_path / "b.xlsx"
    with pytest.raises(SystemExit) as exit_info:
        main(["brief", str(bundle), "--as-of", AS_OF.isoformat(), "--out", str(out),
              "--origin-groups", str(groups), "--quiet"])  # fmt: skip
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert str(groups) in err
    assert "Traceback" not in err
    assert "wage" not in err  # the evidence was not loaded
    assert not out.exists()


def test_brief_reports_comparisons_that_fail_on_the_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparisons run on a thread while the workbook is built: when they fail on the
    data (a ValueError), the command exits 1 with the message, no traceback, and writes no
    workbook and no companion."""
    import importlib

    compare_module = importlib.import_module("bhrscore.analysis.compare")

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ValueError("fictional: these groups cannot be compared")

    monkeypatch.setattr(compare_module, "compare", refuse)
    bundle = tmp_path / "bundle"
    write_evidence(synthetic_evidence(8, 60, seed=5, as_of=AS_OF), bundle, format="jsonl")
    out = tmp_path / "b.xlsx"
    with pytest.raises(SystemExit) as exit_info:
        main(["brief", str(bundle), "--as-of", AS_OF.isoformat(), "--out", str(out),
              "--evidence-rows", "10", "--quiet"])  # fmt: skip
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "fictional: these groups cannot be compared" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]
