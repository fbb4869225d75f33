"""The columnar loader and the record-by-record reference agree (issue 11).

For hypothesis-generated evidence sets, valid or corrupted (values, structure, bytes), in
every format, ``load_evidence(engine="columnar")`` and ``load_evidence(engine="records")``
(pydantic on every record, loop-based cross-record rules) accept the same records with the
same values (frames, item tables and models) and report the same problems in the same order.
"""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bhrscore.evidence.flat import flatten
from bhrscore.evidence.load import load_evidence
from tests.conftest import KIND_FIELDS, SOURCE, company, record

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="|"),
    min_size=1,
    max_size=12,
)
plain = st.sampled_from(["Fictional event", "  padded  ", "Événement fictif", "x", "Вымысел"])
dates = st.sampled_from(["2023-05-01", "2024-02-29", "2021-12-31", "2025-01-02"])

# Corruptions of one value: (field path, value). Some are valid in disguise (pydantic strips
# the padding, reads "5" as an int), some not; the two paths must agree either way.
BAD_VALUES: list[tuple[str, Any]] = [
    ("status", "ALLEGED"),
    ("status", " alleged"),
    ("status", None),
    ("status", 3),
    ("date", "2024-02-30"),
    ("date", "05/01/2024"),
    ("date", "2024-01-05T00:00:00"),
    ("date", "1500-01-01"),
    ("date", None),
    ("country", "ZZ"),
    ("country", "kz"),
    ("country", " KZ "),
    ("summary", ""),
    ("summary", "   "),
    ("summary", "\u3000padded\u3000"),
    ("summary", "\x1cedge\x1c"),
    ("summary", 12),
    ("id", "has space"),
    ("id", "ok.id"),
    ("id", "é-accent"),
    ("company_id", "ghost"),
    ("company_id", None),
    ("reliability", None),
    ("sensitive", "yes"),
    ("sensitive", "true"),
    ("sensitive", 1),
    ("tags", ["a", ""]),
    ("tags", ["a|b"]),
    ("tags", "single"),
    ("tags", [None]),
    ("persons", [" Jane Example "]),
    ("sources", []),
    ("sources", [{"url": "ftp://example.org", "title": "t"}]),
    ("sources", [{"url": "https://example.org/ü", "title": "t"}]),
    ("sources", [{"url": "https://example.org", "title": "t", "colour": "red"}]),
    ("sources", [None]),
    ("period", {"start": "2024-02-01", "end": "2024-01-01"}),
    ("period", {}),
    ("group", {"description": "Fictional companies"}),
    ("company_response", {"date": "2024-03-01"}),
    ("company_response", {"status": "responded", "url": "https://example.org/r"}),
    ("colour", "red"),
    ("colour", None),
    ("amount", -5),
    ("amount", "150000"),
    ("amount", 1e300),
    ("amount", 10**25),
    ("amount", -0.0),
    ("amount", None),
    ("targets", 2.0),
    ("targets", "3"),
    ("targets", 0),
    ("targets", 10**20),
    ("workers_covered", -1),
    ("value", 0.5),
    ("answer", None),
    ("arrears", {}),
    ("arrears", {"days": 10}),
    ("benchmark", None),
    ("union", None),
    ("union", {"status": "bogus"}),
    ("event", "strike"),
    ("kind", "grievance"),
    ("kind", None),
    # group-level testimony about a sector (a code, a number, a near miss)
    ("group", {"description": "Fictional companies", "sector": "61"}),
    ("group", {"description": "Fictional companies", "sector": 6}),
    ("group", {"description": "Fictional companies", "sector": " J "}),
    ("group", {"description": "Fictional companies", "sector": "6l"}),
    # screening topics (and, on other kinds, a field they do not have)
    ("topics", []),
    ("topics", ["wages", "bogus"]),
    ("topics", ["retaliation", "statements"]),
]
BAD_COMPANY_VALUES: list[tuple[str, Any]] = [
    ("parent_id", "ghost"),
    ("hq_country", "XX"),
    ("sectors", ["oil-gas", "bogus"]),
    ("sectors", ["J", "61", "oilfield-services"]),
    ("sectors", [6, "06"]),
    ("sectors", [" 09 "]),
    ("sectors", ["j"]),
    ("sectors", "oil-gas"),
    ("name", ""),
    ("identifiers", {"lei": "bad"}),
    ("aliases", ["A", "B"]),
    ("origin_country", "CN"),
]


