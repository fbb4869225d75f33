"""Loader benchmark: validate a large CSV bundle with ``load_evidence`` and compare with the
floor of merely parsing the same file with ``pandas.read_csv`` (no validation), measured in the
same run. Prints records/second and the ratio.

    .venv/bin/python benchmarks/bench_load.py [--records 100000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from bhrscore import load_evidence, synthetic_evidence, write_evidence


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=1_000)
    args = parser.parse_args()
    evidence = synthetic_evidence(args.companies, args.records, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write_evidence(evidence, out, format="csv")
        size = (out / "evidence.csv").stat().st_size
        t0 = time.perf_counter()
        pd.read_csv(out / "evidence.csv", dtype=str, keep_default_na=False)
        floor = time.perf_counter() - t0
        t0 = time.perf_counter()
        loaded = load_evidence(out)
        took = time.perf_counter() - t0
        t0 = time.perf_counter()
        loaded.frames()
        frames = time.perf_counter() - t0
    n = len(loaded.evidence)
    print(f"evidence.csv: {n:,} records, {size / 1e6:.1f} MB")
    print(f"pandas.read_csv (parse only, floor): {floor:6.2f} s")
    print(f"load_evidence (parse + validate):    {took:6.2f} s  {n / took:,.0f} records/s")
    print(f"EvidenceSet.frames() (typed frames):  {frames:6.2f} s")
    print(f"ratio load_evidence / read_csv: {took / floor:.1f}x")


if __name__ == "__main__":
    main()
