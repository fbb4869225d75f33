"""Hostile input (issue 12, items 1-6): every one ends in a located problem, never in a
traceback, a hang, a silent loss or a silently changed record."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bhrscore.evidence.load import load_evidence
from bhrscore.evidence.read import Limits
from tests.conftest import company, record, run_cli, write_jsonl

HEADER = (
    "id,kind,company_id,date,country,summary,status,sources.0.url,sources.0.title,"
    "action,target_role"
)
ROW = (
    "{id},retaliation,acme,2024-01-05,KZ,Fictional dismissal,alleged,https://example.org/x,X,"
    "dismissal,union_leader"
)


def jsonl_bundle(tmp_path: Path, lines: list[str]) -> Path:
    write_jsonl(tmp_path / "companies.jsonl", [company(), company("other")])
    (tmp_path / "evidence.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def lenient(path: Path, **kw: Any) -> Any:
    return load_evidence(path, strict=False, **kw)


def codes(ev: Any) -> list[tuple[int | None, str, str | None]]:
    return [(p.row, p.code, p.field) for p in ev.report.errors]


# --- 1. deep nesting ------------------------------------------------------------------------


def nested_tags(record_id: str, depth: int) -> str:
    """A record line whose ``tags`` value is ``depth`` arrays deep (built as text: Python's
    own json module cannot build it)."""
    return json.dumps(record(id=record_id))[:-1] + ', "tags": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", [1000, 200_000])
def test_deeply_nested_tags_are_a_located_error(tmp_path: Path, depth: int) -> None:
    path = jsonl_bundle(tmp_path, [json.dumps(record(id="ok")), nested_tags("deep", depth)])
    ev = lenient(path)
    assert codes(ev) == [(2, "nesting", None)]
    # the record nests one level (the object) above the tags
    assert f"nested {depth + 1} levels deep, over the limit of 64" in ev.report.errors[0].message
    assert [e.id for e in ev.evidence] == ["ok"]


def test_a_deeply_nested_json_document_is_one_file_error(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text('{"evidence": ' + "[" * 5000 + "]" * 5000 + "}")
    ev = lenient(path)
    [problem] = ev.report.errors
    assert problem.code == "nesting"
    assert "over the limit of 64" in problem.message


@pytest.mark.parametrize("command", ["validate", "score"])
def test_deep_nesting_ends_in_exit_1_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = jsonl_bundle(tmp_path, [nested_tags("deep", 3000)])
    args = [command, str(path)] + (["--as-of", "2026-01-01"] if command == "score" else [])
    code, out, err = run_cli(args, capsys)
    assert code == 1
    assert "Traceback" not in out + err
    assert "nested" in out + err


# --- 2. huge integers -------------------------------------------------------------------------


def test_a_5000_digit_integer_is_a_located_error(tmp_path: Path) -> None:
    line = json.dumps(record("wage", id="w")).replace('"amount": 150000', '"amount": ' + "9" * 5000)
    path = jsonl_bundle(tmp_path, [json.dumps(record(id="ok")), line])
    ev = lenient(path)
    assert codes(ev) == [(2, "number-too-long", "amount")]
    assert "5,000 digits" in ev.report.errors[0].message
    assert [e.id for e in ev.evidence] == ["ok"]


def test_integer_digits_limit_is_configurable(tmp_path: Path) -> None:
    path = jsonl_bundle(tmp_path, [json.dumps(record("wage", id="w"))])  # amount 150000
    assert lenient(path).report.ok
    ev = lenient(path, limits=Limits(max_integer_digits=5))
    assert codes(ev) == [
        (1, "number-too-long", "amount"),
        (1, "number-too-long", "benchmark.amount"),
    ]


# --- 3. duplicate keys ------------------------------------------------------------------------


def test_duplicate_keys_are_errors_naming_the_key(tmp_path: Path) -> None:
    # a sensitive reprisal record that would move to another company and become verified
    line = json.dumps(record(id="r", sensitive=True, persons=["A. Fictional"]))
    line = line[:-1] + ', "company_id": "other", "status": "verified"}'
    path = jsonl_bundle(tmp_path, [json.dumps(record(id="ok")), line])
    ev = lenient(path)
    assert codes(ev) == [(2, "duplicate-key", "company_id"), (2, "duplicate-key", "status")]
    assert "key 'company_id' appears twice" in ev.report.errors[0].message
    assert [e.id for e in ev.evidence] == ["ok"]


def test_duplicate_keys_in_a_nested_object_of_a_json_document(tmp_path: Path) -> None:
    text = json.dumps({"companies": [company()], "evidence": [record(id="a")]})
    text = text.replace('"type": "ngo_report"', '"type": "ngo_report", "type": "court"')
    path = tmp_path / "bundle.json"
    path.write_text(text)
    ev = lenient(path)
    [problem] = ev.report.errors
    assert (problem.code, problem.field) == ("duplicate-key", "sources.0.type")
    assert problem.pointer == "/evidence/0/sources/0/type"


# --- 4. short CSV rows -----------------------------------------------------------------------


def test_a_row_cut_short_is_a_ragged_row(tmp_path: Path) -> None:
    (tmp_path / "companies.csv").write_text("id,name,hq_country\nacme,Acme Fictional,NL\n")
    cut = ROW.format(id="cut").split(",X,")[0]  # ends inside sources.0.title's row
    lines = [HEADER, ROW.format(id="a"), cut, ROW.format(id="c")]
    (tmp_path / "evidence.csv").write_text("\n".join(lines) + "\n")
    ev = lenient(tmp_path)
    [problem] = ev.report.errors
    assert (problem.row, problem.code) == (3, "ragged-row")
    assert "row has 8 cells but the header has 11" in problem.message
    assert [e.id for e in ev.evidence] == ["a", "c"]


# --- 5. entries that are not regular files ---------------------------------------------------


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail instead of hanging if something opens a FIFO."""

    def hang(*_: object) -> None:
        raise TimeoutError("reading the bundle blocked")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def test_links_fifos_and_devices_named_like_evidence_are_errors(
    tmp_path: Path, alarm: None
) -> None:
    path = jsonl_bundle(tmp_path, [json.dumps(record(id="ok"))])
    (path / "evidence-dangling.jsonl").symlink_to(path / "nowhere.jsonl")
    (path / "evidence-loop.jsonl").symlink_to(path / "evidence-loop.jsonl")
    os.mkfifo(path / "evidence-fifo.jsonl")
    (path / "evidence-device.jsonl").symlink_to("/dev/null")
    ev = lenient(path)
    found = {(Path(p.file).name, p.code) for p in ev.report.errors}
    assert found == {
        ("evidence-dangling.jsonl", "unreadable-file"),
        ("evidence-loop.jsonl", "unreadable-file"),
        ("evidence-fifo.jsonl", "unreadable-file"),
        ("evidence-device.jsonl", "unreadable-file"),
    }
    messages = {Path(p.file).name: p.message for p in ev.report.errors}
    assert "dangling" in messages["evidence-dangling.jsonl"]
    assert "loops" in messages["evidence-loop.jsonl"]
    assert "FIFO" in messages["evidence-fifo.jsonl"]
    assert "device" in messages["evidence-device.jsonl"]
    assert [e.id for e in ev.evidence] == ["ok"]


