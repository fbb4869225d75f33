"""Ranking Digital Rights' scoring method as a bhrscore rubric document.

RDR's Corporate Accountability Index (2020 and 2022 methods):

- each indicator has a score from 0 to 100 (RDR averages element answers into it; an
  indicator with sub-indicators takes the mean of its sub-indicators) or is not applicable
  (N/A) to the company;
- a **category** score (governance G, freedom of expression and information F, privacy P) is
  the mean of the category's applicable indicators;
- the **total** is the mean of *all* applicable indicators of the company, not the mean of the
  three category scores. The categories hold different numbers of indicators (6, 13 and 18
  in 2022), and an N/A indicator leaves the denominator, so each company's effective category
  weights are its own.

In the rubric language this is the node aggregation ``pooled`` (the mean over every scored
indicator beneath a node) at the root and in each category, equal indicator weights, and
``not_applicable`` answers left out of every denominator. Indicators are the published
indicator scores (assessment ``value``); the rubric has no duplicated indicators and no
zero-weight themes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: The node aggregation: the mean over all scored indicators beneath a node.
POOLED = "pooled"
#: An indicator without a record is left out (``exclude``). RDR publishes a score or N/A for
#: every company and indicator, and the importer refuses to write a bundle with a row it cannot
#: map, so on an imported bundle the policy never changes a score; ``not_applicable`` answers
#: leave the denominator whatever the policy. It matters for the score card's per-company
#: bootstrap, which resamples each company's records: with one record per indicator, ``zero``
#: would score every indicator a replicate leaves out as 0 (intervals wholly below the
#: total), while ``exclude`` makes the interval say how much the total depends on which
#: indicators are counted. Drop records from the bundle and the rubric ignores those
#: indicators: keep it whole.
MISSING = "exclude"
RUBRIC_VERSION = "1.0.0"


@dataclass(frozen=True)
class Category:
    """An RDR category: its rubric node id and title."""

    id: str
    title: str


#: RDR's category letters, in RDR's order.
CATEGORIES: dict[str, Category] = {
    "G": Category("governance", "Governance"),
    "F": Category("freedom", "Freedom of expression and information"),
    "P": Category("privacy", "Privacy"),
}


@dataclass(frozen=True)
class Indicator:
    """One scored indicator: its id in RDR's files (``G04``), display id (``G4``), category
    letter, title and description (plain text)."""

    question_id: str
    display: str
    category: str
    title: str
    description: str = ""


def _rule(framework: str, question_id: str) -> dict[str, Any]:
    return {
        "select": {
            "kind": "assessment",
            "where": {"framework": framework, "question_id": question_id},
        },
        "measure": "value",
        "aggregate": "latest",
        "scale": {"type": "identity"},
    }


def rdr_rubric(release: str, indicators: Sequence[Indicator]) -> dict[str, Any]:
    """The rubric document for ``release`` scoring ``indicators`` (categories without
    indicators are left out)."""
    framework = f"rdr-{release}"
    ids: set[str] = set()
    tree: list[dict[str, Any]] = []
    for letter, category in CATEGORIES.items():
        children = []
        for ind in indicators:
            if ind.category != letter:
                continue
            node_id = ind.display if ind.display not in ids else ind.question_id
            ids.add(node_id)
            rationale = f"RDR indicator {ind.display} ({release} release)"
            rationale += f": {ind.description}" if ind.description else "."
            children.append(
                {
                    "id": node_id,
                    "title": ind.title,
                    "rationale": rationale,
                    "rule": _rule(framework, ind.question_id),
                }
            )
        if children:
            tree.append(
                {
                    "id": category.id,
                    "title": category.title,
                    "aggregation": POOLED,
                    "children": children,
                }
            )
    return {
        "id": framework,
        "version": RUBRIC_VERSION,
        "title": (
            f"Ranking Digital Rights Corporate Accountability Index {release} (method as published)"
        ),
        "description": (
            f"RDR's published indicator scores of the {release} index (assessment records of "
            f"framework {framework}, 0-100). A category is the mean of its applicable "
            "indicators; the total is the mean of all applicable indicators of the company, "
            "not the mean of the three categories (aggregation: pooled), so an indicator RDR "
            "marks not applicable (N/A) leaves the denominator and changes that company's "
            "effective category weights. Written by `bhrscore import rdr`."
        ),
        "policies": {"missing": MISSING, "aggregation": POOLED},
        "tree": tree,
    }
