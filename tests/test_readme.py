"""The README's examples stay true: every JSON record validates and the CSV example loads."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bhrscore.evidence.load import load_evidence
from bhrscore.evidence.model import Company
from bhrscore.evidence.registry import evidence_kinds

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


def test_readme_json_records_validate() -> None:
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", README, re.S)]
    kinds = {b["kind"] for b in blocks if "kind" in b}
    assert kinds == set(evidence_kinds())  # one example per kind
    for block in blocks:
        if "kind" in block:
            evidence_kinds()[block["kind"]].model_validate(block)
        else:
            Company.model_validate(block)


def test_readme_csv_example_loads(tmp_path: Path) -> None:
    [csv_text] = re.findall(r"```csv\n(.*?)```", README, re.S)
    (tmp_path / "evidence.csv").write_text(csv_text, encoding="utf-8")
    (tmp_path / "companies.csv").write_text("id,name\nfict-drilling-kz,Fictional Drilling KZ\n")
    evidence = load_evidence(tmp_path)
    assert [e.id for e in evidence.evidence] == ["r-1"]
