"""What every scoring command reads: the evidence bundle and the rubric, with user mistakes
turned into clean exits (1 for bad data or a broken rubric, 2 for a missing path)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from .common import EXIT_DATA, as_of_or_today, existing_path, fail

if TYPE_CHECKING:
    from ..evidence.evidence_set import EvidenceSet
    from ..rubric.model import Rubric
    from ..rubric.scorecard import ScoreCard

RUBRIC = click.option(
    "--rubric",
    "rubric_path",
    metavar="RUBRIC",
    default=None,
    help="Rubric file (default: the packaged labour-rights rubric, rubrics/labour-rights.yaml).",
)


def load_rubric_option(path: str | None) -> Rubric:
    """The rubric at ``path``, or the packaged default; a broken rubric exits 1."""
    from ..rubric import default_rubric_path
    from ..rubric.model import RubricError, load_rubric

    target = existing_path(path) if path else default_rubric_path()
    try:
        return load_rubric(target)
    except RubricError as err:
        fail(str(err), EXIT_DATA)
    except UnicodeDecodeError:
        fail(f"{target}: not a UTF-8 text file", EXIT_DATA)


def load_bundle(paths: tuple[str, ...], as_of: dt.date) -> EvidenceSet:
    """Evidence from files or directories (strict: any invalid record exits 1)."""
    from ..evidence.load import load_evidence

    for p in paths:
        existing_path(p)
    return load_evidence(*paths, as_of=as_of)


def load_and_score(
    paths: tuple[str, ...], rubric_path: str | None, as_of: dt.date | None
) -> tuple[EvidenceSet, Rubric, ScoreCard]:
    """Load the rubric and the bundle and score: (evidence set, rubric, score card). Data the
    engine cannot score (``ValueError``, e.g. evidence about unknown companies) exits 1."""
    from ..rubric import score

    day = as_of_or_today(as_of)
    rubric = load_rubric_option(rubric_path)
    evidence = load_bundle(paths, day)
    try:
        card = score(evidence, rubric, as_of=day)
    except ValueError as err:
        fail(str(err), EXIT_DATA)
    return evidence, rubric, card
