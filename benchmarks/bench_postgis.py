"""joinedup:joinbylocation (summary) against QGIS's own native:joinbylocationsummary, both
reading two PostGIS tables and writing a new PostGIS table, on a throw-away local server
(benchmarks/postgis_server.py: a new cluster on a Unix socket), in one run.

    .venv/bin/python benchmarks/bench_postgis.py [--quick] [--repeat R]

N random points (the seeded generator of bench_joins.py) into a grid of 10,000 squares. Each
variant runs in its own process; the output table is dropped before every repetition (JoinedUp
never replaces a table). The parent prints medians and the ratio, and checks that both wrote
the same counts.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import median_time, peak_rss_mb, qgis_session, report, run_worker  # noqa: E402
from postgis_server import PostgisServer, start  # noqa: E402


def load(server: PostgisServer, n_points: int) -> None:
    import pyogrio
    from bench_joins import make_data

    polys, points = make_data(n_points)
    for path, table in ((polys, "grid"), (points, f"points_{n_points}")):
        # the benchmark's own throw-away server: the grid of the previous size is replaced
        pyogrio.write_dataframe(pyogrio.read_dataframe(path), server.gdal(), driver="PostgreSQL", layer=table,
                                layer_options={"GEOMETRY_NAME": "geom", "FID": "fid", "OVERWRITE": "YES"})
    server.psql("ANALYZE")


def worker(variant: str, n_points: int, repeat: int, socket_dir: str, port: int) -> None:
    processing = qgis_session()
    server = PostgisServer(socket_dir, port)
    out = f"out_{variant}"
    params = {"INPUT": "postgres://" + server.uri("grid"), "JOIN": "postgres://" + server.uri(f"points_{n_points}"),
              "PREDICATE": [0], "JOIN_FIELDS": ["value"], "SUMMARIES": [0, 5], "DISCARD_NONMATCHING": False,
              "OUTPUT": "postgres://" + server.uri(out)}
    alg = "joinedup:joinbylocation" if variant == "joinedup" else "native:joinbylocationsummary"
    if variant == "joinedup":
        params["METHOD"] = 3

    def once():
        server.psql(f"DROP TABLE IF EXISTS {out}")
        return processing.run(alg, params)

    med, times, _ = median_time(once, repeat=repeat)
    matched = float(server.psql(f"SELECT coalesce(sum(value_count), 0) FROM {out}"))
    print(json.dumps({"median_s": med, "times": times, "peak_rss_mb": peak_rss_mb(), "matched": matched}))


def run_variant(variant, n, repeat, server):
    return run_worker(__file__, variant, n, repeat, server.socket_dir, server.port)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100k points only")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker", nargs=5, metavar=("VARIANT", "N", "REPEAT", "SOCKET_DIR", "PORT"))
    args = parser.parse_args()
    if args.worker:
        variant, n, repeat, socket_dir, port = args.worker
        worker(variant, int(n), int(repeat), socket_dir, int(port))
        return
    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    server, stop = start(port=55433)
    rows = []
    try:
        for n in sizes:
            load(server, n)
            ours = run_variant("joinedup", n, args.repeat, server)
            theirs = run_variant("native", n, args.repeat, server)
            rows.append({"points": n, "polygons": 10_000, "joinedup_s": ours["median_s"],
                         "native_s": theirs["median_s"], "speedup": theirs["median_s"] / ours["median_s"],
                         "joinedup_peak_mb": ours["peak_rss_mb"], "native_peak_mb": theirs["peak_rss_mb"],
                         "same_result": ours["matched"] == theirs["matched"]})
    finally:
        stop()
    report("postgis", rows, notes=(
        f"medians of {args.repeat} runs; processing.run, PostGIS tables in and a new PostGIS table out, "
        "on a local server reached through its Unix socket; summaries count and sum of one field."))


if __name__ == "__main__":
    main()
