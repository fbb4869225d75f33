"""Loader benchmark: ``load_evidence`` (read + validate + typed frames) against the floor of
merely parsing the same file, per format, measured in the same run.

Floors: ``pyarrow.json.read_json`` (JSON Lines), ``pyarrow.csv.read_csv`` (CSV) and
python-calamine's ``to_python`` of the Evidence sheet (XLSX; openpyxl read-only is shown too).
Each measurement runs in a fresh process, so its peak RSS is its own (the imports' baseline is
printed). Synthetic, clearly fictional data: 100,000 records for 1,000 companies (the workbook
holds fewer records, see ``--xlsx-records``: writing and reading workbooks is slow for every
library); ``--million`` adds one million JSON Lines records (ten renamed copies of the 100k).

    .venv/bin/python benchmarks/bench_load.py [--records 100000] [--xlsx-records 20000]
                                              [--million] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


# --- measurements (each in its own process) -------------------------------------------------


def _rss_mb() -> float:
    """Peak resident memory of this process so far (VmHWM: unlike ``ru_maxrss`` it is not
    inherited from the parent that started the process)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def frame_bytes(frame: Any) -> int:
    """Bytes a frame holds, objects shared between rows (the tuples of list columns) counted
    once (pandas' deep memory usage counts a shared tuple once per row)."""
    total = 0
    for name in frame.columns:
        col = frame[name]
        if col.dtype == object:
            values = col.to_numpy()
            shared = {id(v): v for v in values}
            total += 8 * len(values) + sum(
                sys.getsizeof(v) + sum(sys.getsizeof(x) for x in v)
                if isinstance(v, tuple)
                else sys.getsizeof(v)
                for v in shared.values()
            )
        else:
            total += int(col.memory_usage(deep=True, index=False))
    return total


def _measure(what: str, path: str, repeat: int) -> dict[str, Any]:
    """Time ``what`` on ``path`` (best of ``repeat``) after the imports; report peak RSS."""
    import pyarrow as pa  # noqa: F401  (imported before timing in every measurement)

    import bhrscore  # noqa: F401

    baseline = _rss_mb()
    out: dict[str, Any] = {"baseline_mb": baseline}
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = _run(what, path)
        best = min(best, time.perf_counter() - t0)
        if what == "bhrscore":
            frames = result.frames()
            out["records"] = len(frames.evidence)
            n = max(1, len(frames.evidence))
            out["frame_bytes_per_record"] = frame_bytes(frames.evidence) / n
            out["item_bytes_per_record"] = frame_bytes(result.items("evidence")) / n
            out["ok"] = result.report.ok
            t1 = time.perf_counter()
            first = result.content_hash()
            t2 = time.perf_counter()
            again = result.content_hash()  # remembered digests of unchanged Arrow columns
            t3 = time.perf_counter()
            assert first == again
            out["hash_seconds"] = min(out.get("hash_seconds", t2 - t1), t2 - t1)
            out["hash_again_seconds"] = min(out.get("hash_again_seconds", t3 - t2), t3 - t2)
        del result
    out["seconds"] = best
    out["peak_mb"] = _rss_mb()
    return out


def _run(what: str, path: str) -> Any:
    if what == "bhrscore":
        from bhrscore import load_evidence

        return load_evidence(path)
    if what == "pyarrow.json":
        import pyarrow.json as pj

        return pj.read_json(Path(path) / "evidence.jsonl")
    if what == "pyarrow.csv":
        import pyarrow.csv as pcsv

        return pcsv.read_csv(Path(path) / "evidence.csv")
    if what == "calamine":
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(Path(path) / "bundle.xlsx"))
        rows = wb.get_sheet_by_name("Evidence").to_python(skip_empty_area=False)
        wb.close()
        return rows
    if what == "openpyxl":
        import openpyxl

        wb = openpyxl.load_workbook(Path(path) / "bundle.xlsx", read_only=True, data_only=False)
        rows = [[c.value for c in row] for row in wb["Evidence"].iter_rows()]
        wb.close()
        return rows
    raise ValueError(what)


def measure(what: str, path: Path, repeat: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HERE), "--measure", what, str(path), "--repeat", str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --- data -------------------------------------------------------------------------------------


def make_bundles(root: Path, records: int, xlsx_records: int, companies: int) -> dict[str, Path]:
    from bhrscore import synthetic_evidence, write_evidence

    evidence = synthetic_evidence(companies, records, seed=1)
    paths = {"jsonl": root / "jsonl", "csv": root / "csv", "xlsx": root / "xlsx"}
    write_evidence(evidence, paths["jsonl"], format="jsonl")
    write_evidence(evidence, paths["csv"], format="csv")
    _write_workbook(paths["csv"], paths["xlsx"], xlsx_records)
    return paths


