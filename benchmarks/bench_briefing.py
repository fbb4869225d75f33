"""Benchmark: the investor briefing for a large synthetic portfolio against raw XlsxWriter.

    python benchmarks/bench_briefing.py                       # 10,000 companies, 1,000,000 records
    python benchmarks/bench_briefing.py --companies 1000 --records 100000

``write_briefing`` (preparing every sheet with pandas, sanitising every text cell, formats,
conditional formats, chart, links, atomic rename) is timed against a raw XlsxWriter loop that
writes the very same cell values (taken from ``prepare_briefing``; no formats, no sanitising,
the same constant-memory mode) in the same run. Prints both times and the ratio (target: 1.5x).
Scoring is timed separately and is not part of either figure. Fictional data only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from bhrscore.export.book import MAX_URLS_PER_SHEET, Sheet, Table
from bhrscore.export.briefing import prepare_briefing, write_briefing
from bhrscore.rubric.engine import score
from bhrscore.rubric.model import load_rubric
from bhrscore.synthetic import synthetic_frames

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 1, 1)


def raw_xlsxwriter(sheets: list[Sheet], path: Path) -> int:
    """Write the cells of ``sheets`` with bare XlsxWriter calls; returns the cell count."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    cells = 0
    for sheet in sheets:
        ws = workbook.add_worksheet(sheet.name)
        links = 0
        ws.write_string(0, 0, sheet.title)
        for block, start in zip(sheet.blocks, sheet.positions(), strict=True):
            if isinstance(block, str):
                ws.write_string(start, 0, block)
                cells += 1
                continue
            assert isinstance(block, Table)
            row = start
            if block.title:
                ws.write_string(row, 0, block.title)
                row += 1
            for j, col in enumerate(block.columns):
                ws.write_string(row, j, col.header)
            columns = [(j, c.kind, c.values) for j, c in enumerate(block.columns)]
            for i in range(block.n_rows):
                r = row + 1 + i
                for j, kind, values in columns:
                    v = values[i]
                    if v is None:
                        continue
                    cells += 1
                    if kind == "text":
                        ws.write_string(r, j, v)
                    elif kind == "link":
                        if links < MAX_URLS_PER_SHEET:
                            ws.write_url(r, j, v, None, v)
                            links += 1
                        else:
                            ws.write_string(r, j, v)
                    else:
                        ws.write_number(r, j, v)
    workbook.close()
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    t0 = time.perf_counter()
    frames = synthetic_frames(args.companies, args.records, seed=args.seed, as_of=AS_OF)
    t1 = time.perf_counter()
    card = score(frames, load_rubric(ROOT / "rubrics" / "labour-rights.yaml"), AS_OF)
    t2 = time.perf_counter()
    print(f"{args.companies:,} companies, {args.records:,} evidence records (synthetic)")
    print(f"  synthetic data {t1 - t0:7.1f} s   scoring {t2 - t1:7.1f} s   (not compared)")

    with tempfile.TemporaryDirectory() as tmp:
        ours = Path(tmp) / "briefing.xlsx"
        start, cpu = time.perf_counter(), time.process_time()
        result = write_briefing(card, ours, evidence=frames)
        t_ours, c_ours = time.perf_counter() - start, time.process_time() - cpu
        size = ours.stat().st_size
        ours.unlink()

        sheets = prepare_briefing(card, evidence=frames).sheets
        raw = Path(tmp) / "raw.xlsx"
        start, cpu = time.perf_counter(), time.process_time()
        cells = raw_xlsxwriter(sheets, raw)
        t_raw, c_raw = time.perf_counter() - start, time.process_time() - cpu
        raw_size = raw.stat().st_size

    print(f"  cells written  {cells:,} ({result.evidence_rows:,} evidence rows on the sheet)")
    print(f"  write_briefing {t_ours:7.1f} s wall {c_ours:7.1f} s CPU  ({size / 1e6:.0f} MB)")
    print(
        f"  raw XlsxWriter {t_raw:7.1f} s wall {c_raw:7.1f} s CPU  ({raw_size / 1e6:.0f} MB, "
        "same cells, same run)"
    )
    ratio, cpu_ratio = t_ours / t_raw, c_ours / c_raw
    verdict = "within" if cpu_ratio <= 1.5 else "OVER"
    print(
        f"  ratio          {ratio:7.2f} x wall {cpu_ratio:5.2f} x CPU  ({verdict} the 1.5x "
        "target; CPU time is the fairer figure on a shared machine)"
    )


if __name__ == "__main__":
    main()
