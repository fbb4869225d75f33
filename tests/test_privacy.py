"""The one privacy policy (bhrscore.evidence.privacy): matching in every Unicode form, slugs and
ids; opaque ids; links; score cards; validation messages; the example's briefing."""

from __future__ import annotations

import datetime as dt
import io
import json
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bhrscore import load_evidence, score
from bhrscore.evidence.privacy import REDACTED, WITHHELD, Privacy, opaque_id
from tests.conftest import company, record
from tests.conftest import run_cli as run

ROOT = Path(__file__).resolve().parents[1]
POLICY = Privacy(("José Núñez Ejemplo", "Zarina Fictionova"))


@pytest.mark.parametrize(
    "text",
    [
        "José Núñez Ejemplo",
        unicodedata.normalize("NFD", "José Núñez Ejemplo"),
        "JOSÉ NÚÑEZ EJEMPLO",
        "jose nunez ejemplo",  # accent-insensitive
        "jose-nunez-ejemplo",
        "jose_nunez_ejemplo",
        "JoseNunezEjemplo",
        "Jos%C3%A9%20N%C3%BA%C3%B1ez%20Ejemplo",
        "ＺＡＲＩＮＡ ＦＩＣＴＩＯＮＯＶＡ",  # full-width (NFKC)
        "Fictionova, Zarina",  # surname first
        "Zari\u200bna Fictionova",  # zero-width space inside
    ],
)
def test_every_form_of_a_name_is_redacted(text: str) -> None:
    assert POLICY.text(f"met {text} there") == f"met {REDACTED} there"


@pytest.mark.parametrize("text", ["Zarinafictionova", "Zarina Fictionovas", "Jose Nunez"])
def test_other_words_are_kept(text: str) -> None:
    assert POLICY.text(text) == text


def test_opaque_ids_are_stable_and_only_for_ids_carrying_a_name() -> None:
    ids = pd.Series(["ud-zarina-fictionova-2021", "e-plain"], dtype="string")
    new, hit = POLICY.id_series(ids)
    assert hit.tolist() == [True, False]
    assert new.iloc[1] == "e-plain"
    assert new.iloc[0] == opaque_id("ud-zarina-fictionova-2021")
    assert new.iloc[0].startswith("rec-")
    assert len(new.iloc[0]) == 14  # "rec-" + 10 hex digits
    tuples = pd.Series([("e-plain", "ud-zarina-fictionova-2021"), ()], dtype=object)
    mapped, hit = POLICY.id_series(tuples)
    assert mapped.iloc[0] == ("e-plain", new.iloc[0])
    assert hit.tolist() == [True, False]


def test_a_link_carrying_a_name_becomes_domain_and_redacted_title() -> None:
    urls = pd.Series(["https://www.example.org/jose-nunez-ejemplo", "https://example.org/a"])
    titles = pd.Series(["Talk with José Núñez Ejemplo", "Other"])
    new, hit = POLICY.url_series(urls, titles)
    assert hit.tolist() == [True, False]
    assert new.iloc[0] == f"[link removed] example.org: Talk with {REDACTED}"
    assert new.iloc[1] == "https://example.org/a"


def _bundle(tmp_path: Path, *, bad_row: bool = False) -> Path:
    evidence = [
        record(
            id="ud-zarina-fictionova-2021",
            sensitive=True,
            persons=["Zarina Fictionova"],
            summary="Zarina Fictionova was dismissed.",
            status="verified",
        ),
        record(id="e-plain", date="2024-03-01", summary="Plain record."),
    ]
    if bad_row:
        evidence.append(
            record(
                id="e-bad",
                sensitive=True,
                persons=["Irena Hidden"],
                status="Irena Hidden told us",  # invalid status: echoed in messages
            )
        )
    (tmp_path / "companies.jsonl").write_text(json.dumps(company()) + "\n", encoding="utf-8")
    lines = "".join(json.dumps(r) + "\n" for r in evidence)
    (tmp_path / "evidence.jsonl").write_text(lines, encoding="utf-8")
    return tmp_path


