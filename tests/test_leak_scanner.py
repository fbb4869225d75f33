"""Leak scanner: a bundle whose protected persons appear in every free-text field, URL, id and
tag, in several Unicode forms, cases and slugs; every command and output format is run on it
with defaults, and every byte written (xlsx parts unzipped, parquet read and raw) and every
line printed is scanned for every form of every name: zero hits. With
``--include-personal-data`` the names do appear, so the scanner can fail."""

from __future__ import annotations

import io
import json
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import company, record
from tests.conftest import run_cli as run

NAMES = ("Zarina Fictionova", "José Núñez Ejemplo")
AS_OF = "2024-12-31"


def forms(name: str) -> set[str]:
    """Every spelling the scanner looks for (case-insensitively)."""
    nfc, nfd = unicodedata.normalize("NFC", name), unicodedata.normalize("NFD", name)
    plain = "".join(c for c in nfd if not unicodedata.combining(c))
    out: set[str] = set()
    for base in (nfc, nfd, plain):
        parts = base.split()
        out |= {base, "-".join(parts), "_".join(parts), "".join(p.title() for p in parts)}
        out.add(quote(base))
        out.add(quote("-".join(parts)))
    return {f.casefold() for f in out}


FORMS = {f for n in NAMES for f in forms(n)}


def spellings(name: str) -> list[str]:
    """How the bundle writes the name: NFC, NFD, upper, lower, slug."""
    nfd = unicodedata.normalize("NFD", name)
    return [name, nfd, name.upper(), name.lower(), "-".join(name.lower().split())]


def slug(name: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))
    return "-".join(plain.lower().split())


def leaky_bundle(root: Path) -> Path:
    zarina, jose = NAMES
    z, j = spellings(zarina), spellings(jose)
    text = f"Reported by {z[1]} and {j[1]}; {z[2]} and {j[2]} again, {j[3]}, {z[0]}."
    source = {
        "url": f"https://news.example.org/{slug(zarina)}/{quote(j[0])}-interview",
        "title": f"Interview: {j[1]} with {z[2]}",
        "publisher": f"Example NGO ({z[3]})",
        "type": "news",
    }
    evidence = [
        record(
            id=f"ud-{slug(zarina)}-2021",
            summary=text,
            sources=[source],
            sensitive=True,
            persons=[zarina, jose],
            tags=[slug(jose), f"about-{slug(zarina)}"],
            region=f"Home of {z[0]}",
            site=f"Site of {j[1]}",
            status="verified",
            company_response={
                "status": "responded",
                "date": "2024-03-01",
                "summary": f"Denies anything about {j[2]}",
                "url": f"https://acme.example.org/{slug(jose)}",
            },
        ),
        record(
            id="e-other",
            date="2024-05-01",
            summary=f"Another report mentions {j[4]} and {z[3]}.",
            sources=[{"url": "https://example.org/report", "title": f"On {z[1]}", "type": "news"}],
            tags=[f"{slug(zarina)}"],
        ),
        record(
            id=f"grp-{slug(jose)}",
            company_id=None,
            group={"description": f"Firms that sacked {z[0]}", "origin_group": "china"},
            summary=f"Testimony of {j[0]}.",
            sources=[
                {
                    "url": f"https://ex.example.org/{slug(zarina)}",
                    "title": "Notes",
                    "type": "interview",
                }
            ],
            sensitive=True,
            persons=[jose],
            tags=[slug(zarina)],
        ),
    ]
    others = [company("other", hq_country="CN"), company("third", hq_country="US")]
    root.mkdir()
    write(root / "companies.jsonl", [company(notes=f"Employer of {z[0]}"), *others])
    write(root / "evidence.jsonl", evidence)
    return root


def write(path: Path, rows: list[dict[str, object]]) -> None:
    """JSON Lines with the names as UTF-8 text (not ``\\u`` escapes)."""
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    path.write_text(text, encoding="utf-8")


def parts(path: Path) -> Iterator[tuple[str, str]]:
    """(where, text) of everything in a written file: xlsx parts, parquet values and bytes."""
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for name in z.namelist():
                yield f"{path.name}:{name}", z.read(name).decode("utf-8", "replace")
        return
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        yield f"{path.name}:values", json.dumps(table.to_pylist(), default=str, ensure_ascii=False)
    yield path.name, data.decode("utf-8", "replace")


