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
        f"Rubric {meta.rubric_id} {meta.rubric_version} (sha256 {meta.rubric_hash[:12]}),"
        f" as of {meta.as_of.isoformat()}, evidence {meta.evidence_hash[:12]}",
        f"Policies: missing={pol.missing}, total = {pol.aggregation} mean of the themes,"
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
                    f" (weight {w:g}; {how} of {len(node.children or [])} children;"
                    f" coverage {_num(100 * n['coverage'], 0)}%)"
                )
                _node_penalties(lines, pens, node.id, n, pad)
                visit(node.children or [], depth + 1)
            else:
                ind = inds.loc[node.id]
                lines.append(f"{pad}{node.id} — {node.title}: {_num(ind['score'])} (weight {w:g})")
                lines.append(f"{pad}  rule: {node.rule.describe()}")
                if bool(ind["missing"]):
                    lines.append(f"{pad}  no evidence: {_missing_text(rubric, node.id, ind)}")
                else:
                    lines.append(
                        f"{pad}  raw {_num(ind['raw_value'], 4)} from"
                        f" {ind['evidence_count']} record(s) ({ind['status_mix']}):"
                        f" {_ids(tuple(ind['evidence_ids']))}"
                    )
                    if pd.isna(ind["score"]):
                        lines.append(f"{pad}  not applicable: left out, weight re-distributed")

    visit(rubric.tree, 1)
    total = nodes.loc[ROOT_ID]
    lines.append("")
    lines.append(f"total before penalties: {_num(total['score_before_penalties'])}")
    _node_penalties(lines, pens, ROOT_ID, total, "")
    lines.append(f"total: {_num(total['score'])}")
    return "\n".join(lines)


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
