"""The Ranking Digital Rights 2022 example: made by `bhrscore import rdr`, it loads cleanly and
its rubric reproduces RDR's published totals and category scores for every company.

RDR publishes every score as a whole number, computed from unrounded indicator scores, and the
release publishes the indicator scores rounded too. The best any method can do from the
published indicator scores is therefore the published value up to RDR's rounding: the test
asks for |rubric - published| <= 0.5 for every company and node, and shows that the method
matters: the mean of the three category scores misses the published total by more than that
for some companies, while the mean of all indicators (the rubric) never does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from bhrscore import (
    Assessment,
    ScoreCard,
    load_evidence,
    load_rubric,
    published_vs_scored,
    read_published,
    score,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rdr-2022"
AS_OF = dt.date(2022, 4, 26)
COMMIT = "3e61441c1af134c3294852ee0145eddd8a2f1e13"
SOURCE = f"https://github.com/rankingdigitalrights/index2022/blob/{COMMIT}/csv"
RDR_ROUNDING = 0.5  # RDR publishes whole numbers


@pytest.fixture(scope="module")
def card() -> ScoreCard:
    evidence = load_evidence(EXAMPLE, as_of=AS_OF)
    return score(evidence, load_rubric(EXAMPLE / "rubric.yaml"), as_of=AS_OF)


def test_example_loads_without_any_problem() -> None:
    evidence = load_evidence(EXAMPLE, as_of=AS_OF)
    assert evidence.report.ok
    assert evidence.report.problems == []  # no warnings either (no ignored files)
    assert len(evidence.companies) == 14
    for company in evidence.companies:
        assert company.hq_country is not None, company.id
        assert list(company.sectors) == ["63"], company.id  # RDR 2022: digital platforms
        assert company.sources[0].url == f"{SOURCE}/2022-company-specs.csv"


def test_every_record_is_an_rdr_indicator_score_sourced_to_the_pinned_file() -> None:
    evidence = load_evidence(EXAMPLE, as_of=AS_OF)
    assert all(isinstance(e, Assessment) for e in evidence.evidence)
    for record in evidence.evidence:
        assert isinstance(record, Assessment)
        assert record.framework == "rdr-2022"
        assert record.sources[0].url == f"{SOURCE}/2022-indicators.csv"
        assert (record.value is None) != (record.answer is None)
        assert record.value is None or 0 <= record.value <= 100


def test_rubric_scores_each_published_indicator_once_with_pooled_aggregation() -> None:
    doc = yaml.safe_load((EXAMPLE / "rubric.yaml").read_text(encoding="utf-8"))
    assert doc["policies"]["aggregation"] == "pooled"
    assert [t["id"] for t in doc["tree"]] == ["governance", "freedom", "privacy"]
    assert all("weight" not in t for t in doc["tree"])  # equal shares: no zero-weight theme
    questions = [
        c["rule"]["select"]["where"]["question_id"] for t in doc["tree"] for c in t["children"]
    ]
    assert len(questions) == len(set(questions)) == 6 + 13 + 18  # G, F and P indicators
    evidence = load_evidence(EXAMPLE, as_of=AS_OF)
    families = {
        e.question_id
        for e in evidence.evidence
        if isinstance(e, Assessment) and "subindicator" not in e.tags
    }
    assert set(questions) == families


def test_published_totals_and_category_scores_are_reproduced_for_every_company(
    card: ScoreCard,
) -> None:
    published = read_published(EXAMPLE)
    assert len(published) == 14 * 4  # total, governance, freedom, privacy
    check = published_vs_scored(card, published)
    assert check["scored"].notna().all()
    worst = check.loc[check["diff"].abs().idxmax()]
    assert abs(worst["diff"]) <= RDR_ROUNDING, worst.to_dict()
    totals = check[check["node"] == "total"].set_index("company_id")
    # and the published total is the scored one rounded to a whole number
    assert (totals["scored"].round() == totals["published"]).all()


def test_the_mean_of_categories_would_not_reproduce_the_totals(card: ScoreCard) -> None:
    published = read_published(EXAMPLE)
    themes = card.companies.set_index("company_id")[
        ["theme:governance", "theme:freedom", "theme:privacy"]
    ]
    mean_of_categories = themes.astype(float).mean(axis=1)
    total = published[published["node"] == "total"].set_index("company_id")["score"]
    off = (mean_of_categories - total.astype(float)).abs()
    assert (off > RDR_ROUNDING).any()  # e.g. Twitter: (56 + 64 + 51)/3 = 57.1 vs 56 published


def test_not_applicable_answers_are_covered_not_missing(card: ScoreCard) -> None:
    totals = card.nodes[card.nodes["node_id"] == "total"]
    assert (totals["coverage"] == 1).all()  # every indicator has a score or an N/A answer
    f9 = card.indicators[card.indicators["indicator_id"] == "F9"]
    assert f9["score"].isna().all()  # F9 (telecommunications only) is N/A for every platform


def test_licence_and_readme_travel_with_the_data() -> None:
    licence = (EXAMPLE / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence
    assert "Ranking Digital Rights" in licence
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    assert COMMIT in readme
    assert "bhrscore import rdr" in readme
    manifest = yaml.safe_load((EXAMPLE / "import.yaml").read_text(encoding="utf-8"))
    assert manifest["source_url"] == SOURCE
    classes = pd.read_csv(EXAMPLE / "published" / "companies.csv", dtype=str)
    assert set(classes["rdr_type"]) == {"platforms"}
