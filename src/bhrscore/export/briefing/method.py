"""The Method sheet: the rubric (tree, weights, rules, rationale, penalties, policies), the
hashes and versions that make the scores reproducible, and the safety notes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..book import Block, Sheet, Table, TableColumn
from .inputs import BriefingInputs
from .registry import METHOD, briefing_sheet


@briefing_sheet(METHOD, order=70, uses_comparisons=True)
def method_sheet(inputs: BriefingInputs) -> Sheet:
    meta = inputs.card.meta
    rubric = inputs.card.rubric
    lines: list[Block] = [
        f"Rubric: {inputs.rubric_title} ({meta.rubric_id}, version {meta.rubric_version})",
        f"Rubric hash (sha256 of its canonical content): {meta.rubric_hash}",
        f"Evidence hash (order-independent content hash): {meta.evidence_hash}",
        f"As of: {meta.as_of.isoformat()}; bhrscore {meta.bhrscore_version}",
        inputs.origin_note,
        inputs.personal_data_note(),
        "Text from evidence is written as text, never as formulas: cells starting with = + - "
        "@ (or tab/carriage return) are marked as text (quote prefix) and not evaluated.",
    ]
    description = inputs.rubric_description
    if description:
        lines.insert(1, f"About the rubric: {description}")
    note = inputs.overflow_note
    if note:
        lines.append(note)
    for key, comps in inputs.comparisons.items():
        for comp in comps:
            opts = ", ".join(f"{k}={v}" for k, v in sorted(comp.options.items()))
            lines.append(f"Comparison by {key}: {opts}")
    blocks: list[Block] = lines
    # policies and options as lines, penalties in the tree's columns, then the tree, last
    # so that its header repeats on every printed page (tables stacked on one sheet share
    # column widths: the blocks above it are shaped to fit it)
    blocks.extend(_policy_lines(rubric, meta.options))
    penalties = _penalty_table(rubric)
    if penalties is not None:
        blocks.append(penalties)
    tree = _tree_table(rubric)
    if tree is not None:
        blocks.append(tree)
    return Sheet(METHOD, "Method: rubric, weights, policies and provenance", blocks)


def _tree_table(rubric: Any) -> Table | None:
    walk = getattr(rubric, "walk", None)
    if not callable(walk):
        return None
    infos = list(walk())
    share: dict[str, float] = {"total": 1.0}
    rows: list[dict[str, Any]] = []
    for info in infos:
        node = info.node
        share[node.id] = share.get(info.parent_id, 1.0) * float(info.weight)
        rule = getattr(node, "rule", None)
        describe = getattr(rule, "describe", None)
        missing = getattr(node, "missing", None)
        rows.append(
            {
                "level": "indicator"
                if node.is_indicator
                else ("theme" if info.depth == 1 else "sub-theme"),
                "id": node.id,
                "title": node.title,
                "parent": info.parent_id,
                "theme": info.theme_id,
                "weight": float(info.weight),
                "share": share[node.id],
                "missing": None if missing is None else _missing_text(missing),
                "rule": describe() if callable(describe) else None,
                "rationale": _trimmed(
                    getattr(node, "rationale", None) or getattr(node, "description", None)
                ),
                "standards": ", ".join(getattr(node, "standards", []) or []) or None,
            }
        )
    frame = pd.DataFrame(rows)
    cols = [
        TableColumn.from_series("Level", frame["level"], width=10),
        TableColumn.from_series("Id", frame["id"], width=22, wrap=False),
        TableColumn.from_series("Title", frame["title"], width=30),
        TableColumn.from_series("Parent", frame["parent"], width=16),
        TableColumn.from_series("Theme", frame["theme"], width=16),
        TableColumn.from_series("Weight in parent", frame["weight"], "percent", width=9),
        TableColumn.from_series("Nominal share of total", frame["share"], "percent", width=9),
        TableColumn.from_series("Missing evidence", frame["missing"], width=24),
        TableColumn.from_series("Rule", frame["rule"], width=44),
        TableColumn.from_series("Rationale", frame["rationale"], width=60),
        TableColumn.from_series("Standards", frame["standards"], width=28),
    ]
    levels = [0 if lv == "theme" else 1 for lv in frame["level"]]  # themes fold their rows
    title = (
        "Themes and indicators (nominal share = product of weights; with missing: exclude, "
        "weight moves to siblings that have evidence)"
    )
    return Table(cols, title=title, main=True, freeze=False, levels=levels)


def _penalty_table(rubric: Any) -> Table | None:
    penalties = list(getattr(rubric, "penalties", []) or [])
    if not penalties:
        return None
    frame = pd.DataFrame(
        [
            {
                "id": p.id,
                "title": p.title,
                "node": p.node,
                "points": p.points,
                "cap": p.cap,
                "combine": p.combine,
                "max_points": p.max_points,
                "description": _trimmed(p.description),
            }
            for p in penalties
        ]
    )
    cols = [  # in the columns of the tree below: id, title, applies to, ..., description
        TableColumn.from_series("Penalty", pd.Series(["penalty"] * len(frame)), width=10),
        TableColumn.from_series("Id", frame["id"], width=22, wrap=False),
        TableColumn.from_series("Title", frame["title"], width=30),
        TableColumn.from_series("Applies to", frame["node"], width=16),
        TableColumn.from_series("Combine", frame["combine"], width=16),
        TableColumn.from_series("Points", frame["points"], "score", width=9),
        TableColumn.from_series("Cap", frame["cap"], "score", width=9),
        TableColumn.from_series("Max points", frame["max_points"], "score", width=10),
        TableColumn.from_series("Description", frame["description"], width=44),
    ]
    return Table(cols, title="Penalties")


def _policy_lines(rubric: Any, options: Mapping[str, Any]) -> list[Block]:
    """Every policy of the rubric and option of the scoring run, one line each."""
    rows: list[str] = []
    policies = getattr(rubric, "policies", None)
    if policies is not None and hasattr(policies, "model_dump"):
        for key, value in policies.model_dump(mode="json").items():
            rows.append(f"policies.{key}: {_plain(value)}")
    for key, value in sorted(options.items()):
        rows.append(f"option.{key}: {_plain(value)}")
    return ["Policies and scoring options:", *rows]


def _missing_text(missing: Any) -> str:
    """A node's own missing-data policy in words ("scores 100 where the company was
    screened for wages and is unknown elsewhere ..."), as the Indicators legend says it."""
    from .indicators import _missing_words

    try:
        return _missing_words(missing)[0]
    except (TypeError, ValueError):
        return str(missing)


def _trimmed(text: Any) -> str | None:
    """Rubric prose on one line: YAML ``>`` blocks end in a newline (which LibreOffice shows
    as an empty, overlapping second line) and may carry runs of spaces."""
    if text is None:
        return None
    joined = " ".join(str(text).split())
    return joined or None


def _plain(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return "none" if value is None else str(value)
