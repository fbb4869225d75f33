"""Comparisons given to the briefing as a future: the sheets that do not show them are built
first, the workbook is the same as with the comparisons given directly, and an error in
computing them is raised before anything is written (also when no sheet shows them)."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from bhrscore import BriefingInputs, SheetEntry, write_briefing
from bhrscore.analysis.compare import Comparison, compare
from bhrscore.evidence.evidence_set import EvidenceSet
from bhrscore.export.book import Sheet
from bhrscore.export.briefing import SHEET_NAMES, default_sheets
from bhrscore.rubric.engine import score
from bhrscore.rubric.model import load_rubric
from bhrscore.rubric.scorecard import ScoreCard
from bhrscore.synthetic import synthetic_evidence

pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
AS_OF = dt.date(2026, 1, 1)
RUBRIC = Path(__file__).resolve().parents[1] / "rubrics" / "labour-rights.yaml"


@pytest.fixture(scope="module")
def scored() -> tuple[EvidenceSet, ScoreCard]:
    evidence = synthetic_evidence(12, 120, seed=3, as_of=AS_OF)
    return evidence, score(evidence, load_rubric(RUBRIC), AS_OF)


def _comparisons(card: ScoreCard) -> dict[str, Comparison]:
    return {
        key: compare(card, by=key, resamples=200, permutations=200)
        for key in ("origin_group", "sector")
    }


def _parts(path: Path) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_a_future_gives_the_same_workbook_as_the_comparisons(
    tmp_path: Path, scored: tuple[EvidenceSet, ScoreCard]
) -> None:
    evidence, card = scored
    direct = write_briefing(
        card, tmp_path / "direct.xlsx", evidence=evidence, comparisons=_comparisons(card)
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(_comparisons, card)
        deferred = write_briefing(
            card, tmp_path / "deferred.xlsx", evidence=evidence, comparisons=pending
        )
    assert deferred.sheets == direct.sheets == SHEET_NAMES
    assert _parts(tmp_path / "deferred.xlsx") == _parts(tmp_path / "direct.xlsx")


def test_sheets_that_use_comparisons_are_built_last_and_placed_by_order(
    tmp_path: Path, scored: tuple[EvidenceSet, ScoreCard]
) -> None:
    evidence, card = scored
    built: list[str] = []
    pending: Future[dict[str, Comparison]] = Future()

    def recorder(name: str, reads: bool) -> SheetEntry:
        def build(inputs: BriefingInputs) -> Sheet:
            built.append(name)
            if reads:
                assert pending.done()  # waited for, not read before it was set
                assert "origin_group" in inputs.comparisons
            elif not pending.done() and len(built) == 2:
                # the comparisons are ready only once every other sheet is built
                pending.set_result(_comparisons(card))
            return Sheet(name, name, [name])

        return SheetEntry(name, len(built), build, uses_comparisons=reads)

    entries = [recorder("Groups", True), recorder("Plain", False), recorder("Other", False)]
    result = write_briefing(
        card, tmp_path / "order.xlsx", evidence=evidence, comparisons=pending, sheets=entries
    )
    assert built == ["Plain", "Other", "Groups"]
    assert result.sheets == ("Groups", "Plain", "Other")


def test_the_built_ins_declare_which_sheets_show_comparisons() -> None:
    uses = {e.name for e in default_sheets() if e.uses_comparisons}
    assert uses == {"By origin", "By sector", "Method"}


@pytest.mark.parametrize("sheets", [None, ["Summary", "Companies"]])
def test_an_error_in_the_comparisons_is_raised_and_nothing_is_written(
    tmp_path: Path, scored: tuple[EvidenceSet, ScoreCard], sheets: list[str] | None
) -> None:
    evidence, card = scored
    pending: Future[dict[str, Comparison]] = Future()
    pending.set_exception(ValueError("fictional grouping error"))
    target = tmp_path / "failed.xlsx"
    with pytest.raises(ValueError, match="fictional grouping error"):
        write_briefing(card, target, evidence=evidence, comparisons=pending, sheets=sheets)
    assert list(tmp_path.iterdir()) == []


def test_a_builder_that_returns_no_sheet_stops_the_workbook_at_once(
    tmp_path: Path, scored: tuple[EvidenceSet, ScoreCard]
) -> None:
    evidence, card = scored
    built: list[str] = []

    def plain(inputs: BriefingInputs) -> Sheet:
        built.append("Plain")
        return Sheet("Plain", "Plain", ["a note"])

    broken = SheetEntry("Broken", 1, lambda _inputs: "not a sheet")  # type: ignore[arg-type,return-value]
    target = tmp_path / "broken.xlsx"
    with pytest.raises(TypeError, match="'Broken': build returned str"):
        write_briefing(
            card, target, evidence=evidence, sheets=[broken, SheetEntry("Plain", 2, plain)]
        )
    assert built == []  # reported before the next sheet is built
    assert list(tmp_path.iterdir()) == []
