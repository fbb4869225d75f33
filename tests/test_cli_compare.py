"""``bhrscore compare`` and ``bhrscore sensitivity`` on the bundled example."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from bhrscore.analysis import compare, compare_evidence
from bhrscore.cli import main
from bhrscore.cli.compare import print_evidence, print_groups
from bhrscore.evidence.load import load_evidence
from bhrscore.rubric import load_rubric, score
from tests.conftest import company, record
from tests.conftest import run_cli as run

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "kazakhstan")
RUBRIC = str(ROOT / "rubrics" / "labour-rights.yaml")
BASE = [EXAMPLE, "--rubric", RUBRIC, "--as-of", "2026-11-23"]


def _flat(text: str) -> str:
    """``text`` with every run of white space (line wraps included) as one space."""
    return " ".join(text.split())


def _example_companies() -> set[str]:
    example = (ROOT / "examples" / "kazakhstan" / "companies.jsonl").read_text("utf-8")
    return {json.loads(line)["id"] for line in example.splitlines() if line.strip()}


def _insufficient(capsys: pytest.CaptureFixture[str]) -> set[str]:
    """The example's companies the score card leaves unranked (insufficient evidence)."""
    code, out, err = run(["score", *BASE, "--format", "json"], capsys)
    assert code == 0, err
    return {c["company_id"] for c in json.loads(out)["companies"] if not c["sufficient"]}


def test_compare_table_shows_groups_n_and_small_group_warnings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["compare", *BASE, "--by", "origin_group", "--resamples", "20"]
    code, out, err = run([*args, "--format", "json"], capsys)
    assert code == 0, err
    groups = json.loads(out)["groups"]
    code, out, err = run([*args, "--evidence"], capsys)
    assert code == 0
    assert "origin_group" in out
    lines = out.splitlines()
    for g in groups:
        # the group's row of the score table (printed before the evidence table) shows its n
        # and, when n is below min-n 5, says the group is unreliable
        row = next(line for line in lines if line.split()[:2] == [g["group"], str(g["n"])])
        assert ("n < 5: unreliable" in row) == (g["n"] < 5) == g["small_group"], row
        if g["warning"]:
            assert f"{g['group']}: {g['warning']}" in _flat(out)
    # rubric 2.0.0 leaves most of the example unranked: the header and the group notes say
    # how many companies each group left out
    left = sum(g["n_insufficient"] for g in groups)
    assert left == len(_insufficient(capsys)) > 0  # one origin group per company
    assert f"Left out for insufficient evidence: {left} (company x group)" in _flat(out)
    for g in groups:
        k = g["n_insufficient"]
        if k:
            word = "company" if k == 1 else "companies"
            assert f"{k} {word} with insufficient evidence left out" in g["warning"]
    assert "testimony" in out.lower()
    small = sum(g["small_group"] for g in groups)
    assert f"{small} group(s) have fewer than 5 companies" in err
    assert "Traceback" not in out + err


