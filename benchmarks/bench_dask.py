"""Dask backend benchmark: out-of-core scoring of a Parquet dataset, with a pandas baseline.

For each size N, ``N`` synthetic records (``bhrscore.synthetic``: fictional companies, one
company per 100 records) are generated in chunks of ``--chunk`` records and written as a
Parquet dataset partitioned by company (``DatasetWriter``: one file per chunk, so generation
holds one chunk in memory). Then, each in a child process whose whole process tree is sampled
for memory (psutil, RSS summed over the process and its children every 0.1 s):

- ``dask``: ``score(DATASET, backend="dask")`` on a LocalCluster of ``--workers`` worker
  processes with ``--worker-memory`` each; the total worker memory is set below the evidence
  frame's in-memory size (printed), so the data does not fit in the workers at once (out of
  core: partitions are read, scored and dropped one at a time per worker);
- ``pandas``: the dataset read into one frame and ``score`` in memory (the baseline), for
  sizes up to ``--pandas-max``.

Printed per size: wall time, peak RSS of the tree (and of the client process alone), the
ratio dask/pandas and the time per million records (linear growth = constant). The machine
the figures come from may be shared: say so with them.

Run: ``python benchmarks/bench_dask.py [--sizes 1000000 10000000] [--workers 2]
[--worker-memory 700MB] [--pandas-max 1000000]``
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import psutil

AS_OF = dt.date(2025, 12, 31)
RECORDS_PER_COMPANY = 100


# --- data ---------------------------------------------------------------------------------------


def _prefixed(col: pd.Series, prefix: str) -> pd.Series:
    text = col.astype("string")
    return (prefix + text).where(text.notna(), text).astype(col.dtype)


def generate(root: Path, records: int, chunk: int) -> tuple[Path, int]:
    """A dataset of ``records`` synthetic records, written a chunk at a time (each chunk its
    own companies, ids prefixed so that they stay unique). Returns the path and the evidence
    frame's in-memory bytes (summed over chunks, ``memory_usage(deep=True)``)."""
    from bhrscore.backends.dataset import DatasetWriter
    from bhrscore.synthetic import synthetic_frames

    writer = DatasetWriter(root)
    companies = []
    size = 0
    for k, first in enumerate(range(0, records, chunk)):
        n = min(chunk, records - first)
        frames = synthetic_frames(max(1, n // RECORDS_PER_COMPANY), n, seed=k, as_of=AS_OF)
        prefix = f"k{k}-"
        comp = frames.companies.copy()
        for name in ("id", "parent_id", "ultimate_parent_id"):
            comp[name] = _prefixed(comp[name], prefix)
        ev = frames.evidence.copy()
        for name in ("id", "company_id"):
            ev[name] = _prefixed(ev[name], prefix)
        ev = ev.sort_values(["company_id", "id"], kind="stable", na_position="last")
        size += int(ev.memory_usage(deep=True).sum())
        writer.add(ev)
        companies.append(comp)
        del frames, ev
    writer.close(pd.concat(companies, ignore_index=True))
    return root, size


# --- measuring ------------------------------------------------------------------------------------


def _tree_rss(proc: psutil.Process) -> tuple[int, int]:
    """(RSS of the process and all its descendants, RSS of the process alone)."""
    try:
        own = proc.memory_info().rss
        kids = proc.children(recursive=True)
    except psutil.Error:
        return 0, 0
    total = own
    for kid in kids:
        with contextlib.suppress(psutil.Error):
            total += kid.memory_info().rss
    return total, own


def measured(args: list[str]) -> dict[str, Any]:
    """Run ``bench_dask.py --measure ...`` in a child; its JSON result plus the peak RSS of
    its process tree and of the child alone (sampled every 0.1 s)."""
    command = [sys.executable, __file__, "--measure", *args]
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc = psutil.Process(child.pid)
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total, own = _tree_rss(proc)
            peak[0], peak[1] = max(peak[0], total), max(peak[1], own)
            done.wait(0.1)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    out, err = child.communicate()
    done.set()
    watcher.join()
    wall = time.perf_counter() - start
    if child.returncode != 0:
        return {"error": err.strip()[-500:], "wall": wall}
    result = dict(json.loads(out.strip().splitlines()[-1]))
    return {**result, "wall": wall, "peak_mb": peak[0] / 2**20, "client_mb": peak[1] / 2**20}


def measure(what: str, path: str, workers: int, memory: str) -> dict[str, Any]:
    """In the child: score the dataset with ``what`` (dask or pandas); seconds and totals."""
    from bhrscore.backends.dataset import open_dataset, read_frame
    from bhrscore.evidence.frame import Frames
    from bhrscore.rubric import default_rubric, score

    rubric = default_rubric()
    start = time.perf_counter()
    if what == "dask":
        card = score(
            path,
            rubric,
            AS_OF,
            backend="dask",
            n_workers=workers,
            processes=True,
            memory_limit=memory,
        )
    else:
        ds = open_dataset(path)
        companies = read_frame(ds.companies_file, "companies")
        evidence = pd.concat([read_frame(f, "evidence") for f in ds.files], ignore_index=True)
        card = score(Frames(companies, evidence), rubric, AS_OF)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "companies": len(card.companies),
        "mean_total": float(card.companies["total"].astype(float).mean()),
        "records_scored": int(card.meta.options["records_scored"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-memory", default="700MB")
    parser.add_argument("--pandas-max", type=int, default=1_000_000)
    parser.add_argument("--tmp", default=None, help="where datasets are written")
    parser.add_argument(
        "--keep",
        default=None,
        metavar="DIR",
        help="write the datasets to DIR/ds-N and keep them; a finished one there is reused",
    )
    parser.add_argument("--generate-only", action="store_true", help="write the datasets only")
    parser.add_argument("--measure", nargs=4, metavar=("WHAT", "PATH", "WORKERS", "MEMORY"))
    args = parser.parse_args()
    if args.measure:
        what, path, workers, memory = args.measure
        print(json.dumps(measure(what, path, int(workers), memory)))
        return
    limit = psutil._common.bytes2human
    print(
        f"Dask backend: {args.workers} worker processes x {args.worker_memory}; "
        f"chunks of {args.chunk:,} records; {psutil.cpu_count()} CPUs, "
        f"{limit(psutil.virtual_memory().total)} RAM (possibly shared with other work)"
    )
    rows = []
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for n in args.sizes:
            root = Path(args.keep or tmp) / f"ds-{n}"
            t0 = time.perf_counter()
            if args.keep and (root / "bhrscore-dataset.json").exists():
                frame_bytes = json.loads((root.parent / f"ds-{n}.frame-bytes.json").read_text())
                made = "reused"
            else:
                _, frame_bytes = generate(root, n, args.chunk)
                (root.parent / f"ds-{n}.frame-bytes.json").write_text(json.dumps(frame_bytes))
                made = f"generated in {time.perf_counter() - t0:.1f} s"
            disk = sum(p.stat().st_size for p in root.rglob("*.parquet"))
            print(
                f"\n{n:,} records: {made}; {disk / 2**20:,.0f} MB of Parquet, "
                f"{frame_bytes / 2**20:,.0f} MB as a pandas frame",
                flush=True,
            )
            if args.generate_only:
                continue
            result = {"records": n, "frame_mb": frame_bytes / 2**20}
            for what in ("dask", "pandas"):
                if what == "pandas" and n > args.pandas_max:
                    print("  pandas  skipped (above --pandas-max)")
                    continue
                got = measured([what, str(root), str(args.workers), args.worker_memory])
                if "error" in got:
                    print(f"  {what:<7} failed after {got['wall']:.1f} s: {got['error']}")
                    continue
                result[what] = got
                print(
                    f"  {what:<7} {got['seconds']:7.1f} s scoring ({got['wall']:.1f} s wall "
                    f"with start-up), peak RSS {got['peak_mb']:,.0f} MB (client process "
                    f"{got['client_mb']:,.0f} MB); {got['companies']:,} companies, mean total "
                    f"{got['mean_total']:.4f}; {got['seconds'] / n * 1e6:.1f} s per 1M records"
                )
            if "dask" in result and "pandas" in result:
                d, p = result["dask"], result["pandas"]
                same = abs(d["mean_total"] - p["mean_total"]) < 1e-9
                print(
                    f"  dask / pandas: {d['seconds'] / p['seconds']:.2f}x time, "
                    f"{d['peak_mb'] / p['peak_mb']:.2f}x peak memory; same mean total: {same}"
                )
            rows.append(result)
            if not args.keep:
                import shutil

                shutil.rmtree(root)
    dask_rows = [r for r in rows if "dask" in r]
    if len(dask_rows) > 1:
        a, b = dask_rows[0], dask_rows[-1]
        growth = (b["dask"]["seconds"] / a["dask"]["seconds"]) / (b["records"] / a["records"])
        print(
            f"\nscaling (dask) {a['records']:,} -> {b['records']:,}: time grew "
            f"{b['dask']['seconds'] / a['dask']['seconds']:.1f}x for "
            f"{b['records'] / a['records']:.0f}x the records ({growth:.2f} of linear)"
        )


if __name__ == "__main__":
    main()
