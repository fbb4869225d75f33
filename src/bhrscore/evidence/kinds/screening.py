"""``screening``: a null finding -- an analyst screened a company's sources over a period for
some topics and found no incident.

Absence of evidence is not good conduct: a rubric gives credit for "no reprisal recorded" only
to companies screened for it (see ``docs/rubrics.md``, *Silence and screening*). A screening
record is how that look is documented, with the same provenance as any other record.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from ..hooks import FrameCheck
from ..model import EvidenceBase
from ..registry import evidence_kind
from ..vocab import ScreeningTopic


@evidence_kind("screening")
class Screening(EvidenceBase):
    """A screening of one company for ``topics`` that found nothing of the kind.

    The shared fields read as follows for a null finding:

    - ``company_id``: the company screened (a group cannot be screened: ``group`` is an
      error); ``date``: when the screening was done; ``period``: the time it covers (give
      both when you can; rubrics read the end of the period, else the date, as the last day
      the finding speaks for).
    - ``summary``: what was searched (sources, languages, search terms) and what was, and was
      not, found; ``sources``: the sources screened (databases, news archives, union and NGO
      sites, the company's own reports).
    - ``status``: how established the null finding is -- ``verified``: a documented,
      repeatable search of the named sources over the whole period; ``corroborated``: two or
      more independent kinds of source searched; ``alleged``: a single source or a cursory
      look; ``disputed``: a credible source says something was missed (record that
      something as its own evidence); ``retracted``: withdrawn, weighs 0 and counts as no
      screening.
    - ``reliability``: how likely the screened sources were to report an incident had there
      been one (``high``: free press and active unions covering the company; ``low``:
      censored media, no independent union, sources in one language only).
    - ``company_response`` does not apply (there is no allegation to respond to).
    """

    kind: Literal["screening"] = "screening"
    topics: list[ScreeningTopic] = Field(
        min_length=1, description="What was screened for and not found"
    )

    @model_validator(mode="after")
    def _one_company(self) -> Screening:
        if self.group is not None:
            raise ValueError("a screening is of one company: give company_id, not group")
        if self.company_response is not None:
            raise ValueError(
                "a screening found no allegation, so there is no company_response to record"
            )
        return self

    @classmethod
    def frame_checks(cls) -> tuple[FrameCheck, ...]:
        """The columnar twin of :meth:`_one_company` (the loader's fast path)."""
        return (
            FrameCheck("a screening is of one company", lambda v: v.has("group")),
            FrameCheck("a screening has no company_response", lambda v: v.has("company_response")),
        )

    @classmethod
    def example(cls) -> dict[str, Any]:
        """A fictional example row for the evidence-entry template."""
        return {
            "date": "2025-03-31",
            "period": {"start": "2022-01-01", "end": "2025-03-31"},
            "status": "verified",
            "summary": "EXAMPLE (fictional): news archives and union statements searched for"
            " reprisals and unpaid wages; none found.",
            "topics": ["retaliation", "wage_arrears"],
        }
