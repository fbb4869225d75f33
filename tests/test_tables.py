"""Tables to files (``export/tables.py``) and the CSV/JSON the CLI prints."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.evidence.flat import LIST_DELIMITER
from bhrscore.evidence.registry import evidence_kinds
from bhrscore.evidence.write import write_evidence
from bhrscore.export.cells import REDACTED
from bhrscore.export.tables import csv_text, write_frame, write_scorecard
from bhrscore.rubric.scorecard import ScoreCard
from tests.conftest import run_cli

from .test_briefing import SOURCE, make_card, make_evidence

ROOT = Path(__file__).resolve().parents[1]
RUBRIC = str(ROOT / "rubrics" / "labour-rights.yaml")
PAYLOADS = ["=GROUP()", "-1+2", "+SUM(1,2)", "@A1", " =1", "\t=1"]


def read_csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def test_csv_text_prefixes_formula_like_text_in_every_text_column() -> None:
    n = len(PAYLOADS)
    frame = pd.DataFrame(
        {
            "string": pd.array(PAYLOADS, dtype="string"),
            "object": pd.Series(PAYLOADS, dtype=object),
            "category": pd.Series(PAYLOADS, dtype="category"),
            "lists": pd.Series([(p, "b") for p in PAYLOADS], dtype=object),
            "number": [-1.5] * n,  # a negative number is data, not a formula
            "plain": pd.array(["ok"] * n, dtype="string"),
        }
    )
    out = read_csv(csv_text(frame))
    quoted = ["'" + p for p in PAYLOADS]
    assert out["string"].tolist() == quoted
    assert out["object"].tolist() == quoted
    assert out["category"].tolist() == quoted
    assert out["lists"].tolist() == [f"'{p}{LIST_DELIMITER}b" for p in PAYLOADS]
    assert out["number"].tolist() == ["-1.5"] * n
    assert out["plain"].tolist() == ["ok"] * n
    raw = read_csv(csv_text(frame, sanitize=False))
    assert raw["category"].tolist() == PAYLOADS


@pytest.fixture(scope="module")
def card() -> ScoreCard:
    base = make_card()
    companies = base.companies.copy()
    companies["name"] = pd.array(["=GROUP()", "-1+2", "Gamma"], dtype="string")
    return ScoreCard(
        companies=companies,
        nodes=base.nodes,
        indicators=base.indicators,
        penalties=base.penalties,
        meta=base.meta,
        rubric=base.rubric,
    )


def test_scorecard_csv_is_formula_safe(tmp_path: Path, card: ScoreCard) -> None:
    paths = write_scorecard(card, tmp_path / "sc", "csv")
    companies = pd.read_csv(paths[0], dtype=str, keep_default_na=False)
    assert companies["name"].tolist() == ["'=GROUP()", "'-1+2", "Gamma"]
    indicators = pd.read_csv(paths[2], dtype=str, keep_default_na=False)
    ids = card.indicators["evidence_ids"].map(LIST_DELIMITER.join).tolist()
    assert indicators["evidence_ids"].tolist() == ids


@pytest.mark.parametrize("fmt", ["parquet", "json"])
def test_scorecard_round_trips_through_parquet_and_json(
    tmp_path: Path, card: ScoreCard, fmt: str
) -> None:
    paths = write_scorecard(card, tmp_path / "sc", fmt)  # type: ignore[arg-type]
    assert [p.name for p in paths] == [
        f"sc.companies.{fmt}",
        f"sc.nodes.{fmt}",
        f"sc.indicators.{fmt}",
        f"sc.penalties.{fmt}",
        "sc.meta.json",
    ]
    for name, path in zip(("companies", "nodes", "indicators", "penalties"), paths, strict=False):
        expected: pd.DataFrame = getattr(card, name)
        if fmt == "parquet":
            back = pd.read_parquet(path)
        else:
            back = pd.DataFrame(json.loads(path.read_text(encoding="utf-8")))
        assert list(back.columns) == list(expected.columns)
        assert len(back) == len(expected)
        for column in expected.columns:
            want = [
                tuple(v) if isinstance(v, tuple | list) else (None if pd.isna(v) else v)
                for v in expected[column].astype(object).tolist()
            ]
            got = [
                tuple(v) if hasattr(v, "__len__") and not isinstance(v, str) else v
                for v in back[column].astype(object).tolist()
            ]
            got = [None if not isinstance(v, tuple) and pd.isna(v) else v for v in got]
            assert got == want, (name, column)
    meta = json.loads(paths[-1].read_text(encoding="utf-8"))
    assert meta["rubric_hash"] == card.meta.rubric_hash
    assert meta["as_of"] == card.meta.as_of.isoformat()


def test_write_frame_rejects_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown table format"):
        write_frame(pd.DataFrame({"a": [1]}), tmp_path / "x.txt", "xml")  # type: ignore[arg-type]


# --- the CLI ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The briefing's fictional evidence, plus group testimony that starts with formula
    payloads and names Jane Example, a person listed only on the sensitive e-beta-3."""
    base = make_evidence()
    kinds = evidence_kinds()
    extra = kinds["statement"].model_validate(
        {
            "kind": "statement",
            "id": "e-group-2",
            "group": {"description": "-1+2 miners with JANE  EXAMPLE", "origin_group": "china"},
            "date": "2025-04-02",
            "country": "KZ",
            "status": "alleged",
            "summary": "=GROUP() says jane\u00a0example was right; Janeexample and Jane Examples",
            "sources": [SOURCE],
            "statement_type": "public_statement",
        }
    )
    out = tmp_path_factory.mktemp("bundle")
    write_evidence(EvidenceSet(base.companies, (*base.evidence, extra)), out, format="json")
    return str(out)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    return out


