"""The briefing as LibreOffice prints it (``scripts/render_briefing.py``): it converts to a
PDF with pages, every sheet prints, and no number is clipped to ``###``. Runs when ``soffice``
is on PATH (the only skip in the suite; pdftotext is needed for the text checks)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bhrscore.export.briefing import write_briefing

from .test_briefing_design import design_card, design_evidence

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "render_briefing.py"
needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None and shutil.which("libreoffice") is None,
    reason="LibreOffice (soffice) is not installed",
)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_briefing", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@needs_soffice
def test_libreoffice_prints_every_sheet_without_clipped_numbers(tmp_path: Path) -> None:
    render = _script()
    path = tmp_path / "briefing.xlsx"
    result = write_briefing(design_card(), path, evidence=design_evidence())
    pdf = render.to_pdf(path, tmp_path / "render")
    assert pdf.read_bytes().startswith(b"%PDF")
    texts = render.page_texts(pdf)
    if texts is None:
        pytest.skip("pdftotext is not installed: the PDF was written, its text not checked")
    assert len(texts) >= len(result.sheets)  # every sheet prints at least one page
    assert not [i for i, t in enumerate(texts, 1) if "###" in t]
    text = "\f".join(texts)
    for sheet in result.sheets:  # the footer names each sheet
        assert sheet in text
    assert "Gamma Fictional Services" in text  # long names print in full
    assert "0.0 (policy)" in text
    assert "unknown" in text
    pngs = render.to_png(pdf, dpi=30)
    if shutil.which("pdftoppm") is not None:
        assert len(pngs) == len(texts)


def test_the_script_says_when_soffice_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    render = _script()
    monkeypatch.setattr(render.shutil, "which", lambda _name: None)
    assert render.main([str(tmp_path / "b.xlsx")]) == 2
    assert "soffice" in capsys.readouterr().err
