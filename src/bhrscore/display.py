"""Rich display in notebooks: small HTML tables for score cards, comparisons and explanations.

``ScoreCard``, ``Comparison`` and ``Explanation`` have ``_repr_html_`` methods that call the
functions here, so Jupyter shows them as tables. The markup is plain, well-formed XHTML (no
script, no style sheet, no entity other than XML's own) and every text from data (company
names, rubric titles, reasons, warnings) is escaped with :func:`html.escape`: a company named
``<script>`` shows as text. Long tables are cut at :data:`MAX_ROWS` rows (only those are
formatted), saying how many were left out; the full tables stay in the objects
(``card.companies``, ``comparison.groups``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from .rubric.sufficiency import percent_floor

if TYPE_CHECKING:
    from .analysis.compare import Comparison
    from .rubric.scorecard import ScoreCard

#: rows shown per table; the rest is counted in a note
MAX_ROWS = 40

#: the start of a row for each row style of :func:`table`
_ROW = {"": "<tr>", "grey": '<tr style="color: #777">', "bold": '<tr style="font-weight: bold">'}


def esc(value: Any) -> str:
    """``value`` as escaped text (missing values as ``n/a``)."""
    if _missing(value):
        return "n/a"
    return html.escape(str(value), quote=True)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def num(value: Any, digits: int = 1) -> str:
    """A number with ``digits`` decimals, ``n/a`` when missing."""
    return "n/a" if _missing(value) else f"{float(value):.{digits}f}"


def percent(value: Any) -> str:
    """A share (0-1) in whole percent, ``n/a`` when missing."""
    # rounded down, as the insufficiency reasons write coverage ("49% < 50%")
    return "n/a" if _missing(value) else f"{percent_floor(float(value))}%"


def interval(low: Any, high: Any, digits: int = 1) -> str:
    """``low–high``, or ``n/a`` when either end is missing."""
    if _missing(low) or _missing(high):
        return "n/a"
    return f"{float(low):.{digits}f}–{float(high):.{digits}f}"


def rank_interval(low: Any, high: Any) -> str:
    if _missing(low) or _missing(high):
        return "n/a"
    return f"{int(low)}–{int(high)}"


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    styles: Sequence[str] = (),
    total: int | None = None,
) -> str:
    """An HTML table of already escaped cells (headers are escaped here). ``styles`` gives
    each row ``""``, ``"grey"`` (e.g. a company that is not ranked) or ``"bold"`` (a theme
    row). ``total`` is the number of rows of the whole table when ``rows`` are its first
    ones: a note says how many were left out."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        tr = _ROW[styles[i] if i < len(styles) else ""]
        body.append(tr + "".join(f"<td>{value}</td>" for value in row) + "</tr>")
    left = 0 if total is None else max(0, total - len(rows))
    note = f"<p><i>{left} more rows not shown.</i></p>" if left else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"


def paragraph(text: str) -> str:
    return f"<p>{esc(text)}</p>"


def scorecard_html(card: ScoreCard) -> str:
    """The companies of a score card: ranked first (by rank), then the others; total and its
    interval, rank and its interval, coverage, and why a company is not ranked."""
    meta = card.meta
    comp = card.companies.copy()
    comp["_rank"] = pd.to_numeric(comp["rank"], errors="coerce").astype("float64")
    comp = comp.sort_values(["_rank", "company_id"], na_position="last", kind="stable")
    ranked = int(comp["rank"].notna().sum())
    sufficient = comp.get("sufficient", pd.Series(True, index=comp.index))
    insufficient = ~sufficient.astype("boolean").fillna(True).to_numpy(dtype=bool)
    options = meta.options.get("uncertainty") or {}
    level = f"{100 * float(options['level']):g}% " if options.get("method") else ""
    head = (
        f"Score card: rubric {meta.rubric_id} {meta.rubric_version}, as of"
        f" {meta.as_of.isoformat()}; {len(comp)} companies, {ranked} ranked,"
        f" {int(insufficient.sum())} with insufficient evidence (not ranked)"
    )
    rows = []
    records: list[dict[Any, Any]] = comp.head(MAX_ROWS).to_dict("records")
    for r, short in zip(records, insufficient[:MAX_ROWS], strict=True):
        reason = r.get("insufficient_reason")
        rows.append(
            [
                esc(r["company_id"]),
                esc(r.get("name")),
                num(r["total"]),
                interval(r.get("total_low"), r.get("total_high")),
                "n/a" if _missing(r["rank"]) else str(int(r["rank"])),
                rank_interval(r.get("rank_low"), r.get("rank_high")),
                percent(r["coverage"]),
                esc(reason) if short else "",
            ]
        )
    headers = [
        "company",
        "name",
        "total",
        f"{level}interval",
        "rank",
        "rank interval",
        "coverage",
        "not ranked because",
    ]
    styles = ["grey" if x else "" for x in insufficient]
    return f"<div>{paragraph(head)}{table(headers, rows, styles, len(comp))}</div>"


