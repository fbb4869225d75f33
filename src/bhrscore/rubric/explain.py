"""A readable account of how one company's total was reached, and of what it did not use."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from .model import ROOT_ID, Node
from .node_aggregations import node_aggregations
from .screening import Screened

if TYPE_CHECKING:
    from .scorecard import ScoreCard

MAX_IDS = 8


def _num(value: Any, digits: int = 2) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{float(value):.{digits}f}"


def _ids(ids: tuple[str, ...]) -> str:
    shown = ", ".join(ids[:MAX_IDS])
    return shown + (f" … (+{len(ids) - MAX_IDS})" if len(ids) > MAX_IDS else "")


class Explanation(str):
    """The text of :func:`explain`, with a rich display in notebooks.

    It *is* that text (a ``str`` subclass): ``print()``, ``in``, ``splitlines()`` and
    comparisons behave as before, and ``str(explanation)`` is exactly the text. Jupyter shows
    ``_repr_html_`` instead: a headline with the total, its interval, the rank and its
    interval, coverage and why the company is not ranked, one row per theme and indicator with
    its score and ``basis``, and the full text (every piece escaped). The HTML holds nothing
    the text and the score card's tables do not.
    """

    card: ScoreCard | None
    company_id: str

    def __new__(cls, text: str, card: ScoreCard | None = None, company_id: str = "") -> Explanation:
        self = super().__new__(cls, text)
        self.card = card
        self.company_id = company_id
        return self

    def __reduce__(self) -> tuple[type[Explanation], tuple[str]]:
        """Pickled and copied as its text alone (the card it points to may not pickle)."""
        return (Explanation, (str(self),))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's plain-text display: the text itself, not its quoted ``repr``."""
        printer.text(str(self))

    def _repr_html_(self) -> str:
        from ..display import explanation_html

        return explanation_html(str(self), self.card, self.company_id)


def explain(card: ScoreCard, company_id: str) -> Explanation:
    """Theme scores and weights, indicator scores with their evidence ids, penalties (an
    :class:`Explanation`: the text, with an HTML display in notebooks)."""
    row = card.companies.loc[card.companies["company_id"] == company_id]
    if row.empty:
        raise KeyError(f"no company {company_id!r} in this score card")
    company = row.iloc[0]
    rubric = card.rubric
    meta = card.meta
    nodes = card.nodes[card.nodes["company_id"] == company_id].set_index("node_id")
    inds = card.indicators[card.indicators["company_id"] == company_id].set_index("indicator_id")
    pens = card.penalties[card.penalties["company_id"] == company_id]
    info = rubric.node_info()
    pol = rubric.policies

    lines = [
        f"{company['name']} ({company_id}): total {_num(company['total'])}"
        f" (before penalties {_num(company['total_before_penalties'])}),"
        f" rank {company['rank'] if not pd.isna(company['rank']) else 'n/a'}"
        f" of {len(card.companies)}, coverage {_coverage(company['coverage'])}",
        *_sufficiency(company),
        *_uncertainty_lines(card, company),
        f"Rubric {meta.rubric_id} {meta.rubric_version} (sha256 {meta.rubric_hash[:12]}),"
        f" as of {meta.as_of.isoformat()}, evidence {meta.evidence_hash[:12]}",
        f"Policies: missing={pol.missing}, total = {pol.aggregation} of the themes"
        f"{_how(pol.aggregation)},"
        f" window={_window(pol)}, decay={_decay(pol)},"
        f" min coverage {_num(100 * pol.min_coverage, 0)}%",
        "",
    ]
    missing_of = _missing_rules(rubric)

    def visit(children: list[Node], depth: int) -> None:
        pad = "  " * depth
        for node in children:
            w = info[node.id].weight
            if node.rule is None:
                n = nodes.loc[node.id]
                how = node.aggregation or pol.aggregation
                lines.append(
                    f"{pad}{node.id} — {node.title}: {_num(n['score'])}"
                    f" ({_share(node, w, n['score'])}; {how} of"
                    f" {len(node.children or [])} children;"
                    f" coverage {_coverage(n['coverage'])})"
                )
                _when_line(lines, node, n, pad)
                _node_penalties(lines, pens, node.id, n, pad)
                visit(node.children or [], depth + 1)
            else:
                ind = inds.loc[node.id]
                lines.append(
                    f"{pad}{node.id} — {node.title}: {_num(ind['score'])}"
                    f" ({_share(node, w, ind['score'])})"
                )
                lines.append(f"{pad}  rule: {node.rule.describe()}")
                lines.extend(f"{pad}  {t}" for t in _indicator_text(ind, missing_of[node.id]))

    visit(rubric.tree, 1)
    total = nodes.loc[ROOT_ID]
    lines.append("")
    lines.append(f"total before penalties: {_num(total['score_before_penalties'])}")
    _node_penalties(lines, pens, ROOT_ID, total, "")
    lines.append(f"total: {_num(total['score'])}")
    lines += _unused_text(card, company_id)
    return Explanation("\n".join(lines), card, company_id)


def _sufficiency(company: Any) -> list[str]:
    if "sufficient" not in company.index or pd.isna(company["sufficient"]):
        return []
    if bool(company["sufficient"]):
        return []
    return [
        f"Insufficient evidence, not ranked: {company['insufficient_reason']}"
        " (the total above is partial)"
    ]


def _missing_rules(rubric: Any) -> dict[str, Any]:
    out: dict[str, Any] = {ROOT_ID: rubric.policies.missing}
    for info in rubric.walk():
        own = info.node.missing
        out[info.node.id] = own if own is not None else out[info.parent_id]
    return out