# --- 6. very many unknown columns ------------------------------------------------------------


def test_two_hundred_thousand_unknown_columns_make_one_problem(tmp_path: Path) -> None:
    (tmp_path / "companies.csv").write_text("id,name,hq_country\nacme,Acme Fictional,NL\n")
    extra = [f"x{i}" for i in range(200_000)]
    header = HEADER + "," + ",".join(extra)
    row = ROW.format(id="a") + "," + ",".join("v" for _ in extra)
    (tmp_path / "evidence.csv").write_text(header + "\n" + row + "\n")
    ev = lenient(tmp_path)
    [problem] = ev.report.problems
    assert problem.code == "unknown-column"
    assert problem.message.startswith("200,000 unknown columns: 'x0', 'x1', 'x10'")
    assert "and 199,995 more" in problem.message
    assert ev.report.rejected_count("evidence") == 1


def test_a_few_unknown_columns_are_still_named_one_by_one(tmp_path: Path) -> None:
    (tmp_path / "companies.csv").write_text("id,name,hq_country\nacme,Acme Fictional,NL\n")
    (tmp_path / "evidence.csv").write_text(
        HEADER + ",colour,size\n" + ROW.format(id="a") + ",red,\n" + ROW.format(id="b") + ",,\n"
    )
    ev = lenient(tmp_path)
    assert [(p.code, p.field) for p in ev.report.errors] == [
        ("unknown-column", "colour"),
        ("unknown-column", "size"),
    ]
    assert [e.id for e in ev.evidence] == ["b"]  # only the row with a value is rejected


