"""The publisher's own scores kept in an imported bundle, and how a score card compares.

An importer writes the scores the publisher published (``published/scores.csv``: company,
node, score, source) so that anyone can check that the rubric reproduces them. They are not
evidence: the loader does not read the ``published/`` directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .base import PUBLISHED_COLUMNS

if TYPE_CHECKING:
    from ..rubric.scorecard import ScoreCard

PUBLISHED_PATH = Path("published") / "scores.csv"


def read_published(bundle: str | Path) -> pd.DataFrame:
    """The published scores of an imported bundle (columns of
    :data:`~bhrscore.importers.base.PUBLISHED_COLUMNS`)."""
    path = Path(bundle) / PUBLISHED_PATH
    frame = pd.read_csv(path, dtype={"company_id": "string", "node": "string"})
    missing = [c for c in PUBLISHED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    return frame[list(PUBLISHED_COLUMNS)].astype(PUBLISHED_COLUMNS)


def published_vs_scored(card: ScoreCard, published: pd.DataFrame) -> pd.DataFrame:
    """Each published score beside the score card's score of the same company and node:
    columns ``company_id``, ``node``, ``published``, ``scored``, ``diff`` (scored minus
    published). A published score whose company or node the card lacks has ``scored`` <NA>.
    """
    nodes = card.nodes[["company_id", "node_id", "score"]].rename(
        columns={"node_id": "node", "score": "scored"}
    )
    merged = published[["company_id", "node", "score"]].rename(columns={"score": "published"})
    out = merged.merge(nodes, on=["company_id", "node"], how="left", validate="one_to_one")
    out["scored"] = out["scored"].astype("Float64")
    out["diff"] = out["scored"] - out["published"]
    return out.sort_values(["company_id", "node"], kind="stable").reset_index(drop=True)
