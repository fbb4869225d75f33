"""Scoring the past: records not known at as-of are ignored (one warning), and trends."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

import bhrscore
from bhrscore.rubric import load_rubric, score, trend
from bhrscore.rubric.trend import TREND_COLUMNS
from tests.conftest import run_cli as run

from .rubric_support import evset, rec

ROOT = Path(__file__).resolve().parents[1]
RUBRIC = load_rubric(ROOT / "rubrics" / "labour-rights.yaml")
EXAMPLE = ROOT / "examples" / "kazakhstan"
DIALOGUE = {"event": "recognition", "union": {"status": "independent"}}


def _records() -> list:
    return [
        rec("union_dialogue", "d-2015", "a", date="2015-06-01", **DIALOGUE),
        rec("screening", "s-2019", "a", date="2019-12-31", topics=["retaliation"]),
        rec("retaliation", "r-2024", "a", date="2024-06-01", action="threat",
            target_role="worker", actor="company"),
    ]  # fmt: skip


def test_a_past_as_of_scores_what_was_known_then() -> None:
    card = score(evset(_records()), RUBRIC, dt.date(2016, 1, 1))
    assert card.meta.options["records_after_as_of"] == 2
    assert card.meta.options["records_scored"] == 1
    ind = card.indicators.set_index(["company_id", "indicator_id"])
    # 2016: the recognition alone; nothing screened yet -> retaliation unknown
    assert ind.loc[("a", "dialogue-record"), "score"] == 100
    assert pd.isna(ind.loc[("a", "reprisals"), "score"])


def test_trend_is_one_tidy_row_per_company_and_date() -> None:
    dates = [dt.date(2026, 1, 1), dt.date(2016, 1, 1), dt.date(2020, 6, 30)]
    table = trend(evset(_records()), RUBRIC, dates)
    assert list(table.columns[: len(TREND_COLUMNS)]) == list(TREND_COLUMNS)
    assert "theme:retaliation" in table.columns
    assert len(table) == 6  # companies a and b x three dates, sorted by company and date
    a = table[table["company_id"] == "a"]
    assert list(a["as_of"].dt.date) == sorted(dates)
    assert list(a["records_known"]) == [1, 2, 3]
    ret = a["theme:retaliation"].astype("float64")
    # 2016: unknown; 2020-06-30: screened 2019-12-31, within 3 years -> 100; 2026: the
    # verified 2024 threat is scored instead: 2024-06-01 -> 2026-01-01 is 579 days, weight
    # 1 x 0.5^(579 / (365.25*6)) = 0.8325; reprisals = 100 - 100 * 0.8325 / 2 = 58.37;
    # representatives (a worker: not selected; the 2019 screening is more than 3 years old)
    # unknown -> the theme is reprisals alone
    assert pd.isna(ret.iloc[0])
    assert ret.iloc[1] == 100
    assert ret.iloc[2] == pytest.approx(100 - 50 * 0.5 ** (579 / (365.25 * 6)), abs=1e-9)
    assert table["rank"].dtype == "Int64"
    assert table["sufficient"].dtype == "boolean"
    assert (table["company_id"] == "b").sum() == 3


def test_trend_is_exported_from_the_package() -> None:
    assert bhrscore.trend is trend
    assert "trend" in bhrscore.__all__


def test_score_in_the_past_exits_0_with_one_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["score", str(EXAMPLE), "--as-of", "2012-01-01"], capsys)
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "record(s) mention a date after the as-of date 2012-01-01 and are ignored" in lines[0]
    assert "labour-rights 2.0.0, as of 2012-01-01" in out


def test_score_at_several_dates_prints_and_writes_the_trend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = tmp_path / "kz"
    dates = "2015-12-31,2020-12-31,2026-11-23"
    code, out, err = run(
        ["score", str(EXAMPLE), "--as-of", dates, "--out", str(prefix), "--format", "csv"], capsys
    )
    assert code == 0, err
    for d in dates.split(","):
        assert d in out
    assert err.count("warning:") == 1
    table = pd.read_csv(tmp_path / "kz.trend.csv")
    assert list(table.columns[: len(TREND_COLUMNS)]) == list(TREND_COLUMNS)
    companies = {
        json.loads(line)["id"]
        for line in (EXAMPLE / "companies.jsonl").read_text().splitlines()
        if line.strip()
    }
    assert len(table) == 3 * len(companies)
    assert sorted(set(table["as_of"])) == dates.split(",")
    meta = json.loads((tmp_path / "kz.trend.meta.json").read_text())
    assert meta["as_of"] == dates.split(",")
    assert meta["rubric_version"] == "2.0.0"
    assert set(meta["options"]) == set(dates.split(","))


def test_a_bad_date_in_a_list_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["score", str(EXAMPLE), "--as-of", "2015-12-31,2020-13-01"], capsys)
    assert code == 2
    assert "'2020-13-01' is not a date in YYYY-MM-DD form" in err


def test_a_known_date_column_is_read_when_the_frame_has_one() -> None:
    # the loader's derived known_date (every source's publication date included) can be later
    # than any date column the frame keeps: the record is then not known at as-of
    frames = evset(_records()).frames()
    ev = frames.evidence.copy()
    ev["known_date"] = ev["effective_date"]
    ev.loc[ev["id"] == "d-2015", "known_date"] = pd.Timestamp("2017-03-01")
    card = score(type(frames)(frames.companies, ev), RUBRIC, dt.date(2016, 1, 1))
    # d-2015 (known 2017), s-2019 and r-2024 are all later than 2016-01-01
    assert card.meta.options["records_after_as_of"] == 3
    assert card.meta.options["records_scored"] == 0
    # an empty known_date does not hide the record's own dates
    ev["known_date"] = pd.NaT
    card = score(type(frames)(frames.companies, ev), RUBRIC, dt.date(2016, 1, 1))
    assert card.meta.options["records_after_as_of"] == 2


def test_loaded_frames_know_a_record_from_its_latest_source(tmp_path: Path) -> None:
    # The loader's known_date reads every source: d-2015's second source is published on
    # 2017-03-01, after as-of 2016-01-01, while the frame's source_published keeps only the
    # first source (2015-07-01) -- so only the known_date column can tell it was not known.
    sources = [
        {"url": "https://example.org/first", "title": "Fictional", "published": "2015-07-01"},
        {"url": "https://example.org/second", "title": "Fictional", "published": "2017-03-01"},
    ]
    records = [r.model_dump(mode="json", exclude_none=True) for r in _records()]
    records[0]["sources"] = sources
    (tmp_path / "companies.jsonl").write_text(
        "".join(json.dumps({"id": c, "name": f"Fictional {c.upper()}"}) + "\n" for c in "ab")
    )
    (tmp_path / "evidence.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    evidence = bhrscore.load_evidence(tmp_path)
    frame = evidence.frames().evidence.set_index("id")
    assert frame.loc["d-2015", "source_published"] == pd.Timestamp("2015-07-01")
    assert frame.loc["d-2015", "known_date"] == pd.Timestamp("2017-03-01")
    card = score(evidence, RUBRIC, dt.date(2016, 1, 1))
    # d-2015 (known 2017), s-2019 and r-2024 are all later than 2016-01-01: nothing is scored
    assert card.meta.options["records_after_as_of"] == 3
    assert card.meta.options["records_scored"] == 0
    unused = card.unused.set_index("evidence_id")
    assert unused.loc["d-2015", "reason"] == "not_known"
    # as of 2017-03-01 the record is known and scored (its recognition: dialogue-record 100)
    later = score(evidence, RUBRIC, dt.date(2017, 3, 1)).indicators
    assert (
        later.set_index(["company_id", "indicator_id"]).loc[("a", "dialogue-record"), "score"]
        == 100
    )