def compare_args(bundle: str, *more: str) -> list[str]:
    return [
        "compare",
        bundle,
        "--rubric",
        RUBRIC,
        "--as-of",
        "2025-06-30",
        "--resamples",
        "20",
        "--permutations",
        "20",
        *more,
    ]


def test_compare_csv_is_formula_safe_and_redacted(
    bundle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(compare_args(bundle, "--format", "csv", "--table", "testimony"), capsys)
    rows = read_csv(out).set_index("id")
    assert rows.at["e-group-2", "summary"] == (
        f"'=GROUP() says {REDACTED} was right; Janeexample and Jane Examples"
    )
    assert rows.at["e-group-2", "description"] == f"'-1+2 miners with {REDACTED}"
    assert rows.at["e-group-1", "summary"] == "'-1+2 testimony"
    assert rows.at["e-group-1", "description"] == "'@Chinese firms"
    named = run(
        compare_args(bundle, "--format", "csv", "--table", "testimony", "--include-personal-data"),
        capsys,
    )
    assert read_csv(named).set_index("id").at["e-group-2", "description"] == (
        "'-1+2 miners with JANE  EXAMPLE"
    )


def test_compare_json_is_redacted(bundle: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = run(compare_args(bundle, "--format", "json", "--evidence"), capsys)
    testimony = {t["id"]: t for t in json.loads(out)["evidence"]["testimony"]}
    # JSON is not opened as a spreadsheet: the text keeps its formula-like start
    assert testimony["e-group-2"]["summary"] == (
        f"=GROUP() says {REDACTED} was right; Janeexample and Jane Examples"
    )
    assert re.search(r"jane(\s|\\u00a0)+example(?!s)", out, re.IGNORECASE) is None
    named = run(
        compare_args(bundle, "--format", "json", "--evidence", "--include-personal-data"), capsys
    )
    assert "JANE  EXAMPLE" in named


def test_sensitivity_csv_goes_through_the_same_sanitising(
    bundle: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bhrscore.export.tables as tables

    seen: list[pd.DataFrame] = []
    real = tables.csv_text

    def spy(frame: pd.DataFrame, *, sanitize: bool = True) -> str:
        seen.append(frame)
        return real(frame, sanitize=sanitize)

    monkeypatch.setattr(tables, "csv_text", spy)
    args = ["sensitivity", bundle, "--rubric", RUBRIC, "--as-of", "2025-06-30", "--runs", "3"]
    out = run([*args, "--format", "csv"], capsys)
    assert len(seen) == 1
    assert out == real(seen[0])
    assert read_csv(out)["company_id"].tolist() == seen[0]["company_id"].astype(str).tolist()