def _evidence_text(ind: Any) -> str:
    return (
        f"{ind['evidence_count']} record(s) ({ind['status_mix']}):"
        f" {_ids(tuple(ind['evidence_ids']))}"
    )


def _indicator_text(ind: Any, rule: Any) -> list[str]:
    """What an indicator's score rests on (its ``basis``), in words."""
    basis = ind["basis"] if "basis" in ind.index and not pd.isna(ind["basis"]) else None
    if basis is None:
        basis = "policy" if bool(ind["missing"]) else "evidence"
    if basis == "screening":
        return [f"no incident recorded; screened (null finding): {_evidence_text(ind)}"]
    if basis == "unknown":
        need = (
            f" for {', '.join(t.value for t in rule.topics)}" if isinstance(rule, Screened) else ""
        )
        if not bool(ind["missing"]):
            return [
                "unknown: silence no screening backs (not scored, not covered);"
                f" records read: {_evidence_text(ind)}"
            ]
        return [f"unknown: nothing recorded and no screening{need} (not scored, not covered)"]
    if basis == "excluded":
        return ["no evidence: excluded, weight re-distributed among siblings"]
    if basis == "policy" and isinstance(rule, Screened):
        topics = ", ".join(t.value for t in rule.topics)
        return [f"no evidence and no screening for {topics}: scored {_num(ind['score'])}"]
    if basis == "policy":
        return [f"no evidence: scored {_num(ind['score'])} by the missing-data policy"]
    if basis == "not_applicable" or pd.isna(ind["score"]):
        return [
            f"not applicable, from {_evidence_text(ind)};"
            " left out of the denominator, weight re-distributed"
        ]
    return [f"raw {_num(ind['raw_value'], 4)} from {_evidence_text(ind)}"]


def _unused_text(card: ScoreCard, company_id: str) -> list[str]:
    """The company's records the score did not use, one line each, and the group-level
    testimony of the evidence set (never scored)."""
    unused = card.unused
    if unused.empty:
        return []
    company = unused["company_id"].astype("string")
    mine = unused[(company == company_id).to_numpy(dtype=bool, na_value=False)]
    group = unused[company.isna().to_numpy(dtype=bool)]
    lines: list[str] = []
    if len(mine):
        lines += ["", f"Records of {company_id} not used ({len(mine)}):"]
        for row in mine.itertuples(index=False):
            when: Any = row.date
            day = "" if pd.isna(when) else f", {pd.Timestamp(when).date().isoformat()}"
            lines.append(f"  {row.evidence_id} ({row.kind}{day}): {row.reason}: {row.detail}")
    if len(group):
        ids = tuple(str(i) for i in group["evidence_id"])
        lines += [
            "",
            f"Group-level testimony in the evidence set, never scored ({len(group)}): {_ids(ids)}",
        ]
    return lines


def _uncertainty_lines(card: ScoreCard, company: Any) -> list[str]:
    """The interval of the total and the rank interval, with the method behind them."""
    options = card.meta.options.get("uncertainty") or {}
    if not options.get("method") or "total_low" not in company.index:
        return []
    level = f"{100 * float(options['level']):g}%"
    text = (
        f"{level} interval of the total {_num(company['total_low'])}"
        f" to {_num(company['total_high'])}"
    )
    if not pd.isna(company.get("rank_low", pd.NA)):
        text += f", rank {company['rank_low']} to {company['rank_high']}"
    return [
        f"{text} ({options['method']}: {options['replicates']} replicates of the company's"
        f" records, seed {options['seed']})"
    ]


def _how(name: str) -> str:
    """`` (the description)`` of a registered node aggregation, for the policies line."""
    entry = node_aggregations().get(name)
    return f" ({entry.description[:1].lower()}{entry.description[1:]})" if entry else ""


def _share(node: Node, weight: float, score: Any) -> str:
    """``weight 0.25`` or, for a node worth points, ``10 points, 6.50 earned``."""
    if node.points is None:
        return f"weight {weight:g}"
    earned = "n/a" if pd.isna(score) else f"{float(score) * node.points / 100:.2f}"
    return f"{node.points:g} points, {earned} earned"


def _when_line(lines: list[str], node: Node, n: Any, pad: str) -> None:
    if not node.when:
        return
    case = n.get("when", pd.NA)
    if pd.isna(case):
        lines.append(f"{pad}  weights: the node's own (no when case applies)")
        return
    evidence = n.get("when_evidence_ids")
    ids = _ids(tuple(evidence)) if isinstance(evidence, tuple) else "n/a"
    lines.append(f"{pad}  weights: when case {case}, because of {ids}")


def _node_penalties(lines: list[str], pens: pd.DataFrame, node_id: str, n: Any, pad: str) -> None:
    for _, p in pens[pens["node_id"] == node_id].iterrows():
        effect = (
            f"capped at {_num(p['cap'])}"
            if not pd.isna(p["cap"])
            else f"-{_num(p['points'])} points"
        )
        lines.append(
            f"{pad}  penalty {p['penalty_id']}: {effect}"
            f" (before penalties {_num(n['score_before_penalties'])}):"
            f" {_ids(tuple(p['evidence_ids']))}"
        )


def _window(pol: Any) -> str:
    if pol.window is None:
        return "none"
    return f"{pol.window.years} years" if pol.window.years else f"{pol.window.days} days"


def _decay(pol: Any) -> str:
    return "none" if pol.decay is None else f"half-life {pol.decay.half_life_years:g} years"


def _coverage(value: object) -> str:
    """Coverage in whole percent rounded down, as the insufficiency reasons write it."""
    from .sufficiency import percent_floor

    if not isinstance(value, int | float) or math.isnan(value):
        return "n/a"
    return f"{percent_floor(float(value))}%"
