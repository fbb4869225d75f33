"""Origin resolution and origin groups (fictional companies only)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bhrscore.analysis.origin import (
    OriginGroupsError,
    company_hosts,
    company_origin,
    evidence_origin,
    load_origin_groups,
)
from bhrscore.evidence.frame import company_frame
from bhrscore.evidence.model import Company


def _company(id: str, **kw: object) -> Company:
    return Company.model_validate({"id": id, "name": f"{id} Fictional Co", **kw})


def _frame(*companies: Company) -> pd.DataFrame:
    return company_frame(companies).set_index("id", drop=False)


def test_origin_follows_a_three_level_parent_chain() -> None:
    frame = _frame(
        _company("top", hq_country="CN"),
        _company("mid", hq_country="HK", parent_id="top"),
        _company("leaf", hq_country="KZ", parent_id="mid", host_countries=["KZ"]),
    )
    # leaf -> mid -> top: the ultimate parent is top, whose HQ (CN) is the origin of all three.
    assert frame.loc["leaf", "ultimate_parent_id"] == "top"
    assert frame.loc["leaf", "parent_depth"] == 2
    assert list(frame["origin_country"]) == ["CN", "CN", "CN"]


def test_explicit_origin_overrides_the_parent_chain() -> None:
    frame = _frame(
        _company("top", hq_country="NL"),
        _company("leaf", hq_country="KZ", parent_id="top", origin_country="US"),
        _company("other", hq_country="KZ", parent_id="top"),
    )
    assert frame.loc["leaf", "origin_country"] == "US"  # explicit
    assert frame.loc["other", "origin_country"] == "NL"  # ultimate parent's HQ


def test_default_grouping_is_relative_to_the_host() -> None:
    groups = load_origin_groups()
    origin = pd.Series(["KZ", "KZ", "CN", "CN", "HK", "US", "JP", "NO", "TR", None])
    host = pd.Series(["KZ", "GE", "KZ", "CN", "KZ", "KZ", "KZ", "KZ", "KZ", "KZ"])
    assert groups.assign(origin, host).tolist() == [
        "domestic",  # a Kazakh company in Kazakhstan
        "other",  # the same company in Georgia is foreign, and not in a named group
        "china",
        "domestic",  # a Chinese company in China
        "china",
        "western",
        "western",
        "western",
        "other",
        "unknown",
    ]


def test_unknown_host_never_makes_a_company_domestic() -> None:
    groups = load_origin_groups()
    # Without a host, a Kazakh company might be at home or abroad, a Chinese one in China.
    assert groups.assign(pd.Series(["KZ", "CN", None]), pd.Series([None, None, None])).tolist() == [
        "unknown-host",
        "unknown-host",
        "unknown",  # an unknown origin stays unknown
    ]
    # With the domestic rule off the host does not matter.
    by_origin = load_origin_groups({"groups": {"china": ["CN"]}, "domestic": None})
    assert by_origin.assign(pd.Series(["KZ", "CN"]), pd.Series([None, "KZ"])).tolist() == [
        "other",
        "china",
    ]
    assert "unknown-host" not in by_origin.groups


def _evidence(rows: list[tuple[str | None, str, str, str]]) -> pd.DataFrame:
    """company_id, country, status, effective date: the columns company_hosts reads."""
    return pd.DataFrame(
        {
            "company_id": pd.array([r[0] for r in rows], dtype="string"),
            "country": pd.array([r[1] for r in rows], dtype="string"),
            "status": pd.array([r[2] for r in rows], dtype="string"),
            "effective_date": pd.to_datetime([r[3] for r in rows]),
        }
    )


def test_company_hosts_listed_then_evidence_then_unknown() -> None:
    import datetime as dt

    frame = company_frame(
        [
            _company("a", hq_country="KZ", host_countries=["KZ", "GE"]),
            _company("b", hq_country="KZ"),  # no host listed: from its evidence
            _company("c", hq_country="KZ"),  # no host, no evidence: unknown, not KZ
            _company("d", hq_country="CN"),  # only retracted or later evidence: unknown
        ]
    )
    evidence = _evidence(
        [
            ("a", "TR", "alleged", "2024-01-01"),  # listed hosts win over evidence
            ("b", "GE", "alleged", "2024-01-01"),
            ("b", "GE", "verified", "2023-01-01"),
            ("b", "KZ", "alleged", "2022-01-01"),
            ("d", "KZ", "retracted", "2024-01-01"),
            ("d", "CN", "alleged", "2026-01-01"),
            (None, "CN", "alleged", "2024-01-01"),  # group testimony: no company
        ]
    )
    hosts = company_hosts(frame, evidence, as_of=dt.date(2025, 1, 1))
    assert list(
        zip(
            hosts["company_id"],
            hosts["host_country"].fillna("-"),
            hosts["host_source"],
            strict=True,
        )
    ) == [
        ("a", "GE", "listed"),
        ("a", "KZ", "listed"),
        ("b", "GE", "evidence"),
        ("b", "KZ", "evidence"),
        ("c", "-", "unknown"),
        ("d", "-", "unknown"),
    ]
    origin = company_origin(frame, evidence=evidence, as_of=dt.date(2025, 1, 1))
    assert origin["origin_group"].tolist() == [
        "other",  # a in GE
        "domestic",  # a in KZ
        "other",  # b in GE (from its evidence)
        "domestic",  # b in KZ
        "unknown-host",  # c: never a silent domestic
        "unknown-host",  # d
    ]
    # Without evidence, unlisted companies have an unknown host.
    assert company_origin(frame)["origin_group"].tolist()[2:] == ["unknown-host"] * 3


def test_evidence_group_is_relative_to_where_it_happened() -> None:
    companies = company_frame([_company("kz-co", hq_country="KZ")])
    evidence = pd.DataFrame(
        {
            "company_id": pd.array(["kz-co", "kz-co", None], dtype="string"),
            "country": pd.array(["KZ", "GE", "KZ"], dtype="string"),
            "group.origin_group": pd.array([None, None, "china"], dtype="string"),
        }
    )
    out = evidence_origin(evidence, companies)
    # testimony (no company) keeps the group it speaks about
    assert out["origin_group"].tolist() == ["domestic", "other", "china"]
    assert out["origin_country"].fillna("-").tolist() == ["KZ", "KZ", "-"]


def test_user_grouping_from_yaml_and_dicts(tmp_path: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text(
        "domestic: home\nother: rest\ngroups:\n  russia: [RU, BY]\n  gulf: [AE, QA]\n",
        encoding="utf-8",
    )
    groups = load_origin_groups(path)
    origin, host = pd.Series(["RU", "AE", "KZ", "CN"]), pd.Series(["KZ"] * 4)
    assert groups.assign(origin, host).tolist() == ["russia", "gulf", "home", "rest"]
    assert groups.groups == ("russia", "gulf", "home", "rest", "unknown", "unknown-host")
    by_country = load_origin_groups({"RU": "russia", "CN": "china"})
    assert by_country.assign(origin, host).tolist() == ["russia", "other", "domestic", "china"]
    no_domestic = load_origin_groups({"groups": {"central-asia": ["KZ"]}, "domestic": None})
    assert no_domestic.assign(pd.Series(["KZ"]), pd.Series(["KZ"])).tolist() == ["central-asia"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"china": ["CN", "XX"]}, r"groups\.china\[1\]: 'XX' is not an ISO"),
        ({"a": ["CN"], "b": ["CN"]}, r"CN is already in group 'a'"),
        ({"Bad Name": ["CN"]}, "must be lower-case"),
        ({"groups": {"a": ["CN"]}, "colour": "red"}, "unknown keys"),
        ({"a": "CN"}, "not an ISO"),  # {country: group} with the roles swapped
    ],
)
def test_bad_groupings_are_clear_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(OriginGroupsError, match=message):
        load_origin_groups(data)


def test_bare_no_in_yaml_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text("groups:\n  nordic: [SE, NO]\n", encoding="utf-8")
    with pytest.raises(OriginGroupsError, match="write NO in quotes"):
        load_origin_groups(path)


def test_describe_names_the_grouping_actually_used(tmp_path: Path) -> None:
    default = load_origin_groups().describe()
    assert default.startswith("Origin groups from bhrscore:origin_groups.yaml (china = CN, HK, MO;")
    assert "relative to each host country" in default
    path = tmp_path / "mine.yaml"
    path.write_text(
        "description: Gulf and Russian capital, by origin only\ndomestic: null\n"
        "groups:\n  gulf: [AE, QA]\n  russia: [RU]\n",
        encoding="utf-8",
    )
    mine = load_origin_groups(path).describe()
    assert mine == (
        f"Origin groups from {path} (Gulf and Russian capital, by origin only), "
        "by origin country only (no domestic rule)."
    )
    bare = load_origin_groups({"gulf": ["AE"]}).describe()
    assert bare.startswith("Origin groups from <dict>, relative to each host country")
    with pytest.raises(OriginGroupsError, match="description"):
        load_origin_groups({"groups": {"gulf": ["AE"]}, "description": ["not", "text"]})
