"""Properties of the engine (hypothesis): row-order invariance and monotonicity.

Since labour-rights 2.0.0 silence is unknown unless screened, so "an allegation more never
raises the total" holds for companies screened for every topic (whose silence indicators all
have scores); for any company an allegation never raises an indicator or theme that had a
score. A company's first record on an unknown indicator makes it known (and covered): its
total is then a mean over more of the rubric."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bhrscore.evidence.frame import Frames
from bhrscore.rubric import load_rubric, score

from .rubric_support import AS_OF, evset, rec

RUBRIC = load_rubric(Path(__file__).resolve().parents[1] / "rubrics" / "labour-rights.yaml")
COMPANIES = ("a", "b", "c")
TOPICS = ["union_dialogue", "wages", "wage_arrears", "retaliation", "statements", "allegations"]

_dates = st.dates(min_value=AS_OF.replace(year=2012), max_value=AS_OF).map(lambda d: d.isoformat())
_status = st.sampled_from(["alleged", "corroborated", "verified", "disputed", "retracted"])
_reliability = st.sampled_from(["high", "medium", "low"])


@st.composite
def _record(draw: st.DrawFn, n: int) -> object:
    company = draw(st.sampled_from(COMPANIES))
    common = {"status": draw(_status), "reliability": draw(_reliability), "date": draw(_dates)}
    kind = draw(
        st.sampled_from(["union_dialogue", "wage", "retaliation", "statement", "screening"])
    )
    if kind == "union_dialogue":
        fields = {
            "event": draw(
                st.sampled_from(["recognition", "meeting", "refusal_to_meet", "lockout"])
            ),
            "union": {"status": draw(st.sampled_from(["independent", "unknown"]))},
            **_response(draw),
        }
    elif kind == "wage":
        fields = {
            "amount": draw(st.floats(50, 200)),
            "currency": "KZT",
            "pay_period": "month",
            "benchmark": {"type": "living_wage", "amount": 100.0},
        }
    elif kind == "retaliation":
        fields = _retaliation(draw)
    elif kind == "screening":
        fields = {"topics": draw(st.lists(st.sampled_from(TOPICS), min_size=1, unique=True))}
    else:
        fields = {
            "statement_type": "policy_commitment",
            "topics": draw(
                st.lists(
                    st.sampled_from(["freedom_of_association", "non_retaliation", "living_wage"]),
                    min_size=1,
                    max_size=2,
                    unique=True,
                )
            ),
        }
    return rec(kind, f"e{n:03d}", company_id=company, **common, **fields)


_responses = st.sampled_from([None, "responded", "declined", "no_response", "invited"])


def _response(draw: st.DrawFn) -> dict[str, object]:
    status = draw(_responses)
    return {} if status is None else {"company_response": {"status": status}}


def _retaliation(draw: st.DrawFn) -> dict[str, object]:
    return {
        "action": draw(st.sampled_from(["dismissal", "arrest_detention", "killing", "threat"])),
        "target_role": draw(st.sampled_from(["worker", "union_leader"])),
        "actor": draw(st.sampled_from(["company", "state", "unknown"])),
        "company_involvement": draw(
            st.sampled_from(["caused", "contributed", "directly_linked", None])
        ),
        "remedy": draw(st.sampled_from(["none", "reinstated", None])),
        **_response(draw),
    }


def _company_attributed(fields: dict[str, object]) -> bool:
    """The company (or its security contractor) acted, or it caused or contributed."""
    return fields["actor"] in ("company", "security_contractor") or fields[
        "company_involvement"
    ] in ("caused", "contributed")


@st.composite
def _records(draw: st.DrawFn) -> list:
    n = draw(st.integers(0, 12))
    return [draw(_record(i)) for i in range(n)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=_records(), seed=st.integers(0, 2**32 - 1))
def test_scores_do_not_depend_on_row_order(records: list, seed: int) -> None:
    frames = evset(records, COMPANIES).frames()
    shuffled = Frames(
        frames.companies.sample(frac=1, random_state=seed % 2**31).reset_index(drop=True),
        frames.evidence.sample(frac=1, random_state=seed % 2**31).reset_index(drop=True),
    )
    a, b = score(frames, RUBRIC, AS_OF), score(shuffled, RUBRIC, AS_OF)
    pd.testing.assert_frame_equal(a.companies, b.companies)
    pd.testing.assert_frame_equal(a.indicators, b.indicators)
    pd.testing.assert_frame_equal(a.nodes, b.nodes)
    pd.testing.assert_frame_equal(a.penalties, b.penalties)
    assert a.meta == b.meta


def screened_everywhere(date: str) -> list:
    """One screening per company for every topic, covering up to ``date``."""
    return [rec("screening", f"scr-{c}", company_id=c, date=date, topics=TOPICS) for c in COMPANIES]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=_records(), data=st.data())
def test_a_verified_retaliation_never_raises_a_score_it_had(
    records: list, data: st.DataObject
) -> None:
    fields = _retaliation(data.draw)
    company = data.draw(st.sampled_from(COMPANIES))
    date = data.draw(_dates)
    added = rec(
        "retaliation", "zz-added", company_id=company, status="verified", date=date, **fields
    )
    before = score(evset(records, COMPANIES), RUBRIC, AS_OF)
    after = score(evset([*records, added], COMPANIES), RUBRIC, AS_OF)
    # every indicator and node that had a score keeps it or falls (unknown ones may appear)
    for table, key in ((before.indicators, "indicator_id"), (before.nodes, "node_id")):
        old = table.set_index(["company_id", key])["score"].astype("float64")
        new = getattr(after, "indicators" if key == "indicator_id" else "nodes")
        new = new.set_index(["company_id", key])["score"].astype("float64")
        had = old.notna()
        if key == "node_id":  # the total and non-retaliation themes may gain a theme's score
            had &= old.index.get_level_values(key).isin(["retaliation"])
        assert (new[had].to_numpy() <= old[had].to_numpy() + 1e-9).all()
        assert new[had].notna().all()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=_records(), data=st.data())
def test_a_company_attributed_retaliation_never_raises_a_screened_companys_total(
    records: list, data: st.DataObject
) -> None:
    # Any status but retracted (which weighs 0 and is not evidence), any reliability, date,
    # remedy and response (responded included): an allegation more is never good news for a
    # company screened for every topic (its silence indicators all have scores).
    fields = _retaliation(data.draw)
    assume(_company_attributed(fields))
    company = data.draw(st.sampled_from(COMPANIES))
    added = rec(
        "retaliation",
        "zz-added",
        company_id=company,
        status=data.draw(st.sampled_from(["alleged", "corroborated", "verified", "disputed"])),
        reliability=data.draw(_reliability),
        date=data.draw(_dates),
        **fields,
    )
    base = [*records, *screened_everywhere(AS_OF.isoformat())]
    before = score(evset(base, COMPANIES), RUBRIC, AS_OF).companies.set_index("company_id")
    after = score(evset([*base, added], COMPANIES), RUBRIC, AS_OF).companies.set_index("company_id")
    for c in COMPANIES:
        assert after.loc[c, "total"] <= before.loc[c, "total"] + 1e-9, c
        assert after.loc[c, "theme:retaliation"] <= before.loc[c, "theme:retaliation"] + 1e-9


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=_records())
def test_a_company_without_evidence_is_not_ranked_and_moves_no_rank(records: list) -> None:
    before = score(evset(records, COMPANIES), RUBRIC, AS_OF).companies.set_index("company_id")
    after = score(evset(records, (*COMPANIES, "zz-empty")), RUBRIC, AS_OF).companies
    after = after.set_index("company_id")
    assert pd.isna(after.loc["zz-empty", "rank"])
    assert not bool(after.loc["zz-empty", "sufficient"])
    assert after.loc["zz-empty", "coverage"] == 0
    pd.testing.assert_series_equal(after.loc[list(COMPANIES), "rank"], before["rank"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=_records(), data=st.data())
def test_more_evidence_never_makes_a_company_insufficient(
    records: list, data: st.DataObject
) -> None:
    added = data.draw(_record(999))  # any kind, screenings included, any status
    before = score(evset(records, COMPANIES), RUBRIC, AS_OF).companies.set_index("company_id")
    after = score(evset([*records, added], COMPANIES), RUBRIC, AS_OF).companies
    after = after.set_index("company_id")
    for c in COMPANIES:
        assert after.loc[c, "coverage"] >= before.loc[c, "coverage"] - 1e-12, c
        if before.loc[c, "sufficient"]:
            assert after.loc[c, "sufficient"], c