def test_scores_are_identical_and_only_ids_change(tmp_path: Path) -> None:
    from bhrscore.rubric import default_rubric_path
    from bhrscore.rubric.model import load_rubric

    evidence = load_evidence(_bundle(tmp_path))
    rubric = load_rubric(default_rubric_path())
    day = dt.date(2024, 12, 31)
    shown = score(evidence, rubric, day)
    full = score(evidence, rubric, day, include_personal_data=True)
    for table in ("companies", "nodes"):
        cols = [c for c in getattr(full, table).columns if c not in ("when_evidence_ids",)]
        pd.testing.assert_frame_equal(getattr(shown, table)[cols], getattr(full, table)[cols])
    pd.testing.assert_series_equal(shown.indicators["score"], full.indicators["score"])
    assert shown.meta.evidence_hash == full.meta.evidence_hash
    flat_full = {i for ids in full.indicators["evidence_ids"] for i in ids}
    flat_shown = {i for ids in shown.indicators["evidence_ids"] for i in ids}
    assert "ud-zarina-fictionova-2021" in flat_full
    assert "ud-zarina-fictionova-2021" not in flat_shown
    assert opaque_id("ud-zarina-fictionova-2021") in flat_shown
    assert "zarina" not in shown.explain("acme").casefold()


def test_compare_evidence_redacts_testimony_by_default(tmp_path: Path) -> None:
    from bhrscore.analysis.evidence_compare import compare_evidence

    evidence = load_evidence(_bundle(tmp_path))
    frames = evidence.frames()
    testimony = record(
        id="t-zarina-fictionova",
        company_id=None,
        group={"description": "Zarina Fictionova's employers", "origin_group": "china"},
        summary="ZARINA FICTIONOVA testified.",
    )
    extra = load_evidence_from([company()], [testimony], tmp_path / "t")
    ev = pd.concat([frames.evidence, extra.frames().evidence], ignore_index=True)
    mixed = type(frames)(frames.companies, ev)
    text = json.dumps(compare_evidence(mixed).to_dict()["testimony"])
    assert "zarina" not in text.casefold()
    assert REDACTED in text
    opted = json.dumps(compare_evidence(mixed, include_personal_data=True).to_dict())
    assert "ZARINA FICTIONOVA" in opted


def load_evidence_from(companies: list[Any], evidence: list[Any], root: Path) -> Any:
    root.mkdir()
    (root / "companies.jsonl").write_text("".join(json.dumps(c) + "\n" for c in companies))
    (root / "evidence.jsonl").write_text("".join(json.dumps(r) + "\n" for r in evidence))
    return load_evidence(root)


def test_rejected_sensitive_values_are_not_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _bundle(tmp_path, bad_row=True)
    for args in (["validate", str(bundle)], ["score", str(bundle), "--as-of", "2024-12-31"]):
        code, out, err = run(args, capsys)
        assert code == 1
        assert "irena" not in (out + err).casefold()
        assert "zarina" not in (out + err).casefold()
        assert WITHHELD in out + err
    code, out, _ = run(["validate", str(bundle), "--include-personal-data"], capsys)
    assert "Irena Hidden told us" in out  # the scanner above could fail


def test_example_briefing_has_no_protected_name_in_any_part(tmp_path: Path) -> None:
    from bhrscore.export.briefing import write_briefing
    from bhrscore.rubric import default_rubric_path
    from bhrscore.rubric.model import load_rubric

    evidence = load_evidence(ROOT / "examples/kazakhstan")
    names = Privacy.of(evidence).names
    assert "Mukhtar Umbetov" in names  # derived from the data, not only hard-coded
    card = score(evidence, load_rubric(default_rubric_path()), dt.date(2026, 11, 30))
    path = tmp_path / "briefing.xlsx"
    result = write_briefing(card, path, evidence=evidence)
    assert result.redacted_urls > 0  # the bhrrc.org interview links carry his name
    forms = set()
    for name in names:
        parts = name.casefold().split()
        forms |= {" ".join(parts), "-".join(parts), "_".join(parts), "%20".join(parts)}
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
        for part in z.namelist():
            text = z.read(part).decode("utf-8", "replace").casefold()
            assert not [f for f in forms if f in text], part