# --- field sizes -----------------------------------------------------------------------------


def test_long_json_strings_and_csv_cells_are_located(tmp_path: Path) -> None:
    limits = Limits(max_field_chars=50)
    long = "x" * 60
    (tmp_path / "j").mkdir()
    path = jsonl_bundle(tmp_path / "j", [])
    write_jsonl(path / "evidence.jsonl", [record(id="ok"), record(id="long", region=long)])
    ev = lenient(path, limits=limits)
    assert codes(ev) == [(2, "too-long", "region")]
    assert "60 characters long, over the limit of 50" in ev.report.errors[0].message

    flat = tmp_path / "c"
    flat.mkdir()
    (flat / "companies.csv").write_text("id,name,hq_country\nacme,Acme Fictional,NL\n")
    (flat / "evidence.csv").write_text(
        HEADER
        + ",region\n"
        + ROW.format(id="ok")
        + ",Mangystau\n"
        + ROW.format(id="x")
        + f",{long}\n"
    )
    ev = lenient(flat, limits=limits)
    assert codes(ev) == [(3, "too-long", "region")]


@pytest.mark.parametrize("chunk", [1, 300, 2000, "line"])
def test_json_lines_read_in_chunks_give_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int | str
) -> None:
    """Large files are read chunk by chunk; line numbers, problems and records do not depend
    on where the chunks end (every byte, every few hundred bytes mid-line, several lines, or
    exactly at the end of the first line)."""
    from bhrscore.evidence import read_json

    lines = [json.dumps(record(id=f"r{i}")) for i in range(12)]
    lines[3] = '{"id": "broken", '
    lines[7] = ""
    lines[9] = json.dumps(record(id="r9", status="rumoured"))
    body = "\ufeff" + "\r\n".join(lines)  # BOM, CRLF, no final newline
    write_jsonl(tmp_path / "companies.jsonl", [company()])
    (tmp_path / "evidence.jsonl").write_text(body, encoding="utf-8")
    whole = lenient(tmp_path)
    size = len((lines[0] + "\r\n").encode()) if chunk == "line" else chunk  # after the BOM
    monkeypatch.setattr(read_json, "CHUNK_BYTES", size)
    chunked = lenient(tmp_path)
    assert chunked.report.problems == whole.report.problems
    assert [(p.row, p.code) for p in chunked.report.problems] == [
        (None, "bom"),
        (4, "json-syntax"),
        (10, "invalid"),
    ]
    assert [e.id for e in chunked.evidence] == [e.id for e in whole.evidence]
    assert len(chunked.evidence) == 9
    assert chunked.report.rejected[0].row == 4