@st.composite
def evidence_sets(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ids = draw(
        st.lists(
            st.sampled_from(["acme", "beta", "gamma", "delta"]), min_size=1, max_size=3, unique=True
        )
    )
    companies = []
    for k, cid in enumerate(ids):
        c = company(cid)
        if k and draw(st.booleans()):
            c["parent_id"] = ids[0]
        if draw(st.integers(0, 5)) == 0:
            key, value = draw(st.sampled_from(BAD_COMPANY_VALUES))
            c[key] = value
        companies.append(c)
    if len(ids) > 1 and draw(st.integers(0, 6)) == 0:
        companies[0]["parent_id"] = ids[-1]  # perhaps a cycle
    evidence = []
    for n in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(sorted(KIND_FIELDS)))
        rec = record(
            kind,
            id=draw(st.sampled_from([f"e{n}", "e0"])),
            company_id=draw(st.sampled_from(ids)),
            date=draw(dates),
            summary=draw(plain),
            status=draw(st.sampled_from(["alleged", "verified", "retracted"])),
            tags=draw(st.lists(text.map(str.strip).filter(bool), max_size=2)),
            sources=[dict(SOURCE)] * draw(st.integers(1, 2)),
        )
        if draw(st.booleans()):
            rec.pop("date")
            rec["period"] = {
                "start": "2023-01-01",
                "end": draw(st.sampled_from([None, "2023-06-30"])),
            }
            if rec["period"]["end"] is None:
                rec["period"].pop("end")
        if kind == "retaliation" and draw(st.booleans()):
            rec["company_response"] = {"status": "no_response", "date": "2024-05-01"}
        if kind == "assessment" and draw(st.booleans()):
            rec.pop("answer")
            rec["value"] = draw(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
        if draw(st.integers(0, 9)) == 0:
            rec.pop("company_id")
            rec["group"] = {"description": "Fictional companies", "origin_group": "china"}
        for _ in range(draw(st.integers(0, 2))):
            key, value = draw(st.sampled_from(BAD_VALUES))
            rec[key] = value
        evidence.append(rec)
    return companies, evidence


# --- writing a bundle in one format, then corrupting its bytes ----------------------------


def _flat_rows(rows: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    flat = [flatten(r) if isinstance(r, dict) else {} for r in rows]
    header: list[str] = []
    for f in flat:
        header += [k for k in f if k not in header]
    return header or ["id"], flat


def _csv_text(rows: list[dict[str, Any]]) -> str:
    header, flat = _flat_rows(rows)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for f in flat:
        writer.writerow(
            [
                "true" if f.get(h) is True else "false" if f.get(h) is False else f.get(h, "")
                for h in header
            ]
        )
    return buf.getvalue()


def _json_line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=True)


def write_bundle(
    out: Path, fmt: str, companies: list[dict[str, Any]], evidence: list[dict[str, Any]]
) -> None:
    if fmt == "jsonl":
        (out / "companies.jsonl").write_text("".join(_json_line(c) + "\n" for c in companies))
        (out / "evidence.jsonl").write_text("".join(_json_line(e) + "\n" for e in evidence))
    elif fmt == "json":
        (out / "bundle.json").write_text(
            json.dumps({"companies": companies, "evidence": evidence}, indent=1, ensure_ascii=False)
        )
    elif fmt == "csv":
        (out / "companies.csv").write_text(_csv_text(companies))
        (out / "evidence.csv").write_text(_csv_text(evidence))
    else:
        wb = openpyxl.Workbook()
        for title, rows in (("Companies", companies), ("Evidence", evidence)):
            ws = wb.active if title == "Companies" else wb.create_sheet()
            ws.title = title
            header, flat = _flat_rows(rows)
            ws.append(header)
            for f in flat:
                ws.append([_cell(f.get(h)) for h in header])
        wb.save(out / "bundle.xlsx")


def _cell(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)  # a workbook cannot hold them
    if isinstance(value, int | float | bool) or value is None:
        return value
    return str(value)


BYTE_EDITS = ["none", "delete", "insert", "truncate", "blank", "crlf", "latin1", "duplicate", "bom"]


def corrupt(path: Path, edit: str, rnd: random.Random) -> None:
    data = path.read_bytes()
    lines = data.split(b"\n")
    if edit == "none" or not data:
        return
    i = rnd.randrange(len(lines))
    line = lines[i]
    pos = rnd.randrange(len(line) + 1)
    if edit == "delete" and line:
        lines[i] = line[:pos] + line[pos + 1 :]
    elif edit == "insert":
        lines[i] = (
            line[:pos] + rnd.choice([b'"', b",", b"{", b"]", b"\x00", b"|", b" "]) + line[pos:]
        )
    elif edit == "truncate":
        lines[i] = line[:pos]
    elif edit == "blank":
        lines.insert(i, rnd.choice([b"", b"   ", b"\r", b",,,"]))
    elif edit == "crlf":
        lines = [ln + b"\r" if ln else ln for ln in lines]
    elif edit == "latin1":
        lines[i] = line[:pos] + b"\xe9" + line[pos:]
    elif edit == "duplicate" and b'"status": ' in line:
        lines[i] = line.replace(b'"status": ', b'"status": "verified", "status": ', 1)
    elif edit == "bom":
        lines[0] = b"\xef\xbb\xbf" + lines[0]
    path.write_bytes(b"\n".join(lines))


# --- comparing the two paths --------------------------------------------------------------


def assert_same(path: Path) -> None:
    fast = load_evidence(path, strict=False, as_of=__import__("datetime").date(2024, 6, 1))
    ref = load_evidence(
        path, strict=False, as_of=__import__("datetime").date(2024, 6, 1), engine="records"
    )
    assert fast.report.problems == ref.report.problems
    assert dict(fast.report.read) == dict(ref.report.read)
    assert dict(fast.report.valid) == dict(ref.report.valid)
    assert [(r.file, r.row, r.pointer, r.table, r.problems) for r in fast.report.rejected] == [
        (r.file, r.row, r.pointer, r.table, r.problems) for r in ref.report.rejected
    ]
    pd.testing.assert_frame_equal(fast.frames().evidence, ref.frames().evidence)
    pd.testing.assert_frame_equal(fast.frames().companies, ref.frames().companies)
    for table in ("companies", "evidence"):
        pd.testing.assert_frame_equal(fast.items(table), ref.items(table))
    assert fast.evidence == ref.evidence
    assert fast.companies == ref.companies


SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(
    data=evidence_sets(),
    fmt=st.sampled_from(["jsonl", "json", "csv"]),
    edit=st.sampled_from(BYTE_EDITS),
    seed=st.integers(0, 10**6),
)
def test_columnar_and_record_paths_agree_on_text_files(
    tmp_path_factory: Any, data: Any, fmt: str, edit: str, seed: int
) -> None:
    out = tmp_path_factory.mktemp(fmt)
    write_bundle(out, fmt, *data)
    target = sorted(out.iterdir())[-1]  # evidence file (or the bundle)
    corrupt(target, edit, random.Random(seed))
    assert_same(out)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=evidence_sets())
def test_columnar_and_record_paths_agree_on_workbooks(tmp_path_factory: Any, data: Any) -> None:
    out = tmp_path_factory.mktemp("xlsx")
    write_bundle(out, "xlsx", *data)
    assert_same(out)


def test_valid_synthetic_records_take_the_columnar_path(tmp_path: Path, monkeypatch: Any) -> None:
    """Valid records never reach pydantic on the columnar path (it is not merely falling
    back on the reference for everything)."""
    from bhrscore import synthetic_evidence, write_evidence
    from bhrscore.evidence import load as load_module

    for fmt in ("jsonl", "csv", "json"):
        out = tmp_path / fmt
        write_evidence(synthetic_evidence(5, 200, seed=3), out, format=fmt)
        calls: list[str] = []

        def count(raw: Any, calls: list[str] = calls) -> tuple[None, list[Any]]:
            calls.append(raw.file)
            return None, []

        monkeypatch.setattr(load_module, "parse_record", count)
        ev = load_evidence(out)
        monkeypatch.undo()
        assert calls == []
        assert len(ev) == 200
        assert_same(out)
