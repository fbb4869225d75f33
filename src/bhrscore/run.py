"""One object carried through every step: ``assess(evidence, rubric, as_of)``.

An :class:`AssessmentRun` keeps its inputs and their hashes (the same ones every score card
records in ``meta``), scores once on first use, and hands the card, the evidence and the rubric
to each later step itself, so the steps cannot be given mismatched inputs. Every step is logged
(:attr:`AssessmentRun.log`). The free functions (:func:`~bhrscore.score`,
:func:`~bhrscore.compare`, :func:`~bhrscore.sensitivity`, :func:`~bhrscore.write_briefing`,
:func:`~bhrscore.trend`) stay the primitives; the run is a thin layer over them::

    run = assess(evidence, rubric, dt.date(2026, 11, 23))
    card = run.score()
    by_origin = run.compare(by="origin_group")
    run.brief("briefing.xlsx", comparisons={"origin_group": by_origin})
    print(run.log)
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .analysis.compare import Comparison
    from .analysis.sensitivity import Sensitivity
    from .evidence.evidence_set import EvidenceSet
    from .evidence.frame import Frames
    from .export.briefing.write import BriefingResult
    from .rubric.model import Rubric
    from .rubric.scorecard import ScoreCard


@dataclass(frozen=True)
class Step:
    """One logged step of a run: what was done (``score``, ``compare``, ...) and with what."""

    name: str
    detail: str

    def __str__(self) -> str:
        return f"{self.name}: {self.detail}"


class AssessmentRun:
    """Evidence, a rubric and an as-of date, with their hashes, the score card (computed once)
    and a log of the steps taken. Build it with :func:`assess`."""

    def __init__(
        self,
        evidence: EvidenceSet | Frames,
        rubric: Rubric,
        as_of: dt.date,
        *,
        uncertainty: Any = True,
    ) -> None:
        from .evidence.evidence_set import EvidenceSet

        if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
            raise TypeError("as_of must be a datetime.date")
        self.evidence = evidence
        self.rubric = rubric
        self.as_of = as_of
        self.uncertainty = uncertainty
        self.frames: Frames = evidence.frames() if isinstance(evidence, EvidenceSet) else evidence
        #: content hash of the evidence, as score cards record it
        self.evidence_hash: str = self.frames.content_hash()
        #: content hash of the rubric, as score cards record it
        self.rubric_hash: str = rubric.content_hash()
        self._card: ScoreCard | None = None
        self._log: list[Step] = [
            Step(
                "inputs",
                f"evidence {self.evidence_hash[:12]} ({len(self.frames.companies)} companies, "
                f"{len(self.frames.evidence)} records); rubric {rubric.id} {rubric.version} "
                f"({self.rubric_hash[:12]}); as of {as_of.isoformat()}",
            )
        ]

    @property
    def log(self) -> tuple[Step, ...]:
        """The steps taken so far, in order (the first records the inputs)."""
        return tuple(self._log)

    def _note(self, name: str, detail: str) -> None:
        self._log.append(Step(name, detail))

    def score(self) -> ScoreCard:
        """The score card (computed on the first call, then reused)."""
        if self._card is None:
            from .rubric.engine import score

            self._card = score(
                self.frames,
                self.rubric,
                self.as_of,
                evidence_hash=self.evidence_hash,
                uncertainty=self.uncertainty,
            )
            self._note("score", f"{len(self._card.companies)} companies scored")
        return self._card

    def compare(self, by: str | Iterable[str] = "origin_group", **options: Any) -> Comparison:
        """:func:`bhrscore.compare` of this run's card, with this run's evidence (``options``
        as there: ``within``, ``metric``, ``origin_groups``, ``sectors``, ...)."""
        from .analysis.compare import compare

        keys = by if isinstance(by, str) else list(by)
        options.setdefault("evidence", self.evidence)
        result = compare(self.score(), by=keys, **options)
        self._note("compare", f"by {keys if isinstance(keys, str) else ', '.join(keys)}")
        return result

    def sensitivity(self, **options: Any) -> Sensitivity:
        """:func:`bhrscore.sensitivity` of this run's inputs, reusing its card as the base
        (``options`` as there: ``n``, ``seed``, ``concentration``, ``by``, ...)."""
        from .analysis.sensitivity import sensitivity

        result = sensitivity(self.frames, self.rubric, self.as_of, base=self.score(), **options)
        self._note("sensitivity", ", ".join(f"{k}={v!r}" for k, v in sorted(options.items())))
        return result

    def brief(
        self,
        path: str | os.PathLike[str],
        *,
        comparisons: Mapping[str, Comparison] | Iterable[Comparison] | None = None,
        **options: Any,
    ) -> BriefingResult:
        """:func:`bhrscore.write_briefing` of this run's card and evidence to ``path``
        (``options`` as there: ``include_personal_data``, ``sheets``, ...)."""
        from .export.briefing.write import write_briefing

        result = write_briefing(
            self.score(), path, comparisons=comparisons, evidence=self.evidence, **options
        )
        self._note("brief", f"{result.path.name} ({len(result.sheets)} sheets)")
        return result

    def trend(self, dates: dt.date | Iterable[dt.date]) -> pd.DataFrame:
        """:func:`bhrscore.trend` of this run's evidence and rubric at ``dates``."""
        from .rubric.trend import trend_cards, trend_frame

        cards = trend_cards(self.frames, self.rubric, dates)
        self._note("trend", ", ".join(c.meta.as_of.isoformat() for c in cards))
        return trend_frame(cards, self.frames)

    def __repr__(self) -> str:
        return (
            f"AssessmentRun(rubric={self.rubric.id} {self.rubric.version}, "
            f"as_of={self.as_of.isoformat()}, evidence={self.evidence_hash[:12]}, "
            f"steps={len(self._log)})"
        )


def assess(
    evidence: EvidenceSet | Frames, rubric: Rubric, as_of: dt.date, *, uncertainty: Any = True
) -> AssessmentRun:
    """Start a run: keep ``evidence``, ``rubric`` and ``as_of`` with their hashes; call
    ``.score()``, ``.compare(by=...)``, ``.sensitivity(...)``, ``.brief(path, ...)`` or
    ``.trend(dates)`` on the result. ``uncertainty`` is passed to scoring as in
    :func:`bhrscore.score`."""
    return AssessmentRun(evidence, rubric, as_of, uncertainty=uncertainty)
