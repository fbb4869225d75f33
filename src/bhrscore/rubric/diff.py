"""How scores, ranks and the rubric itself move between two rubric versions."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .model import Rubric
from .scorecard import ScoreCard

DIFF_COLUMNS: dict[str, str] = {
    "company_id": "string",
    "name": "string",
    "total_a": "Float64",
    "total_b": "Float64",
    "delta": "Float64",
    "rank_a": "Int64",
    "rank_b": "Int64",
    "rank_move": "Int64",  # positive = moved up (better rank under B)
}


def diff_scorecards(a: ScoreCard, b: ScoreCard) -> pd.DataFrame:
    """One row per company: totals and ranks under A and B, sorted by the size of the score
    change (largest first), then company id."""
    left = a.companies[["company_id", "name", "total", "rank"]]
    right = b.companies[["company_id", "total", "rank"]]
    merged = left.merge(right, on="company_id", how="outer", suffixes=("_a", "_b"))
    merged["delta"] = merged["total_b"] - merged["total_a"]
    merged["rank_move"] = merged["rank_a"] - merged["rank_b"]
    merged = merged.astype(DIFF_COLUMNS)[list(DIFF_COLUMNS)]
    size = merged["delta"].abs().fillna(-1.0)
    merged = merged.assign(_size=size).sort_values(
        ["_size", "company_id"], ascending=[False, True], kind="stable"
    )
    return merged.drop(columns="_size").reset_index(drop=True)


def theme_deltas(a: ScoreCard, b: ScoreCard) -> pd.DataFrame:
    """Mean theme score under A and B for themes present in either."""
    rows: list[dict[str, Any]] = []
    themes_a = {c for c in a.companies.columns if c.startswith("theme:")}
    themes_b = {c for c in b.companies.columns if c.startswith("theme:")}
    for col in sorted(themes_a | themes_b):
        mean_a = a.companies[col].mean() if col in themes_a else math.nan
        mean_b = b.companies[col].mean() if col in themes_b else math.nan
        rows.append({"theme": col.removeprefix("theme:"), "mean_a": mean_a, "mean_b": mean_b})
    return pd.DataFrame(rows, columns=["theme", "mean_a", "mean_b"])


def _missing(value: Any) -> str:
    """A node's missing-data rule in words (``None``: inherited from its parent)."""
    if value is None:
        return "inherited"
    describe = getattr(value, "describe", None)
    return (
        str(describe())
        if callable(describe)
        else f"{value:g}"
        if isinstance(value, float)
        else str(value)
    )


def rubric_changes(a: Rubric, b: Rubric) -> list[str]:
    """Readable list of what changed between two rubrics: identity, policies, nodes added
    or removed, weights, aggregations, rules and penalties."""
    out: list[str] = []
    if (a.id, a.version) != (b.id, b.version):
        out.append(f"rubric {a.id} {a.version} -> {b.id} {b.version}")
    pa, pb = a.policies.model_dump(mode="json"), b.policies.model_dump(mode="json")
    for key in sorted(set(pa) | set(pb)):
        if pa.get(key) != pb.get(key):
            out.append(f"policy {key}: {pa.get(key)} -> {pb.get(key)}")
    na, nb = a.node_info(), b.node_info()
    for node_id in sorted(set(na) - set(nb)):
        out.append(f"node removed: {node_id}")
    for node_id in sorted(set(nb) - set(na)):
        out.append(f"node added: {node_id} (under {nb[node_id].parent_id})")
    for node_id in sorted(set(na) & set(nb)):
        x, y = na[node_id], nb[node_id]
        if x.parent_id != y.parent_id:
            out.append(f"node {node_id} moved: {x.parent_id} -> {y.parent_id}")
        if not math.isclose(x.weight, y.weight, abs_tol=1e-12):
            out.append(f"weight {node_id}: {x.weight:g} -> {y.weight:g}")
        if x.node.aggregation != y.node.aggregation:
            out.append(f"aggregation {node_id}: {x.node.aggregation} -> {y.node.aggregation}")
        if x.node.missing != y.node.missing:
            out.append(
                f"missing {node_id}: {_missing(x.node.missing)} -> {_missing(y.node.missing)}"
            )
        rx = x.node.rule.model_dump(mode="json") if x.node.rule else None
        ry = y.node.rule.model_dump(mode="json") if y.node.rule else None
        if rx != ry:
            out.append(f"rule {node_id} changed")
    pen_a = {p.id: p.model_dump(mode="json") for p in a.penalties}
    pen_b = {p.id: p.model_dump(mode="json") for p in b.penalties}
    for pid in sorted(set(pen_a) | set(pen_b)):
        if pid not in pen_b:
            out.append(f"penalty removed: {pid}")
        elif pid not in pen_a:
            out.append(f"penalty added: {pid}")
        elif pen_a[pid] != pen_b[pid]:
            out.append(f"penalty {pid} changed")
    return out
