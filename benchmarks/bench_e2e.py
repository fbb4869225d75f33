"""End to end against the goals of issue 11: JSON Lines records to an investor briefing with
the CLI (``bhrscore brief BUNDLE --out briefing.xlsx``), in a child process.

Goals: 100,000 records in at most 3 s and 600 MB peak RSS; 1,000,000 records in at most
30 s and 2 GB. For each size the bundle (fictional companies from ``bhrscore.synthetic``,
one company per 100 records) is written first (not timed): ``synthetic_evidence`` at the
smallest size, larger sizes as renamed copies of it (ids stay unique, so 1M records are
10 copies of 100k: 10x the companies too). Then ``bhrscore brief`` runs under
``/usr/bin/time -v`` when present (wall time and maximum RSS of the child), else with
``resource.getrusage(RUSAGE_CHILDREN)``. Printed: wall time, peak RSS, and each as a ratio
of its goal (<= 1.00 meets it). The machine may be shared: say so with the figures.

``--stages`` also prints, for each step the CLI announces (its progress display: reading the
rubric, loading, scoring, then comparing and writing as one step: the comparisons run on a
thread while the workbook is built), the seconds it took and the resident memory at its end
and its peak (VmRSS, VmHWM), from a child whose progress display is replaced by a recorder;
the imports are the time before the first step.

Run: ``python benchmarks/bench_e2e.py [--sizes 100000 1000000] [--stages]``
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = "2026-01-01"
#: records -> (seconds, MB) of the issue's goals
GOALS = {100_000: (3.0, 600.0), 1_000_000: (30.0, 2048.0)}
RECORDS_PER_COMPANY = 100


def make_bundle(root: Path, records: int) -> Path:
    """A JSON Lines bundle of ``records`` fictional records (``bhrscore.write_evidence``)."""
    from bhrscore import synthetic_evidence, write_evidence

    companies = max(1, records // RECORDS_PER_COMPANY)
    write_evidence(synthetic_evidence(companies, records, seed=0), root, format="jsonl")
    return root


def copies(base: Path, out: Path, k: int) -> Path:
    """``k`` renamed copies of ``base``'s companies and evidence (ids prefixed per copy)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, ids in (("companies.jsonl", ("id", "parent_id")), ("evidence.jsonl", ("id",))):
        data = (base / name).read_bytes()
        with open(out / name, "wb") as fh:
            for j in range(k):
                text = data
                for key in (*ids, "company_id"):
                    text = text.replace(f'"{key}": "syn-'.encode(), f'"{key}": "k{j}-syn-'.encode())
                fh.write(text)
    for extra in base.iterdir():  # e.g. a vocabulary.yaml
        if extra.name not in ("companies.jsonl", "evidence.jsonl"):
            shutil.copy(extra, out / extra.name)
    return out


#: the child of ``--stages``: the CLI with its progress display replaced by a recorder that
#: prints "stage<TAB>name<TAB>seconds<TAB>VmRSS MB<TAB>VmHWM MB" to stderr as each step ends
STAGES_CHILD = """
import contextlib, sys, time
from pathlib import Path
import bhrscore.cli.progress as progress

def memory():
    fields = dict(line.split(':', 1) for line in Path('/proc/self/status').read_text().splitlines())
    return tuple(int(fields[k].split()[0]) / 1024 for k in ('VmRSS', 'VmHWM'))

last = ['imports', time.perf_counter()]

def report(now):
    rss, hwm = memory()
    print(f'stage\t{last[0]}\t{now - last[1]:.3f}\t{rss:.0f}\t{hwm:.0f}', file=sys.stderr)

@contextlib.contextmanager
def steps(quiet=False, console=None):
    def step(description):
        now = time.perf_counter()
        report(now)
        last[:] = [description, now]
    yield step
    report(time.perf_counter())
    last[:] = ['after the steps', time.perf_counter()]

progress.steps = steps
from bhrscore.cli import main
try:
    main(sys.argv[1:])
finally:
    report(time.perf_counter())
"""


