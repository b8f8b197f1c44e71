"""Network flows on a Dask LocalCluster: the OD assignment and the flows from matched routes,
in-process against a LocalCluster of 1 and of 2 worker processes, on the sample city's network.

    .venv/bin/python benchmarks/bench_scale_flows.py [--quick] [--pairs N] [--routes N]

1. od: N seeded OD pairs (20,000; --quick 4,000) between random points of the Helsinki drive
   network (EPSG:3067), assigned all-or-nothing (engine.flows.assign_od): the work of
   joinedup:networkflows given an OD layer. Chunks of 2,000 rows are the tasks; the network and
   the snapped ends go to each worker once; per-edge volumes come back summed in a tree.
2. routes: N routes (200,000; --quick 40,000) of 5 to 60 random edges each, 20 routes per
   track, counted per edge (engine.flows.flows_from_routes): what networkflows does with the
   routes map matching wrote. Partitions of whole tracks (engine.flows.ROUTES_PER_TASK) are the
   tasks.

For each: seconds, pairs or routes per second, the cluster's start-up measured apart, the
workers' CPU seconds and the cores they obtained, the 1 -> 2 worker ratio, and whether the
result equals the in-process one exactly. No QGIS algorithm assigns OD flows on a cluster:
the comparison is JoinedUp's own in-process run, on the same input, in the same run.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import DATA, load, time_executions  # noqa: E402
from common import plugin_importable, report  # noqa: E402


def bench_od(net, n_pairs: int):
    from joinedup.engine.flows import assign_od

    rng = np.random.default_rng(7)
    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    origins = lo + rng.random((n_pairs, 2)) * (hi - lo)
    destinations = lo + rng.random((n_pairs, 2)) * (hi - lo)
    volumes = rng.integers(1, 50, n_pairs).astype(float)
    categories = rng.choice(["car", "van", "hgv"], n_pairs)
    print(f"OD: {n_pairs} pairs on {len(net.edges)} edges; {load()}", flush=True)

    def work(execution):
        return assign_od(net, origins, destinations, volumes, categories=categories, execution=execution)

    def same(a, b):
        return a[0].equals(b[0]) and a[1] == b[1] and np.array_equal(a[2], b[2])

    rows, note = time_executions(work, n_pairs, "pairs", same)
    report("scale_flows_od", rows, note + " Tasks: chunks of 2,000 OD rows; the network and the snapped "
           "ends are broadcast to each worker once; per-edge volumes summed in a tree.")


def bench_routes(net, n_routes: int):
    import pandas as pd

    from joinedup.engine.flows import flows_from_routes

    rng = np.random.default_rng(11)
    edge_ids = net.edges["edge_id"].to_numpy()
    lengths = rng.integers(5, 61, n_routes)
    picks = rng.integers(0, len(edge_ids), int(lengths.sum()))
    ends = np.cumsum(lengths)
    lists = [",".join(map(str, edge_ids[picks[e - k:e]].tolist())) for e, k in zip(ends, lengths, strict=True)]
    routes = pd.DataFrame({"track_id": [f"lorry-{i // 20}" for i in range(n_routes)], "edge_ids": lists,
                           "mode": rng.choice(["drive", "cycle"], n_routes)})
    print(f"routes: {n_routes} routes, {int(lengths.sum())} edge passages; {load()}", flush=True)

    def work(execution):
        return flows_from_routes(routes, edge_ids, category_field="mode", execution=execution)

    def same(a, b):
        return a[0].equals(b[0]) and a[1] == b[1]

    from joinedup.engine.flows import ROUTES_PER_TASK

    rows, note = time_executions(work, n_routes, "routes", same)
    report("scale_flows_routes", rows, note + f" Tasks: partitions of whole tracks ({ROUTES_PER_TASK:,} routes); "
           "per-edge counts summed in a tree.")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--pairs", type=int, default=None)
    ap.add_argument("--routes", type=int, default=None)
    ap.add_argument("--only", default="od,routes")
    args = ap.parse_args()
    plugin_importable()
    from gen_tracks import drive_graph

    net, _ = drive_graph(DATA)
    wanted = {w.strip() for w in args.only.split(",")}
    if "od" in wanted:
        bench_od(net, args.pairs or (4_000 if args.quick else 20_000))
    if "routes" in wanted:
        bench_routes(net, args.routes or (40_000 if args.quick else 200_000))


if __name__ == "__main__":
    main()
