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


def test_readme_rubric_snippet_is_a_valid_indicator() -> None:
    import yaml

    from bhrscore.rubric.model import parse_rubric

    section = README.split("## Rubrics and scores", 1)[1]
    snippet = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert snippet is not None
    [node] = yaml.safe_load(snippet.group(1))
    node["weight"] = 1.0  # the snippet is one sibling of a larger tree
    rubric = parse_rubric(
        {"id": "readme", "version": "1.0.0", "title": "README", "tree": [node]}, "README.md"
    )
    assert [i.node.id for i in rubric.indicators()] == ["refuses-dialogue"]


def test_readme_custom_scale_registers_and_scores() -> None:
    import numpy as np

    from bhrscore.rubric.scales import SCALES

    section = README.split("## Rubrics and scores", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    namespace: dict[str, object] = {}
    try:
        # dont_inherit: run as a user would, without this file's `from __future__` import
        exec(compile(code.group(1), "README.md", "exec", dont_inherit=True), namespace)
        scale = namespace["Sqrt"](upper=4.0)  # type: ignore[operator]
        assert list(scale.apply(np.array([0.0, 1.0, 4.0]))) == [0.0, 50.0, 100.0]  # 100*sqrt(x/4)
    finally:
        SCALES.unregister("sqrt")
