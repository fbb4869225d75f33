"""The documented public API: names exist, the README's quick start runs end to end."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

import bhrscore

ROOT = Path(__file__).resolve().parents[1]


def test_every_exported_name_exists() -> None:
    missing = [name for name in bhrscore.__all__ if not hasattr(bhrscore, name)]
    assert missing == []
    for name in (
        "load_evidence",
        "load_rubric",
        "score",
        "compare",
        "sensitivity",
        "write_briefing",
    ):
        assert name in bhrscore.__all__  # the stages docs/contributing.md describes


def test_version_comes_from_the_package_metadata() -> None:
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    assert f'version = "{bhrscore.__version__}"' in text


def test_readme_quick_start_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Quick start in Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    assert "wagenborg" in capsys.readouterr().out  # explain() printed the company
    card = namespace["card"]
    assert isinstance(card, bhrscore.ScoreCard)
    assert card.meta.as_of == dt.date(2026, 11, 23)
    example = (ROOT / "examples" / "kazakhstan" / "companies.jsonl").read_text("utf-8")
    ids = {json.loads(line)["id"] for line in example.splitlines() if line.strip()}
    assert {"occ", "wagenborg"} < ids
    assert set(card.company_ids()) == ids
