"""The importer interface: registry, a user-written importer, and how bundles are written.

The toy importer below is the example of docs/importers.md: a one-module importer for a
fictional benchmark's CSV file (two fictional companies).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from bhrscore import Assessment, Company, Problem, Source, load_evidence, load_rubric, score
from bhrscore.importers import (
    IMPORTERS,
    PUBLISHED_COLUMNS,
    Imported,
    Importer,
    ImporterError,
    ImportOptions,
    ImportProblemsError,
    import_bundle,
    importer,
    importers,
    read_import,
    read_published,
    write_import,
)
from bhrscore.importers import base as importers_base
from bhrscore.importers.table import LINE, read_table, row_problems
from tests.conftest import run_cli

DAY = dt.date(2024, 5, 1)


class ToyBenchmark(Importer):
    """Reads ``toy.csv`` (company,country,question,answer): answers yes/no/n-a."""

    description = "Fictional toy benchmark (test and documentation example)"

    def read(self, src: Path, options: ImportOptions) -> Imported:
        table, problems = read_table(src / "toy.csv")
        assert table is not None
        frame = table.frame
        answers = {"yes": "yes", "no": "no", "n-a": "not_applicable"}
        bad = ~frame["answer"].isin(list(answers))
        problems += row_problems(table, bad, "answer", "expected yes, no or n-a", code="answer")
        url = (options.source_url or "https://example.org/toy") + "/toy.csv"
        source = Source(url=url, title="Toy benchmark results (fictional)")
        companies = [
            Company(id=c.lower(), name=f"{c} Fictional", hq_country=k, sources=[source])
            for c, k in sorted(set(zip(frame["company"], frame["country"], strict=True)))
        ]
        evidence = [
            Assessment(
                id=f"toy-{row['company'].lower()}-{row['question']}",
                company_id=row["company"].lower(),
                date=options.date or DAY,
                country=row["country"],
                summary=f"Toy benchmark answer {row['answer']} (fictional).",
                sources=[source],
                status="verified",  # type: ignore[arg-type]
                framework="toy",
                question_id=row["question"],
                answer=answers[row["answer"]],  # type: ignore[arg-type]
            )
            for row in frame.loc[~bad].to_dict("records")
        ]
        rubric = {
            "id": "toy",
            "version": "1.0.0",
            "title": "Toy benchmark",
            "tree": [
                {
                    "id": q,
                    "title": f"Question {q}",
                    "rationale": "Fictional.",
                    "rule": {
                        "select": {"kind": "assessment", "where": {"question_id": q}},
                        "measure": {"field": "answer", "values": {"yes": 100, "no": 0}},
                        "aggregate": "latest",
                        "scale": {"type": "identity"},
                    },
                }
                for q in sorted(set(frame["question"]))
            ],
        }
        published = pd.DataFrame(
            {"company_id": ["alpha"], "node": ["total"], "score": [50.0], "source_url": [url]}
        ).astype(PUBLISHED_COLUMNS)
        imported = Imported(
            importer=self.name,
            release="1",
            layout="toy",
            companies=tuple(companies),
            evidence=tuple(evidence),
            rubric=rubric,
            published=published,
            files={"notes/README.txt": "Fictional.\n"},
            manifest={"importer": self.name, "rows": len(frame)},
        )
        imported.report.add(problems)
        return imported


@pytest.fixture
def toy() -> Iterator[type[Importer]]:
    registered = importer("toy")(ToyBenchmark)
    yield registered
    IMPORTERS.unregister("toy")


def _toy_src(tmp_path: Path, rows: list[str]) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "toy.csv").write_text(
        "company,country,question,answer\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    return src


def test_a_registered_importer_is_found_by_name_and_written_as_a_bundle(
    toy: type[Importer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert toy.name == "toy"
    assert "toy" in importers()
    assert "rdr" in importers()  # the built-in one is still there
    src = _toy_src(
        tmp_path, ["Alpha,NL,Q1,yes", "Alpha,NL,Q2,n-a", "Beta,DE,Q1,no", "Beta,DE,Q2,no"]
    )
    out = tmp_path / "out"
    code, stdout, _ = run_cli(
        ["import", "toy", str(src), str(out), "--out-format", "jsonl"], capsys
    )
    assert code == 0, stdout
    assert (out / "notes" / "README.txt").read_text(encoding="utf-8") == "Fictional.\n"
    evidence = load_evidence(out, as_of=DAY)
    assert len(evidence) == 4
    assert evidence.report.ok
    assert not evidence.report.warnings
    card = score(evidence, load_rubric(out / "rubric.yaml"), as_of=DAY)
    total = card.companies.set_index("company_id")["total"]
    # Alpha: Q1 yes = 100, Q2 not applicable (excluded) -> 100; Beta: no, no -> 0
    assert total["alpha"] == pytest.approx(100)
    assert total["beta"] == pytest.approx(0)
    assert read_published(out)["score"].tolist() == [50.0]


def test_rows_an_importer_cannot_map_stop_the_write(
    toy: type[Importer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _toy_src(tmp_path, ["Alpha,NL,Q1,yes", "Beta,DE,Q1,maybe"])
    out = tmp_path / "out"
    code, _, err = run_cli(["import", "toy", str(src), str(out)], capsys)
    assert code == 1
    assert "toy.csv:3: error: answer: expected yes, no or n-a (got 'maybe')" in err
    assert not out.exists()
    imported = read_import("toy", src)
    with pytest.raises(ImportProblemsError, match="1 problem in the source files"):
        write_import(imported, out)
    with pytest.raises(ImportProblemsError):
        import_bundle("toy", src, out)
    assert not out.exists()


def test_registering_something_else_fails() -> None:
    with pytest.raises(TypeError, match="not an Importer subclass"):
        importer("bad")(object)  # type: ignore[type-var]
    assert "bad" not in importers()


def test_unknown_importer_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ImporterError, match=r"unknown importer 'nope' \(known: rdr"):
        read_import("nope", tmp_path)


def test_unknown_format_is_refused(toy: type[Importer], tmp_path: Path) -> None:
    src = _toy_src(tmp_path, ["Alpha,NL,Q1,yes"])
    with pytest.raises(ImporterError, match="unknown format 'xml'"):
        write_import(read_import("toy", src), tmp_path / "out", "xml")


def test_row_problems_name_line_field_and_value(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('a,b\n1,"x\ny"\n2,z\n3\n', encoding="utf-8")
    table, problems = read_table(path)
    assert table is not None
    assert table.frame[LINE].tolist() == [2, 4]  # the quoted line break: row 2 spans lines 2-3
    assert [(p.row, p.code) for p in problems] == [(5, "ragged-row")]
    found = row_problems(table, table.frame["b"] == "z", "b", "no z", code="z")
    assert [(p.file, p.row, p.field, p.value) for p in found] == [(str(path), 4, "b", "z")]
    assert isinstance(found[0], Problem)
    assert table.missing(("a", "c", "b")) == ["c"]


def test_installed_packages_provide_importers_through_entry_points(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded: list[str] = []

    class Entry:
        name = "toy"

        def load(self) -> object:
            loaded.append(self.name)
            return importer("toy")(ToyBenchmark)

    def fake_entry_points(group: str) -> list[Entry]:
        return [Entry()] if group == "bhrscore.importers" else []

    monkeypatch.setattr(importers_base, "entry_points", fake_entry_points)
    try:
        assert "toy" in importers()
        assert loaded == ["toy"]
        assert "toy" in importers()
        assert loaded == ["toy"]  # loaded once: a registered name is not loaded again
    finally:
        IMPORTERS.unregister("toy")


def test_the_package_attribute_is_the_importers_module() -> None:
    import types

    import bhrscore

    assert isinstance(bhrscore.importers, types.ModuleType)  # not shadowed by a re-export
    assert bhrscore.importers.importers is importers
