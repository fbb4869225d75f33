"""Docs, notebooks and the README import only from ``bhrscore`` itself: deep imports
(``from bhrscore.evidence.load import ...``) would make internal modules part of the API.

``docs/simulations/`` is left out on purpose: those scripts check internal statistics
(``bootstrap_ci``) and say so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import bhrscore

ROOT = Path(__file__).resolve().parents[1]
DEEP = re.compile(r"^\s*(?:from\s+bhrscore\.[\w.]+\s+import|import\s+bhrscore\.)", re.M)
FROM_TOP = re.compile(r"^\s*from\s+bhrscore\s+import\s+(\([^)]*\)|[^\n]+)", re.M)


def _texts() -> dict[str, str]:
    texts = {"README.md": (ROOT / "README.md").read_text("utf-8")}
    for path in sorted((ROOT / "docs").glob("*.md")):
        texts[str(path.relative_to(ROOT))] = path.read_text("utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text("utf-8"))["cells"]
        code = [c["source"] for c in cells if c["cell_type"] == "code"]
        texts[str(path.relative_to(ROOT))] = "\n".join(
            "".join(s) if isinstance(s, list) else s for s in code
        )
    return texts


def test_docs_and_notebooks_import_only_from_bhrscore() -> None:
    texts = _texts()
    assert len(texts) >= 5  # README, docs pages and notebooks were found
    deep = {
        name: [m.group(0).strip() for m in DEEP.finditer(text)]
        for name, text in texts.items()
        if DEEP.search(text)
    }
    assert deep == {}


def test_what_they_import_from_bhrscore_is_public() -> None:
    not_public = set()
    for name, text in _texts().items():
        for match in FROM_TOP.finditer(text):
            imported = match.group(1).strip("()")
            for item in re.split(r"[,\s]+", imported):
                item = item.split(" as ")[0].strip()
                if item.isidentifier() and item not in bhrscore.__all__:
                    not_public.add(f"{name}: {item}")
    assert not_public == set()


def test_docs_name_no_missing_files() -> None:
    """Stale references: files the docs mention by name exist (DESIGN.md, docs/*.md)."""
    missing = set()
    for name, text in _texts().items():
        for ref in re.findall(r"\b((?:docs/)?[\w-]+\.md)\b", text):
            candidates = [ROOT / ref, ROOT / "docs" / ref, (ROOT / name).parent / ref]
            if not any(p.exists() for p in candidates):
                missing.add(f"{name}: {ref}")
    assert missing == set()


def test_contributing_tree_names_every_module() -> None:
    """docs/contributing.md matches the code: every module and package under src/bhrscore
    is named in its layout (a new module needs a line there)."""
    text = (ROOT / "docs" / "contributing.md").read_text("utf-8")
    tree = text.split("## Layout", 1)[1].split("## Public and internal", 1)[0]
    src = ROOT / "src" / "bhrscore"
    unnamed = set()
    for path in src.rglob("*.py"):
        if path.name == "__init__.py" or "kinds" in path.parts:
            continue
        stem = path.stem
        if not re.search(rf"(?<![\w]){re.escape(stem)}(?:\.py)?(?![\w])", tree):
            unnamed.add(str(path.relative_to(src)))
    for package in (p for p in src.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        if f"{package.name}/" not in tree:
            unnamed.add(f"{package.name}/")
    assert unnamed == set()
