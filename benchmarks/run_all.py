"""`make bench`: every speed comparison in benchmarks/ (bench_*.py), each in its own process,
at the quick sizes unless ``--full`` (the sizes the issues name; some take many minutes).
Each prints its table and saves it to benchmarks/results/<name>.json; this prints which ran.

    .venv/bin/python benchmarks/run_all.py [--full] [--only joins,linkage]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="full sizes (slow)")
    parser.add_argument("--only", default="", help="comma-separated names, e.g. joins,linkage")
    args = parser.parse_args()
    wanted = {w.strip() for w in args.only.split(",") if w.strip()}
    scripts = [p for p in sorted(HERE.glob("bench_*.py"))
               if not wanted or p.stem.removeprefix("bench_") in wanted]
    if wanted and len(scripts) != len(wanted):
        known = ", ".join(p.stem.removeprefix("bench_") for p in sorted(HERE.glob("bench_*.py")))
        print(f"run_all: unknown benchmark in --only {args.only!r}; known: {known}", file=sys.stderr)
        return 2
    outcome = []
    for script in scripts:
        print(f"\n=== {script.stem} {'(full size)' if args.full else '(quick)'}", flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(script)] + ([] if args.full else ["--quick"]), cwd=HERE.parent)
        outcome.append((script.stem, done.returncode, time.perf_counter() - started))
    print("\n=== summary")
    for name, code, seconds in outcome:
        print(f"{name:16s} {'ok' if code == 0 else f'FAILED (exit {code})':18s} {seconds:7.1f} s")
    print("tables: benchmarks/results/*.json")
    return 0 if all(code == 0 for _, code, _ in outcome) else 1


if __name__ == "__main__":
    sys.exit(main())