def _write_workbook(csv_dir: Path, out: Path, records: int) -> None:
    """The first ``records`` rows of the CSV bundle as a workbook (cells typed as a person
    entering them would: numbers as numbers, the rest as text)."""
    import csv

    import xlsxwriter

    out.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(out / "bundle.xlsx"), {"constant_memory": True})
    for sheet, name, limit in (
        ("Companies", "companies.csv", None),
        ("Evidence", "evidence.csv", records),
    ):
        ws = wb.add_worksheet(sheet)
        with open(csv_dir / name, newline="", encoding="utf-8") as fh:
            for r, row in enumerate(csv.reader(fh)):
                if limit is not None and r > limit:
                    break
                for c, value in enumerate(row):
                    if not value:
                        continue
                    try:
                        number = float(value)
                    except ValueError:
                        ws.write_string(r, c, value)
                    else:
                        ws.write_number(r, c, number)
    wb.close()


def make_million(jsonl: Path, out: Path, copies: int = 10) -> Path:
    """``copies`` renamed copies of the JSON Lines evidence (ids stay unique)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "companies.jsonl").write_bytes((jsonl / "companies.jsonl").read_bytes())
    data = (jsonl / "evidence.jsonl").read_bytes()
    with open(out / "evidence.jsonl", "wb") as fh:
        for k in range(copies):
            fh.write(data.replace(b'"id": "syn-e', f'"id": "syn-k{k}-e'.encode()))
    return out


# --- report ------------------------------------------------------------------------------------


def row(label: str, ours: dict[str, Any], floor: dict[str, Any], floor_name: str) -> str:
    ratio = ours["seconds"] / floor["seconds"]
    return (
        f"{label:<22} {ours['records']:>9,}  {ours['seconds']:7.2f} s  {ours['peak_mb']:7.0f} MB"
        f"  {ours['frame_bytes_per_record']:4.0f}+{ours['item_bytes_per_record']:3.0f} B/rec"
        f" | {floor_name:<22} "
        f"{floor['seconds']:7.2f} s  {floor['peak_mb']:7.0f} MB | {ratio:5.2f}x"
    )


def _hash_line(ours: dict[str, Any]) -> str:
    """The content hash stage: first call, and again (score and briefing both ask for it)."""
    return (
        f"{'  content_hash':<22} first {ours['hash_seconds']:.3f} s, "
        f"again {ours['hash_again_seconds']:.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--xlsx-records", type=int, default=20_000)
    parser.add_argument("--companies", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--million", action="store_true")
    parser.add_argument("--measure", nargs=2, metavar=("WHAT", "PATH"))
    parser.add_argument(
        "--bundle", type=Path, help="only measure this JSON Lines bundle (e.g. /work/bench/b100k)"
    )
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure[0], args.measure[1], args.repeat)))
        return
    if args.bundle:
        ours = measure("bhrscore", args.bundle, args.repeat)
        floor = measure("pyarrow.json", args.bundle, args.repeat)
        print(row(f"JSON Lines {args.bundle.name}", ours, floor, "pyarrow.json"))
        print(_hash_line(ours))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        paths = make_bundles(root, args.records, args.xlsx_records, args.companies)
        print(f"data written in {time.perf_counter() - t0:.0f} s (fictional, seed 1)")
        for fmt, path in paths.items():
            size = sum(p.stat().st_size for p in path.iterdir()) / 1e6
            print(f"  {fmt}: {size:.1f} MB")
        cases = [
            ("JSON Lines", "jsonl", "pyarrow.json"),
            ("CSV", "csv", "pyarrow.csv"),
            ("XLSX", "xlsx", "calamine"),
        ]
        print(
            f"\n{'format':<22} {'records':>9}  {'bhrscore':>9}  {'peak RSS':>10}  "
            f"{'frame+items':>13} | "
            f"{'floor (same file)':<22} {'time':>9}  {'peak RSS':>10} | ratio"
        )
        lines = []
        for label, fmt, floor_name in cases:
            ours = measure("bhrscore", paths[fmt], args.repeat)
            floor = measure(floor_name, paths[fmt], args.repeat)
            lines.append(row(label, ours, floor, floor_name))
            print(lines[-1], flush=True)
            if fmt == "jsonl":
                print(_hash_line(ours), flush=True)
            if fmt == "xlsx":
                slow = measure("openpyxl", paths[fmt], 1)
                print(
                    f"{'':<22} {'':>9}  {'':>9}  {'':>10}  {'':>10} | {'openpyxl read-only':<22} "
                    f"{slow['seconds']:7.2f} s  {slow['peak_mb']:7.0f} MB |"
                )
        if args.million:
            big = make_million(paths["jsonl"], root / "million")
            ours = measure("bhrscore", big, 1)
            floor = measure("pyarrow.json", big, 1)
            print(row("JSON Lines (1M)", ours, floor, "pyarrow.json"), flush=True)
        base = measure("pyarrow.json", paths["jsonl"], 1)["baseline_mb"]
        print(f"\npeak RSS includes the imports (pandas, pyarrow, bhrscore): {base:.0f} MB")
        print("frame+items: bytes per record held by the evidence frame and its sources table")
        print(f"machine: {os.cpu_count()} CPU(s), shared; ratios are measured in one run")


if __name__ == "__main__":
    main()
