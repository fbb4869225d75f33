"""Controlled vocabularies for companies and evidence.

Every vocabulary is a ``StrEnum`` so values serialise as plain strings, appear as ``enum`` in
the generated JSON Schemas and become pandas categoricals in frames. Each class docstring
documents its values; the values themselves follow the terms used by the UN Guiding Principles,
the ILO and the Business & Human Rights Resource Centre where such terms exist.

Sector codes are not an enum: they come from an open classification (ISIC Rev.4) that bundles
can extend, see :mod:`bhrscore.evidence.sectors`.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """How established a piece of evidence is.

    - ``alleged``: claimed by one source, not independently confirmed.
    - ``corroborated``: claimed by two or more independent sources.
    - ``verified``: established fact (court ruling, official record, company admission).
    - ``disputed``: contested by the company or another credible source.
    - ``retracted``: withdrawn by its source; kept for the record, scored as nothing.
    """

    ALLEGED = "alleged"
    CORROBORATED = "corroborated"
    VERIFIED = "verified"
    DISPUTED = "disputed"
    RETRACTED = "retracted"


class Reliability(StrEnum):
    """The analyst's judgement of the sources' reliability: ``high``, ``medium``, ``low``."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class SourceType(StrEnum):
    """Who published a source: news, NGO report, court, company, union, interview, government,
    academic, other."""

    NEWS = "news"
    NGO_REPORT = "ngo_report"
    COURT = "court"
    COMPANY = "company"
    UNION = "union"
    INTERVIEW = "interview"
    GOVERNMENT = "government"
    ACADEMIC = "academic"
    OTHER = "other"


class ResponseStatus(StrEnum):
    """Company response to an allegation, as the Business & Human Rights Resource Centre
    records it: ``invited`` (asked, deadline open), ``responded``, ``declined``,
    ``no_response``."""

    INVITED = "invited"
    RESPONDED = "responded"
    DECLINED = "declined"
    NO_RESPONSE = "no_response"


class Ownership(StrEnum):
    """Ownership form: ``state``, ``private``, ``listed``, ``joint_venture``."""

    STATE = "state"
    PRIVATE = "private"
    LISTED = "listed"
    JOINT_VENTURE = "joint_venture"


class UnionStatus(StrEnum):
    """Status of the union involved: ``independent``, ``state_affiliated``, ``unregistered``
    (refused or without registration), ``company_controlled``, ``unknown``."""

    INDEPENDENT = "independent"
    STATE_AFFILIATED = "state_affiliated"
    UNREGISTERED = "unregistered"
    COMPANY_CONTROLLED = "company_controlled"
    UNKNOWN = "unknown"


class DialogueEvent(StrEnum):
    """What happened between company and union.

    Positive: ``recognition``, ``collective_agreement``, ``negotiation``, ``meeting``.
    Negative: ``request_ignored``, ``refusal_to_meet``, ``lockout``.
    ``strike`` records industrial action (neither good nor bad in itself).
    """

    RECOGNITION = "recognition"
    COLLECTIVE_AGREEMENT = "collective_agreement"
    NEGOTIATION = "negotiation"
    MEETING = "meeting"
    REQUEST_IGNORED = "request_ignored"
    REFUSAL_TO_MEET = "refusal_to_meet"
    STRIKE = "strike"
    LOCKOUT = "lockout"


class DialogueOutcome(StrEnum):
    """Outcome of a dialogue event: ``agreement``, ``partial_agreement``, ``no_agreement``,
    ``pending``, ``unknown``."""

    AGREEMENT = "agreement"
    PARTIAL_AGREEMENT = "partial_agreement"
    NO_AGREEMENT = "no_agreement"
    PENDING = "pending"
    UNKNOWN = "unknown"


class PayPeriod(StrEnum):
    """The period a wage amount is paid for: ``hour``, ``day``, ``week``, ``month``, ``year``."""

    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class WageBenchmarkType(StrEnum):
    """Benchmark a wage is compared with: ``living_wage``, ``minimum_wage``,
    ``sector_median``."""

    LIVING_WAGE = "living_wage"
    MINIMUM_WAGE = "minimum_wage"
    SECTOR_MEDIAN = "sector_median"


class WageGapType(StrEnum):
    """Pay gap reported as a ratio: ``local_vs_expatriate``, ``women_vs_men``."""

    LOCAL_VS_EXPATRIATE = "local_vs_expatriate"
    WOMEN_VS_MEN = "women_vs_men"


class PeerLevel(StrEnum):
    """Qualitative wage level against peer employers, for testimony without figures:
    ``lowest``, ``below``, ``similar``, ``above``, ``highest``."""

    LOWEST = "lowest"
    BELOW = "below"
    SIMILAR = "similar"
    ABOVE = "above"
    HIGHEST = "highest"