def hits(text: str) -> set[str]:
    folded = text.casefold()
    folded_nfc = unicodedata.normalize("NFC", text).casefold()
    return {f for f in FORMS if f in folded or f in folded_nfc}


def commands(bundle: Path, out: Path) -> list[list[str]]:
    b = str(bundle)
    common = ["--as-of", AS_OF]
    rubric = str(Path(__file__).resolve().parents[1] / "rubrics" / "labour-rights.yaml")
    cmds = [
        ["validate", b, *common],
        ["validate", b, *common, "--format", "json"],
        ["validate", b, *common, "--format", "csv"],
        ["score", b, *common, "--explain", "acme", "--explain", "other"],
        ["score", b, *common, "--format", "json", "--explain", "acme"],
        ["score", b, *common, "--format", "csv"],
        ["compare", b, *common, "--evidence", "--by", "origin_group"],
        ["compare", b, *common, "--evidence", "--format", "json"],
        ["compare", b, *common, "--evidence", "--format", "csv", "--table", "testimony"],
        ["sensitivity", b, *common, "--runs", "3"],
        ["sensitivity", b, *common, "--runs", "3", "--format", "json"],
        ["diff", rubric, rubric, "--evidence", b, *common, "--format", "json"],
        ["diff", rubric, rubric, "--evidence", b, *common, "--out", str(out / "diff.csv")],
        ["brief", b, *common, "--out", str(out / "brief.xlsx"), "--format", "json"],
        ["template", "--out", str(out / "template.xlsx")],
        ["schema"],
    ]
    for fmt in ("csv", "json", "parquet"):
        cmds.append(["score", b, *common, "--out", str(out / f"card-{fmt}"), "--out-format", fmt])
    cmds.append(["score", b, "--as-of", f"2024-06-30,{AS_OF}", "--out", str(out / "trend")])
    return cmds


def run_all(
    bundle: Path,
    out: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    only: tuple[str, ...] | None = None,
) -> dict[str, set[str]]:
    """Run the commands (those named in ``only``, default all) and scan what they print and
    write: {where: name forms found}."""
    found: dict[str, set[str]] = {}
    for args in commands(bundle, out):
        if only is not None and args[0] not in only:
            continue
        # template and schema read no evidence and have no such option
        cmd = args if args[0] in ("template", "schema") else [*args, *extra]
        code, stdout, stderr = run(cmd, capsys)
        assert code in (0, 1), (cmd, stderr)
        assert "Traceback" not in stdout + stderr, cmd
        for where, text in (("stdout", stdout), ("stderr", stderr)):
            if h := hits(text):
                found[f"{' '.join(args[:2])} {where}"] = h
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert any(p.suffix == ".parquet" for p in files)
    assert any(p.suffix == ".xlsx" for p in files)
    for path in files:
        for where, text in parts(path):
            if h := hits(text):
                found[where] = h
    return found


def test_no_protected_name_in_any_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = leaky_bundle(tmp_path / "bundle")
    out = tmp_path / "out"
    out.mkdir()
    # the bundle really holds the names in every form the scanner looks for
    raw = "".join(p.read_text(encoding="utf-8") for p in bundle.iterdir())
    assert {"zarina-fictionova", "josé núñez ejemplo"} <= hits(raw)
    assert run_all(bundle, out, capsys, []) == {}


def test_the_scanner_finds_names_when_personal_data_are_included(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = leaky_bundle(tmp_path / "bundle")
    out = tmp_path / "out"
    out.mkdir()
    # the commands whose outputs the assertions below look at (fewer runs, same checks)
    found = run_all(
        bundle, out, capsys, ["--include-personal-data"], only=("score", "compare", "brief")
    )
    where = set(found)
    assert any(w.startswith("brief.xlsx:xl/worksheets/") for w in where)
    assert any(w.startswith("score") and "stdout" in w for w in where)  # --explain ids
    assert any(w.startswith("card-parquet") for w in where)  # evidence ids in the card
    assert any(w.startswith("compare") for w in where)  # testimony text