def test_the_redacted_view_of_the_example_holds_no_protected_name() -> None:
    from bhrscore import redact_evidence

    evidence = load_evidence(ROOT / "examples/kazakhstan")
    view = redact_evidence(evidence)
    surnames = {n.split()[-1].casefold() for n in view.privacy.names}
    assert "umbetov" in surnames

    def text(frame: pd.DataFrame) -> str:
        return frame.astype(str).to_csv().casefold()

    raw = text(evidence.frames().evidence) + text(evidence.items("companies", "sources"))
    assert "umbetov" in raw  # the bundle names him
    shown = text(view.frames.evidence) + text(view.frames.companies)
    shown += "".join(text(items) for items in view.items.values())
    assert not [s for s in surnames if s in shown]
    assert view.counts.urls > 0
    # same rows in the same order: only text changed
    assert view.frames.evidence["status"].tolist() == evidence.frames().evidence["status"].tolist()


@pytest.mark.parametrize("overflow", ["csv", "parquet"])
def test_nfd_names_are_redacted_in_workbook_and_companion(tmp_path: Path, overflow: str) -> None:
    """Item 7: "José Núñez" decomposed (NFD) in a summary and a source title."""
    from bhrscore.export.briefing import write_briefing
    from bhrscore.rubric import default_rubric_path
    from bhrscore.rubric.model import load_rubric

    nfd = unicodedata.normalize("NFD", "José Núñez")
    assert nfd != "José Núñez"
    rows = [
        record(
            id=f"e{i}",
            sensitive=True,
            persons=["José Núñez"],  # listed composed (NFC)
            summary=f"{nfd} was dismissed.",
            sources=[{"url": "https://example.org/a", "title": f"On {nfd}", "type": "news"}],
        )
        for i in range(3)
    ]
    root = tmp_path / "b"
    evidence = load_evidence_from([company()], rows, root)
    card = score(evidence, load_rubric(default_rubric_path()), dt.date(2024, 12, 31))
    path = tmp_path / "out" / "briefing.xlsx"
    path.parent.mkdir()
    result = write_briefing(
        card, path, evidence=evidence, evidence_row_limit=1, overflow_format=overflow
    )  # type: ignore[arg-type]
    assert result.companion is not None
    texts = [result.companion.read_bytes().decode("utf-8", "replace")]
    if overflow == "parquet":
        import pyarrow.parquet as pq

        texts.append(json.dumps(pq.read_table(result.companion).to_pylist(), default=str))
    with zipfile.ZipFile(path) as z:
        texts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    for text in texts:
        for form in ("josé", "jose\u0301", "núñez", "nu\u0301n\u0303ez", "jose", "nunez"):
            assert form not in unicodedata.normalize("NFC", text).casefold()
            assert form not in text.casefold()
    assert any(REDACTED in t for t in texts)


def test_column_search_mixes_ascii_and_unicode_entries_alike() -> None:
    """A column holding ASCII and non-ASCII entries side by side (the pre-filter lower-cases
    ASCII entries and normalises the others in full) finds a name in each form, wherever
    it sits among the others, and nothing in entries without one."""
    forms = [
        "jose-nunez-ejemplo-2021",  # ASCII slug
        "José Núñez Ejemplo",  # composed accents
        unicodedata.normalize("NFD", "JOSÉ NÚÑEZ EJEMPLO"),  # combining marks
        "ＺＡＲＩＮＡ ＦＩＣＴＩＯＮＯＶＡ",  # full-width
        "Zari\u200bna Fictionova",  # a format character inside
        "ZARINA-FICTIONOVA",  # ASCII, upper case
    ]
    clean = ["k0-syn-e0000001", "Ejemplo Núñez Company", "Straße 5", "plain text"]
    values: list[str | None] = []
    for i, form in enumerate(forms):
        values += [clean[i % len(clean)], form, None]
    hits = POLICY._hits(pd.Series(values, dtype="string"))
    named = [v in forms for v in values]
    assert hits.tolist() == named


