"""Records a score did not use are listed with the reason, and explain() shows them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bhrscore.rubric import load_rubric, score
from bhrscore.rubric.scorecard import UNUSED_COLUMNS

from .rubric_support import AS_OF, evset, rec

RUBRIC = load_rubric(Path(__file__).resolve().parents[1] / "rubrics" / "labour-rights.yaml")
THREAT = {"action": "threat", "target_role": "worker", "actor": "company"}


def _card() -> object:
    records = [
        rec("retaliation", "used-threat", **THREAT),
        # dated after as_of (2026-01-01): not known then
        rec("retaliation", "later", **THREAT, date="2026-03-01"),
        # known after as_of through its source, though the event is earlier
        rec(
            "retaliation",
            "reported-later",
            **THREAT,
            date="2025-06-01",
            sources=[
                {"url": "https://example.org/x", "title": "Fictional", "published": "2026-02-01"}
            ],
        ),
        rec("retaliation", "withdrawn", **THREAT, status="retracted"),
        # the rubric's window is 20 years: from 2006-01-01 (checked in the test below)
        rec("retaliation", "ancient", **THREAT, date="2004-05-01"),
        rec(
            "retaliation",
            "by-police",
            action="arrest_detention",
            target_role="union_leader",
            actor="state",
            company_involvement="directly_linked",
        ),
        rec("union_dialogue", "a-strike", event="strike"),
        # b: a screening no silence needed (its only topic's indicators are not read by it)
        rec("screening", "b-screen", "b", topics=["wages"]),
        rec(
            "union_dialogue",
            "testimony",
            None,
            event="refusal_to_meet",
            group={"description": "Fictional group of companies"},
        ),
    ]
    return score(evset(records), RUBRIC, AS_OF)


def test_every_unused_record_has_its_reason() -> None:
    window = RUBRIC.policies.window
    assert window is not None
    assert window.start(AS_OF) == dt.date(2006, 1, 1)  # 2026-01-01 less 20 years
    card = _card()
    unused = card.unused  # type: ignore[attr-defined]
    assert list(unused.columns) == list(UNUSED_COLUMNS)
    got = dict(zip(unused["evidence_id"], unused["reason"], strict=True))
    assert got == {
        "later": "not_known",
        "reported-later": "not_known",
        "withdrawn": "weight_zero",
        "ancient": "outside_window",
        "by-police": "state_actor",
        "a-strike": "no_rule",
        "testimony": "group_testimony",
    }
    detail = dict(zip(unused["evidence_id"], unused["detail"], strict=True))
    assert detail["reported-later"] == (
        "mentions 2026-02-01, after the as-of date 2026-01-01: not known then"
    )
    assert detail["withdrawn"].startswith("status retracted, reliability high: weight 0")
    assert "dated 2004-05-01, before the rubric's window (from 2006-01-01)" in detail["ancient"]
    assert "company involvement directly_linked" in detail["by-police"]
    # b's screening for wages documents its null findings on pay (screened 0, covered): used
    assert "b-screen" not in got
    assert unused.loc[unused["evidence_id"] == "testimony", "company_id"].isna().all()


def test_explain_lists_the_company_records_not_used_and_group_testimony() -> None:
    text = _card().explain("a")  # type: ignore[attr-defined]
    assert "Records of a not used (6):" in text
    assert "  later (retaliation, 2026-03-01): not_known: mentions 2026-03-01" in text
    assert "  by-police (retaliation, 2026-01-01): state_actor: carried out by the state" in text
    assert "  a-strike (union_dialogue, 2026-01-01): no_rule:" in text
    assert "Group-level testimony in the evidence set, never scored (1): testimony" in text
    # the used threat is evidence of reprisals, not listed as unused
    assert "used-threat (" not in text
    assert "used-threat" in text


def test_a_screening_that_no_silence_needs_is_listed() -> None:
    records = [
        rec("screening", "s-a", topics=["retaliation"]),
        rec("retaliation", "r-a", **THREAT),
        rec("retaliation", "r-a2", action="dismissal", target_role="union_leader", actor="company"),
    ]
    card = score(evset(records), RUBRIC, AS_OF)
    # both retaliation indicators rest on records: the screening backs no silence
    unused = card.unused.set_index("evidence_id")
    assert unused.loc["s-a", "reason"] == "no_rule"
    assert unused.loc["s-a", "detail"].startswith("null finding for retaliation")