def test_compare_json_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["compare", *BASE, "--format", "json", "--resamples", "50"]
    code, out, _ = run([*args, "--evidence"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["rubric"]["id"] == "labour-rights"
    assert doc["options"]["include_insufficient"] is False
    groups = {g["group"]: g for g in doc["groups"]}
    assert set(groups) >= {"western", "china", "domestic"}
    counts = ("n", "n_missing", "n_low_coverage", "n_insufficient")
    # every company of the example is in one origin group: scored or counted as left out
    size = {k: sum(g[c] for c in counts) for k, g in groups.items()}
    assert sum(size.values()) == len(_example_companies())
    assert sum(g["n_insufficient"] for g in groups.values()) == len(_insufficient(capsys))
    for g in groups.values():
        assert g["small_group"] == (g["n"] < 5)  # min-n 5 counts scored companies only
    assert any(t["origin_group"] == "china" for t in doc["evidence"]["testimony"])
    # --include-insufficient brings them in: each group's n grows by the companies left out
    # before, and whether a group is small follows the larger n
    code, out, _ = run([*args, "--include-insufficient"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["options"]["include_insufficient"] is True
    included = {g["group"]: g for g in doc["groups"]}
    assert set(included) == set(groups)
    for k, g in included.items():
        assert g["n_insufficient"] == 0
        assert sum(g[c] for c in counts) == size[k]
        assert g["n"] == groups[k]["n"] + groups[k]["n_insufficient"] - g["n_missing"]
        assert g["small_group"] == (g["n"] < 5)
        assert "insufficient evidence left out" not in (g["warning"] or "")
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
    assert {c["company_id"] for c in doc["companies"]} == _example_companies()
    assert [r["scenario"] for r in doc["runs"]][:2] == ["base", "weights"]
    code, out, _ = run(["sensitivity", *BASE, "--runs", "3"], capsys)
    assert code == 0
    assert "Ranks" in out


def test_compare_evidence_window_follows_the_rubric(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["compare", *BASE, "--format", "json", "--evidence", "--resamples", "20"]
    code, out, _ = run(args, capsys)
    assert code == 0
    # the rubric's window (20 years in labour-rights: from 2006-11-23) ends at --as-of
    window = load_rubric(RUBRIC).policies.window
    assert window is not None
    start = window.start(dt.date(2026, 11, 23)).isoformat()
    assert json.loads(out)["evidence"]["options"]["since"] == start
    code, out, _ = run([*args, "--since", "2020-01-01"], capsys)
    assert code == 0
    assert json.loads(out)["evidence"]["options"]["since"] == "2020-01-01"


def test_user_text_is_not_read_as_rich_markup(capsys: pytest.CaptureFixture[str]) -> None:
    day = dt.date(2026, 11, 23)
    evidence = load_evidence(EXAMPLE, as_of=day)
    card = score(evidence, load_rubric(RUBRIC), as_of=day)
    result = compare(card, resamples=20, permutations=20)
    odd = pd.Series(["[/x]"] * len(result.groups), dtype="string")
    groups = result.groups.assign(group=odd, stratum=pd.Series(["[bold]"] * len(odd)))
    pairs = result.pairwise.assign(stratum="[bold]", group_a="[/x]", group_b="[red]")
    print_groups(dataclasses.replace(result, groups=groups, pairwise=pairs, within=("sector",)))
    rates = compare_evidence(evidence)
    ev_groups = rates.groups.assign(group="[/x]")
    print_evidence(dataclasses.replace(rates, groups=ev_groups))
    out = capsys.readouterr().out
    # printed as written, not parsed as markup (a stray closing tag [/x] makes rich raise)
    # (the evidence groups twice: the counts table and the table of rates with intervals)
    assert out.count("[/x]") == len(groups) + len(pairs) + 2 * len(ev_groups)
    assert out.count("[bold]") == len(groups) + len(pairs)  # the stratum column
    assert out.count("[red]") == len(pairs)


def test_sensitivity_table_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["sensitivity", *BASE, "--runs", "4"]
    code, first, _ = run(args, capsys)
    assert code == 0
    code, second, _ = run(args, capsys)
    assert first == second
    assert re.search(r"\d\.\d s\b", first) is None  # no elapsed time in the header
    # the example's exclude run leaves the companies without scored evidence unranked
    assert "missing: exclude leaves companies without any scored evidence unranked" in first


def test_table_output_redacts_testimony_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import company, record, write_jsonl

    testimony = record(
        "union_dialogue",
        id="t1",
        sensitive=True,
        persons=["Ada Fictional"],
        summary="Ada Fictional says the company refused to meet.",
    )
    testimony["group"] = {"description": "Fictional group", "origin_group": "china"}
    del testimony["company_id"]
    write_jsonl(tmp_path / "companies.jsonl", [company()])
    write_jsonl(tmp_path / "evidence.jsonl", [record(id="e1"), testimony])
    base = ["compare", str(tmp_path), "--by", "origin_group", "--evidence", "--as-of", "2026-11-23"]
    with pytest.raises(SystemExit):
        main(base)
    out = capsys.readouterr().out
    assert "ada fictional" not in out.lower()
    assert "[redacted]" in out
    with pytest.raises(SystemExit):
        main([*base, "--include-personal-data"])
    assert "Ada Fictional" in capsys.readouterr().out


def test_compare_header_names_the_grouping_used_and_where_hosts_came_from(
    bundle: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No host_countries: the companies are placed where their evidence happened (KZ).
    path = bundle(
        [
            company("kz", hq_country="KZ", host_countries=[]),
            company("cn", hq_country="CN", host_countries=[]),
        ],
        [record(id="e1", company_id="kz"), record(id="e2", company_id="cn")],
    )
    args = ["compare", str(path), "--as-of", "2026-11-23", "--resamples", "20"]
    code, out, err = run([*args, "--format", "json", "--include-insufficient"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert {g["group"] for g in doc["groups"]} == {"domestic", "china"}
    assert doc["options"]["hosts"] == {"listed": 0, "evidence": 2, "unknown": 0}
    assert doc["options"]["include_insufficient"] is True
    code, out, _ = run(args, capsys)
    out = _flat(out)  # descriptions wrap at the console width
    assert "relative to each host country" in out
    assert "Company hosts: 0 from host_countries, 2 from where their evidence happened" in out
    mine = tmp_path / "grouping" / "groups.yaml"
    mine.parent.mkdir()
    mine.write_text(
        "description: Chinese capital against the rest\ndomestic: null\ngroups:\n  china: [CN]\n",
        encoding="utf-8",
    )
    code, out, err = run([*args, "--origin-groups", str(mine)], capsys)
    assert code == 0, err
    out = _flat(out)
    assert "(Chinese capital against the rest), by origin country only" in out
    assert "relative to each host country" not in out


def test_evidence_rates_print_with_wilson_intervals(capsys: pytest.CaptureFixture[str]) -> None:
    from bhrscore.analysis.evidence_compare import wilson_interval

    # Wilson, 1 of 5 at 95% (z = 1.96): centre (0.2 + z^2/10) / (1 + z^2/5) = 0.33031,
    # half-width z * sqrt(0.2 * 0.8 / 5 + z^2 / 100) / (1 + z^2/5) = 0.29413
    low, high = wilson_interval(pd.Series([1.0]).to_numpy(), pd.Series([5.0]).to_numpy(), 0.95)
    assert (low[0], high[0]) == pytest.approx((0.03618, 0.62444), abs=1e-4)
    rates = compare_evidence(load_evidence(EXAMPLE, as_of=dt.date(2026, 11, 23)))
    one = rates.groups.iloc[[0]].assign(
        group="fictional",
        retaliation_share=0.2,
        retaliation_share_ci_low=low[0],
        retaliation_share_ci_high=high[0],
        refusal_rate=float("nan"),
    )
    print_evidence(dataclasses.replace(rates, groups=one.reset_index(drop=True)))
    out = capsys.readouterr().out
    assert "Rates with 95% Wilson intervals" in out
    row = next(line for line in out.splitlines()[::-1] if line.startswith("fictional"))
    assert row.split()[1:3] == ["20%", "[4-62]"]
    assert row.split()[3] == "-"  # no dialogue sought: no rate, no interval