class RetaliationAction(StrEnum):
    """What was done to the target.

    ``dismissal``, ``demotion``, ``wage_cut``, ``blacklisting``, ``threat``, ``surveillance``,
    ``lawsuit`` (including SLAPPs), ``criminal_charge``, ``arrest_detention``,
    ``leadership_ban`` (ban from union leadership), ``union_deregistration``,
    ``physical_attack``, ``killing``, ``family_reprisal`` (action against a relative).
    """

    DISMISSAL = "dismissal"
    DEMOTION = "demotion"
    WAGE_CUT = "wage_cut"
    BLACKLISTING = "blacklisting"
    THREAT = "threat"
    SURVEILLANCE = "surveillance"
    LAWSUIT = "lawsuit"
    CRIMINAL_CHARGE = "criminal_charge"
    ARREST_DETENTION = "arrest_detention"
    LEADERSHIP_BAN = "leadership_ban"
    UNION_DEREGISTRATION = "union_deregistration"
    PHYSICAL_ATTACK = "physical_attack"
    KILLING = "killing"
    FAMILY_REPRISAL = "family_reprisal"


class TargetRole(StrEnum):
    """Who was targeted: ``union_leader``, ``union_member``, ``worker``, ``defender``,
    ``journalist``, ``lawyer``, ``family_member``."""

    UNION_LEADER = "union_leader"
    UNION_MEMBER = "union_member"
    WORKER = "worker"
    DEFENDER = "defender"
    JOURNALIST = "journalist"
    LAWYER = "lawyer"
    FAMILY_MEMBER = "family_member"


class Actor(StrEnum):
    """Who carried out the retaliation: ``company``, ``state``, ``security_contractor``,
    ``unknown``."""

    COMPANY = "company"
    STATE = "state"
    SECURITY_CONTRACTOR = "security_contractor"
    UNKNOWN = "unknown"


class Involvement(StrEnum):
    """The company's involvement in an impact, in the UN Guiding Principles' terms (principle
    13 and 19): ``caused``, ``contributed``, ``directly_linked``."""

    CAUSED = "caused"
    CONTRIBUTED = "contributed"
    DIRECTLY_LINKED = "directly_linked"


class Trigger(StrEnum):
    """What the retaliation answered: ``strike``, ``union_activity``, ``testimony``,
    ``complaint``, ``public_statement``, ``unknown``."""

    STRIKE = "strike"
    UNION_ACTIVITY = "union_activity"
    TESTIMONY = "testimony"
    COMPLAINT = "complaint"
    PUBLIC_STATEMENT = "public_statement"
    UNKNOWN = "unknown"


class Remedy(StrEnum):
    """Remedy provided so far: ``none``, ``reinstated``, ``compensated``,
    ``charges_dropped``."""

    NONE = "none"
    REINSTATED = "reinstated"
    COMPENSATED = "compensated"
    CHARGES_DROPPED = "charges_dropped"


class StatementType(StrEnum):
    """Kind of company statement: ``policy_commitment``, ``response_to_allegation``,
    ``public_statement``, ``report``."""

    POLICY_COMMITMENT = "policy_commitment"
    RESPONSE_TO_ALLEGATION = "response_to_allegation"
    PUBLIC_STATEMENT = "public_statement"
    REPORT = "report"


class StatementTopic(StrEnum):
    """Topics a statement commits to: ``freedom_of_association``, ``collective_bargaining``,
    ``living_wage``, ``non_retaliation``, ``defenders`` (human rights defenders)."""

    FREEDOM_OF_ASSOCIATION = "freedom_of_association"
    COLLECTIVE_BARGAINING = "collective_bargaining"
    LIVING_WAGE = "living_wage"
    NON_RETALIATION = "non_retaliation"
    DEFENDERS = "defenders"


class Standard(StrEnum):
    """Standards a statement references: ``ungps``, ``ilo_c87`` (freedom of association),
    ``ilo_c98`` (collective bargaining), ``ilo_c135`` (workers' representatives),
    ``ilo_declaration`` (1998 Declaration), ``oecd_guidelines``, ``un_global_compact``."""

    UNGPS = "ungps"
    ILO_C87 = "ilo_c87"
    ILO_C98 = "ilo_c98"
    ILO_C135 = "ilo_c135"
    ILO_DECLARATION = "ilo_declaration"
    OECD_GUIDELINES = "oecd_guidelines"
    UN_GLOBAL_COMPACT = "un_global_compact"


class Strength(StrEnum):
    """How specific a commitment is: ``explicit`` (names the right and the standard) or
    ``general``."""

    EXPLICIT = "explicit"
    GENERAL = "general"


class AssessmentAnswer(StrEnum):
    """An analyst's answer to a benchmark question: ``yes``, ``partial``, ``no``,
    ``not_found`` (nothing disclosed) and ``not_applicable``."""

    YES = "yes"
    PARTIAL = "partial"
    NO = "no"
    NOT_FOUND = "not_found"
    NOT_APPLICABLE = "not_applicable"
