"""A readable account of how one company's total was reached."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from .model import ROOT_ID, Node

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


def explain(card: ScoreCard, company_id: str) -> str:
    """Theme scores and weights, indicator scores with their evidence ids, penalties."""
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
        f" of {len(card.companies)}, coverage {_num(100 * company['coverage'], 0)}%",
        *_uncertainty_lines(card, company),
        f"Rubric {meta.rubric_id} {meta.rubric_version} (sha256 {meta.rubric_hash[:12]}),"
        f" as of {meta.as_of.isoformat()}, evidence {meta.evidence_hash[:12]}",
        f"Policies: missing={pol.missing}, total = {_how(pol.aggregation)} of the themes,"
        f" window={_window(pol)}, decay={_decay(pol)}",
        "",
    ]

    def visit(children: list[Node], depth: int) -> None:
        pad = "  " * depth
        for node in children:
            w = info[node.id].weight
            if node.rule is None:
                n = nodes.loc[node.id]
                how = node.aggregation or pol.aggregation
                lines.append(
                    f"{pad}{node.id} — {node.title}: {_num(n['score'])}"
                    f" ({_share(node, w, n['score'])}; {_how(how)} of"
                    f" {len(node.children or [])} children;"
                    f" coverage {_num(100 * n['coverage'], 0)}%)"
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
                status = ind["status"] if "status" in ind.index else None
                if bool(ind["missing"]):
                    lines.append(f"{pad}  no evidence: {_missing_text(rubric, node.id, ind)}")
                elif status == "not_applicable" or pd.isna(ind["score"]):
                    lines.append(
                        f"{pad}  not applicable, from {ind['evidence_count']} record(s)"
                        f" ({ind['status_mix']}): {_ids(tuple(ind['evidence_ids']))};"
                        " left out of the denominator, weight re-distributed"
                    )
                else:
                    lines.append(
                        f"{pad}  raw {_num(ind['raw_value'], 4)} from"
                        f" {ind['evidence_count']} record(s) ({ind['status_mix']}):"
                        f" {_ids(tuple(ind['evidence_ids']))}"
                    )

    visit(rubric.tree, 1)
    total = nodes.loc[ROOT_ID]
    lines.append("")
    lines.append(f"total before penalties: {_num(total['score_before_penalties'])}")
    _node_penalties(lines, pens, ROOT_ID, total, "")
    lines.append(f"total: {_num(total['score'])}")
    return "\n".join(lines)


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
    from .node_aggregations import node_aggregations

    entry = node_aggregations().get(name)
    return f"{name} ({entry.description.lower()})" if entry and entry.description else name


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


def _missing_text(rubric: Any, node_id: str, ind: Any) -> str:
    if pd.isna(ind["score"]):
        return "excluded, weight re-distributed among siblings"
    return f"scored {_num(ind['score'])} by the missing-data policy"


def _window(pol: Any) -> str:
    if pol.window is None:
        return "none"
    return f"{pol.window.years} years" if pol.window.years else f"{pol.window.days} days"


def _decay(pol: Any) -> str:
    return "none" if pol.decay is None else f"half-life {pol.decay.half_life_years:g} years"
