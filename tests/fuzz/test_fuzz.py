"""The fuzz suite (issue 12): damaged copies of a valid bundle in every format.

Each example writes a mutated bundle (bytes, structure, values, encodings; see
:mod:`tests.fuzz.mutate`), loads it with the library (lenient) and runs ``bhrscore validate``
in-process. Every run must end in exit 0 or 1, matching the library's verdict, with no
traceback and no exception escaping, and the counts must add up: ``valid + rejected ==
read``. A few runs go on through ``score`` and ``brief``.

Runs are derandomized (the same examples every time, so CI is reproducible) and bounded:
``BHRSCORE_FUZZ_EXAMPLES=N`` runs N examples per test instead of the defaults in
:data:`tests.fuzz.bundle.DEFAULT_EXAMPLES` (see docs/contributing.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .bundle import (
    AS_OF,
    Originals,
    bundle_dir,
    check_bundle,
    check_load,
    examples,
    originals,
    run_cli,
)
from .mutate import (
    csv_text,
    dumps,
    encode,
    mutate_bytes,
    mutate_records,
    mutate_rows,
    mutate_yaml,
    mutate_zip_member,
    parse_csv,
    to_obj,
    workbook,
)

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = st.sampled_from(["json", "json", "text", "csv", "github"])


def fuzz(target: str) -> Callable[[F], F]:
    """Hypothesis settings of one fuzz test: bounded, derandomized (unless
    ``BHRSCORE_FUZZ_RANDOM=1``, for exploring), no example database; no shrinking unless
    ``BHRSCORE_FUZZ_SHRINK=1`` (a failure is reported with its draws at once instead of
    minutes later)."""
    phases = [Phase.explicit, Phase.generate]
    if os.environ.get("BHRSCORE_FUZZ_SHRINK") == "1":
        phases.append(Phase.shrink)
    return settings(
        phases=phases,
        max_examples=examples(target),
        deadline=None,
        derandomize=os.environ.get("BHRSCORE_FUZZ_RANDOM") != "1",
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def base(root: Path) -> Originals:
    return originals(root / "originals")


def test_the_originals_are_valid(root: Path, base: Originals) -> None:
    """Every mutation starts from a bundle that is valid in every format (else a fuzz run
    that ends in 'invalid' would prove nothing)."""
    for fmt, files in base.files.items():
        with bundle_dir(root, files) as path:
            ev = check_bundle(path, "json")
            assert ev.report.errors == [], (fmt, ev.report.errors[:3])
            assert (len(ev.companies), len(ev.evidence)) == (3, 12), fmt


def _text_mutation(data: st.DataObject, text: str, structured: Callable[[str], str]) -> bytes:
    """A structural change (``structured``), then an encoding, then maybe raw bytes."""
    how = data.draw(st.sampled_from(["structure", "structure", "bytes", "both"]))
    if how != "bytes":
        text = structured(text)
    blob = encode(data, text) if how != "bytes" else text.encode("utf-8")
    if how != "structure":
        blob = mutate_bytes(data, blob)
    return blob


def _jsonl_lines(data: st.DataObject) -> Callable[[str], str]:
    def change(text: str) -> str:
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
        lines = [dumps(r) for r in mutate_records(data, records)]
        if data.draw(st.integers(0, 4)) == 0:  # blank lines, or two records on one line
            i = data.draw(st.integers(0, max(0, len(lines) - 2)))
            lines[i : i + 2] = (
                [" ".join(lines[i : i + 2])]
                if data.draw(st.booleans())
                else [
                    "",
                    *lines[i : i + 2],
                    "  ",
                ]
            )
        return "\n".join(lines) + ("\n" if data.draw(st.booleans()) else "")

    return change


@fuzz("jsonl")
@given(data=st.data())
def test_fuzz_jsonl(root: Path, base: Originals, data: st.DataObject) -> None:
    files = dict(base.files["jsonl"])
    targets = data.draw(
        st.sampled_from([["evidence.jsonl"], ["evidence.jsonl"], ["companies.jsonl"], list(files)])
    )
    for name in targets:
        files[name] = _text_mutation(data, files[name].decode("utf-8"), _jsonl_lines(data))
    if data.draw(st.integers(0, 4)) == 0:  # a second evidence file in another format
        files["evidence-more.csv"] = base.files["csv"]["evidence.csv"]
    with bundle_dir(root, files) as path:
        check_bundle(path, data.draw(FORMATS))


@fuzz("json")
@given(data=st.data())
def test_fuzz_json(root: Path, base: Originals, data: st.DataObject) -> None:
    def change(text: str) -> str:
        doc = json.loads(text)
        top = data.draw(st.integers(0, 9))
        if top == 0:  # the document's shape itself
            shapes: list[Any] = [
                [],
                doc["evidence"],
                {"evidence": doc["evidence"]},
                {"companies": doc["companies"]},
                {"companies": doc["companies"], "evidence": doc["evidence"], "extra": 1},
                {"companies": doc["companies"], "evidence": {"0": doc["evidence"][0]}},
                {"companies": None, "evidence": doc["evidence"]},
            ]
            return dumps(to_obj(data.draw(st.sampled_from(shapes))))
        if top == 1:  # a key given twice
            obj = to_obj(doc)
            obj.append(("evidence", to_obj(doc["evidence"][:2])))
            return dumps(obj)
        table = data.draw(st.sampled_from(["evidence", "evidence", "companies"]))
        out = to_obj(doc)
        out[:] = [(k, mutate_records(data, v) if k == table else v) for k, v in out]
        return dumps(out)

    blob = _text_mutation(data, base.files["json"]["bundle.json"].decode("utf-8"), change)
    with bundle_dir(root, {"bundle.json": blob}) as path:
        check_bundle(path, data.draw(FORMATS))


@fuzz("csv")
@given(data=st.data())
def test_fuzz_csv(root: Path, base: Originals, data: st.DataObject) -> None:
    files = dict(base.files["csv"])
    targets = data.draw(
        st.sampled_from([["evidence.csv"], ["evidence.csv"], ["companies.csv"], list(files)])
    )

    def change(text: str) -> str:
        return csv_text(data, mutate_rows(data, parse_csv(text)))

    for name in targets:
        files[name] = _text_mutation(data, files[name].decode("utf-8"), change)
    with bundle_dir(root, files) as path:
        check_bundle(path, data.draw(FORMATS))


@fuzz("xlsx-cells")
@given(data=st.data())
def test_fuzz_xlsx_cells(root: Path, base: Originals, data: st.DataObject) -> None:
    """Workbooks written by openpyxl with changed cells, columns, rows and sheets."""
    sheets = {t.title(): parse_csv(base.csv_text[t]) for t in ("companies", "evidence")}
    for name in data.draw(st.sampled_from([["Evidence"], ["Companies"], list(sheets)])):
        sheets[name] = mutate_rows(data, sheets[name])
    with bundle_dir(root, {"bundle.xlsx": workbook(data, sheets)}) as path:
        check_bundle(path, data.draw(FORMATS))


@fuzz("xlsx-bytes")
@given(data=st.data())
def test_fuzz_xlsx_bytes(root: Path, base: Originals, data: st.DataObject) -> None:
    """The workbook's zip damaged as a whole, or one of its XML parts inside an intact zip."""
    blob = base.files["xlsx"]["bundle.xlsx"]
    whole = data.draw(st.booleans())
    blob = mutate_bytes(data, blob) if whole else mutate_zip_member(data, blob)
    with bundle_dir(root, {"bundle.xlsx": blob}) as path:
        check_bundle(path, data.draw(FORMATS))


