"""The Companies sheet: one block per company in rank order (total, themes, indicators with
the evidence behind them, penalties)."""

from __future__ import annotations

import pandas as pd

from ..book import MAX_SHEET_ROWS, Sheet, Table, TableColumn
from .columns import ids
from .inputs import BriefingInputs
from .registry import COMPANIES, briefing_sheet


@briefing_sheet(COMPANIES, order=40)
def companies_sheet(inputs: BriefingInputs) -> Sheet:
    card = inputs.card
    c = inputs.companies[["company_id", "name", "rank"]]
    order = {cid: i for i, cid in enumerate(c["company_id"].tolist())}
    node_parent = node_theme(card.nodes)
    theme_order = {t: i for i, t in enumerate(inputs.theme_ids)}
    ind_order = {t: i for i, t in enumerate(inputs.indicator_ids)}

    nodes = card.nodes.copy()
    nodes["node_id"] = nodes["node_id"].astype("string")
    is_total = nodes["parent_id"].isna()
    node_rows = pd.DataFrame(
        {
            "company_id": nodes["company_id"].astype("string"),
            "level": ["total" if t else "theme" for t in is_total.tolist()],
            "item": nodes["node_id"],
            "theme": nodes["node_id"].map(node_parent).astype("string"),
            "score": nodes["score"],
            "before": nodes["score_before_penalties"],
            "coverage": nodes["coverage"],
            "_k1": [-1 if t else 0 for t in is_total.tolist()],
            "_k2": [theme_order.get(node_parent.get(n, n), 999) for n in nodes["node_id"]],
            "_k3": nodes["depth"].astype("float64").fillna(0),
        }
    )
    node_rows.loc[~is_total.to_numpy() & (nodes["depth"] > 1).to_numpy(), "level"] = "sub-theme"
    ind = card.indicators
    ind_rows = pd.DataFrame(
        {
            "company_id": ind["company_id"].astype("string"),
            "level": "indicator",
            "item": ind["indicator_id"].astype("string"),
            "theme": ind["theme_id"].astype("string"),
            "score": ind["score"],
            "raw": ind["raw_value"],
            "weight": ind["weight"],
            "evidence": ind["evidence_count"],
            "status_mix": ind["status_mix"],
            "evidence_ids": ind["evidence_ids"],
            "_k1": 0,
            "_k2": [theme_order.get(t, 999) for t in ind["theme_id"]],
            "_k3": [100 + ind_order.get(i, 999) for i in ind["indicator_id"]],
        }
    )
    pen = card.penalties
    pen_rows = pd.DataFrame(
        {
            "company_id": pen["company_id"].astype("string"),
            "level": "penalty",
            "item": pen["penalty_id"].astype("string"),
            "theme": pen["node_id"].astype("string"),
            "points": pen["points"],
            "cap": pen["cap"],
            "evidence_ids": pen["evidence_ids"],
            "_k1": 1,
            "_k2": 0,
            "_k3": 0,
        }
    )
    rows = pd.concat([node_rows, ind_rows, pen_rows], ignore_index=True)
    rows["_k0"] = rows["company_id"].map(order).astype("float64").fillna(float(len(order)))
    rows = rows.sort_values(["_k0", "_k1", "_k2", "_k3", "item"], kind="stable")
    rows = rows.reset_index(drop=True)
    names = inputs.names
    rank = pd.Series(c["rank"].to_numpy(), index=c["company_id"].to_numpy())
    capacity = MAX_SHEET_ROWS - 10
    note = None
    if len(rows) > capacity:
        note = (
            f"Showing the first {capacity:,} of {len(rows):,} rows; the full tables are in "
            "the score-card exports (bhrscore score --out)."
        )
        rows = rows.iloc[:capacity]

    def col(name: str) -> pd.Series:
        return rows[name] if name in rows else pd.Series([pd.NA] * len(rows), dtype="Float64")

    cols = [
        TableColumn.from_series("Rank", rows["company_id"].map(rank), "integer", width=6),
        TableColumn.from_series("Company id", rows["company_id"], width=16),
        TableColumn.from_series("Company", rows["company_id"].map(names), width=30),
        TableColumn.from_series("Level", rows["level"], width=10),
        TableColumn.from_series("Item", rows["item"], width=24),
        TableColumn.from_series("Title", rows["item"].map(dict(inputs.labels)), width=34),
        TableColumn.from_series("Theme / node", rows["theme"], width=18),
        TableColumn.from_series("Score", col("score"), "score", scale="score"),
        TableColumn.from_series("Before penalties", col("before"), "score"),
        TableColumn.from_series("Raw value", col("raw"), "number"),
        TableColumn.from_series("Weight", col("weight"), "number"),
        TableColumn.from_series("Coverage", col("coverage"), "percent"),
        TableColumn.from_series("Evidence", col("evidence"), "integer"),
        TableColumn.from_series("Status mix", col("status_mix").astype("string"), width=26),
        TableColumn.from_series("Penalty points", col("points"), "score"),
        TableColumn.from_series("Cap", col("cap"), "score"),
        TableColumn.from_series(
            "Evidence ids", ids(col("evidence_ids").astype("object")), width=40
        ),
    ]
    lines = [
        "One block per company (in rank order): its total, theme scores, indicator scores "
        "with the evidence behind them, and the penalties applied. Filter by Company id.",
    ]
    if note:
        lines.append(note)
    table = Table(cols, main=True, freeze_cols=3)
    return Sheet(COMPANIES, "Company profiles", [*lines, table])


def node_theme(nodes: pd.DataFrame) -> dict[str, str]:
    """node id -> its top-level theme (itself for themes; "total" for the root)."""
    pairs = nodes[["node_id", "parent_id"]].drop_duplicates("node_id")
    parent = {
        str(n): (None if pd.isna(p) else str(p))
        for n, p in zip(pairs["node_id"], pairs["parent_id"], strict=True)
    }
    out: dict[str, str] = {}
    for node in parent:
        current = node
        for _ in range(64):
            up = parent.get(current)
            if up is None or up == "total" or parent.get(up) is None:
                break
            current = up
        out[node] = current
    return out