def child_env() -> dict[str, str]:
    """The environment of the measured child: this one, but bytecode caches allowed
    (``PYTHONDONTWRITEBYTECODE`` makes every run compile bhrscore's modules again, about
    0.2 s that an installed package never pays)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def warm_up(out: Path) -> None:
    """One untimed ``brief`` of the bundled example: compiles the bytecode caches and reads
    the imports from disk, as any earlier use would have."""
    example = Path(__file__).resolve().parents[1] / "examples" / "kazakhstan"
    cli = "import sys; from bhrscore.cli import main; main(sys.argv[1:])"
    command = [sys.executable, "-c", cli, "brief", str(example), "--as-of", AS_OF, "--quiet"]
    subprocess.run([*command, "--out", str(out)], capture_output=True, env=child_env())


def run_cli(bundle: Path, out: Path, stages: bool = False) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, error text or '') of ``bhrscore brief`` in a child; with
    ``stages`` the child's per-step report is printed."""
    cli = "import sys; from bhrscore.cli import main; main(sys.argv[1:])"
    if stages:
        cli = STAGES_CHILD
    command = [sys.executable, "-c", cli, "brief", str(bundle), "--as-of", AS_OF, "--quiet"]
    command += ["--out", str(out)]
    timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if timer:
        command = [timer, "-v", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=child_env())
    wall = time.perf_counter() - start
    peak_kb = float(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    if timer:
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        if found:
            peak_kb = float(found.group(1))
    elif peak_kb <= before:
        peak_kb = float("nan")  # an earlier, larger child hides this one's peak
    message = done.stderr.split("\tCommand being timed:")[0]  # /usr/bin/time's report follows
    if stages:
        print(f"    {'step':<40} {'seconds':>8} {'RSS MB':>8} {'peak MB':>8}")
        for line in message.splitlines():
            if line.startswith("stage\t"):
                _, name, seconds, rss, hwm = line.split("\t")
                print(f"    {name[:40]:<40} {float(seconds):8.2f} {rss:>8} {hwm:>8}")
        message = "\n".join(x for x in message.splitlines() if not x.startswith("stage\t"))
    error = "" if done.returncode == 0 else message.strip()[-600:]
    return wall, peak_kb / 1024, error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--tmp", default=None)
    parser.add_argument("--stages", action="store_true", help="time and memory of each step")
    parser.add_argument(
        "--bundle", default=None, help="reuse this bundle of the smallest size (else written)"
    )
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    print("bhrscore brief, JSON Lines -> briefing.xlsx, end to end (child process)")
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        base = Path(args.bundle) if args.bundle else make_bundle(root / f"b{sizes[0]}", sizes[0])
        print(f"  ({sizes[0]:,}-record bundle written in {time.perf_counter() - t0:.0f} s)")
        warm_up(root / "warm-up.xlsx")
        for n in sizes:
            if n % sizes[0]:
                print(f"  {n:,}: not a multiple of {sizes[0]:,}; skipped")
                continue
            bundle = base if n == sizes[0] else copies(base, root / f"b{n}", n // sizes[0])
            wall, peak, error = run_cli(bundle, root / f"brief-{n}.xlsx", args.stages)
            if error:
                print(f"  {n:>9,} records: failed after {wall:.1f} s: {error}")
                continue
            line = f"  {n:>9,} records: {wall:6.1f} s wall, peak RSS {peak:7,.0f} MB"
            if n in GOALS:
                seconds, mb = GOALS[n]
                line += (
                    f"  | goal {seconds:.0f} s / {mb:,.0f} MB: ratio {wall / seconds:.2f} time,"
                    f" {peak / mb:.2f} memory"
                )
            print(line, flush=True)
            if bundle != base:
                shutil.rmtree(bundle)


if __name__ == "__main__":
    main()
