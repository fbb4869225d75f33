"""Reading JSON Lines evidence ahead (bhrscore.evidence.prefetch): the written-out schema is
the one the loader derives, and loading with a file read ahead gives the same evidence,
problems and messages as without, whatever happened to the file or the parse meanwhile."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.json as pj
import pytest

from bhrscore.cli import main
from bhrscore.evidence import prefetch, read_json
from bhrscore.evidence.load import load_evidence
from bhrscore.evidence.write import write_evidence
from bhrscore.synthetic import synthetic_evidence

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


@pytest.fixture(autouse=True)
def small_files(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Test bundles are small: read them ahead all the same; nothing left over after."""
    monkeypatch.setattr(prefetch, "MIN_BYTES", 0)
    yield
    prefetch._PENDING.clear()


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many bytes each parse by the loader (not the prefetch's thread) read."""
    sizes: list[int] = []
    real = pj.read_json

    def counted(source: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name != "bhrscore-prefetch":
            sizes.append(source.size())
        return real(source, **kwargs)

    monkeypatch.setattr(pj, "read_json", counted)
    return sizes


def _bundle(root: Path, companies: int = 6, records: int = 300) -> Path:
    write_evidence(synthetic_evidence(companies, records, seed=4), root, format="jsonl")
    return root


def _same(a: Any, b: Any) -> None:
    assert a.content_hash() == b.content_hash()
    pd.testing.assert_frame_equal(a.frames().evidence, b.frames().evidence)
    assert [str(p) for p in a.report.problems] == [str(p) for p in b.report.problems]
    assert a.report.read == b.report.read
    assert a.report.valid == b.report.valid


def test_written_out_schema_is_the_derived_one() -> None:
    derived = read_json.arrow_schema("evidence")
    written = tuple((f.name, prefetch.spec_of(f.type)) for f in derived)
    assert written == prefetch.EVIDENCE, f"update prefetch.EVIDENCE to {written!r}"
    assert prefetch.evidence_schema().equals(derived)


def test_sizes_agree_with_the_loader() -> None:
    # a file read ahead must be one block of the loader, or its bytes could not be used
    assert prefetch.MAX_BYTES == read_json.CHUNK_BYTES + read_json.CHUNK_BYTES // 4
    assert read_json.ARROW_BLOCK_BYTES == prefetch.ARROW_BLOCK_BYTES


def test_spec_round_trips_and_refuses_other_types() -> None:
    import pyarrow as pa

    specs: list[prefetch.Spec] = ["s", "i", "f", "b", ["s"], (("a", "f"), ("b", ["i"]))]
    for spec in specs:
        assert prefetch.spec_of(prefetch.arrow_type(spec)) == spec
    with pytest.raises(ValueError, match="no spec"):
        prefetch.spec_of(pa.date32())


def test_candidates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "evidence.jsonl").write_bytes(b"x" * 50)
    (bundle / "evidence-2024.ndjson").write_bytes(b"x" * 80)
    (bundle / "companies.jsonl").write_bytes(b"x" * 500)  # small: not worth it
    (bundle / "evidence.csv").write_bytes(b"x" * 500)  # not JSON Lines
    (bundle / "evidence-big.jsonl").write_bytes(b"x" * 200)
    os.mkfifo(bundle / "evidence-pipe.jsonl")  # never opened (it would block)
    loose = tmp_path / "evidence-loose.JSONL"
    loose.write_bytes(b"x" * 60)
    monkeypatch.setattr(prefetch, "MAX_BYTES", 100)
    found = prefetch.candidates([bundle, loose, tmp_path / "missing"])
    assert found == [bundle / "evidence-2024.ndjson", loose, bundle / "evidence.jsonl"]
    monkeypatch.setattr(prefetch, "MIN_BYTES", 70)
    assert prefetch.candidates([bundle, loose]) == [bundle / "evidence-2024.ndjson"]
    assert prefetch.start([tmp_path / "missing"]) is None


def test_loading_with_the_file_read_ahead_is_the_same(tmp_path: Path, parses: list[int]) -> None:
    bundle = _bundle(tmp_path / "b")
    plain = load_evidence(bundle)
    assert len(parses) == 2  # companies and evidence
    parses.clear()
    job = prefetch.start([bundle])
    assert job is not None
    assert job.path == bundle / "evidence.jsonl"
    ahead = load_evidence(bundle)
    _same(ahead, plain)
    # the loader parsed only the companies: the evidence table was the one parsed ahead
    assert parses == [(bundle / "companies.jsonl").stat().st_size]
    assert job.table is None  # handed over, nothing held
    assert not prefetch._PENDING


def test_a_file_changed_after_the_read_is_read_again(tmp_path: Path, parses: list[int]) -> None:
    bundle = _bundle(tmp_path / "b")
    job = prefetch.start([bundle])
    assert job is not None
    job.done.wait()
    path = bundle / "evidence.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))  # one record fewer: the loader must see it
    ahead = load_evidence(bundle)
    assert ahead.report.read["evidence"] == len(lines) - 1
    assert parses[-1] == path.stat().st_size  # parsed by the loader, not taken
    _same(ahead, load_evidence(bundle))


def test_another_schema_is_parsed_again(
    tmp_path: Path, parses: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # e.g. a plug-in kind adds fields: the table parsed ahead does not fit and is not used
    bundle = _bundle(tmp_path / "b")
    plain = load_evidence(bundle)
    parses.clear()
    monkeypatch.setattr(prefetch, "EVIDENCE", prefetch.EVIDENCE[:-1])
    job = prefetch.start([bundle])
    assert job is not None
    _same(load_evidence(bundle), plain)
    assert len(parses) == 2  # evidence parsed again by the loader


def test_bad_lines_give_the_same_problems(tmp_path: Path, parses: list[int]) -> None:
    bundle = _bundle(tmp_path / "b")
    path = bundle / "evidence.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    # a malformed line (pyarrow refuses the whole file), a null, a line that is not an object
    lines[3] = lines[3][:-3] + b",,}\n"
    lines[7] = lines[7].replace(b'"summary": ', b'"summary": null, "x": ', 1)
    lines[9] = b"[1, 2]\n"
    path.write_bytes(b"".join(lines))
    plain = load_evidence(bundle, strict=False)
    assert plain.report.errors  # the test means something
    prefetch.start([bundle])
    _same(load_evidence(bundle, strict=False), plain)


def test_a_same_size_rewrite_with_the_old_time_is_read_again(
    tmp_path: Path, parses: list[int]
) -> None:
    """``cp -p`` or an archive can put other bytes of the same size in place with the old
    modification time: the status-change time still tells, and the loader reads the file."""
    bundle = _bundle(tmp_path / "b")
    path = bundle / "evidence.jsonl"
    job = prefetch.start([bundle])
    assert job is not None
    job.done.wait()
    before = path.stat()
    data = path.read_bytes()
    at = data.index(b'"id": "') + len(b'"id": "')
    changed = data[:at] + (b"t" if data[at : at + 1] != b"t" else b"u") + data[at + 1 :]
    assert len(changed) == len(data)
    assert changed != data
    path.write_bytes(changed)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )
    ahead = load_evidence(bundle)
    assert parses[-1] == len(changed)  # parsed by the loader: the bytes read ahead are old
    assert ahead.frames().evidence["id"].iloc[0] == changed[at:].split(b'"')[0].decode()
    _same(ahead, load_evidence(bundle))


def test_lines_for_python_let_the_table_go(tmp_path: Path, parses: list[int]) -> None:
    """When some lines need Python (here a null in a required field), the loader parses the
    rest itself and the table read ahead is dropped, not held through that parse."""
    bundle = _bundle(tmp_path / "b")
    path = bundle / "evidence.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[7] = lines[7].replace(b'"summary": ', b'"summary": null, "x": ', 1)
    path.write_bytes(b"".join(lines))
    plain = load_evidence(bundle, strict=False)
    assert plain.report.errors
    parses.clear()
    job = prefetch.start([bundle])
    assert job is not None
    job.done.wait()
    assert job.table is not None  # pyarrow read the file: the null is the loader's to judge
    _same(load_evidence(bundle, strict=False), plain)
    assert job.table is None
    assert not job.wanted
    assert parses[-1] < path.stat().st_size  # the good lines, parsed by the loader


def test_a_fifo_in_the_file_s_place_does_not_hold_the_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thread is not a daemon (the process waits for it at exit): a FIFO swapped in
    for the file must not block it in open(), and start() itself turns one away."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    bundle = _bundle(tmp_path / "b")
    real = bundle / "evidence.jsonl"
    fifo = tmp_path / "evidence.jsonl"
    os.mkfifo(fifo)
    monkeypatch.setattr(prefetch, "candidates", lambda paths: [fifo])
    assert prefetch.start([bundle]) is None
    job = prefetch.Prefetch(fifo, prefetch._identity(real.stat()))
    reader = threading.Thread(target=prefetch._read, args=(job,), daemon=True)
    reader.start()
    try:
        assert job.read.wait(5)  # returned at once, with nothing read
        assert job.data == b""
    finally:
        if reader.is_alive():  # the old behaviour: release the blocked open()
            with open(fifo, "wb"):
                pass


def test_no_thread_means_no_prefetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = _bundle(tmp_path / "b")

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    with monkeypatch.context() as patched:
        patched.setattr(threading.Thread, "start", refuse)
        assert prefetch.start([bundle]) is None
    assert not prefetch._PENDING
    assert load_evidence(bundle).report.read["evidence"] == 300


def test_a_byte_order_mark_is_left_to_the_loader(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "b")
    path = bundle / "evidence.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    plain = load_evidence(bundle, strict=False)
    job = prefetch.start([bundle])
    assert job is not None
    job.done.wait()
    assert job.table is None  # not parsed ahead: the loader reads past the mark
    _same(load_evidence(bundle, strict=False), plain)
    assert not prefetch._PENDING


def test_brief_output_is_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    bundle = _bundle(tmp_path / "b", companies=10, records=600)
    used: list[bool] = []
    real = prefetch.Prefetch.table_for

    def table_for(self: prefetch.Prefetch, body: bytes | bytearray, schema: Any) -> Any:
        table = real(self, body, schema)
        used.append(table is not None)
        return table

    monkeypatch.setattr(prefetch.Prefetch, "table_for", table_for)
    outputs = []
    for minimum in (10**12, 0):  # no file read ahead, then the evidence read ahead
        monkeypatch.setattr(prefetch, "MIN_BYTES", minimum)
        out = tmp_path / str(minimum) / "brief.xlsx"  # the same name: the sheets cite it
        out.parent.mkdir()
        args = ["brief", str(bundle), "--as-of", "2026-01-01", "--quiet", "--out", str(out)]
        with pytest.raises(SystemExit) as done:
            main([*args, "--evidence-rows", "10", "--format", "json"])
        assert done.value.code == 0
        book = openpyxl.load_workbook(out, read_only=True)
        cells = {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
        outputs.append((cells, out.with_suffix(".evidence.csv").read_bytes()))
        book.close()
    assert used == [True]  # only the second run read ahead, and its table was used
    assert outputs[0] == outputs[1]
    assert len(outputs[0][1]) > 1000
