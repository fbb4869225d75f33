"""load -> write -> load is identical, for hypothesis-generated evidence sets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bhrscore.evidence import vocab
from bhrscore.evidence.load import load_evidence
from bhrscore.evidence.write import WRITERS, write_evidence
from tests.conftest import KIND_FIELDS, company, record

text = (
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="|"
        ),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2026, 1, 1)).map(
    dt.date.isoformat
)
slug = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,12}", fullmatch=True)


@st.composite
def evidence_sets(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ids = draw(st.lists(slug, min_size=1, max_size=4, unique=True))
    companies = [
        company(
            i,
            name=draw(text),
            aliases=draw(st.lists(text, max_size=2)),
            parent_id=(ids[0] if k > 0 and draw(st.booleans()) else None),
            hq_country=draw(st.sampled_from(["KZ", "CN", "NL", None])),
        )
        for k, i in enumerate(ids)
    ]
    companies = [{k: v for k, v in c.items() if v is not None} for c in companies]
    evidence = []
    for n in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(list(KIND_FIELDS)))
        rec = record(
            kind,
            id=f"e{n}",
            company_id=draw(st.sampled_from(ids)),
            date=draw(dates),
            summary=draw(text),
            status=draw(st.sampled_from([s.value for s in vocab.Status])),
            tags=draw(st.lists(text, max_size=3)),
            sensitive=draw(st.booleans()),
            persons=draw(st.lists(text, max_size=2)),
            sources=[
                {"url": "https://example.org/" + draw(slug), "title": draw(text)}
                for _ in range(draw(st.integers(1, 3)))
            ],
        )
        if kind == "wage":
            rec["amount"] = draw(st.floats(min_value=0.01, max_value=1e9, allow_nan=False))
        if kind == "assessment" and draw(st.booleans()):
            rec.pop("answer")
            rec["value"] = draw(st.floats(allow_nan=False, allow_infinity=False, width=64))
        evidence.append(rec)
    return companies, evidence


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=evidence_sets(), fmt=st.sampled_from(sorted(WRITERS)))
def test_write_then_load_is_identical(tmp_path_factory: Any, data: Any, fmt: str) -> None:
    from tests.conftest import write_jsonl

    src = tmp_path_factory.mktemp("src")
    write_jsonl(src / "companies.jsonl", data[0])
    write_jsonl(src / "evidence.jsonl", data[1])
    first = load_evidence(src)
    out = tmp_path_factory.mktemp("out")
    write_evidence(first, out, format=fmt)
    second = load_evidence(out)
    assert second.companies == first.companies
    assert second.evidence == first.evidence
    assert second.content_hash() == first.content_hash()


def test_unknown_write_format(tmp_path: Path, bundle: Any) -> None:
    import pytest

    with pytest.raises(ValueError, match="unknown format"):
        write_evidence(load_evidence(bundle()), tmp_path, format="yaml")
