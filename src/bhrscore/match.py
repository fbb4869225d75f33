"""Does a score card belong to these inputs? Stages that take a card *and* the inputs it was
made from (the briefing, sensitivity) check that the card's recorded evidence hash, rubric
hash and as-of date match, so a card of one evidence set is never shown beside another."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .rubric.model import Rubric
    from .rubric.scorecard import ScoreCard


#: what :func:`bhrscore.score` records: a sha256 hex digest
_DIGEST = re.compile(r"[0-9a-f]{64}")


def _recorded(value: str) -> bool:
    """Whether ``value`` is a hash that scoring recorded (a card assembled by hand, e.g. in a
    test, may carry a placeholder; it has no provenance to check)."""
    return _DIGEST.fullmatch(value) is not None


class MismatchError(ValueError):
    """A score card was given with inputs it was not computed from (another evidence set,
    another rubric or another as-of date)."""


def evidence_hash_of(evidence: Any) -> str | None:
    """The content hash of ``evidence`` as score cards record it, or ``None`` when it cannot
    be known (a bare evidence frame carries no companies, so it has no comparable hash)."""
    content_hash = getattr(evidence, "content_hash", None)
    if callable(content_hash):
        value = content_hash()
        return value if isinstance(value, str) else None
    return None


def check_card(
    card: ScoreCard,
    *,
    what: str,
    evidence: Any = None,
    evidence_hash: str | None = None,
    rubric: Rubric | None = None,
    as_of: dt.date | None = None,
) -> None:
    """Raise :class:`MismatchError` when ``card`` was not computed from the given inputs.

    ``what`` names the stage for the message (``"write_briefing"``). Inputs given as
    ``None`` are not checked; ``evidence`` is hashed only when it has a ``content_hash``
    (an ``EvidenceSet`` or ``Frames``), unless ``evidence_hash`` is passed. A hash the card
    does not hold as a sha256 digest (a card assembled by hand) is not compared.
    """
    meta = card.meta
    problems: list[str] = []
    if evidence_hash is None and evidence is not None:
        evidence_hash = evidence_hash_of(evidence)
    if (
        evidence_hash is not None
        and _recorded(meta.evidence_hash)
        and evidence_hash != meta.evidence_hash
    ):
        problems.append(
            f"its evidence hash is {meta.evidence_hash[:12]}, the evidence given hashes to "
            f"{evidence_hash[:12]}"
        )
    if rubric is not None and _recorded(meta.rubric_hash):
        rubric_hash = rubric.content_hash()
        if rubric_hash != meta.rubric_hash:
            problems.append(
                f"it was scored with rubric {meta.rubric_id} {meta.rubric_version} "
                f"(hash {meta.rubric_hash[:12]}), the rubric given is {rubric.id} "
                f"{rubric.version} (hash {rubric_hash[:12]})"
            )
    if as_of is not None and as_of != meta.as_of:
        problems.append(
            f"it is as of {meta.as_of.isoformat()}, the as-of date given is {as_of.isoformat()}"
        )
    if problems:
        raise MismatchError(
            f"{what}: the score card does not match its inputs: "
            + "; ".join(problems)
            + ". Score these inputs again (or pass the card made from them)."
        )