@pytest.mark.parametrize("dtype", [object, "string"])
def test_persons_cells_are_counted_whatever_the_column_dtype(dtype: Any) -> None:
    """A persons column of text (``"A|B"``, as flat files hold it) is redacted like one of
    tuples, and its redacted cells are counted alike (they once counted as none)."""
    frame = pd.DataFrame(
        {
            "summary": pd.array(["Nothing to hide", "Nothing here either"], dtype="string"),
            "persons": pd.Series(
                ["Zarina Fictionova|Example Witness", "José Núñez Ejemplo"], dtype=dtype
            ),
            "sensitive": [True, False],
        }
    )
    done = POLICY.frame(frame, text=("summary",))
    # row 0 is sensitive: its two names become one note; row 1 is not, but names a protected
    # person: the name is replaced. Two records, two cells.
    assert done.frame["persons"].tolist() == [("[redacted: 2 persons]",), (REDACTED,)]
    assert (done.counts.records, done.counts.cells) == (2, 2)


def test_the_names_pattern_is_compiled_only_where_a_name_may_be(tmp_path: Path) -> None:
    """Compiling the names pattern takes tenths of a second: scoring a set whose names
    appear in no id and no company name never compiles it; the policy still holds them,
    and redacting a text that holds one compiles it."""
    from bhrscore.evidence import privacy
    from bhrscore.rubric import default_rubric_path
    from bhrscore.rubric.model import load_rubric

    evidence = [
        record(id="e-sensitive", sensitive=True, persons=["Quillon Fictionova"]),
        record(id="e-plain", date="2024-03-01", summary="Plain record."),
    ]
    (tmp_path / "companies.jsonl").write_text(json.dumps(company()) + "\n", encoding="utf-8")
    lines = "".join(json.dumps(r) + "\n" for r in evidence)
    (tmp_path / "evidence.jsonl").write_text(lines, encoding="utf-8")
    loaded = load_evidence(tmp_path)
    privacy._compile.cache_clear()
    card = score(loaded, load_rubric(default_rubric_path()), dt.date(2024, 12, 31))
    assert privacy._compile.cache_info().misses == 0
    assert card.meta.options["personal_data"] == "redacted"
    flat = {i for ids in card.indicators["evidence_ids"] for i in ids}
    assert {"e-sensitive", "e-plain"} <= flat  # no id carries the name: kept as they are
    policy = Privacy.of(loaded)
    assert policy.names == ("Quillon Fictionova",)
    assert bool(policy)
    assert privacy._compile.cache_info().misses == 0
    assert policy.text("Met quillon FICTIONOVA.") == f"Met {REDACTED}."
    assert privacy._compile.cache_info().misses == 1


@pytest.mark.parametrize(
    "names",
    [(), ("",), ("  ",), ("--",), ("_",), ("Zarina Fictionova",), ("", "Jo"), ("Ōe",)],
)
def test_a_policy_is_true_exactly_when_it_has_a_pattern(names: tuple[str, ...]) -> None:
    from bhrscore.evidence.privacy import names_matcher

    assert bool(Privacy(names)) is (names_matcher(names) is not None)


def test_persons_of_sensitive_rows_alone_need_no_pattern() -> None:
    """A sensitive row's persons become a note without the names pattern: redacting a frame
    whose only lists are those compiles nothing; a list of another row is redacted name by
    name, which compiles it."""
    from bhrscore.evidence import privacy

    policy = Privacy(("Quillon Fictionova",))
    frame = pd.DataFrame(
        {
            "persons": [("Quillon Fictionova", "Other Example"), (), None],
            "sensitive": [True, False, False],
            "summary": ["Plain.", "Plain too.", None],
        }
    )
    privacy._compile.cache_clear()
    done = policy.frame(frame, text=("summary",))
    assert privacy._compile.cache_info().misses == 0
    assert done.frame["persons"].tolist() == [("[redacted: 2 persons]",), (), None]
    assert (done.counts.records, done.counts.cells) == (1, 1)
    frame.loc[1, "persons"] = ("quillon fictionova", "Other Example")
    done = policy.frame(frame, text=("summary",))
    assert privacy._compile.cache_info().misses == 1
    assert done.frame["persons"].tolist()[1] == (REDACTED, "Other Example")
    assert (done.counts.records, done.counts.cells) == (2, 2)
