"""Write the regression corpus of issue 12: one small bundle (or rubric) per hostile input.

Run from the repository root to regenerate the committed files::

    .venv/bin/python tests/corpus/make_corpus.py

Inputs that cannot be committed (symlinks that dangle or loop, a FIFO, a 200,000-column CSV)
are built at test time by ``tests/fuzz/test_corpus.py``. Every name is fictional.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

COMPANY = {
    "id": "acme",
    "name": "Acme Fictional Drilling",
    "hq_country": "NL",
    "sectors": ["oil-gas"],
    "host_countries": ["KZ"],
}
OTHER = COMPANY | {"id": "other", "name": "Other Fictional Drilling"}
SOURCE = {
    "url": "https://example.org/report",
    "title": "Fictional report",
    "publisher": "Example NGO",
    "published": "2024-03-01",
    "type": "ngo_report",
}
ESC = "\x1b"


def record(id: str, **kw: Any) -> dict[str, Any]:
    base = {
        "id": id,
        "kind": "retaliation",
        "company_id": "acme",
        "date": "2024-02-01",
        "country": "KZ",
        "summary": "Fictional dismissal of a union leader",
        "sources": [SOURCE],
        "status": "alleged",
        "reliability": "medium",
        "action": "dismissal",
        "target_role": "union_leader",
        "actor": "company",
        "company_involvement": "caused",
        "trigger": "strike",
    }
    return base | kw


def wage(id: str) -> dict[str, Any]:
    return (
        record(id)
        | {
            "kind": "wage",
            "summary": "Fictional wage report",
            "amount": 150000,
            "currency": "KZT",
            "pay_period": "month",
            "benchmark": {"type": "living_wage", "amount": 300000},
        }
        | dict.fromkeys(("action", "target_role", "actor", "company_involvement", "trigger"))
    )


def clean(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if v is not None}


def lines(*items: Any) -> str:
    return "".join((i if isinstance(i, str) else json.dumps(clean(i))) + "\n" for i in items)


OUT = [HERE]  # where main() writes (tests point it at a temporary directory)


def write(case: str, name: str, text: str) -> None:
    folder = OUT[0] / case
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8", newline="")


def companies(case: str, *rows: dict[str, Any]) -> None:
    write(case, "companies.jsonl", lines(*(rows or (COMPANY, OTHER))))


def main(out: Path = HERE) -> None:
    OUT[0] = out
    # 1. JSON nested 1,000 deep: a whole document, and a tags value inside a valid record
    write(
        "01-nested-document",
        "bundle.json",
        '{"companies": [' + json.dumps(COMPANY) + '], "evidence": '
        + "[" * 1000 + "]" * 1000 + "}\n",
    )  # fmt: skip
    companies("01-nested-tags")
    tags = json.dumps(clean(record("deep")))[:-1] + ', "tags": ' + "[" * 1000 + "]" * 1000 + "}"
    write("01-nested-tags", "evidence.jsonl", lines(record("ok"), tags))
    # 1. a rubric whose tree is 250 levels deep (flow style keeps the file small)
    leaf = (
        "{id: n249, title: Leaf, weight: 1, rationale: Fictional., rule: {select: {kind: "
        "assessment, where: {question_id: Q1}}, measure: value, aggregate: latest, scale: "
        "{type: identity}}}"
    )
    tree = leaf
    for level in range(248, -1, -1):
        tree = f"{{id: n{level}, title: L{level}, children: [{tree}]}}"
    write(
        "01-deep-rubric",
        "rubric.yaml",
        "id: fictional-deep\nversion: 1.0.0\ntitle: Fictional deep rubric\n"
        "policies: {missing: zero, aggregation: arithmetic}\n"
        f"tree: [{tree}]\n",
    )
    # 2. a 5,000-digit integer in a numeric field
    companies("02-huge-integer")
    huge = json.dumps(clean(wage("w"))).replace('"amount": 150000', '"amount": ' + "9" * 5000)
    write("02-huge-integer", "evidence.jsonl", lines(record("ok"), huge))
    # 3. duplicate company_id and status keys: a sensitive reprisal record that would move to
    #    another company and become verified
    companies("03-duplicate-keys")
    dup = json.dumps(clean(record("r", sensitive=True, persons=["A. Fictional"])))
    dup = dup[:-1] + ', "company_id": "other", "status": "verified"}'
    write("03-duplicate-keys", "evidence.jsonl", lines(record("ok"), dup))
    # 4. a CSV row cut off inside sources.0.title
    header = (
        "id,kind,company_id,date,country,summary,status,sources.0.url,sources.0.title,"
        "sources.0.publisher,action,target_role"
    )
    row = (
        "{id},retaliation,acme,2024-01-05,KZ,Fictional dismissal,alleged,"
        "https://example.org/x,Fictional title,Example NGO,dismissal,union_leader"
    )
    cut = row.format(id="cut").split(",Fictional title")[0] + ",Fictional ti"
    write(
        "04-short-csv-row",
        "companies.csv",
        "id,name,hq_country\nacme,Acme Fictional Drilling,NL\n",
    )
    write(
        "04-short-csv-row",
        "evidence.csv",
        "\n".join([header, row.format(id="a"), cut, row.format(id="c")]) + "\n",
    )
    # 12. terminal escapes in summaries and in a group description, for compare --evidence
    companies("12-terminal-escapes", COMPANY, OTHER | {"hq_country": "CN"})
    group = clean(record("g", summary=f"Testimony {ESC}[2J{ESC}[31mred"))
    del group["company_id"]
    group["group"] = {"description": f"Group {ESC}]0;title\x07", "origin_group": "china"}
    write(
        "12-terminal-escapes",
        "evidence.jsonl",
        lines(record("e1", summary=f"Summary {ESC}[2J"), record("e2", company_id="other"), group),
    )
    # 13. a NUL-led formula in text that reaches the CSV exports
    companies("13-nul-formula", COMPANY | {"name": "\x00=1+1"}, OTHER)
    write("13-nul-formula", "evidence.jsonl", lines(record("e1"), record("e2", company_id="other")))
    # found by the fuzz suite: golden cases that are not UTF-8 (a Latin-1 byte in a comment)
    write(
        "fuzz-non-utf8-cases",
        "rubric.yaml",
        "id: fictional-small\nversion: 1.0.0\ntitle: Fictional small rubric\n"
        "policies: {missing: zero, aggregation: arithmetic}\n"
        f"tree: [{{id: theme, title: Theme, children: [{leaf.replace('n249', 'q1')}]}}]\n",
    )
    (OUT[0] / "fuzz-non-utf8-cases" / "rubric.cases.yaml").write_bytes(
        b"# Fictional caf\xe9 cases\nas_of: 2026-01-01\ncompanies: []\ncases: []\n"
    )
    # found by the fuzz suite: JSON escapes of half a surrogate pair ("\\ud800"), valid JSON
    # but not Unicode, raised UnicodeEncodeError from pyarrow; a full pair is a character
    companies(
        "fuzz-lone-surrogate",
        COMPANY | {"name": "Acme \U0001f600 Fictional"},
        OTHER | {"name": "Other \ud800 Fictional"},
    )
    write(
        "fuzz-lone-surrogate",
        "evidence.jsonl",
        lines(record("ok"), record("bad", summary="Fictional \udc00 summary")),
    )
    # found by the fuzz suite: a bundle's vocabulary.yaml nested 1,000 deep
    companies("fuzz-nested-vocabulary")
    write("fuzz-nested-vocabulary", "evidence.jsonl", lines(record("ok")))
    write("fuzz-nested-vocabulary", "vocabulary.yaml", "sectors: " + "[" * 1000 + "]" * 1000)


if __name__ == "__main__":
    main()
