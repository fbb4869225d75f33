#!/usr/bin/env python3
"""Render a briefing workbook the way a reader sees it on paper: LibreOffice (headless)
converts it to PDF with each sheet's print settings, then ``pdftoppm`` (poppler, when
installed) turns every page into a PNG to look at.

    python scripts/render_briefing.py out/briefing.xlsx --out out/render [--dpi 80]

Writes ``out/render/briefing.pdf`` and ``out/render/briefing-01.png``, ... and prints what it
wrote, plus a warning for every page whose text shows ``###`` (a number too wide for its
column) when ``pdftotext`` is installed. LibreOffice runs with a private profile directory
(so it does not clash with a LibreOffice already open); nothing else is touched. Exit 0 when
rendered, 1 when a ``###`` was found, 2 when ``soffice`` is missing or the conversion failed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def to_pdf(workbook: Path, out_dir: Path, timeout: float = 300) -> Path:
    """``workbook`` converted to ``out_dir/<stem>.pdf`` by headless LibreOffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise FileNotFoundError("soffice (LibreOffice) is not on PATH")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bhrscore-lo-") as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={Path(profile).resolve().as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                str(workbook),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    pdf = out_dir / f"{workbook.stem}.pdf"
    if not pdf.exists():
        raise RuntimeError(f"LibreOffice wrote no PDF for {workbook}")
    return pdf


def to_png(pdf: Path, dpi: int = 80) -> list[Path]:
    """Every page of ``pdf`` as ``<stem>-NN.png`` beside it (empty without pdftoppm)."""
    if shutil.which("pdftoppm") is None:
        return []
    for old in pdf.parent.glob(f"{pdf.stem}-*.png"):
        old.unlink()
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True)
    return sorted(pdf.parent.glob(f"{pdf.stem}-*.png"))


def page_texts(pdf: Path) -> list[str] | None:
    """The text of each page (``None`` without pdftotext)."""
    if shutil.which("pdftotext") is None:
        return None
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="directory (default: beside)")
    parser.add_argument("--dpi", type=int, default=80)
    args = parser.parse_args(argv)
    out_dir = args.out or args.workbook.parent
    try:
        pdf = to_pdf(args.workbook, out_dir)
    except (FileNotFoundError, RuntimeError, subprocess.SubprocessError) as err:
        print(f"render_briefing: {err}", file=sys.stderr)
        return 2
    print(pdf)
    for png in to_png(pdf, args.dpi):
        print(png)
    texts = page_texts(pdf)
    clipped = [i for i, t in enumerate(texts or [], start=1) if "###" in t]
    for page in clipped:
        print(f"warning: page {page} shows ### (a number too wide for its column)")
    return 1 if clipped else 0


if __name__ == "__main__":
    sys.exit(main())