def comparison_html(comparison: Comparison) -> str:
    """Groups (n, mean, interval, median, coverage, warning) and pairs (difference, its
    interval, p-values) of a comparison, after the lines that say how groups were formed."""
    groups = comparison.groups
    strata = "stratum" in groups.columns and bool((groups["stratum"] != "all").any())
    lead = ["stratum"] if strata else []
    head = f"Comparison of {comparison.metric} by {' / '.join(comparison.by)}" + (
        f" within {' / '.join(comparison.within)}" if comparison.within else ""
    )
    g_rows = [
        [
            *([esc(r["stratum"])] if strata else []),
            esc(r["group"]),
            esc(r["n"]),
            num(r["mean"]),
            interval(r["ci_low"], r["ci_high"]),
            num(r["median"]),
            percent(r["coverage_mean"]),
            esc(r["warning"]) if not _missing(r["warning"]) else "",
        ]
        for _, r in groups.head(MAX_ROWS).iterrows()
    ]
    level = groups["ci_level"].dropna().unique()
    ci = f"{100 * float(level[0]):g}% interval" if len(level) == 1 else "interval"
    parts = [
        paragraph(head),
        *(paragraph(line) for line in comparison.describe()),
        table(
            [*lead, "group", "n", "mean", ci, "median", "coverage", "warning"],
            g_rows,
            ["grey" if x else "" for x in groups["small_group"].astype("boolean").fillna(False)],
            len(groups),
        ),
    ]
    pairs = comparison.pairwise
    if len(pairs):
        p_rows = [
            [
                *([esc(r["stratum"])] if strata else []),
                f"{esc(r['group_a'])} − {esc(r['group_b'])}",
                f"{esc(r['n_a'])} / {esc(r['n_b'])}",
                num(r["diff"]),
                interval(r["diff_ci_low"], r["diff_ci_high"]),
                num(r["p_value"], 3),
                num(r["p_adjusted"], 3),
                esc(r["significant"]),
                esc(r["warning"]) if not _missing(r["warning"]) else "",
            ]
            for _, r in pairs.head(MAX_ROWS).iterrows()
        ]
        correction = esc(pairs["correction"].iloc[0])
        parts.append(
            table(
                [
                    *lead,
                    "a − b",
                    "n a / b",
                    "difference",
                    ci,
                    "p",
                    f"p adjusted ({correction})",
                    "significant",
                    "warning",
                ],
                p_rows,
                total=len(pairs),
            )
        )
    return f"<div>{''.join(parts)}</div>"


def explanation_html(text: str, card: ScoreCard | None, company_id: str) -> str:
    """A headline (total, interval, rank, coverage, why not ranked), one row per theme and
    indicator with its score and what it rests on (its ``basis``), and the full text."""
    parts = []
    if card is not None:
        parts.append(_explanation_tables(card, company_id))
    parts.append(
        "<details><summary>Full account</summary>"
        f'<pre style="white-space: pre-wrap">{esc(text)}</pre></details>'
    )
    return f"<div>{''.join(parts)}</div>"


def _explanation_tables(card: ScoreCard, company_id: str) -> str:
    comp = card.companies
    company: dict[Any, Any] = comp.loc[comp["company_id"] == company_id].iloc[0].to_dict()
    get = company.get
    head = (
        f"{esc(get('name'))} ({esc(company_id)}): total <b>{num(company['total'], 2)}</b>"
        f" (interval {interval(get('total_low'), get('total_high'), 2)}),"
        f" rank {'n/a' if _missing(company['rank']) else int(company['rank'])}"
        f" of {len(comp)} (interval {rank_interval(get('rank_low'), get('rank_high'))}),"
        f" coverage {percent(company['coverage'])}"
    )
    parts = [f"<p>{head}</p>"]
    sufficient = get("sufficient")
    if not _missing(sufficient) and not bool(sufficient):
        parts.append(
            "<p><b>Insufficient evidence, not ranked:</b>"
            f" {esc(get('insufficient_reason'))} (the total is partial)</p>"
        )
    meta = card.meta
    parts.append(
        paragraph(f"Rubric {meta.rubric_id} {meta.rubric_version}, as of {meta.as_of.isoformat()}")
    )
    nodes = card.nodes[card.nodes["company_id"] == company_id].set_index("node_id")
    inds = card.indicators[card.indicators["company_id"] == company_id].set_index("indicator_id")
    rows = []
    styles = []
    for info in card.rubric.walk():
        node = info.node
        pad = "&#160;&#160;" * max(0, info.depth - 1)
        label = f"{pad}{esc(node.id)}"
        if node.rule is None:
            n = nodes.loc[node.id]
            rows.append([label, esc(node.title), num(n["score"]), "", percent(n["coverage"]), ""])
            styles.append("bold")
        else:
            i = inds.loc[node.id]
            rows.append(
                [
                    label,
                    esc(node.title),
                    num(i["score"]),
                    esc(i.get("basis")),
                    "",
                    esc(i["evidence_count"]),
                ]
            )
            styles.append("")
    headers = ["node", "title", "score", "basis", "coverage", "records"]
    parts.append(table(headers, rows, styles))
    return "".join(parts)
