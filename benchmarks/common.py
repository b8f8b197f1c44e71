"""What every benchmark shares: a real QGIS session with JoinedUp loaded, median timing,
peak memory, and one results table format. Run a benchmark as a script from the repo root:

    .venv/bin/python benchmarks/bench_joins.py [--quick]

(`make bench` runs them all). Each prints its rows and writes benchmarks/results/<name>.json.
Machines here have 2 noisy cores: compare variants in one run, quote medians.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLUGIN_PARENT = REPO / ".build" / "plugins"
RESULTS = REPO / "benchmarks" / "results"

_QGIS = {}


def plugin_importable() -> None:
    """Make ``import joinedup`` work through the .build/plugins link (never the repo root)."""
    PLUGIN_PARENT.mkdir(parents=True, exist_ok=True)
    link = PLUGIN_PARENT / "joinedup"
    if not link.exists():
        link.symlink_to(REPO, target_is_directory=True)
    if str(PLUGIN_PARENT) not in sys.path:
        sys.path.insert(0, str(PLUGIN_PARENT))
    bench_dir = str(REPO / "benchmarks")
    if bench_dir not in sys.path:
        sys.path.append(bench_dir)


def qgis_session():
    """Start QGIS once (offscreen), initialise Processing and register JoinedUp's provider.
    Returns QGIS's ``processing`` module."""
    if "processing" in _QGIS:
        return _QGIS["processing"]
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = f"/tmp/runtime-{os.getuid()}"
        os.makedirs(runtime, mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = runtime
    plugin_importable()
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append("/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    Processing.initialize()
    from qgis import processing

    import joinedup

    plugin = joinedup.classFactory(None)
    plugin.initProcessing()
    _QGIS.update(app=app, plugin=plugin, processing=processing)
    return processing


def median_time(fn, repeat: int = 3, warmup: int = 0) -> tuple:
    """(median seconds, all timings, last result) of ``fn()`` run ``repeat`` times."""
    for _ in range(warmup):
        fn()
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


@contextlib.contextmanager
def stage_clock(stages: dict):
    """Seconds spent in each stage of an end-to-end run, so the next bottleneck is visible.

    ``stages`` maps a stage name ("read", "analysis", "write") to ``"module:function"`` names
    that the algorithm looks up at call time (e.g. ``"joinedup.processing.bridge:read_source"``).
    Inside the block those functions are wrapped by a timer (the real functions still run);
    the yielded dict gains each stage's total seconds and ends with "other": what the block
    took beyond the named stages (QGIS's parameter handling, loading, the algorithm's glue).
    Nested calls of the same stage are counted once."""
    totals = dict.fromkeys(stages, 0.0)
    depth = dict.fromkeys(stages, 0)
    patched = []

    def timed(stage, fn):
        def wrapper(*args, **kwargs):
            depth[stage] += 1
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                depth[stage] -= 1
                if depth[stage] == 0:
                    totals[stage] += time.perf_counter() - start
        return wrapper

    for stage, targets in stages.items():
        for target in ([targets] if isinstance(targets, str) else targets):
            module_name, attr = target.split(":")
            module = importlib.import_module(module_name)
            original = getattr(module, attr)
            patched.append((module, attr, original))
            setattr(module, attr, timed(stage, original))
    start = time.perf_counter()
    try:
        yield totals
    finally:
        for module, attr, original in reversed(patched):
            setattr(module, attr, original)
        totals["other"] = time.perf_counter() - start - sum(totals[s] for s in stages)


def median_stages(runs: list) -> dict:
    """Per-stage medians of several :func:`stage_clock` results."""
    return {stage: statistics.median(run[stage] for run in runs) for stage in runs[0]} if runs else {}


def stage_text(stages: dict) -> str:
    """'read 1.2 / analysis 0.3 / write 0.9 / other 0.1 s' for a results table."""
    return " / ".join(f"{stage} {seconds:.2f}" for stage, seconds in stages.items()) + " s"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def reset_peak_rss() -> None:
    """Start this process's peak-memory count again from its present size (Linux: writing 5 to
    /proc/self/clear_refs resets VmHWM), so a later reading is one step's own peak."""
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def current_peak_rss_mb() -> float:
    """Peak resident memory since the last reset_peak_rss (VmHWM), in MiB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def report(name: str, rows: list, notes: str = "") -> None:
    """Print rows (dicts with the same keys) as a table and save them as JSON."""
    if rows:
        keys = list(rows[0].keys())
        widths = {k: max(len(k), *(len(_fmt(r.get(k))) for r in rows)) for k in keys}
        print("  ".join(k.ljust(widths[k]) for k in keys))
        for r in rows:
            print("  ".join(_fmt(r.get(k)).ljust(widths[k]) for k in keys))
    if notes:
        print(notes)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps({"rows": rows, "notes": notes}, indent=1, default=str))


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def run_worker(script: str, *args) -> dict:
    """Run ``script --worker ARGS`` in its own process (so its peak memory is its own) and
    return the JSON line it prints last; stop with its output when it fails."""
    import subprocess

    done = subprocess.run([sys.executable, script, "--worker", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{' '.join(map(str, args))} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(lines[-1])
