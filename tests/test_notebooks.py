"""The committed notebooks: executed with their outputs, top to bottom, without errors,
timestamps, machine paths or a protected person's name; public imports only; and the
docs' plotting example runs. (CI executes the notebooks again with ``pytest --nbmake``.)"""

from __future__ import annotations

import base64
import json
import re
import struct
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: the largest PNG a notebook may hold, and its largest width (100 dpi x 12 inches)
MAX_PNG_BYTES = 160_000
MAX_PNG_WIDTH = 1200


def _cells(path: Path) -> list[dict[str, Any]]:
    return [c for c in json.loads(path.read_text("utf-8"))["cells"] if c["cell_type"] == "code"]


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _protected_names() -> set[str]:
    """The persons of every sensitive record of the examples."""
    names: set[str] = set()
    for path in sorted((ROOT / "examples").rglob("evidence*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                if record.get("sensitive"):
                    names.update(record.get("persons") or [])
    return names


def test_there_are_three_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "origin-comparison.ipynb",
        "quickstart.ipynb",
        "rdr-comparison.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_executed_in_order_without_errors(path: Path) -> None:
    cells = _cells(path)
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1))  # one run, top to bottom
    kinds = [o["output_type"] for c in cells for o in c["outputs"]]
    assert "error" not in kinds
    stderr = [o for c in cells for o in c["outputs"] if o.get("name") == "stderr"]
    assert stderr == []
    assert all("execution" not in c["metadata"] for c in cells)  # no timestamps
    images = [
        o["data"]["image/png"]
        for c in cells
        for o in c["outputs"]
        if "image/png" in o.get("data", {})
    ]
    assert len(images) >= 3  # the plots are there
    for image in images:
        png = base64.b64decode(image)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, _ = struct.unpack(">II", png[16:24])
        assert len(png) <= MAX_PNG_BYTES
        assert width <= MAX_PNG_WIDTH


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_outputs_hold_no_machine_path_and_no_protected_name(path: Path) -> None:
    names = _protected_names()
    assert "Mukhtar Umbetov" in names  # the Kazakhstan example's sensitive records are read
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names)), re.IGNORECASE)
    for cell in _cells(path):
        for output in cell["outputs"]:
            texts = [_text(output.get("text", ""))] + [
                _text(v) for k, v in output.get("data", {}).items() if k.startswith("text/")
            ]
            for text in texts:
                assert pattern.search(text) is None, text[:200]
                for place in ("/work/", "/home/", "/tmp/", "/Users/", "site-packages"):
                    assert place not in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_import_from_bhrscore_only(path: Path) -> None:
    source = "\n".join(_text(c["source"]) for c in _cells(path))
    assert "import bhrscore" in source
    assert re.search(r"from bhrscore[.\s]|import bhrscore\.", source) is None
    assert "matplotlib.use(" not in source


def test_the_docs_plotting_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = (ROOT / "docs" / "notebooks.md").read_text("utf-8")
    section = doc.split("## Plots", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    for name in ("examples", "rubrics"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), "docs/notebooks.md", "exec"), namespace)
    plt.close("all")
    for out in ("kazakhstan.png", "by-origin.png", "trend.png"):
        assert (tmp_path / out).read_bytes()[:4] == b"\x89PNG"
    history = namespace["history"]
    assert isinstance(history, pd.DataFrame)
    assert set(history["as_of"].dt.year) == {2015, 2020, 2024}