@pytest.mark.parametrize("size", [1, 5, 8, 64])
def test_whole_lines_cover_the_file_in_blocks_that_end_at_a_line_end(
    monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    """The blocks ``data[:end]`` put together are the file, byte for byte; every block but the
    last ends with a newline, and a line longer than a block stays whole."""
    import io

    from bhrscore.evidence import read_json

    text = 'a\n{"x": "Ω"}\r\n\nlonger line than a block\nlast'.encode()
    monkeypatch.setattr(read_json, "CHUNK_BYTES", size)
    blocks = [bytes(data[:end]) for data, end in read_json._whole_lines(io.BytesIO(text))]
    assert b"".join(blocks) == text
    assert all(b.endswith(b"\n") for b in blocks[:-1])
    assert blocks[-1].endswith(b"last")
    assert any(b"\nlonger line than a block\n" in b"\n" + b for b in blocks)
    if size < 24:  # shorter than the long line: it took more than one read
        assert len(blocks) > 2


@pytest.mark.parametrize("tail", [0, 1, 15, 16, 17, 40])
def test_a_file_little_larger_than_a_block_is_read_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tail: int
) -> None:
    """A file at most a quarter larger than a block is one block (64 bytes: up to 80); a
    larger one is read in blocks as before; either way the blocks are the file, ending at
    line ends (with and without a final newline)."""
    from bhrscore.evidence import read_json

    monkeypatch.setattr(read_json, "CHUNK_BYTES", 64)
    lines = b"".join(b"line %02d\n" % i for i in range(8))  # 64 bytes
    for text in (lines + b"x" * max(tail - 1, 0) + b"\n" * (tail > 0), lines + b"y" * tail):
        path = tmp_path / "evidence.jsonl"
        path.write_bytes(text)
        with open(path, "rb") as fh:
            blocks = [bytes(data[:end]) for data, end in read_json._whole_lines(fh)]
        assert b"".join(blocks) == text
        assert all(b.endswith(b"\n") for b in blocks[:-1])
        assert len(blocks) == (1 if len(text) <= 80 else 2)


def test_object_lines_are_found_as_arrows_string_functions_find_them() -> None:
    """Lines that start with ``{`` and end with ``}\\n`` or ``}\\r\\n``, read from their edge
    bytes, are those ``starts_with`` / ``ends_with`` find: short and empty lines, a first and
    a last line, no final newline, CR without LF, random lines from the same pieces."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from bhrscore.evidence.read import line_offsets
    from bhrscore.evidence.read_json import object_lines

    def expected(data: bytes, offsets: np.ndarray) -> tuple[list[bool], list[bool]]:
        lines = [data[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]
        arr = pa.array(lines, pa.binary())
        starts = pc.fill_null(pc.starts_with(arr, b"{"), False).to_pylist()
        closes = pc.or_(pc.ends_with(arr, b"}\n"), pc.ends_with(arr, b"}\r\n")).to_pylist()
        # by hand too
        assert starts == [line.startswith(b"{") for line in lines]
        assert closes == [line.endswith((b"}\n", b"}\r\n")) for line in lines]
        return starts, closes

    rng = np.random.default_rng(5)
    pieces = [b"{", b"}", b"\n", b"\r", b"\r\n", b"}\n", b"}\r\n", b"x", b'"a": 1', b"\xce\xa9"]
    cases = [
        b"",
        b"\n",
        b"{}\n",
        b"}\n{\n",
        b"{\n}\n\n{}\r\n}",
        b"{}",
        b"\r\n}\r\n",
        b'{"a": 1}\r\n{"b": 2}\n{"c": 3}',
        *[b"".join(rng.choice(pieces, size=int(rng.integers(0, 12)))) for _ in range(400)],
    ]
    for data in cases:
        offsets = line_offsets(data)
        starts, closes = object_lines(data, offsets)
        assert (starts.tolist(), closes.tolist()) == expected(data, offsets)


def test_null_is_found_at_every_position_and_alignment() -> None:
    """The word-wise search for ``null`` (before pyarrow reads a chunk) finds it wherever it
    is: each alignment, at the start and the end, across the slices it compares; and only
    the whole word."""
    from bhrscore.evidence.read_json import holds_null

    for size in range(4, 40):
        for at in range(size - 3):
            text = bytearray(b"x" * size)
            text[at : at + 4] = b"null"
            assert holds_null(bytes(text), step=8), (size, at)
            assert holds_null(memoryview(bytes(text)), step=1 << 20)
        assert not holds_null(b"x" * size, step=8)
    assert not holds_null(b"nul nulL Null nu ll", step=4)
    assert not holds_null(b"")
