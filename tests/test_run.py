"""The run object (assess) and the refusal of score cards that do not match their inputs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import pytest

from bhrscore import (
    AssessmentRun,
    MismatchError,
    assess,
    default_rubric,
    score,
    sensitivity,
    synthetic_frames,
    write_briefing,
)
from bhrscore.cli.common import run_main
from bhrscore.evidence.frame import Frames
from bhrscore.rubric.model import Rubric

AS_OF = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return default_rubric()


@pytest.fixture(scope="module")
def frames() -> Frames:
    return synthetic_frames(12, 150, seed=5)


@pytest.fixture(scope="module")
def other_frames() -> Frames:
    return synthetic_frames(12, 150, seed=6)


@pytest.fixture(scope="module")
def run(frames: Frames, rubric: Rubric) -> AssessmentRun:
    return assess(frames, rubric, AS_OF, uncertainty=False)


def test_run_keeps_inputs_and_hashes_and_scores_once(
    run: AssessmentRun, frames: Frames, rubric: Rubric
) -> None:
    assert run.evidence_hash == frames.content_hash()
    assert run.rubric_hash == rubric.content_hash()
    card = run.score()
    assert run.score() is card  # cached
    assert card.meta.evidence_hash == run.evidence_hash
    assert card.meta.rubric_hash == run.rubric_hash
    assert card.meta.as_of == AS_OF
    # the run's card scores exactly like the free function
    free = score(frames, rubric, AS_OF, uncertainty=False)
    assert card.companies["total"].equals(free.companies["total"])
    assert [s.name for s in run.log].count("score") == 1
    assert run.log[0].name == "inputs"
    assert rubric.id in str(run.log[0])


def test_run_steps_are_logged(run: AssessmentRun, tmp_path: Path) -> None:
    comparison = run.compare(by="origin_group", resamples=50, permutations=50)
    assert comparison.by == ("origin_group",)
    result = run.brief(tmp_path / "b.xlsx", comparisons={"origin_group": comparison})
    assert result.path.exists()
    table = run.trend([dt.date(2024, 12, 31), AS_OF])
    assert sorted(set(table["as_of"].dt.date)) == [dt.date(2024, 12, 31), AS_OF]
    names = [s.name for s in run.log]
    assert names[-3:] == ["compare", "brief", "trend"]
    assert "b.xlsx" in str(run.log[-2])


def test_run_rejects_a_datetime(frames: Frames, rubric: Rubric) -> None:
    with pytest.raises(TypeError, match=r"datetime\.date"):
        assess(frames, rubric, dt.datetime(2025, 1, 1))  # type: ignore[arg-type]


def test_briefing_refuses_evidence_the_card_was_not_scored_from(
    run: AssessmentRun, other_frames: Frames, tmp_path: Path
) -> None:
    target = tmp_path / "mismatch.xlsx"
    with pytest.raises(MismatchError, match=r"write_briefing: .*evidence hash"):
        write_briefing(run.score(), target, evidence=other_frames)
    assert not target.exists()  # nothing half-written
    assert isinstance(MismatchError("x"), ValueError)


def test_sensitivity_refuses_a_base_of_another_rubric_or_date(
    run: AssessmentRun, frames: Frames, other_frames: Frames, rubric: Rubric
) -> None:
    base = run.score()
    other_rubric = rubric.model_copy(update={"version": "99.0.0"})
    with pytest.raises(MismatchError, match="rubric"):
        sensitivity(frames, other_rubric, AS_OF, n=0, policies=False, base=base)
    with pytest.raises(MismatchError, match=r"as of 2025-12-31.*2024-06-30"):
        sensitivity(frames, rubric, dt.date(2024, 6, 30), n=0, policies=False, base=base)
    with pytest.raises(MismatchError, match="evidence hash"):
        sensitivity(other_frames, rubric, AS_OF, n=0, policies=False, base=base)
    # the matching base is accepted
    ok = sensitivity(frames, rubric, AS_OF, n=0, policies=False, base=base)
    assert len(ok.companies) == len(base.companies)


def test_cli_shows_a_mismatch_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    @click.command()
    def boom() -> None:
        raise MismatchError("write_briefing: the score card does not match its inputs")

    with pytest.raises(SystemExit) as exit_info:
        run_main(boom, [])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "does not match its inputs" in err
    assert "Traceback" not in err


def test_the_docs_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import re

    root = Path(__file__).resolve().parents[1]
    doc = (root / "docs" / "run.md").read_text("utf-8")
    code = re.search(r"```python\n(.*?)```", doc, re.S)
    assert code is not None
    text = (
        code.group(1)
        .replace('"examples/kazakhstan"', repr(str(root / "examples" / "kazakhstan")))
        .replace('"rubrics/labour-rights.yaml"', repr(str(root / "rubrics" / "labour-rights.yaml")))
        .replace('"out/briefing.xlsx"', repr(str(tmp_path / "briefing.xlsx")))
        .replace("n=100", "n=5")  # fewer perturbations: the same code path, faster
    )
    namespace: dict[str, object] = {}
    exec(compile(text, "docs/run.md", "exec"), namespace)
    assert (tmp_path / "briefing.xlsx").exists()
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in printed] == [
        "inputs",
        "score",
        "compare",
        "sensitivity",
        "brief",
        "trend",
    ]
