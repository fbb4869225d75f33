"""The table renderer never cuts a number or an id, at any width and when piped."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from bhrscore.cli.common import fmt_num
from bhrscore.cli.render import Column, layout_widths, print_table
from bhrscore.cli.score import ranked_table, span
from bhrscore.evidence.load import load_evidence
from bhrscore.rubric import load_rubric, score
from bhrscore.rubric.scorecard import ScoreCard
from tests.conftest import run_cli as run

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "kazakhstan")
AS_OF = "2026-11-23"
WIDTHS = (80, 60, 200)


def console(width: int) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=width, color_system=None, highlight=False), buffer


def card_with_intervals() -> ScoreCard:
    """The example's score card extended with the columns other stages add: the total's
    interval and the rank interval (ranked companies only), with wagenborg (whatever the card
    says of it) among the companies without sufficient evidence (rank NA) and a short reason."""
    import datetime as dt

    evidence = load_evidence(EXAMPLE, as_of=dt.date(2026, 11, 23))
    card = score(
        evidence, load_rubric(ROOT / "rubrics" / "labour-rights.yaml"), dt.date(2026, 11, 23)
    )
    companies = card.companies.copy()
    last = companies.index[companies["company_id"] == "wagenborg"][0]
    companies["sufficient"] = companies["sufficient"].astype(bool)
    companies.loc[last, "sufficient"] = False
    companies["insufficient_reason"] = companies["insufficient_reason"].astype("string")
    companies.loc[last, "insufficient_reason"] = "fewer than 3 indicators with evidence"
    companies["rank"] = companies["rank"].astype("Int64")
    companies.loc[last, "rank"] = pd.NA
    ranked = companies["rank"].notna().to_numpy()
    companies["total_low"] = companies["total"] - 12.345
    companies["total_high"] = companies["total"] + 7.891
    companies["rank_low"] = pd.array([1 if r else None for r in ranked], dtype="Int64")
    companies["rank_high"] = pd.array([ranked.sum() if r else None for r in ranked], dtype="Int64")
    return dataclasses.replace(card, companies=companies)


def top_company(card: ScoreCard) -> str:
    """The id of the company ranked first (ties: the first id in alphabetical order)."""
    ranked = card.companies.dropna(subset=["rank"]).sort_values(["rank", "company_id"])
    return str(ranked["company_id"].iloc[0])


def numbers_of(card: ScoreCard) -> list[str]:
    """Every number the score table shows, formatted as the table formats it."""
    out = []
    themes = [c for c in card.companies.columns if c.startswith("theme:")]
    for row in card.companies.to_dict("records"):
        out.append(fmt_num(row["total"]))
        out += [fmt_num(row[t]) for t in themes]
        out.append(span(row["total_low"], row["total_high"]))
        out.append(span(row["rank_low"], row["rank_high"], digits=0))
        # coverage in whole percent rounded down, as the insufficiency reasons write it
        out.append(f"{math.floor(100 * float(row['coverage']) + 1e-9)}%")
    return out


@pytest.mark.parametrize("width", WIDTHS)
def test_score_table_never_cuts_a_number_or_an_id(width: int) -> None:
    card = card_with_intervals()
    out, buffer = console(width)
    ranked_table(card, None, console=out)
    text = buffer.getvalue()
    assert "…" not in text
    for number in numbers_of(card):
        assert number in text, (number, text)
    for company in card.company_ids():
        assert company in text
    assert "fewer than 3 indicators with evidence" in re.sub(r"\s+", " ", text)
    assert max(len(line) for line in text.splitlines()) <= width


def test_score_table_shows_insufficient_company_unranked_with_reason() -> None:
    out, buffer = console(200)
    ranked_table(card_with_intervals(), None, console=out)
    lines = buffer.getvalue().splitlines()
    wagenborg = next(line for line in lines if "wagenborg" in line)
    assert wagenborg.lstrip().startswith("–")  # rank NA shows as a dash
    assert "fewer than 3 indicators with evidence" in wagenborg
    first = top_company(card_with_intervals())
    top = next(line for line in lines if f" {first} " in line)
    assert top.lstrip().startswith("1 ")


def test_wide_layout_is_horizontal_and_narrow_is_vertical() -> None:
    card = card_with_intervals()
    wide, wide_buf = console(200)
    ranked_table(card, None, console=wide)
    header = wide_buf.getvalue().splitlines()[1]
    assert header.split()[:3] == ["rank", "company", "total"]  # one header row
    narrow, narrow_buf = console(60)
    ranked_table(card, None, console=narrow)
    lines = narrow_buf.getvalue().splitlines()
    assert lines[1].split() == ["1", top_company(card)]  # a block headed by rank and id
    assert any(line.strip().startswith("total ") for line in lines)


def test_piped_output_uses_columns_or_80(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    code, out, _ = run(["score", EXAMPLE, "--as-of", AS_OF], capsys)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80
    doc_code, doc, _ = run(["score", EXAMPLE, "--as-of", AS_OF, "--format", "json"], capsys)
    assert doc_code == 0
    for row in json.loads(doc)["companies"]:
        assert fmt_num(row["total"]) in out
        assert row["company_id"] in out
    monkeypatch.setenv("COLUMNS", "200")
    code, wide, _ = run(["score", EXAMPLE, "--as-of", AS_OF], capsys)
    assert code == 0
    assert "rank  company" in wide  # 200 columns fit the horizontal table
    assert max(len(line) for line in wide.splitlines()) > 80


@pytest.mark.parametrize("columns", ["80", "60"])
def test_piped_compare_keeps_every_number_whole(
    columns: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    args = ["compare", EXAMPLE, "--as-of", AS_OF, "--resamples", "50", "--permutations", "50"]
    code, text, _ = run([*args, "--evidence"], capsys)
    assert code == 0
    code, doc, _ = run([*args, "--format", "json"], capsys)
    groups = json.loads(doc)["groups"]
    assert groups
    for g in groups:
        for key in ("mean", "median"):
            assert fmt_num(g[key]) in text
        assert str(g["n"]) in text
    assert max(len(line) for line in text.splitlines()) <= int(columns)


def test_text_columns_wrap_and_numbers_keep_their_width() -> None:
    columns = [Column("id", "id", key=True), Column("value"), Column("note", "text")]
    rows = [["fict-company-1", "12345.678", "a long note " * 8], ["x", "-0.5", "short"]]
    out, buffer = console(50)
    print_table(columns, rows, console=out)
    lines = buffer.getvalue().splitlines()
    assert len(lines) > 4  # the note wrapped over several lines
    assert any("fict-company-1" in line and "12345.678" in line for line in lines)
    assert max(len(line) for line in lines) <= 50


def test_layout_goes_vertical_when_numbers_cannot_fit() -> None:
    columns = [Column(f"c{i}") for i in range(10)]
    rows = [[f"{i}.123456" for i in range(10)]]
    # ten 8-cell numbers and nine 2-cell gaps need 98 cells
    assert layout_widths(columns, rows, 98) == [8] * 10
    assert layout_widths(columns, rows, 97) is None
    out, buffer = console(40)
    print_table(columns, rows, console=out)
    text = buffer.getvalue()
    assert text.splitlines()[0] == "0.123456"  # the first column heads the record
    for i in range(1, 10):
        assert f"c{i} {i}.123456" in text  # a header-value pair is never split