@fuzz("outputs")
@given(data=st.data())
def test_fuzz_score_and_brief(root: Path, base: Originals, data: st.DataObject) -> None:
    """A few damaged bundles through ``score --out`` and ``brief``: exit 0 or 1, no
    traceback, exit 1 whenever the library finds an error, and a failed run writes nothing
    (no output, no temp file)."""
    files = dict(base.files["jsonl"])
    lines = files["evidence.jsonl"].decode("utf-8").splitlines()
    records = mutate_records(data, [json.loads(line) for line in lines], max_ops=2)
    files["evidence.jsonl"] = "".join(dumps(r) + "\n" for r in records).encode("utf-8")
    with bundle_dir(root, files) as path:
        ev = check_load(path)
        runs = {
            "score": ["--out", "card"],
            "brief": ["--out", "b.xlsx"],
        }
        for command, (option, name) in runs.items():
            out = path / f"out-{command}"
            out.mkdir()
            args = [command, str(path), "--as-of", AS_OF.isoformat(), option, str(out / name)]
            code, stdout, stderr = run_cli(args)
            assert "Traceback" not in stdout + stderr, stderr[-3000:]
            assert code in (0, 1), (command, code, stderr[-3000:])
            if not ev.report.ok:
                assert code == 1, (command, stderr[-3000:])
            written = sorted(p.name for p in out.iterdir())
            if code == 1:
                assert written == [], (command, written)
            else:
                assert [n for n in written if n.startswith(name)] == written, written
                assert any(n.startswith(name) for n in written), command


RUBRICS = Path(__file__).resolve().parents[1] / "rubrics"


@fuzz("rubric")
@given(data=st.data())
def test_fuzz_rubric_check(root: Path, base: Originals, data: st.DataObject) -> None:
    """A rubric and its golden cases, damaged, through ``check`` (and the rubric through
    ``score``): exit 0 or 1, never a traceback."""
    name = data.draw(st.sampled_from(["basic-aggregations", "points", "conditional-weights"]))
    files = {
        f"{name}.yaml": (RUBRICS / f"{name}.yaml").read_bytes(),
        f"{name}.cases.yaml": (RUBRICS / f"{name}.cases.yaml").read_bytes(),
    }
    target = data.draw(st.sampled_from(sorted(files)))
    text = files[target].decode("utf-8")
    files[target] = _text_mutation(data, text, lambda t: mutate_yaml(data, t))
    with bundle_dir(root, files) as path:
        rubric, cases = (str(path / n) for n in (f"{name}.yaml", f"{name}.cases.yaml"))
        code, out, err = run_cli(["check", "--quiet", rubric, cases])
        assert "Traceback" not in out + err, err[-3000:]
        assert code in (0, 1), (code, err[-3000:])
        if target.endswith(".cases.yaml"):
            return
        bundle = path / "bundle"
        bundle.mkdir()
        for file, content in base.files["jsonl"].items():
            (bundle / file).write_bytes(content)
        args = ["score", str(bundle), "--rubric", rubric, "--as-of", AS_OF.isoformat()]
        code, out, err = run_cli(args)
        assert "Traceback" not in out + err, err[-3000:]
        assert code in (0, 1), (code, err[-3000:])
