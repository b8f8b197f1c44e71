"""joinedup:joinbylocation (summary) against QGIS's own native:joinbylocationsummary:
N random points into a grid of about 10,000 square polygons, both through processing.run
with the same GeoPackage inputs and a GeoPackage output, in one run.

    .venv/bin/python benchmarks/bench_joins.py [--quick] [--repeat R]

Each (variant, size) runs in its own subprocess so its peak RSS is its own; the parent
prints medians, the ratio and peak memory, and checks that both wrote the same counts
and sums. Data are made once by the seeded generators and cached in .build/bench_joins/.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (  # noqa: E402
    REPO,
    median_stages,
    median_time,
    peak_rss_mb,
    qgis_session,
    report,
    run_worker,
    stage_clock,
    stage_text,
)

DATA = REPO / ".build" / "bench_joins"
GRID = 100  # 100 x 100 = 10,000 polygons of 100 m over 10 km x 10 km
FIELDS = ["value"]
SUMMARIES = [0, 5, 6, 3]  # count, sum, mean, max: same ids in both
# where JoinedUp's end-to-end time goes (benchmarks/common.py stage_clock)
STAGES = {"read": "joinedup.processing.bridge:read_source",
          "analysis": "joinedup.engine.joins:join_by_location",
          "write": "joinedup.processing.bridge:write_output"}


def make_data(n_points: int):
    from generators import random_points, square_grid

    DATA.mkdir(parents=True, exist_ok=True)
    polys = DATA / f"grid_{GRID}.gpkg"
    points = DATA / f"points_{n_points}.gpkg"
    if not polys.exists():
        square_grid(GRID, GRID, size=100.0, seed=1).to_file(polys, engine="pyogrio")
    if not points.exists():
        random_points(n_points, seed=2).to_file(points, engine="pyogrio")
    return polys, points


def worker(variant: str, n_points: int, repeat: int) -> None:
    processing = qgis_session()
    polys, points = make_data(n_points)
    out = DATA / f"out_{variant}_{n_points}.gpkg"
    params = {"INPUT": str(polys), "JOIN": str(points), "PREDICATE": [0], "JOIN_FIELDS": FIELDS,
              "SUMMARIES": SUMMARIES, "DISCARD_NONMATCHING": False, "OUTPUT": str(out)}
    if variant == "joinedup":
        alg, params = "joinedup:joinbylocation", {**params, "METHOD": 3}
    else:
        alg = "native:joinbylocationsummary"

    stage_runs = []

    def once():
        if out.exists():
            os.remove(out)
        with stage_clock(STAGES if variant == "joinedup" else {}) as stages:
            result = processing.run(alg, params)
        stage_runs.append(stages)
        return result

    med, times, _ = median_time(once, repeat=repeat)
    import geopandas as gpd

    result = gpd.read_file(out, engine="pyogrio")
    total = float(result["value_count"].fillna(0).sum())
    value_sum = float(result["value_sum"].fillna(0).sum())
    print(json.dumps({"median_s": med, "times": times, "peak_rss_mb": peak_rss_mb(),
                      "matched_points": total, "value_sum": value_sum,
                      "stages": median_stages(stage_runs)}))


def run_variant(variant, n, repeat):
    return run_worker(__file__, variant, n, repeat)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10k and 100k points only")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker", nargs=3, metavar=("VARIANT", "N", "REPEAT"))
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), int(args.worker[2]))
        return
    sizes = [10_000, 100_000] if args.quick else [100_000, 1_000_000]
    rows = []
    for n in sizes:
        make_data(n)
        input_mb = sum(os.path.getsize(p) for p in make_data(n)) / 2**20
        ours = run_variant("joinedup", n, args.repeat)
        theirs = run_variant("native", n, args.repeat)
        same = (ours["matched_points"] == theirs["matched_points"]
                and abs(ours["value_sum"] - theirs["value_sum"]) <= 1e-6 * max(1.0, abs(theirs["value_sum"])))
        rows.append({
            "points": n, "polygons": GRID * GRID, "input_gpkg_mb": round(input_mb, 1),
            "joinedup_s": ours["median_s"], "native_s": theirs["median_s"],
            "speedup": theirs["median_s"] / ours["median_s"],
            "joinedup_peak_mb": ours["peak_rss_mb"], "native_peak_mb": theirs["peak_rss_mb"],
            "same_result": same, "joinedup_stages": stage_text(ours["stages"]),
        })
    report("joins", rows, notes=(
        f"medians of {args.repeat} runs; processing.run with GeoPackage in and out; summaries "
        "count,sum,mean,max of one field; peak RSS of each variant's own process (includes "
        "QGIS itself, about 200-300 MB). joinedup_stages: medians of the time in the bridge's "
        "read_source, the engine's join_by_location and the bridge's write_output; other = QGIS's "
        "parameter handling and the algorithm's glue."))


if __name__ == "__main__":
    main()
