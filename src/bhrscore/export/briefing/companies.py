"""The Companies sheet: one block per company in rank order (total, themes, indicators with
the evidence behind them, penalties)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..book import MAX_SHEET_ROWS, Block, FileLink, Sheet, Table, TableColumn
from ..cells import list_array, text_dtype
from .columns import NO_RANK, ids, insufficient_mask, lookup, score_display
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
    nodes["node_id"] = nodes["node_id"].astype(text_dtype())
    is_total = nodes["parent_id"].isna()
    node_rows = pd.DataFrame(
        {
            "company_id": nodes["company_id"].astype(text_dtype()),
            "level": np.where(is_total.to_numpy(), "total", "theme"),
            "item": nodes["node_id"],
            "theme": lookup(nodes["node_id"], node_parent, text_dtype()),
            "score": nodes["score"],
            "before": nodes["score_before_penalties"],
            "coverage": nodes["coverage"],
            "_k1": np.where(is_total.to_numpy(), -1, 0),
            "_k2": _position(
                lookup(nodes["node_id"], node_parent, text_dtype()).fillna(nodes["node_id"]),
                theme_order,
            ),
            "_k3": nodes["depth"].astype("float64").fillna(0),
        }
    )
    node_rows.loc[~is_total.to_numpy() & (nodes["depth"] > 1).to_numpy(), "level"] = "sub-theme"
    ind = card.indicators
    ind_rows = pd.DataFrame(
        {
            "company_id": ind["company_id"].astype(text_dtype()),
            "level": "indicator",
            "item": ind["indicator_id"].astype(text_dtype()),
            "theme": ind["theme_id"].astype(text_dtype()),
            "score": ind["score"],
            "raw": ind["raw_value"],
            "weight": ind["weight"],
            "evidence": ind["evidence_count"],
            "status_mix": ind["status_mix"],
            "evidence_ids": ind["evidence_ids"],
            "basis": ind["basis"].astype(text_dtype()) if "basis" in ind else pd.NA,
            "_k1": 0,
            "_k2": _position(ind["theme_id"].astype(text_dtype()), theme_order),
            "_k3": 100 + _position(ind["indicator_id"].astype(text_dtype()), ind_order),
        }
    )
    pen = card.penalties
    pen_rows = pd.DataFrame(
        {
            "company_id": pen["company_id"].astype(text_dtype()),
            "level": "penalty",
            "item": pen["penalty_id"].astype(text_dtype()),
            "theme": pen["node_id"].astype(text_dtype()),
            "points": pen["points"],
            "cap": pen["cap"],
            "evidence_ids": pen["evidence_ids"],
            "_k1": 1,
            "_k2": 0,
            "_k3": 0,
        }
    )
    rows = pd.concat([node_rows, ind_rows, pen_rows], ignore_index=True)
    rows["_k0"] = lookup(rows["company_id"], order, "Float64").fillna(float(len(order)))
    rows = rows.sort_values(["_k0", "_k1", "_k2", "_k3", "item"], kind="stable")
    rows = rows.reset_index(drop=True)
    names = dict(zip(inputs.names.index.tolist(), inputs.names.tolist(), strict=True))
    rank = dict(zip(c["company_id"].tolist(), c["rank"].tolist(), strict=True))
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

    title = lookup(rows["item"], inputs.labels, text_dtype()).fillna(rows["item"])
    level_codes, level_names = pd.factorize(rows["level"])  # (a few levels, many rows)
    indent = pd.Series(
        _per_level(level_codes, level_names, _INDENT, ""), index=rows.index, dtype=text_dtype()
    )
    evidence_ids = col("evidence_ids").astype("object")
    lists = list_array(evidence_ids)  # (made once for two columns)
    score, notes = score_display(col("score"), col("basis").astype(text_dtype()))
    muted_ids = set(c["company_id"][insufficient_mask(inputs.companies)].tolist())
    muted = rows["company_id"].isin(muted_ids).to_numpy(dtype=bool).tolist()
    cols = [
        TableColumn.from_series(
            "Rank",
            lookup(rows["company_id"], rank, "Float64"),
            "integer",
            width=6,
            notes=pd.Series([NO_RANK] * len(rows), dtype=text_dtype()),
        ),
        TableColumn.from_series("Company id", rows["company_id"]),
        TableColumn.from_series(
            "Company",
            lookup(rows["company_id"], names, text_dtype()).where(rows["level"] == "total"),
            width=24,
        ),
        TableColumn.from_series("Level", rows["level"], width=9),
        TableColumn.from_series("Title", indent + title, width=36),
        TableColumn.from_series("Item", rows["item"]),
        TableColumn.from_series("Theme / node", rows["theme"], width=14),
        TableColumn.from_series("Score", score, "score", scale="score", notes=notes, width=11),
        TableColumn.from_series("Basis", col("basis").astype(text_dtype()), width=11),
        TableColumn.from_series("Before penalties", col("before"), "score"),
        TableColumn.from_series("Measured value", col("raw"), "number"),
        TableColumn.from_series("Weight", col("weight"), "number"),
        TableColumn.from_series("Coverage", col("coverage"), "percent"),
        TableColumn.from_series("Evidence", col("evidence"), "integer"),
        TableColumn.from_series("Status mix", col("status_mix").astype(text_dtype()), width=22),
        TableColumn.from_series("Penalty points", col("points"), "score"),
        TableColumn.from_series("Cap", col("cap"), "score"),
        TableColumn.from_series("Evidence ids", ids(evidence_ids, lists), width=30),
    ]
    levels = _per_level(level_codes, level_names, _OUTLINE, 1).tolist()
    lines: list[Block] = [
        "One block per company (in rank order): its total, theme scores, indicator scores "
        "with the evidence behind them, and the penalties applied. Use the outline buttons "
        "(left margin) to fold a company to its total and themes, or filter by Company id. "
        "Basis says what an indicator score rests on: evidence, screening (a documented null "
        "finding), policy (filled in by the missing-data policy, shown grey: '0.0 (policy)'), "
        "unknown (silence no screening covers: no score), not_applicable or excluded. "
        "Measured value: what the indicator's rule measured before it was scaled to 0-100 "
        "(e.g. a share of records or a wage ratio; Method gives each rule). The company's "
        "name is on its total row. Grey rows: insufficient evidence, no rank.",
    ]
    if note:
        lines.append(note)
    if inputs.overflow:
        where = evidence_location(inputs, evidence_ids, lists)
        cols.append(TableColumn.from_series("Evidence in", where, width=24))
        lines.append(
            FileLink(
                "Evidence records not on the Evidence sheet are in "
                f"{inputs.companion_name} beside this workbook (same ids); the Evidence in "
                "column says where each row's records are.",
                inputs.companion_name,
            )
        )
    table = Table(cols, main=True, freeze_cols=3, muted=muted, levels=levels)
    return Sheet(COMPANIES, "Company profiles", [*lines, table])


#: outline level of each kind of row: a company's total, then its themes and penalties, then
#: sub-themes and indicators (fold a company to its total with the outline buttons)
_OUTLINE = {"total": 0, "theme": 1, "penalty": 1, "sub-theme": 2, "indicator": 2}
#: titles are indented by level so the tree reads without the outline
_INDENT = {"total": "", "theme": "", "penalty": "", "sub-theme": "  ", "indicator": "    "}


def _per_level(codes: np.ndarray[Any, Any], names: Any, value: dict[str, Any], other: Any) -> Any:
    """``value`` of each row's level (``other`` for a level not in it, or none): the levels
    given as ``pd.factorize`` codes (-1: missing) into ``names``."""
    table = np.array([*(value.get(name, other) for name in names), other])
    return table[codes]  # (code -1 takes the last entry)


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


def evidence_location(
    inputs: BriefingInputs, evidence_ids: pd.Series, lists: Any = None
) -> pd.Series:
    """Where each row's evidence records are: "Evidence sheet" when all of them are listed
    there, the companion file's name when some are only there, "not in the evidence given"
    when the trail lacks some; missing for rows without evidence. ``lists``: the ids as
    :func:`.cells.list_array` gives them, when already made."""
    import pyarrow as pa
    import pyarrow.compute as pc

    assert inputs.trail is not None
    arrow = list_array(evidence_ids) if lists is None else lists
    if arrow is not None and not (
        pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)
    ):
        # the ids of every row in one array, and the row (position) each belongs to
        rows = pc.list_parent_indices(arrow).to_numpy().astype(np.intp)
        wanted = arrow.flatten().cast(pa.large_string())
    else:
        listed = pd.Series(evidence_ids.to_numpy(dtype=object), dtype=object).explode()
        listed = listed[listed.notna()]
        rows = listed.index.to_numpy(dtype=np.intp)
        wanted = pa.array(listed.astype(str).to_numpy(dtype=object), type=pa.large_string())
    # position of each listed id's first record in the trail (Arrow's hash lookup), -1: absent
    trail_ids = pa.array(
        inputs.trail.frame["id"].astype(text_dtype()).array, type=pa.large_string()
    )
    place = pc.index_in(wanted, value_set=trail_ids)
    found = place.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    n = len(evidence_ids)
    # a row is on the sheet / known when all of its ids are (counting the ids that are not)
    off_sheet = np.bincount(
        rows, weights=~((found >= 0) & (found < inputs.evidence_rows)), minlength=n
    )
    unknown = np.bincount(rows, weights=found < 0, minlength=n)
    has = np.bincount(rows, minlength=n) > 0
    where = pd.Series(pd.NA, index=evidence_ids.index, dtype=text_dtype())
    where[has] = inputs.companion_name
    where[has & (off_sheet == 0)] = "Evidence sheet"
    where[has & (unknown > 0)] = "not in the evidence given"
    return where


def _position(keys: pd.Series, order: dict[str, int]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Each key's place in ``order`` (999 for keys not in it), for sorting."""
    return lookup(keys, order, "Float64").fillna(999.0).to_numpy(dtype=np.float64)
