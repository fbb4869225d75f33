"""Rich display in notebooks: ScoreCard, Comparison and Explanation render well-formed,
escaped HTML that shows intervals, coverage, the basis and why a company is not ranked."""

from __future__ import annotations

import pickle
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import pandas as pd
import pytest

import bhrscore
from bhrscore.analysis.compare import GROUP_COLUMNS, PAIRWISE_COLUMNS, Comparison
from bhrscore.display import MAX_ROWS
from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.evidence.model import Company
from bhrscore.rubric import score
from bhrscore.rubric.explain import explain

from .rubric_support import AS_OF, indicator, rec, rubric

COUNT = {"aggregate": "count", "scale": {"type": "linear", "lower": 0, "upper": 1}}
WAGE = {"amount": 100.0, "currency": "KZT", "pay_period": "month"}
SCRIPT = "<script>alert('x')</script> & Fictional"


class _Tags(HTMLParser):
    """Checks that every opened tag is closed in order (void tags are not used)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.stack.append(tag)
        self.seen.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack.pop() == tag


def _well_formed(markup: str) -> ET.Element:
    """Parse as HTML (balanced tags, no script) and as XML; return the XML root."""
    tags = _Tags()
    tags.feed(markup)
    tags.close()
    assert tags.stack == []
    assert "script" not in tags.seen
    return ET.fromstring(markup)


def _text(root: ET.Element) -> str:
    return " ".join(" ".join(root.itertext()).split())


def _card(name: str = "Fictional A") -> Any:
    """Two one-indicator themes, dialogue .6 and wages .4 (missing: zero), min_coverage .5.
    a: dialogue and wages -> total 100, coverage 100%, rank 1; b: wages only -> total
    .4 x 100 = 40, coverage 40% < 50%: insufficient, not ranked."""
    rub = rubric(
        [
            indicator("dialogue", {"select": {"kind": "union_dialogue"}, **COUNT}, 0.6),
            indicator("wages", {"select": {"kind": "wage"}, **COUNT}, 0.4),
        ],
        min_coverage=0.5,
    )
    records = [
        rec("union_dialogue", "d-a", "a", event="meeting"),
        rec("wage", "w-a", "a", **WAGE),
        rec("wage", "w-b", "b", **WAGE),
    ]
    companies = (Company(id="a", name=name), Company(id="b", name="Fictional B"))
    return score(EvidenceSet(companies=companies, evidence=tuple(records)), rub, AS_OF)


def test_scorecard_html_shows_totals_intervals_coverage_and_reasons() -> None:
    card = _card()
    root = _well_formed(card._repr_html_())
    text = _text(root)
    assert "2 companies, 1 ranked, 1 with insufficient evidence" in text
    rows = root.findall(".//tbody/tr")
    cells = [[_text(td) for td in tr.findall("td")] for tr in rows]
    assert [c[0] for c in cells] == ["a", "b"]  # ranked first
    assert cells[0][2] == "100.0"
    assert cells[0][4] == "1"
    assert cells[0][6] == "100%"
    assert cells[1][2] == "40.0"
    assert cells[1][4] == "n/a"
    assert cells[1][6] == "40%"
    assert cells[1][7] == "coverage 40% < 50%: no evidence on dialogue"
    comp = card.companies.set_index("company_id")
    low, high = comp.loc["a", "total_low"], comp.loc["a", "total_high"]
    assert cells[0][3] == f"{low:.1f}–{high:.1f}"  # the card's interval, as drawn
    assert rows[1].get("style") == "color: #777"  # the unranked company is greyed


def test_html_escapes_a_script_in_a_company_name() -> None:
    card = _card(name=SCRIPT)
    for markup in (card._repr_html_(), card.explain("a")._repr_html_()):
        assert "<script>" not in markup
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Fictional" in markup
        assert SCRIPT in _text(_well_formed(markup))  # shown as text


def test_explanation_is_todays_text_with_an_html_view() -> None:
    card = _card()
    e = card.explain("b")
    assert isinstance(e, bhrscore.Explanation)
    assert isinstance(e, str)
    assert str(e) == explain(card, "b")
    assert type(str(e)) is str
    assert str(e).startswith("Fictional B (b): total 40.00")
    assert "Insufficient evidence, not ranked: coverage 40% < 50%" in e
    copied = pickle.loads(pickle.dumps(e))
    assert copied == e
    assert isinstance(copied, bhrscore.Explanation)
    assert copied.card is None  # the text alone; its HTML shows the text
    assert "<pre" in copied._repr_html_()

    printed: list[str] = []

    class Printer:
        def text(self, value: str) -> None:
            printed.append(value)

    e._repr_pretty_(Printer(), False)  # IPython's plain text: the text, not its repr
    assert printed == [str(e)]

    root = _well_formed(e._repr_html_())
    text = _text(root)
    assert "Insufficient evidence, not ranked: coverage 40% < 50%: no evidence on dialogue" in text
    assert "coverage 40%" in text
    comp = card.companies.set_index("company_id")
    interval = f"{comp.loc['b', 'total_low']:.2f}–{comp.loc['b', 'total_high']:.2f}"
    assert f"(interval {interval})" in text
    rows = {
        _text(tr.findall("td")[0]): [_text(td) for td in tr.findall("td")]
        for tr in root.findall(".//tbody/tr")
    }
    # b: dialogue has no record -> 0 by the missing-data policy; wages from the record -> 100
    assert rows["dialogue"][2:4] == ["0.0", "policy"]
    assert rows["wages"][2:4] == ["100.0", "evidence"]
    assert rows["wages"][5] == "1"
    # the full text is there, in a details element
    pre = root.find(".//details/pre")
    assert pre is not None
    assert pre.text == str(e)


def _comparison(warning: str) -> Comparison:
    groups = pd.DataFrame(
        [
            {"stratum": "all", "group": "china", "n": 9, "mean": 41.25, "ci_low": 30.0,
             "ci_high": 52.5, "ci_level": 0.95, "median": 40.0, "coverage_mean": 0.8,
             "small_group": False, "warning": pd.NA},
            {"stratum": "all", "group": "western", "n": 3, "mean": 60.0, "ci_low": pd.NA,
             "ci_high": pd.NA, "ci_level": 0.95, "median": 61.0, "coverage_mean": 0.5,
             "small_group": True, "warning": warning},
        ]
    )  # fmt: skip
    pairs = pd.DataFrame(
        [
            {"stratum": "all", "group_a": "china", "group_b": "western", "n_a": 9, "n_b": 3,
             "diff": -18.75, "diff_ci_low": pd.NA, "diff_ci_high": pd.NA, "p_value": 0.0312,
             "p_adjusted": 0.0312, "correction": "holm", "significant": True,
             "small_group": True, "warning": warning},
        ]
    )  # fmt: skip
    for frame, columns in ((groups, GROUP_COLUMNS), (pairs, PAIRWISE_COLUMNS)):
        for col, dtype in columns.items():
            if col not in frame:
                frame[col] = pd.NA
            frame[col] = frame[col].astype(dtype)
    return Comparison(groups, pairs, pd.DataFrame(), ("ownership",), (), "total", {})


def test_comparison_html_shows_groups_intervals_pairs_and_escaped_warnings() -> None:
    markup = _comparison("<script>bad()</script>")._repr_html_()
    root = _well_formed(markup)
    assert "&lt;script&gt;bad()&lt;/script&gt;" in markup
    tables = root.findall(".//table")
    assert len(tables) == 2
    groups = [[_text(td) for td in tr.findall("td")] for tr in tables[0].findall(".//tbody/tr")]
    assert groups[0][:6] == ["china", "9", "41.2", "30.0–52.5", "40.0", "80%"]
    assert groups[1][:4] == ["western", "3", "60.0", "n/a"]  # no interval below n=8
    assert groups[1][6] == "<script>bad()</script>"
    heads = [_text(th) for th in tables[0].findall(".//th")]
    assert "95% interval" in heads
    pair = [_text(td) for td in tables[1].findall(".//tbody/tr/td")]
    assert pair[:7] == ["china − western", "9 / 3", "-18.8", "n/a", "0.031", "0.031", "True"]
    assert "p adjusted (holm)" in [_text(th) for th in tables[1].findall(".//th")]


def test_a_real_comparison_renders() -> None:
    cmp = bhrscore.compare(_card(), by="origin_group", include_insufficient=True, resamples=20)
    root = _well_formed(cmp._repr_html_())
    assert "Companies with insufficient evidence are included." in _text(root)


def test_long_tables_are_cut_with_a_note() -> None:
    ids = tuple(f"c{i:03d}" for i in range(MAX_ROWS + 5))
    companies = tuple(Company(id=c, name=f"Fictional {c}") for c in ids)
    card = score(
        EvidenceSet(companies=companies, evidence=()),
        rubric([indicator("wages", {"select": {"kind": "wage"}, **COUNT})]),
        AS_OF,
    )
    root = _well_formed(card._repr_html_())
    assert len(root.findall(".//tbody/tr")) == MAX_ROWS
    assert "5 more rows not shown." in _text(root)


@pytest.mark.parametrize("bad", ["nobody"])
def test_explain_of_an_unknown_company_still_raises(bad: str) -> None:
    with pytest.raises(KeyError, match="no company 'nobody'"):
        _card().explain(bad)
