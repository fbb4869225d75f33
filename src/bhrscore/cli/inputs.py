"""What every scoring command reads: the evidence bundle and the rubric, with user mistakes
turned into clean exits (1 for bad data or a broken rubric, 2 for a missing path)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import click

from .common import EXIT_DATA, UserError, as_of_or_today, existing_path, fail
from .progress import Step

if TYPE_CHECKING:
    from ..evidence.evidence_set import EvidenceSet
    from ..evidence.frame import Frames
    from ..rubric.model import Rubric
    from ..rubric.scorecard import ScoreCard

PERSONAL_DATA = click.option(
    "--include-personal-data",
    is_flag=True,
    help="Show names of persons in sensitive evidence, and the ids and links that carry them "
    "(redacted by default).",
)

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


def load_bundle(
    paths: tuple[str, ...], as_of: dt.date | None, *, include_personal_data: bool = False
) -> EvidenceSet:
    """Evidence from files or directories (strict: any invalid record exits 1). ``as_of``
    None: dates are not checked against an as-of date (scoring ignores records not known
    then, with one warning). The problems of an invalid bundle are shown redacted unless
    ``include_personal_data`` (:meth:`bhrscore.evidence.privacy.Privacy.report`)."""
    from ..evidence.load import load_evidence
    from ..evidence.privacy import Privacy
    from ..evidence.report import EvidenceValidationError

    for p in paths:
        existing_path(p)
    try:
        return load_evidence(*paths, as_of=as_of)
    except EvidenceValidationError as err:
        if include_personal_data:
            raise
        # the error path only: load again leniently to learn every protected name
        lenient = load_evidence(*paths, as_of=as_of, strict=False)
        raise EvidenceValidationError(Privacy.of(lenient, err.report).report(err.report)) from None


def _no_step(_description: str) -> None:
    return None


def load_and_score(
    paths: tuple[str, ...],
    rubric_path: str | None,
    as_of: dt.date | None,
    step: Step = _no_step,
    *,
    include_personal_data: bool = False,
) -> tuple[EvidenceSet, Rubric, ScoreCard]:
    """Load the rubric and the bundle and score: (evidence set, rubric, score card). Data the
    engine cannot score (``ValueError``, e.g. evidence about unknown companies) exits 1.
    ``step`` is told each stage (:func:`bhrscore.cli.progress.steps`). The card's ids are
    redacted unless ``include_personal_data`` (:func:`bhrscore.score`)."""
    from ..rubric import score

    day = as_of_or_today(as_of)
    step("Reading the rubric")
    rubric = load_rubric_option(rubric_path)
    step("Loading evidence")
    evidence = load_bundle(paths, day, include_personal_data=include_personal_data)
    step("Scoring")
    try:
        card = score(evidence, rubric, as_of=day, include_personal_data=include_personal_data)
    except ValueError as err:
        fail(str(err), EXIT_DATA)
    return evidence, rubric, card


def load_and_score_dates(
    paths: tuple[str, ...],
    rubric: Rubric,
    days: tuple[dt.date, ...],
    step: Step = _no_step,
    *,
    include_personal_data: bool = False,
) -> tuple[EvidenceSet, Frames, list[ScoreCard]]:
    """Load the bundle once and score it at every date of ``days`` (records later than a date
    are left out for it, not errors): (evidence set, its frames, one card per date, in date
    order). Data the engine cannot score exits 1."""
    from ..rubric.trend import trend_cards

    step("Loading evidence")
    evidence = load_bundle(paths, None, include_personal_data=include_personal_data)
    step("Scoring" if len(days) == 1 else f"Scoring at {len(days)} dates")
    try:
        frames = evidence.frames()
        cards = trend_cards(frames, rubric, days, include_personal_data=include_personal_data)
    except ValueError as err:
        fail(str(err), EXIT_DATA)
    return evidence, frames, cards


def resolve_company(wanted: str, known: Iterable[str], option: str = "--explain") -> str:
    """The company id the user meant: ``wanted`` itself, else its only case-insensitive match;
    an unknown id is a usage error (exit 2) with the closest ids as suggestions. Called before
    any output, so a typo never follows a whole table."""
    import difflib

    ids = sorted(set(known))
    if wanted in ids:
        return wanted
    folded = [i for i in ids if i.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    if len(folded) > 1:
        fail(f"{option}: {wanted!r} matches {', '.join(map(repr, folded))}; give the exact id")
    by_fold = {i.casefold(): i for i in ids}
    close = difflib.get_close_matches(wanted.casefold(), list(by_fold), n=3, cutoff=0.6)
    hint = ""
    if close:
        hint = "; did you mean " + " or ".join(repr(by_fold[c]) for c in close) + "?"
    raise UserError(f"{option}: no company {wanted!r} in the evidence{hint}")
