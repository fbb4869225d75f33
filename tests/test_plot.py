"""bhrscore.plot: what each plot draws, where insufficient companies go, and its manners
(returns the Axes, draws on the given one, never shows or picks a backend, deterministic)."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.colors import to_hex

import bhrscore
from bhrscore.analysis.compare import GROUP_COLUMNS, Comparison
from bhrscore.plot import (
    GREY,
    MAX_UNRANKED_ROWS,
    plot_coverage,
    plot_groups,
    plot_ranks,
    plot_trend,
)
from bhrscore.rubric import score

from .rubric_support import AS_OF, evset, indicator, rec, rubric

ROOT = Path(__file__).resolve().parents[1]
COUNT = {"aggregate": "count", "scale": {"type": "linear", "lower": 0, "upper": 1}}
WAGE = {"amount": 100.0, "currency": "KZT", "pay_period": "month"}
POLICY = {"statement_type": "policy_commitment", "topics": ["living_wage"]}


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    plt.close("all")


def _card(uncertainty: bool = False, companies: tuple[str, ...] = ("a", "b", "c", "d")) -> Any:
    """Three one-indicator themes: dialogue .5, wages .3, statements .2 (missing: zero),
    min_coverage .5. a: dialogue + wages -> coverage .8, total 80; b: wages + statements ->
    .5, total 50; c: statements -> .2, total 20; d: nothing -> 0, total 0. Ranked: a 1, b 2."""
    rub = rubric(
        [
            indicator("dialogue", {"select": {"kind": "union_dialogue"}, **COUNT}, 0.5),
            indicator("wages", {"select": {"kind": "wage"}, **COUNT}, 0.3),
            indicator("statements", {"select": {"kind": "statement"}, **COUNT}, 0.2),
        ],
        min_coverage=0.5,
    )
    records = [
        rec("union_dialogue", "d-a", "a", event="meeting"),
        rec("wage", "w-a", "a", **WAGE),
        rec("wage", "w-b", "b", **WAGE),
        rec("statement", "s-b", "b", **POLICY),
        rec("statement", "s-c", "c", **POLICY),
    ]
    return score(evset(records, companies), rub, AS_OF, uncertainty=uncertainty)


def _labels(ax: Any) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


def _segments(ax: Any) -> list[tuple[float, float, float]]:
    """(y, x from, x to) of every horizontal interval line drawn by hlines."""
    out = []
    for coll in ax.collections:
        for seg in coll.get_segments():
            (x0, y0), (x1, _) = seg
            out.append((float(y0), float(x0), float(x1)))
    return sorted(out)


def _points(ax: Any) -> list[tuple[float, float]]:
    """(x, y) of every marker drawn (lines with a marker and no line style)."""
    pts = []
    for line in ax.get_lines():
        if line.get_marker() not in (None, "None", "") and line.get_linestyle() == "None":
            xs, ys = line.get_data()
            pts += [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
    return sorted(pts)


def _groups(rows: list[dict[str, Any]]) -> Comparison:
    frame = pd.DataFrame(rows)
    for col, dtype in GROUP_COLUMNS.items():
        if col not in frame:
            frame[col] = pd.NA
        frame[col] = frame[col].astype(dtype)
    return Comparison(
        groups=frame,
        pairwise=pd.DataFrame(),
        units=pd.DataFrame(),
        by=("origin_group",),
        within=(),
        metric="total",
        options={"min_n_interval": 8},
    )


def test_plot_groups_draws_means_intervals_and_n_in_labels() -> None:
    cmp = _groups(
        [
            {"stratum": "all", "group": "western", "n": 9, "mean": 60.0, "ci_low": 50.0,
             "ci_high": 70.0, "ci_level": 0.95, "small_group": False},
            {"stratum": "all", "group": "china", "n": 10, "mean": 40.0, "ci_low": 35.0,
             "ci_high": 47.0, "ci_level": 0.95, "small_group": False},
            {"stratum": "all", "group": "domestic", "n": 3, "mean": 55.0, "ci_low": None,
             "ci_high": None, "ci_level": 0.95, "small_group": True},
            {"stratum": "all", "group": "other", "n": 0, "mean": None, "ci_low": None,
             "ci_high": None, "ci_level": 0.95, "small_group": True},
        ]
    )  # fmt: skip
    ax = plot_groups(cmp)
    # sorted by mean, highest first; a group without a score last
    assert _labels(ax) == [
        "western (n=9)",
        "domestic (n=3)",
        "china (n=10)",
        "other (n=0, no score)",
    ]
    assert _points(ax) == [(40.0, 2.0), (55.0, 1.0), (60.0, 0.0)]
    # intervals only where the comparison has one (domestic has n < 8: none)
    assert _segments(ax) == [(0.0, 50.0, 70.0), (2.0, 35.0, 47.0)]
    assert "95% bootstrap interval; none below n=8" in ax.get_xlabel()
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # first row at the top
    small = [ln for ln in ax.get_lines() if to_hex(ln.get_color()) == GREY]
    assert [tuple(ln.get_xdata()) for ln in small if len(ln.get_xdata())] == [(55.0,)]


def test_plot_groups_on_a_real_comparison_labels_every_stratum() -> None:
    frames = bhrscore.synthetic_frames(40, 800, seed=3)
    card = score(frames, bhrscore.default_rubric(), dt.date(2025, 1, 1), uncertainty=False)
    cmp = bhrscore.compare(
        card, by="origin_group", within="ownership", resamples=50, permutations=50
    )
    ax = plot_groups(cmp)
    labels = _labels(ax)
    assert len(labels) == len(cmp.groups)
    sub = plot_groups(cmp, strata=[str(cmp.groups["stratum"].iloc[0])])
    assert len(_labels(sub)) == int((cmp.groups["stratum"] == cmp.groups["stratum"].iloc[0]).sum())
    with pytest.raises(KeyError, match="no stratum 'nope'"):
        plot_groups(cmp, strata=["nope"])
    for stratum, group, n in zip(
        cmp.groups["stratum"], cmp.groups["group"], cmp.groups["n"], strict=True
    ):
        assert any(lab.startswith(f"{stratum}: {group} (n={n}") for lab in labels)


def test_plot_ranks_places_only_ranked_companies_and_lists_the_others_in_grey() -> None:
    card = _card()
    ax = plot_ranks(card)
    assert _labels(ax) == [
        "a",
        "b",
        "c (not ranked: insufficient evidence)",
        "d (not ranked: insufficient evidence)",
    ]
    # a at rank 1 on row 0, b at rank 2 on row 1; nothing drawn for c and d
    assert _points(ax) == [(1.0, 0.0), (2.0, 1.0)]
    colours = [to_hex(t.get_color()) for t in ax.get_yticklabels()]
    assert colours[2:] == [GREY, GREY]
    assert GREY not in colours[:2]
    assert "2 ranked of 4" in ax.get_xlabel()


def test_plot_ranks_draws_the_rank_intervals_of_the_card() -> None:
    card = _card(uncertainty=True)
    ax = plot_ranks(card)
    comp = card.companies.set_index("company_id")
    want = [
        (float(row), float(comp.loc[c, "rank_low"]), float(comp.loc[c, "rank_high"]))
        for row, c in enumerate(["a", "b"])
    ]
    assert _segments(ax) == want
    assert all(1 <= lo <= hi <= 2 for _, lo, hi in want)  # only two companies are ranked


def test_plot_ranks_summarises_many_unranked_companies_in_one_row() -> None:
    ids = ("a", "b", "c", *(f"z{i:02d}" for i in range(MAX_UNRANKED_ROWS)))
    card = _card(companies=ids)
    ax = plot_ranks(card, top=1)
    # top=1: a only; c and the z companies (no records, coverage 0) are insufficient
    assert _labels(ax) == ["a", f"not ranked: {MAX_UNRANKED_ROWS + 1} insufficient evidence"]


def test_plot_coverage_bars_minimum_line_and_grey_insufficient() -> None:
    card = _card()
    ax = plot_coverage(card)
    assert _labels(ax) == ["a", "b", "c (insufficient)", "d (insufficient)"]
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([80.0, 50.0, 20.0, 0.0])  # coverage .8, .5, .2, 0
    colours = [to_hex(p.get_facecolor()) for p in ax.patches]
    assert colours[2:] == [GREY, GREY]
    assert GREY not in colours[:2]
    minimum = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert [tuple(ln.get_xdata()) for ln in minimum] == [(50.0, 50.0)]


def test_plot_trend_one_line_per_company_hollow_when_insufficient() -> None:
    table = pd.DataFrame(
        {
            "company_id": ["a", "a", "b", "b"],
            "name": ["A", "A", "B", "B"],
            "as_of": pd.to_datetime(["2020-01-01", "2024-01-01"] * 2),
            "total": [10.0, 60.0, 30.0, 35.0],
            "sufficient": [False, True, True, True],
        }
    )
    ax = plot_trend(table)
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    assert [ln.get_label() for ln in lines] == ["a", "b"]
    assert [list(ln.get_ydata()) for ln in lines] == [[10.0, 60.0], [30.0, 35.0]]
    hollow = [
        ln
        for ln in ax.get_lines()
        if ln.get_linestyle() == "None"
        and ln.get_markerfacecolor() == "white"
        and len(ln.get_ydata())
    ]
    assert [list(ln.get_ydata()) for ln in hollow] == [[10.0]]  # a in 2020 only
    with pytest.raises(KeyError, match="no company 'x'"):
        plot_trend(table, companies=["x"])
    with pytest.raises(KeyError, match="no column 'theme:nope'"):
        plot_trend(table, value="theme:nope")


def test_plot_trend_on_bhrscore_trend() -> None:
    records = [
        rec("union_dialogue", "d-2015", "a", date="2015-06-01", event="meeting"),
        rec("wage", "w-2020", "a", date="2020-06-01", **WAGE),
    ]
    rub = rubric(
        [
            indicator("dialogue", {"select": {"kind": "union_dialogue"}, **COUNT}, 0.5),
            indicator("wages", {"select": {"kind": "wage"}, **COUNT}, 0.5),
        ]
    )
    table = bhrscore.trend(evset(records, ("a",)), rub, [dt.date(2016, 1, 1), dt.date(2021, 1, 1)])
    ax = plot_trend(table, value="total")
    (line,) = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    # 2016: dialogue 100 x .5 + wages 0 x .5 = 50; 2021: both 100 -> 100
    assert list(line.get_ydata()) == [50.0, 100.0]


@pytest.mark.parametrize(
    ("draw", "arg"),
    [(plot_ranks, "card"), (plot_coverage, "card"), (plot_groups, "cmp"), (plot_trend, "trend")],
)
def test_plots_use_the_given_axes_never_show_and_keep_the_backend(
    draw: Any, arg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = _card()
    inputs = {
        "card": card,
        "cmp": bhrscore.compare(card, by="origin_group", include_insufficient=True,
                                resamples=20, permutations=20),
        "trend": bhrscore.trend(evset([rec("wage", "w", "a", **WAGE)]), card.rubric, [AS_OF]),
    }  # fmt: skip

    def no_show(*_: Any, **__: Any) -> None:
        raise AssertionError("plt.show() called")

    monkeypatch.setattr(plt, "show", no_show)
    backend = matplotlib.get_backend()
    fig, axes = plt.subplots(1, 2)
    before = len(plt.get_fignums())
    assert draw(inputs[arg], ax=axes[1]) is axes[1]
    assert len(plt.get_fignums()) == before  # no new figure
    assert axes[1].has_data()
    assert not axes[0].has_data()
    new = draw(inputs[arg])
    assert new.figure is not fig
    assert len(plt.get_fignums()) == before + 1
    assert matplotlib.get_backend() == backend


def _png(draw: Any, data: Any) -> bytes:
    ax = draw(data)
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=60, metadata={"Software": None})
    return buf.getvalue()


def test_plots_are_deterministic() -> None:
    card = _card(uncertainty=True)
    for draw in (plot_ranks, plot_coverage):
        assert _png(draw, card) == _png(draw, card)


def test_importing_the_plot_module_does_not_import_matplotlib() -> None:
    code = (
        "import sys, bhrscore.plot, bhrscore; bhrscore.plot_ranks;"
        " print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_missing_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # import raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'bhrscore\[plot\]'"):
        plot_coverage(_card())


def test_no_backend_is_chosen_in_the_package_or_the_notebooks() -> None:
    places = [
        *sorted((ROOT / "src" / "bhrscore").rglob("*.py")),
        *sorted((ROOT / "notebooks").glob("*.ipynb")),
    ]
    offenders = [p.name for p in places if "matplotlib.use(" in p.read_text("utf-8")]
    assert offenders == []
    assert len(places) > 10
